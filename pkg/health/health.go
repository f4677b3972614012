// Package health serves /healthz (the process answers) and /readyz (every
// dependency the service needs answers), plus whatever else a service mounts
// on the same internal listener (metrics).
package health

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"sync"
	"time"
)

// Check reports whether one dependency is usable.
type Check func(ctx context.Context) error

// Checks are named readiness checks.
type Checks map[string]Check

// Handler returns a mux with /healthz and /readyz.
func Handler(checks Checks) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		results, ok := Run(r.Context(), checks)
		status := http.StatusOK
		if !ok {
			status = http.StatusServiceUnavailable
		}
		writeJSON(w, status, map[string]any{"ready": ok, "checks": results})
	})
	return mux
}

// Run runs every check concurrently (each bounded by two seconds) and
// returns "ok" or the error text per check.
func Run(ctx context.Context, checks Checks) (map[string]string, bool) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var mu sync.Mutex
	var wg sync.WaitGroup
	out := make(map[string]string, len(checks))
	ok := true
	names := make([]string, 0, len(checks))
	for n := range checks {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		wg.Add(1)
		go func(n string, c Check) {
			defer wg.Done()
			res := "ok"
			if err := c(ctx); err != nil {
				res = err.Error()
			}
			mu.Lock()
			defer mu.Unlock()
			out[n] = res
			if res != "ok" {
				ok = false
			}
		}(n, checks[n])
	}
	wg.Wait()
	return out, ok
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
