package testenv

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Postgres returns the DSN of a fresh, empty database that exists for this
// test only; it is dropped (or its whole cluster removed) when the test ends.
//
// Without configuration it starts a private cluster: initdb in a temporary
// directory, trust authentication, listening on 127.0.0.1 on a free port,
// durability off for speed. The database is named after the test.
//
// With TEST_DATABASE_URL set (a superuser DSN of a running server), it creates
// the database on that server instead and drops it afterwards.
//
// The returned DSN looks like
// postgres://postgres@127.0.0.1:PORT/t_testname_1a2b3c4d?sslmode=disable.
// Use NewDatabase for a second database on the same server.
func Postgres(t testing.TB) string {
	t.Helper()
	server := os.Getenv("TEST_DATABASE_URL")
	if server == "" {
		server = startCluster(t)
	}
	return NewDatabase(t, server)
}

// NewDatabase creates another fresh database on the server that dsn points
// at, drops it when the test ends, and returns its DSN.
func NewDatabase(t testing.TB, dsn string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("testenv: parse DSN %q: %v", dsn, err)
	}
	name := databaseName(t.Name())
	admin := *u
	admin.Path = "/postgres"
	PSQL(t, admin.String(), fmt.Sprintf(`CREATE DATABASE %q`, name))
	t.Cleanup(func() {
		// FORCE ends connections the code under test forgot to close.
		if _, err := psql(admin.String(), fmt.Sprintf(`DROP DATABASE IF EXISTS %q WITH (FORCE)`, name)); err != nil {
			t.Logf("testenv: drop database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

// PSQL runs one SQL command with the psql client against dsn and returns its
// unaligned, tuples-only output (`select 1` gives "1").
func PSQL(t testing.TB, dsn, sql string) string {
	t.Helper()
	out, err := psql(dsn, sql)
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	return out
}

func psql(dsn, sql string) (string, error) {
	bin, err := pgBinary("psql")
	if err != nil {
		return "", err
	}
	cmd := exec.Command(bin, "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-c", sql)
	cmd.Env = append(os.Environ(), "PGCONNECT_TIMEOUT=10")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("psql %q: %v: %s", sql, err, out)
	}
	return strings.TrimSpace(string(out)), nil
}

// databaseName turns a test name into a valid, unique database name.
func databaseName(test string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(test) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	base := b.String()
	if len(base) > 40 {
		base = base[:40]
	}
	return "t_" + base + "_" + randomHex(4)
}

// startCluster runs a private Postgres cluster and returns a superuser DSN.
func startCluster(t testing.TB) string {
	t.Helper()
	initdb, err := pgBinary("initdb")
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	cred, owner := postgresCredential(t)

	dir := clusterDir(t, owner)
	cmd := exec.Command(initdb, "-D", filepath.Join(dir, "data"), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("testenv: initdb: %v\n%s", err, out)
	}

	// A free port can be taken by someone else before Postgres binds it:
	// then start again on another one.
	for attempt := 1; ; attempt++ {
		dsn, err := startPostmaster(t, filepath.Dir(initdb), dir, cred)
		if err == nil {
			return dsn
		}
		if attempt == 3 || !strings.Contains(err.Error(), "could not bind") {
			t.Fatalf("testenv: %v", err)
		}
	}
}

// startPostmaster runs the server of the cluster in dir on a free port.
func startPostmaster(t testing.TB, binDir, dir string, cred *syscall.Credential) (string, error) {
	t.Helper()
	port := FreePort(t)
	cmd := exec.Command(filepath.Join(binDir, "postgres"), "-D", filepath.Join(dir, "data"),
		"-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories="+dir,
		// Test data is thrown away: trade durability for speed.
		"-c", "fsync=off",
		"-c", "synchronous_commit=off",
		"-c", "full_page_writes=off",
		"-c", "max_connections=200",
	)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	p := startProcess(t, "postgres", cmd)
	// SIGQUIT is Postgres' immediate shutdown: no checkpoint, the data goes.
	p.stopOnCleanup(t, syscall.SIGQUIT, 10*time.Second)

	isready := filepath.Join(binDir, "pg_isready")
	deadline := time.Now().Add(30 * time.Second)
	for {
		if p.exited() {
			return "", fmt.Errorf("postgres exited during start-up (%v):\n%s", p.err, p.out.String())
		}
		if exec.Command(isready, "-q", "-h", "127.0.0.1", "-p", strconv.Itoa(port), "-U", "postgres", "-d", "postgres").Run() == nil {
			return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port), nil
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("postgres not ready on port %d after 30s", port)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// postgresCredential says which user runs the cluster: initdb refuses root,
// so as root we switch to the `postgres` OS user that Debian's package makes.
func postgresCredential(t testing.TB) (cred *syscall.Credential, uid int) {
	t.Helper()
	if os.Geteuid() != 0 {
		return nil, os.Geteuid()
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		t.Fatalf("testenv: running as root needs the `postgres` OS user to run Postgres: run `make deps` (apt-get install postgresql): %v", err)
	}
	uidN, _ := strconv.Atoi(u.Uid)
	gidN, _ := strconv.Atoi(u.Gid)
	// No supplementary groups: root's must not leak into the server.
	return &syscall.Credential{Uid: uint32(uidN), Gid: uint32(gidN)}, uidN
}

// clusterDir makes a directory owned by uid that it can reach. t.TempDir is
// no good as root: its parents are 0700 root, closed to the postgres user.
func clusterDir(t testing.TB, uid int) string {
	t.Helper()
	base := os.TempDir()
	if !reachable(base) {
		base = "/tmp"
	}
	dir, err := os.MkdirTemp(base, "testenv-pg-")
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chown(dir, uid, -1); err != nil {
		t.Fatalf("testenv: %v", err)
	}
	return dir
}

// reachable reports whether every directory from / to dir can be traversed
// by any user.
func reachable(dir string) bool {
	for d := dir; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil || fi.Mode().Perm()&0o001 == 0 {
			return false
		}
		if d == filepath.Dir(d) {
			return true
		}
	}
}

// pgBinary finds a Postgres program: in PG_BINDIR if set, else in the newest
// /usr/lib/postgresql/*/bin (Debian keeps server programs off PATH), else on
// PATH.
func pgBinary(name string) (string, error) {
	dirs := []string{}
	if d := os.Getenv("PG_BINDIR"); d != "" {
		dirs = append(dirs, d)
	}
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(found, func(i, j int) bool { return pgVersion(found[i]) > pgVersion(found[j]) })
	dirs = append(dirs, found...)
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("Postgres program %q not found (looked in PG_BINDIR, /usr/lib/postgresql/*/bin, PATH): run `make deps` (apt-get install postgresql)", name)
}

// pgVersion extracts 15 from /usr/lib/postgresql/15/bin.
func pgVersion(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}
