package testenv

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Bait is an HTTP listener that records every request it receives. Security
// tests point an attack at it (a build that ADDs its URL, a pull from its
// address, a link that redirects to it) and then assert that it was never
// reached: a refusal that still let the engine fetch would pass a test that
// only checks the error, but not one that checks the bait.
type Bait struct {
	// URL is http://<addr>/ of the listener; Host is its host:port and
	// Port its port.
	URL  string
	Host string
	Port int

	mu   sync.Mutex
	hits []string
}

// BaitSecret is a string the bait serves in every response body. A test
// that finds it in an image, container, log or file knows the bait was read
// even if the hit went unrecorded (for example through a cache).
const BaitSecret = "dockeronline-bait-7f3c9a"

// NewBait starts a bait on 127.0.0.1 (the Docker host's loopback, where the
// platform's internal services listen) until the test ends. The test fails
// at cleanup if anything reached the bait, unless the test already took the
// hits with Hits.
func NewBait(t testing.TB) *Bait { return NewBaitOn(t, "127.0.0.1:0") }

// NewBaitOn is NewBait on a chosen address ("0.0.0.0:0" also catches
// requests to the host's bridge addresses from containers).
func NewBaitOn(t testing.TB, addr string) *Bait {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("testenv: bait listen on %s: %v", addr, err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	host := l.Addr().String()
	if strings.HasPrefix(host, "0.0.0.0:") || strings.HasPrefix(host, "[::]:") {
		host = "127.0.0.1:" + strconv.Itoa(port)
	}
	b := &Bait{URL: "http://" + host + "/", Host: host, Port: port}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.mu.Lock()
		b.hits = append(b.hits, fmt.Sprintf("%s %s from %s (%s)", r.Method, r.URL.RequestURI(), r.RemoteAddr, r.UserAgent()))
		b.mu.Unlock()
		fmt.Fprintf(w, `{"identities":[{"id":"%s"}]}`, BaitSecret)
	})}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() {
		_ = srv.Close()
		b.AssertUntouched(t)
	})
	return b
}

// Hits returns the requests the bait has received so far, one line each.
func (b *Bait) Hits() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.hits...)
}

// AssertUntouched fails the test if anything reached the bait.
func (b *Bait) AssertUntouched(t testing.TB) {
	t.Helper()
	if hits := b.Hits(); len(hits) > 0 {
		t.Errorf("bait %s was reached %d time(s):\n  %s", b.Host, len(hits), strings.Join(hits, "\n  "))
	}
}
