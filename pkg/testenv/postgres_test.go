package testenv

import (
	"strings"
	"testing"
)

func TestPostgresAcceptsConnections(t *testing.T) {
	dsn := Postgres(t)
	if !strings.HasPrefix(dsn, "postgres://postgres@127.0.0.1:") {
		t.Errorf("unexpected DSN %q", dsn)
	}
	if got := PSQL(t, dsn, "select 1"); got != "1" {
		t.Fatalf("select 1 = %q", got)
	}
	// The database is private to this test and can be written to.
	PSQL(t, dsn, "create table t (id int); insert into t values (42)")
	if got := PSQL(t, dsn, "select id from t"); got != "42" {
		t.Fatalf("select id = %q", got)
	}
}

// With TEST_DATABASE_URL, Postgres makes a database on that server and drops
// it at the end of the test.
func TestPostgresOnExistingServer(t *testing.T) {
	server := Postgres(t)
	t.Setenv("TEST_DATABASE_URL", server)

	var dsn string
	t.Run("inner", func(t *testing.T) {
		dsn = Postgres(t)
		if dsn == server {
			t.Fatal("got the server's own database, want a fresh one")
		}
		PSQL(t, dsn, "select 1")
	})
	name := dsn[strings.LastIndex(dsn, "/")+1 : strings.Index(dsn, "?")]
	if got := PSQL(t, server, "select count(*) from pg_database where datname = '"+name+"'"); got != "0" {
		t.Fatalf("database %s still exists after the test", name)
	}
}
