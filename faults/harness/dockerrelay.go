package harness

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// DockerRelay is a unix socket that relays byte for byte to the real Docker
// socket. The runner is given it as DOCKER_HOST, so a test can cut the
// runner off from Docker (Sever: the socket disappears and every open
// connection, the event stream included, breaks) and reconnect it
// (Restore) without touching the engine, which other tests share.
type DockerRelay struct {
	// Socket is the relay's path; DOCKER_HOST=unix://<Socket>.
	Socket string
	target string

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]struct{}
}

// StartDockerRelay relays to the engine of DOCKER_HOST (a unix socket) or
// /var/run/docker.sock.
func StartDockerRelay(t testing.TB) *DockerRelay {
	t.Helper()
	target := "/var/run/docker.sock"
	if h := os.Getenv("DOCKER_HOST"); strings.HasPrefix(h, "unix://") {
		target = strings.TrimPrefix(h, "unix://")
	} else if h != "" {
		t.Fatalf("harness: DOCKER_HOST=%s: the Docker relay needs a unix socket", h)
	}
	// A short path: unix socket paths are limited to 108 bytes.
	dir, err := os.MkdirTemp("", "faults-docker-")
	if err != nil {
		t.Fatal(err)
	}
	r := &DockerRelay{Socket: filepath.Join(dir, "docker.sock"), target: target, conns: map[net.Conn]struct{}{}}
	r.Restore(t)
	t.Cleanup(func() {
		r.Sever()
		os.RemoveAll(dir)
	})
	return r
}

// Host is the DOCKER_HOST value for the relay.
func (r *DockerRelay) Host() string { return "unix://" + r.Socket }

// Restore listens again; a no-op when already listening.
func (r *DockerRelay) Restore(t testing.TB) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ln != nil {
		return
	}
	_ = os.Remove(r.Socket)
	ln, err := net.Listen("unix", r.Socket)
	if err != nil {
		t.Fatalf("harness: docker relay: %v", err)
	}
	r.ln = ln
	go r.accept(ln)
}

// Sever stops listening, removes the socket and breaks every relayed
// connection, as a dead or unreachable engine would look to the runner.
func (r *DockerRelay) Sever() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ln != nil {
		_ = r.ln.Close()
		r.ln = nil
	}
	_ = os.Remove(r.Socket)
	for c := range r.conns {
		_ = c.Close()
	}
	clear(r.conns)
}

// Severed reports whether the relay is cut.
func (r *DockerRelay) Severed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ln == nil
}

func (r *DockerRelay) accept(ln net.Listener) {
	for {
		in, err := ln.Accept()
		if err != nil {
			return
		}
		out, err := net.Dial("unix", r.target)
		if err != nil {
			in.Close()
			continue
		}
		if !r.track(in, out) {
			continue
		}
		go r.pipe(in, out)
	}
}

// track registers a relayed pair, unless the relay was severed meanwhile.
func (r *DockerRelay) track(in, out net.Conn) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ln == nil {
		in.Close()
		out.Close()
		return false
	}
	r.conns[in], r.conns[out] = struct{}{}, struct{}{}
	return true
}

func (r *DockerRelay) pipe(in, out net.Conn) {
	var wg sync.WaitGroup
	wg.Add(2)
	half := func(dst, src net.Conn) {
		defer wg.Done()
		_, _ = io.Copy(dst, src)
		// Pass the end of one direction on (HTTP hijacks half-close).
		if c, ok := dst.(*net.UnixConn); ok {
			_ = c.CloseWrite()
		}
	}
	go half(out, in)
	go half(in, out)
	wg.Wait()
	in.Close()
	out.Close()
	r.mu.Lock()
	delete(r.conns, in)
	delete(r.conns, out)
	r.mu.Unlock()
}
