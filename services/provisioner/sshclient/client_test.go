package sshclient_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dockeronline/platform/services/provisioner/sshclient"
	"github.com/dockeronline/platform/services/provisioner/sshdtest"
)

func newClient(t *testing.T, s *sshdtest.Server, addr string, timeout time.Duration) *sshclient.Client {
	t.Helper()
	c, err := sshclient.New(sshclient.Config{Addr: addr, User: s.User, KeyFile: s.ClientKeyFile,
		KnownHostsFile: s.KnownHostsFile, Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestRunReportsOutputAndExitStatus(t *testing.T) {
	s := sshdtest.Start(t)
	c := newClient(t, s, s.Addr, 10*time.Second)
	ctx := context.Background()

	tests := []struct {
		argv       []string
		wantStatus int
		wantOut    string
	}{
		{[]string{"id", "-u"}, 0, "0\n"},
		{[]string{"sh", "-c", "echo oops >&2; exit 3"}, 3, ""},
		{[]string{"getent", "passwd", "--", "nosuchuser"}, 2, ""},
		// Every argument reaches the remote program as it was given.
		{[]string{"printf", "%s|", "a;id", "$(id)", "`id`", "-oProxyCommand=x", "a\nb", "it's", ""}, 0,
			"a;id|$(id)|`id`|-oProxyCommand=x|a\nb|it's||"},
	}
	for _, tt := range tests {
		res, err := c.Run(ctx, tt.argv)
		if err != nil {
			t.Fatalf("Run(%q): %v", tt.argv, err)
		}
		if res.ExitStatus != tt.wantStatus || res.Stdout != tt.wantOut {
			t.Errorf("Run(%q) = status %d stdout %q, want %d %q", tt.argv, res.ExitStatus, res.Stdout, tt.wantStatus, tt.wantOut)
		}
	}
	res, _ := c.Run(ctx, []string{"sh", "-c", "echo oops >&2; exit 3"})
	if res.Stderr != "oops\n" {
		t.Errorf("stderr = %q, want %q", res.Stderr, "oops\n")
	}
}

// Commands share one connection, concurrent ones included.
func TestConnectionIsReused(t *testing.T) {
	s := sshdtest.Start(t)
	proxy, accepted := sshdtest.CountingProxy(t, s.Addr)
	c := clientFor(t, s, proxy)

	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Run(context.Background(), []string{"true"}); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := accepted(); n != 1 {
		t.Fatalf("8 commands opened %d connections, want 1", n)
	}
}

func TestWrongHostKeyIsRefusedBeforeAnythingRuns(t *testing.T) {
	s := sshdtest.Start(t)
	other := sshdtest.Start(t) // a different server, with a different host key
	// Pin other's key under s's address: s is now "an impostor".
	known := filepath.Join(t.TempDir(), "known_hosts")
	line := strings.Fields(readFile(t, other.KnownHostsFile))
	writeFile(t, known, "[127.0.0.1]:"+port(s.Addr)+" "+line[1]+" "+line[2]+"\n")

	c, err := sshclient.New(sshclient.Config{Addr: s.Addr, User: s.User, KeyFile: s.ClientKeyFile,
		KnownHostsFile: known, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.Run(context.Background(), []string{"touch", "/home/ran"})
	if !errors.Is(err, sshclient.ErrHostKeyMismatch) || !sshclient.IsConnError(err) {
		t.Fatalf("Run against a wrong host key: err = %v, want a ConnError wrapping ErrHostKeyMismatch", err)
	}
	if _, statErr := os.Stat(s.HomePath("ran")); !os.IsNotExist(statErr) {
		t.Fatalf("the command ran despite the wrong host key (stat: %v)", statErr)
	}
	if strings.Contains(s.Log(), "Accepted publickey") {
		t.Fatalf("the client authenticated to a host it could not identify:\n%s", s.Log())
	}
}

func TestUnknownHostIsRefusedAtStart(t *testing.T) {
	s := sshdtest.Start(t)
	empty := filepath.Join(t.TempDir(), "known_hosts")
	writeFile(t, empty, "")
	_, err := sshclient.New(sshclient.Config{Addr: s.Addr, User: s.User, KeyFile: s.ClientKeyFile,
		KnownHostsFile: empty, Timeout: 10 * time.Second})
	if !errors.Is(err, sshclient.ErrHostKeyUnknown) {
		t.Fatalf("New with a host missing from known_hosts: err = %v, want ErrHostKeyUnknown", err)
	}
}

// A host that goes down gives ConnErrors; when it is back the client
// reconnects by itself.
func TestReconnectsAfterTheHostComesBack(t *testing.T) {
	s := sshdtest.Start(t)
	c := newClient(t, s, s.Addr, 5*time.Second)
	ctx := context.Background()
	if _, err := c.Run(ctx, []string{"true"}); err != nil {
		t.Fatal(err)
	}
	s.Stop()
	if _, err := c.Run(ctx, []string{"true"}); !sshclient.IsConnError(err) {
		t.Fatalf("Run with the host down: err = %v, want a ConnError", err)
	}
	if err := c.Probe(ctx); !sshclient.IsConnError(err) {
		t.Fatalf("Probe with the host down: err = %v, want a ConnError", err)
	}
	s.Start()
	if err := c.Probe(ctx); err != nil {
		t.Fatalf("Probe after restart: %v", err)
	}
	if res, err := c.Run(ctx, []string{"id", "-u"}); err != nil || res.Stdout != "0\n" {
		t.Fatalf("Run after restart = %+v, %v", res, err)
	}
}

// A command that outlives the timeout is abandoned with ErrTimeout (its
// outcome is unknown, but the host is up: not a ConnError) and the next
// command gets a fresh connection.
func TestCommandTimeout(t *testing.T) {
	s := sshdtest.Start(t)
	c := newClient(t, s, s.Addr, 2*time.Second)
	_, err := c.Run(context.Background(), []string{"sleep", "30"})
	if !errors.Is(err, sshclient.ErrTimeout) || sshclient.IsConnError(err) {
		t.Fatalf("Run(sleep 30) with a 2s timeout: err = %v, want ErrTimeout, not a ConnError", err)
	}
	if _, err := c.Run(context.Background(), []string{"true"}); err != nil {
		t.Fatalf("Run after a timeout: %v", err)
	}
}

func TestRefusesNULBeforeConnecting(t *testing.T) {
	s := sshdtest.Start(t)
	proxy, accepted := sshdtest.CountingProxy(t, s.Addr)
	c := clientFor(t, s, proxy)
	if _, err := c.Run(context.Background(), []string{"echo", "a\x00b"}); err == nil || sshclient.IsConnError(err) {
		t.Fatalf("Run with a NUL argument: err = %v, want a refusal", err)
	}
	if n := accepted(); n != 0 {
		t.Fatalf("%d connections made for a refused command, want 0", n)
	}
}

// clientFor is a client for addr (a proxy in front of s) that pins s's
// host key under addr.
func clientFor(t *testing.T, s *sshdtest.Server, addr string) *sshclient.Client {
	t.Helper()
	c, err := sshclient.New(sshclient.Config{Addr: addr, User: s.User, KeyFile: s.ClientKeyFile,
		KnownHostsFile: s.KnownHostsFor(addr), Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func port(addr string) string {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		panic(fmt.Sprintf("address %q: %v", addr, err))
	}
	return p
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
