package migrate_test

import (
	"context"
	"database/sql"
	"sync"
	"testing"
	"testing/fstest"

	_ "github.com/lib/pq"

	"github.com/dockeronline/platform/pkg/migrate"
	"github.com/dockeronline/platform/pkg/testenv"
)

func TestApplyOnceEvenConcurrently(t *testing.T) {
	db, err := sql.Open("postgres", testenv.Postgres(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	files := fstest.MapFS{
		"001_items.sql": {Data: []byte("CREATE TABLE items (id int PRIMARY KEY);")},
		"002_seed.sql":  {Data: []byte("INSERT INTO items VALUES (1);")},
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- migrate.Apply(context.Background(), db, "svc", files)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("apply: %v", err)
		}
	}
	var n int
	if err := db.QueryRow("SELECT count(*) FROM svc.items").Scan(&n); err != nil || n != 1 {
		t.Fatalf("seed applied %d times (%v), want once", n, err)
	}
	if err := migrate.Apply(context.Background(), db, "bad-name;", files); err == nil {
		t.Fatal("a bad schema name was accepted")
	}
}
