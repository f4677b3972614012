// Package sshclient runs commands on the Docker host over SSH: key
// authentication, the host key pinned by known_hosts, one connection reused
// for every command (each in its own session), and a time limit on
// connecting and on each command.
package sshclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/crypto/ssh"

	"github.com/dockeronline/platform/services/provisioner/hostcmd"
)

const tracerName = "github.com/dockeronline/platform/services/provisioner/sshclient"

// maxOutput bounds what is kept of a command's stdout and stderr: enough
// for a passwd entry or an error message, never a flood.
const maxOutput = 64 << 10

// Config says where and how to connect.
type Config struct {
	Addr           string        // host:port
	User           string        // login user
	KeyFile        string        // private key (OpenSSH or PEM, no passphrase)
	KnownHostsFile string        // pins the host key of Addr
	Timeout        time.Duration // bounds connecting, and each command
}

// Result is how a command ended on the host.
type Result struct {
	ExitStatus int
	Stdout     string
	Stderr     string
}

// ConnError means the command did not run, or its outcome is unknown,
// because the host could not be reached or the connection broke: the
// caller may retry once the host is back. A command that ran and failed is
// not a ConnError; its exit status is in the Result.
type ConnError struct {
	Addr string
	Err  error
}

func (e *ConnError) Error() string { return fmt.Sprintf("ssh %s: %v", e.Addr, e.Err) }
func (e *ConnError) Unwrap() error { return e.Err }

// ErrTimeout means a command did not finish in time. Its outcome is
// unknown, but the host answered: it is not a ConnError.
var ErrTimeout = errors.New("the command did not finish in time")

// IsConnError reports whether err is (or wraps) a ConnError.
func IsConnError(err error) bool {
	var ce *ConnError
	return errors.As(err, &ce)
}

// Client runs commands on one host. It is safe for concurrent use:
// concurrent commands share the connection, each in its own session.
type Client struct {
	cfg       Config
	sshConfig *ssh.ClientConfig

	mu   sync.Mutex
	conn *ssh.Client // nil until connected, and again once it broke
}

// New reads the key and known_hosts; it does not connect.
func New(cfg Config) (*Client, error) {
	if cfg.Timeout <= 0 {
		return nil, errors.New("ssh timeout must be positive")
	}
	pem, err := os.ReadFile(cfg.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("ssh key: %w", err)
	}
	signer, err := ssh.ParsePrivateKey(pem)
	if err != nil {
		return nil, fmt.Errorf("ssh key %s: %w", cfg.KeyFile, err)
	}
	keys, err := loadHostKeys(cfg.KnownHostsFile, cfg.Addr)
	if err != nil {
		return nil, err
	}
	return &Client{cfg: cfg, sshConfig: &ssh.ClientConfig{
		User:              cfg.User,
		Auth:              []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback:   keys.callback,
		HostKeyAlgorithms: keys.algorithms,
		Timeout:           cfg.Timeout,
	}}, nil
}

// Addr is the host's address.
func (c *Client) Addr() string { return c.cfg.Addr }

// Run runs argv on the host, each argument quoted for the remote shell, and
// waits for it to end, at most the configured timeout.
func (c *Client) Run(ctx context.Context, argv []string) (Result, error) {
	line, err := hostcmd.Join(argv)
	if err != nil {
		return Result{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	ctx, span := otel.Tracer(tracerName).Start(ctx, "ssh.run "+argv[0], trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("ssh.addr", c.cfg.Addr), attribute.StringSlice("ssh.argv", argv)))
	defer span.End()

	res, err := c.run(ctx, line)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
		return res, err
	}
	span.SetAttributes(attribute.Int("ssh.exit_status", res.ExitStatus))
	if res.ExitStatus != 0 {
		span.SetStatus(codes.Error, fmt.Sprintf("exit status %d", res.ExitStatus))
	}
	return res, nil
}

