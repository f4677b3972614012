package sshdtest

import (
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// CountingProxy forwards TCP connections to target and counts them, so a
// test can prove that something did, or did not, connect to the host. It is
// closed when the test ends.
func CountingProxy(t testing.TB, target string) (addr string, connections func() int) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("sshdtest: proxy: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	var n atomic.Int64
	go func() {
		for {
			in, err := l.Accept()
			if err != nil {
				return
			}
			n.Add(1)
			go forward(in, target)
		}
	}()
	return l.Addr().String(), func() int { return int(n.Load()) }
}

func forward(in net.Conn, target string) {
	defer in.Close()
	out, err := net.Dial("tcp", target)
	if err != nil {
		return
	}
	defer out.Close()
	go func() { _, _ = io.Copy(out, in) }()
	_, _ = io.Copy(in, out)
}

// KnownHostsFor writes a known_hosts file that pins this server's host key
// under addr (a proxy in front of it, say) and returns its path.
func (s *Server) KnownHostsFor(addr string) string {
	s.t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		s.t.Fatalf("sshdtest: address %q: %v", addr, err)
	}
	f := strings.Fields(readFile(s.t, s.KnownHostsFile))
	file := filepath.Join(s.t.TempDir(), "known_hosts")
	writeFile(s.t, file, fmt.Sprintf("[%s]:%s %s %s\n", host, port, f[1], f[2]))
	return file
}
