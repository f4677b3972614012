package account

import (
	"context"
	"database/sql"
	"sync"
	"testing"

	_ "github.com/lib/pq"

	"github.com/dockeronline/platform/pkg/testenv"
)

// TestEnsureRacesForOneNewUser: many first requests of one new user at
// once (a page loading in several tabs) all succeed and make one row.
func TestEnsureRacesForOneNewUser(t *testing.T) {
	db, err := sql.Open("postgres", testenv.Postgres(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	st, err := OpenStore(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	for round := range 20 {
		id := "race-" + string(rune('a'+round))
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := st.Ensure(context.Background(), id, "user"+string(rune('a'+round)), "x@example.test", false)
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM auth.users`).Scan(&n); err != nil || n != 20 {
		t.Fatalf("%d rows (%v), want 20", n, err)
	}
}
