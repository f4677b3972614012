package check

import (
	"bytes"
	"fmt"
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

// TestPostgresInit runs deploy/compose/postgres/10-dockeronline.sh the way
// the postgres image does (psql on the server's socket, the passwords in
// the environment) against a real, private Postgres, then checks what the
// services rely on: each role migrates its own schema exactly as
// pkg/migrate does, finds its tables by its search path, and cannot read or
// write another service's schema; Kratos owns its database.
func TestPostgresInit(t *testing.T) {
	pg := startPostgres(t)
	env := append(baseEnv(),
		"PGHOST="+pg.socketDir, "PGPORT="+strconv.Itoa(pg.port),
		"POSTGRES_USER=postgres", "POSTGRES_DB=postgres",
		"KRATOS_DB_PASSWORD=k-secret", "AUTH_DB_PASSWORD=a-secret",
		"RUNNER_DB_PASSWORD=r-secret", "PROVISIONER_DB_PASSWORD=p-secret")
	script := repoPath(t, "deploy", "compose", "postgres", "10-dockeronline.sh")
	if fi, err := os.Stat(script); err != nil || fi.Mode()&0o111 == 0 {
		t.Fatalf("%s must exist and be executable (the image runs executable *.sh files)", script)
	}
	if r := runIn(t, "", env, time.Minute, "/bin/sh", script); r.err != nil {
		t.Fatalf("init script failed:\n%s", r)
	}

	// The passwords were set (the cluster trusts local connections, so
	// check the catalog rather than log in).
	if got := pg.psql(t, "platform", "postgres", `SELECT count(*) FROM pg_authid WHERE rolname IN ('kratos','auth','runner','provisioner') AND rolpassword IS NOT NULL AND rolcanlogin`); got != "4" {
		t.Errorf("%s roles with a password and LOGIN, want 4", got)
	}
	if got := pg.psql(t, "postgres", "postgres", `SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'kratos'`); got != "kratos" {
		t.Errorf("database kratos owned by %q, want kratos", got)
	}

	for _, svc := range []string{"auth", "runner", "provisioner"} {
		// pkg/migrate's own statements, as the service's role.
		pg.psql(t, "platform", svc, "CREATE SCHEMA IF NOT EXISTS "+svc)
		pg.psql(t, "platform", svc, "CREATE TABLE IF NOT EXISTS "+svc+".schema_migrations (name text PRIMARY KEY)")
		pg.psql(t, "platform", svc, "SET search_path TO "+svc+"; CREATE TABLE things (id int)")
		// Unqualified names find the service's schema ("$user" first).
		pg.psql(t, "platform", svc, "INSERT INTO things VALUES (1)")
		if got := pg.psql(t, "platform", svc, "SELECT count(*) FROM things"); got != "1" {
			t.Errorf("%s: unqualified table not found through the search path", svc)
		}
	}
	for _, who := range []string{"auth", "runner", "provisioner"} {
		for _, other := range []string{"auth", "runner", "provisioner"} {
			if who == other {
				continue
			}
			if _, err := pg.try("platform", who, "SELECT * FROM "+other+".things"); err == nil || !strings.Contains(err.Error(), "permission denied") {
				t.Errorf("%s can read %s's schema (err %v)", who, other, err)
			}
			if _, err := pg.try("platform", who, "CREATE TABLE "+other+".intruder (id int)"); err == nil {
				t.Errorf("%s can create tables in %s's schema", who, other)
			}
		}
		if _, err := pg.try("platform", who, "CREATE TABLE public.x (id int)"); err == nil {
			t.Errorf("%s can create tables in public", who)
		}
		if _, err := pg.try("kratos", who, "SELECT 1"); err == nil {
			t.Errorf("%s can connect to Kratos' database", who)
		}
	}
	pg.psql(t, "kratos", "kratos", "CREATE TABLE identities (id int)")
}

type postgres struct {
	bin, socketDir string
	port           int
}

// psql runs SQL as role on db and returns the unaligned output.
func (p postgres) psql(t testing.TB, db, role, sql string) string {
	t.Helper()
	out, err := p.try(db, role, sql)
	if err != nil {
		t.Fatalf("as %s on %s: %s: %v", role, db, sql, err)
	}
	return out
}

func (p postgres) try(db, role, sql string) (string, error) {
	cmd := exec.Command(filepath.Join(p.bin, "psql"), "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1",
		"-h", p.socketDir, "-p", strconv.Itoa(p.port), "-U", role, "-d", db, "-c", sql)
	cmd.Env = baseEnv()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%v: %s", err, strings.TrimSpace(errb.String()))
	}
	return strings.TrimSpace(out.String()), nil
}

// startPostgres runs a throw-away cluster (trust authentication, a socket
// in its own directory, a free port) and stops it when the test ends. As
// root it runs as the postgres user that Debian's package creates.
func startPostgres(t *testing.T) postgres {
	t.Helper()
	bin := pgBinDir(t)
	var cred *syscall.Credential
	uid := os.Geteuid()
	if uid == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root needs the postgres OS user: apt-get install postgresql (make deps): %v", err)
		}
		uid, _ = strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	// t.TempDir's parents are closed to other users when running as root.
	dir, err := os.MkdirTemp("/tmp", "deploy-check-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chown(dir, uid, -1); err != nil {
		t.Fatal(err)
	}
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", filepath.Join(dir, "data"), "-A", "trust",
		"-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	port := freePort(t)
	srv := exec.Command(filepath.Join(bin, "postgres"), "-D", filepath.Join(dir, "data"), "-p", strconv.Itoa(port),
		"-c", "listen_addresses=", "-c", "unix_socket_directories="+dir, "-c", "fsync=off")
	srv.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	var log bytes.Buffer
	srv.Stdout, srv.Stderr = &log, &log
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = srv.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = srv.Process.Signal(syscall.SIGQUIT)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = srv.Process.Kill()
			<-done
		}
	})
	pg := postgres{bin: bin, socketDir: dir, port: port}
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-done:
			t.Fatalf("postgres exited:\n%s", log.String())
		default:
		}
		if _, err := pg.try("postgres", "postgres", "SELECT 1"); err == nil {
			return pg
		}
		if time.Now().After(deadline) {
			t.Fatalf("postgres not ready after 30s:\n%s", log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// pgBinDir is PG_BINDIR or the newest /usr/lib/postgresql/*/bin.
func pgBinDir(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("PG_BINDIR"); d != "" {
		return d
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool {
		a, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[i])))
		b, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[j])))
		return a > b
	})
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d
		}
	}
	t.Fatal("Postgres server programs not found (PG_BINDIR or /usr/lib/postgresql/*/bin): apt-get install postgresql (make deps)")
	return ""
}