func (c *Client) run(ctx context.Context, line string) (Result, error) {
	session, conn, err := c.session(ctx)
	if err != nil {
		return Result{}, err
	}
	defer session.Close()

	stdout, stderr := &limitedBuffer{max: maxOutput}, &limitedBuffer{max: maxOutput}
	session.Stdout, session.Stderr = stdout, stderr
	if err := session.Start(line); err != nil {
		c.drop(conn)
		return Result{}, &ConnError{Addr: c.cfg.Addr, Err: fmt.Errorf("start command: %w", err)}
	}
	done := make(chan error, 1)
	go func() { done <- session.Wait() }()
	select {
	case err = <-done:
	case <-ctx.Done():
		// The command's fate is unknown; a connection that let a short
		// command hang is not trusted again.
		_ = session.Signal(ssh.SIGKILL)
		c.drop(conn)
		return Result{}, fmt.Errorf("%w (%v)", ErrTimeout, ctx.Err())
	}
	res := Result{Stdout: stdout.String(), Stderr: stderr.String()}
	var exit *ssh.ExitError
	switch {
	case err == nil:
		return res, nil
	case errors.As(err, &exit):
		res.ExitStatus = exit.ExitStatus()
		return res, nil
	default:
		// ExitMissingError or a broken connection: the command may or may
		// not have run.
		c.drop(conn)
		return res, &ConnError{Addr: c.cfg.Addr, Err: fmt.Errorf("command ended without a status: %w", err)}
	}
}

// session opens a session on the shared connection, connecting first if
// needed. A connection that went stale while idle (the host restarted) is
// replaced once.
func (c *Client) session(ctx context.Context) (*ssh.Session, *ssh.Client, error) {
	for attempt := 0; ; attempt++ {
		conn, err := c.connect(ctx)
		if err != nil {
			return nil, nil, err
		}
		s, err := conn.NewSession()
		if err == nil {
			return s, conn, nil
		}
		c.drop(conn)
		if attempt == 1 {
			return nil, nil, &ConnError{Addr: c.cfg.Addr, Err: fmt.Errorf("open session: %w", err)}
		}
	}
}

// Probe connects (or reuses the connection) without running anything: the
// host is reachable and the handshake, host key included, succeeds.
func (c *Client) Probe(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	_, err := c.connect(ctx)
	return err
}

// connect returns the shared connection, dialing it when there is none.
// Dialing happens under the lock so concurrent callers share one attempt.
func (c *Client) connect(ctx context.Context) (*ssh.Client, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn != nil {
		return c.conn, nil
	}
	ctx, span := otel.Tracer(tracerName).Start(ctx, "ssh.connect", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("ssh.addr", c.cfg.Addr), attribute.String("ssh.user", c.cfg.User)))
	defer span.End()
	conn, err := c.dial(ctx)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
		return nil, &ConnError{Addr: c.cfg.Addr, Err: err}
	}
	c.conn = conn
	// Forget the connection as soon as it ends, so the next command dials.
	go func() {
		_ = conn.Wait()
		c.drop(conn)
	}()
	return conn, nil
}

func (c *Client) dial(ctx context.Context) (*ssh.Client, error) {
	d := net.Dialer{Timeout: c.cfg.Timeout, KeepAlive: 30 * time.Second}
	nc, err := d.DialContext(ctx, "tcp", c.cfg.Addr)
	if err != nil {
		return nil, err
	}
	// The handshake (host key check, authentication) gets the same limit.
	deadline := time.Now().Add(c.cfg.Timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	_ = nc.SetDeadline(deadline)
	sc, chans, reqs, err := ssh.NewClientConn(nc, c.cfg.Addr, c.sshConfig)
	if err != nil {
		nc.Close()
		return nil, err
	}
	_ = nc.SetDeadline(time.Time{})
	return ssh.NewClient(sc, chans, reqs), nil
}

// drop closes and forgets conn (nil: whatever connection is current).
func (c *Client) drop(conn *ssh.Client) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn == nil || (conn != nil && conn != c.conn) {
		return
	}
	_ = c.conn.Close()
	c.conn = nil
}

// Close closes the connection, if any.
func (c *Client) Close() error {
	c.drop(nil)
	return nil
}

// limitedBuffer keeps the first max bytes written and drops the rest.
type limitedBuffer struct {
	buf bytes.Buffer
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (b *limitedBuffer) String() string { return b.buf.String() }
