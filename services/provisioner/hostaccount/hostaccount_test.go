package hostaccount_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dockeronline/platform/services/provisioner/hostaccount"
	"github.com/dockeronline/platform/services/provisioner/hostcmd"
	"github.com/dockeronline/platform/services/provisioner/sshclient"
	"github.com/dockeronline/platform/services/provisioner/sshdtest"
)

var opts = hostcmd.Options{Group: "dockeronline", Shell: "/bin/bash"}

// host is a test sshd and a Manager that reaches it through a proxy that
// counts connections.
type host struct {
	*sshdtest.Server
	m           *hostaccount.Manager
	client      *sshclient.Client
	connections func() int
}

func newHost(t *testing.T) *host {
	t.Helper()
	s := sshdtest.Start(t)
	addr, connections := sshdtest.CountingProxy(t, s.Addr)
	c, err := sshclient.New(sshclient.Config{Addr: addr, User: s.User, KeyFile: s.ClientKeyFile,
		KnownHostsFile: s.KnownHostsFor(addr), Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	m, err := hostaccount.New(c, opts, 1000, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return &host{Server: s, m: m, client: c, connections: connections}
}

// getent runs `getent passwd` on the host, over SSH.
func (h *host) getent(t *testing.T, username string) (string, bool) {
	t.Helper()
	res, err := h.client.Run(context.Background(), []string{"getent", "passwd", username})
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(res.Stdout), res.ExitStatus == 0
}

func TestEnsureCreatesAndRemoveDeletes(t *testing.T) {
	h := newHost(t)
	ctx := context.Background()

	if err := h.m.Ensure(ctx, "u-1", "alice"); err != nil {
		t.Fatalf("Ensure: %v", err)
	}
	line, ok := h.getent(t, "alice")
	if !ok {
		t.Fatal("getent passwd alice: not found after Ensure")
	}
	e, err := hostcmd.ParsePasswd(line)
	if err != nil {
		t.Fatal(err)
	}
	if e.Comment != "dockeronline/u-1" || e.Shell != "/bin/bash" || e.Home != "/home/alice" || e.UID < 1000 {
		t.Errorf("account = %+v, want comment dockeronline/u-1, shell /bin/bash, home /home/alice, uid >= 1000", e)
	}
	if _, err := os.Stat(h.HomePath("alice")); err != nil {
		t.Errorf("home: %v", err)
	}
	if !memberOf(read(t, h.EtcPath("group")), "dockeronline", "alice") {
		t.Errorf("alice is not in the dockeronline group:\n%s", read(t, h.EtcPath("group")))
	}

	// Again: nothing changes, still one account.
	if err := h.m.Ensure(ctx, "u-1", "alice"); err != nil {
		t.Fatalf("second Ensure: %v", err)
	}
	if got := h.Entries("alice"); len(got) != 1 || got[0] != line {
		t.Fatalf("after a second Ensure, entries = %q, want exactly %q", got, line)
	}

	if err := h.m.Remove(ctx, "u-1", "alice"); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if line, ok := h.getent(t, "alice"); ok {
		t.Fatalf("getent passwd alice after Remove = %q, want not found", line)
	}
	if _, err := os.Stat(h.HomePath("alice")); !os.IsNotExist(err) {
		t.Errorf("home still there after Remove: %v", err)
	}
	// Removing a missing account succeeds.
	if err := h.m.Remove(ctx, "u-1", "alice"); err != nil {
		t.Fatalf("second Remove: %v", err)
	}
}

// Accounts that exist and are not ours are refused and left byte for byte
// as they were.
func TestAccountsNotOursAreNeverTouched(t *testing.T) {
	h := newHost(t)
	h.Run("useradd", "--create-home", "--comment", "Bob the admin", "bob")
	h.Run("useradd", "--system", "--comment", "dockeronline/u-sys", "sysacct") // our marker, but a system uid
	h.Run("useradd", "--create-home", "--comment", "dockeronline/u-other", "carol")
	h.Run("groupadd", "dave")

	tests := []struct {
		name, userID, username string
		want                   error
	}{
		{"foreign account", "u-1", "bob", hostaccount.ErrNotOurs},
		{"system uid with our marker", "u-sys", "sysacct", hostaccount.ErrNotOurs},
		{"another platform user's account", "u-2", "carol", hostaccount.ErrOtherUser},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := h.Passwd()
			for op, f := range map[string]func(context.Context, string, string) error{"Ensure": h.m.Ensure, "Remove": h.m.Remove} {
				if err := f(context.Background(), tt.userID, tt.username); !errors.Is(err, tt.want) {
					t.Errorf("%s(%s): err = %v, want %v", op, tt.username, err, tt.want)
				}
			}
			if after := h.Passwd(); after != before {
				t.Errorf("passwd changed:\nbefore:\n%s\nafter:\n%s", before, after)
			}
		})
	}

	t.Run("name taken by a group", func(t *testing.T) {
		err := h.m.Ensure(context.Background(), "u-4", "dave")
		if !errors.Is(err, hostaccount.ErrNameTaken) || !hostaccount.Permanent(err) {
			t.Fatalf("Ensure(dave): err = %v, want ErrNameTaken (permanent)", err)
		}
		if got := h.Entries("dave"); len(got) != 0 {
			t.Fatalf("an account was made: %q", got)
		}
	})
}

// Hostile names are refused before any connection: the proxy in front of
// the host counts none.
func TestInjectionInputsAreRefusedBeforeConnecting(t *testing.T) {
	h := newHost(t)
	tests := []struct{ userID, username string }{
		{"u-1", "a;id"},
		{"u-1", "$(id)"},
		{"u-1", "`id`"},
		{"u-1", "-oProxyCommand=x"},
		{"u-1", "a\nid"},
		{"u-1", "alice\n"},
		{"u-1", "a b"},
		{"u-1", "it's"},
		{"u-1", strings.Repeat("a", 33)},
		{"u-1", "root"},
		{"u-1", ""},
		{"u;id", "alice"},
		{"$(id)", "alice"},
		{"u-1\nx", "alice"},
		{"u:1", "alice"}, // ':' would break the passwd entry
		{"", "alice"},
	}
	for _, tt := range tests {
		for op, f := range map[string]func(context.Context, string, string) error{"Ensure": h.m.Ensure, "Remove": h.m.Remove} {
			err := f(context.Background(), tt.userID, tt.username)
			if !errors.Is(err, hostaccount.ErrInvalidName) || !hostaccount.Permanent(err) {
				t.Errorf("%s(%q, %q): err = %v, want ErrInvalidName", op, tt.userID, tt.username, err)
			}
		}
	}
	if n := h.connections(); n != 0 {
		t.Fatalf("%d connections reached the host, want 0", n)
	}
	// The proxy does reach the host: a valid name connects.
	if err := h.m.Ensure(context.Background(), "u-1", "erin"); err != nil {
		t.Fatal(err)
	}
	if n := h.connections(); n != 1 {
		t.Fatalf("a valid Ensure made %d connections, want 1", n)
	}
}

// A failing command (here: the passwd file is locked) is a CommandError,
// which is worth retrying.
func TestCommandFailureIsRetryable(t *testing.T) {
	h := newHost(t)
	write(t, h.EtcPath("passwd.lock"), "")
	err := h.m.Ensure(context.Background(), "u-1", "frank")
	var ce *hostaccount.CommandError
	if !errors.As(err, &ce) || hostaccount.Permanent(err) || ce.Status == 0 {
		t.Fatalf("Ensure with /etc/passwd locked: err = %v, want a non-permanent CommandError", err)
	}
	if err := os.Remove(h.EtcPath("passwd.lock")); err != nil {
		t.Fatal(err)
	}
	if err := h.m.Ensure(context.Background(), "u-1", "frank"); err != nil {
		t.Fatalf("Ensure once unlocked: %v", err)
	}
}

func TestHostDownIsAConnError(t *testing.T) {
	h := newHost(t)
	h.Stop()
	err := h.m.Ensure(context.Background(), "u-1", "gina")
	if !sshclient.IsConnError(err) || hostaccount.Permanent(err) {
		t.Fatalf("Ensure with the host down: err = %v, want a ConnError", err)
	}
}

func memberOf(groupFile, group, user string) bool {
	for _, line := range strings.Split(groupFile, "\n") {
		f := strings.Split(line, ":")
		if len(f) == 4 && f[0] == group {
			for _, m := range strings.Split(f[3], ",") {
				if m == user {
					return true
				}
			}
		}
	}
	return false
}

func read(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func write(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
