// Package sshdtest runs a real OpenSSH server (Debian's openssh-server) for
// tests, on a loopback port, with its own host key and an authorized key
// made for the test's client.
//
// The tests run as root and the provisioner's commands create and delete
// Linux accounts, so the server must never touch the machine's own user
// database. It runs in private mount and PID namespaces (unshare(1)) in
// which:
//
//   - a copy of /etc (cp -a) is bind-mounted over /etc, so useradd, userdel
//     and groupadd change the copy: Server.Passwd reads it;
//   - an empty directory is bind-mounted over /home, for the homes;
//   - /run, /var/log and /var/mail are fresh tmpfs, so sshd's privilege
//     separation directory, lastlog/faillog updates and mail spools stay
//     inside too;
//   - /root is an empty tmpfs: the login user's shell finds none of the
//     machine's dotfiles (Debian's bash reads ~/.bashrc even for `ssh host
//     cmd`, which made every command slow).
//
// Killing the namespace's first process kills every process in it, which is
// how Stop takes the host down at once, open connections included.
package sshdtest

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dockeronline/platform/pkg/testenv"
)

// Programs the helper needs, and the Debian package of each.
var programs = map[string]string{
	"/usr/sbin/sshd":      "openssh-server",
	"/usr/bin/ssh-keygen": "openssh-client",
	"/usr/bin/unshare":    "util-linux",
	"/usr/bin/cp":         "coreutils",
}

// Server is a running (or stopped) test sshd.
type Server struct {
	t    testing.TB
	dir  string // everything of this server: config, keys, etc/, home/
	port int

	// Addr is host:port of the server.
	Addr string
	// User is the login user: root inside the namespace.
	User string
	// ClientKeyFile holds the private key the server accepts.
	ClientKeyFile string
	// KnownHostsFile pins the server's host key for Addr.
	KnownHostsFile string

	mu     sync.Mutex
	starts int // how many times sshd was started
	proc   *exec.Cmd
	out    *lockedBuffer
	done   chan struct{}
}

// Start prepares the namespace's files and keys and starts sshd; it is
// stopped when the test ends. Extra sshd_config lines, if any, come first,
// so they win over the defaults (sshd keeps a keyword's first value).
func Start(t testing.TB, extraConfig ...string) *Server {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatalf("sshdtest: the provisioner's SSH tests need root: sshd runs in a private mount namespace over a copy of /etc")
	}
	for path, pkg := range programs {
		if _, err := os.Stat(path); err != nil {
			t.Fatalf("sshdtest: %s is missing: run `make deps` (apt-get install %s)", path, pkg)
		}
	}
	s := &Server{t: t, dir: t.TempDir(), User: "root"}
	s.port = testenv.FreePort(t)
	s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
	s.ClientKeyFile = filepath.Join(s.dir, "client_ed25519")
	s.KnownHostsFile = filepath.Join(s.dir, "known_hosts")

	// cp -a keeps owners and modes, which the shadow tools check.
	run(t, "cp", "-a", "/etc", s.path("etc"))
	mkdir(t, s.path("home"))
	keygen(t, s.path("ssh_host_ed25519_key"), "sshdtest host")
	keygen(t, s.ClientKeyFile, "sshdtest client")
	copyFile(t, s.ClientKeyFile+".pub", s.path("authorized_keys"))
	hostPub := readFile(t, s.path("ssh_host_ed25519_key.pub"))
	fields := strings.Fields(hostPub)
	writeFile(t, s.KnownHostsFile, fmt.Sprintf("[127.0.0.1]:%d %s %s\n", s.port, fields[0], fields[1]))
	writeFile(t, s.path("sshd_config"), s.config(extraConfig))

	s.Start()
	t.Cleanup(s.Stop)
	return s
}

func (s *Server) path(name string) string { return filepath.Join(s.dir, name) }

// config is the server's whole configuration; nothing is read from /etc/ssh.
func (s *Server) config(extra []string) string {
	return strings.Join(append(extra,
		"Port "+strconv.Itoa(s.port),
		"ListenAddress 127.0.0.1",
		"HostKey "+s.path("ssh_host_ed25519_key"),
		"PidFile none",
		"UsePAM no",
		"PermitRootLogin prohibit-password",
		"PubkeyAuthentication yes",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"AuthorizedKeysFile "+s.path("authorized_keys"),
		"StrictModes no",
		"LogLevel VERBOSE",
		"MaxStartups 100",
		"MaxSessions 64",
		"",
	), "\n")
}

// namespaceScript sets up the private mounts, then runs argv in them.
// firstPID is where the namespace's process ids start.
func (s *Server) namespaceScript(firstPID int) string {
	return strings.Join([]string{
		"set -e",
		fmt.Sprintf("echo %d > /proc/sys/kernel/ns_last_pid", firstPID),
		"mount --bind " + s.path("etc") + " /etc",
		"mount --bind " + s.path("home") + " /home",
		"mount -t tmpfs tmpfs /run",
		"mount -t tmpfs tmpfs /var/log",
		"mount -t tmpfs tmpfs /var/mail",
		"mount -t tmpfs -o mode=0700 tmpfs /root",
		"mkdir -m 0755 /run/sshd",
		`exec "$@"`,
	}, "\n")
}

