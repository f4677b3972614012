package harness

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/dockeronline/platform/pkg/testenv"
)

// Postgres is a private cluster on a fixed port that can be killed and
// started again on the same data (pkg/testenv's cluster cannot restart).
// As root it runs as the postgres OS user, which initdb requires.
type Postgres struct {
	*Proc
	Port int
	Dir  string // the cluster's directory (data/ and the socket)
}

// StartPostgres creates and starts the cluster; logs go to logDir.
func StartPostgres(t testing.TB, logDir string) *Postgres {
	t.Helper()
	binDir, err := pgBinDir()
	if err != nil {
		t.Fatalf("harness: %v", err)
	}
	cred, uid := pgCredential(t)
	// Not t.TempDir: as root its parents are closed to the postgres user.
	dir, err := os.MkdirTemp("/tmp", "faults-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chown(dir, uid, -1); err != nil {
		t.Fatal(err)
	}
	initdb := exec.Command(filepath.Join(binDir, "initdb"), "-D", filepath.Join(dir, "data"),
		"-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		t.Fatalf("harness: initdb: %v\n%s", err, out)
	}
	pg := &Postgres{Port: testenv.FreePort(t), Dir: dir}
	pg.Proc = &Proc{
		Name: "postgres", Path: filepath.Join(binDir, "postgres"),
		Args: []string{"-D", filepath.Join(dir, "data"), "-p", strconv.Itoa(pg.Port),
			"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=" + dir,
			// Test data: durability traded for speed. A kill -9 of the
			// server (not of the machine) loses nothing even so: the
			// data is in the OS's page cache.
			"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
			"-c", "max_connections=400"},
		Env:     []string{"PATH=" + os.Getenv("PATH"), "LC_ALL=C"},
		Cred:    cred,
		LogFile: filepath.Join(logDir, "postgres.log"),
		Ready: func(ctx context.Context) error {
			out, err := exec.CommandContext(ctx, filepath.Join(binDir, "pg_isready"), "-q", "-h", "127.0.0.1",
				"-p", strconv.Itoa(pg.Port), "-U", "postgres", "-d", "postgres").CombinedOutput()
			if err != nil {
				return fmt.Errorf("pg_isready: %v %s", err, out)
			}
			return nil
		},
	}
	pg.Start(t)
	// SIGQUIT: immediate shutdown; the data is thrown away anyway.
	t.Cleanup(func() { pg.Stop(syscall.SIGQUIT, 10*time.Second) })
	return pg
}

// DSN is a superuser DSN for database db.
func (pg *Postgres) DSN(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", pg.Port, db)
}

// CreateDatabase creates db and returns its DSN.
func (pg *Postgres) CreateDatabase(t testing.TB, db string) string {
	t.Helper()
	testenv.PSQL(t, pg.DSN("postgres"), fmt.Sprintf("CREATE DATABASE %q", db))
	return pg.DSN(db)
}

// pgBinDir is PG_BINDIR, else the newest /usr/lib/postgresql/*/bin.
func pgBinDir() (string, error) {
	if d := os.Getenv("PG_BINDIR"); d != "" {
		return d, nil
	}
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(found, func(i, j int) bool { return version(found[i]) > version(found[j]) })
	for _, d := range found {
		if _, err := os.Stat(filepath.Join(d, "postgres")); err == nil {
			return d, nil
		}
	}
	return "", fmt.Errorf("no Postgres server binaries (PG_BINDIR, /usr/lib/postgresql/*/bin): run `make deps`")
}

func version(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// pgCredential is the postgres OS user when running as root.
func pgCredential(t testing.TB) (*syscall.Credential, int) {
	t.Helper()
	if os.Geteuid() != 0 {
		return nil, os.Geteuid()
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		t.Fatalf("harness: as root, Postgres runs as the postgres OS user: run `make deps`: %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, uid
}