// command returns unshare running argv inside a fresh private namespace.
// --kill-child makes the namespace die with unshare; --pid --fork make the
// namespace's first process the one whose death kills all the others;
// --mount-proc gives it its own /proc.
//
// Each start of sshd numbers its processes from a different point. A
// killed useradd leaves lock files (/etc/group.lock) holding its pid, and
// the shadow tools treat a lock as held while a process with that pid
// lives: in a restarted namespace numbered from 1 again, the long-lived
// sshd of a new connection could carry that very pid and make the stale
// lock look held for ever. (A real host rebooted mid-useradd can meet the
// same trap; the provisioner then parks the account with useradd's "cannot
// lock" message for a person to clear.)
func (s *Server) command(firstPID int, argv ...string) *exec.Cmd {
	args := append([]string{"--mount", "--propagation", "private", "--pid", "--fork", "--kill-child", "--mount-proc",
		"sh", "-c", s.namespaceScript(firstPID), "sshdtest"}, argv...)
	cmd := exec.Command("/usr/bin/unshare", args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	return cmd
}

// Start (re)starts a stopped server on the same port, with the same keys
// and the same copy of /etc.
func (s *Server) Start() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		s.t.Fatalf("sshdtest: server already running")
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		err := s.startLocked()
		if err == nil {
			return
		}
		// The port of a killed server may take a moment to be released.
		if time.Now().After(deadline) || !strings.Contains(err.Error(), "Address already in use") {
			s.t.Fatalf("sshdtest: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (s *Server) startLocked() error {
	// pid_max may be as low as 32768: spread the starts below it.
	firstPID := (s.starts % 6) * 5000
	s.starts++
	cmd := s.command(firstPID, "/usr/sbin/sshd", "-D", "-e", "-f", s.path("sshd_config"))
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start sshd: %w", err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-done:
			return fmt.Errorf("sshd exited during start-up:\n%s", out.String())
		default:
		}
		if banner(s.Addr) {
			s.proc, s.out, s.done = cmd, out, done
			return nil
		}
		if time.Now().After(deadline) {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
			return fmt.Errorf("sshd did not answer on %s in 10s:\n%s", s.Addr, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// banner reports whether an SSH server answers on addr.
func banner(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.HasPrefix(line, "SSH-2.0-")
}

// Stop kills the server and every process of its namespace, open
// connections included, as a crashed host would. It is a no-op when
// stopped; the test's log shows sshd's output if the test failed.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return
	}
	_ = syscall.Kill(-s.proc.Process.Pid, syscall.SIGKILL)
	<-s.done
	if s.t.Failed() {
		s.t.Logf("sshdtest: output of sshd on %s:\n%s", s.Addr, s.out.String())
	}
	s.proc = nil
	// Wait until the port refuses, so "stopped" means unreachable.
	for i := 0; i < 100 && banner(s.Addr); i++ {
		time.Sleep(20 * time.Millisecond)
	}
}

// Log is what sshd has written since it last started.
func (s *Server) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.out == nil {
		return ""
	}
	return s.out.String()
}

// Run runs argv as root in a fresh namespace with the same view of /etc and
// /home as the server's (to prepare the "host": a foreign account, a lock
// file), and returns its combined output; a failure fails the test.
func (s *Server) Run(argv ...string) string {
	s.t.Helper()
	cmd := s.command(30000, argv...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		s.t.Fatalf("sshdtest: %q in the host namespace: %v\n%s", argv, err, out)
	}
	return string(out)
}

// Passwd returns the host's /etc/passwd: the namespace's copy.
func (s *Server) Passwd() string {
	s.t.Helper()
	return readFile(s.t, s.path("etc/passwd"))
}

// Entries returns the host's passwd lines for username (normally zero or
// one; more would be a bug the tests must see).
func (s *Server) Entries(username string) []string {
	s.t.Helper()
	var found []string
	for _, line := range strings.Split(s.Passwd(), "\n") {
		if strings.HasPrefix(line, username+":") {
			found = append(found, line)
		}
	}
	return found
}

// EtcPath is the host path of a file of the namespace's /etc.
func (s *Server) EtcPath(name string) string { return s.path(filepath.Join("etc", name)) }

// HomePath is the host path of a directory of the namespace's /home.
func (s *Server) HomePath(name string) string { return s.path(filepath.Join("home", name)) }

func keygen(t testing.TB, file, comment string) {
	t.Helper()
	run(t, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", file)
}

func run(t testing.TB, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("sshdtest: %s %q: %v\n%s", name, args, err, out)
	}
}

func mkdir(t testing.TB, dir string) {
	t.Helper()
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatalf("sshdtest: %v", err)
	}
}

func readFile(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatalf("sshdtest: %v", err)
	}
	return string(b)
}

func writeFile(t testing.TB, name, content string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o600); err != nil {
		t.Fatalf("sshdtest: %v", err)
	}
}

func copyFile(t testing.TB, from, to string) { t.Helper(); writeFile(t, to, readFile(t, from)) }

// lockedBuffer collects a process's output from exec's copier goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
