package faults

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dockeronline/platform/faults/harness"
	"github.com/dockeronline/platform/pkg/dockertest"
)

// TestIsolationUnderChurn: the platform as processes, the runner's tenant
// firewall on (the default). While user C creates and removes networks
// through the API without pause (Docker re-programs its own isolation
// chains each time), user A's prober sends TCP and ping probes to user B's
// web server and to A's own: none of B's answers, every one of A's does.
// Bounded in `make test` (5 rounds of 10 probes each); with FAULTS=full
// 300 rounds (3,000 cross-tenant TCP probes and as many pings).
func TestIsolationUnderChurn(t *testing.T) {
	rounds, parallel := harness.Pick(5, 300), 10 // 10 at once: 40 probe pipelines stay under the pids limit
	p := harness.Start(t, harness.Options{})
	a, b, c := p.Register(t, harness.UniqueName("tena")), p.Register(t, harness.UniqueName("tenb")), p.Register(t, harness.UniqueName("churn"))
	for _, u := range []harness.User{a, b} {
		createAll(t, p, u, []string{"web"}, p.WebApp)
	}
	ip := func(u harness.User) string {
		n, ok := p.Inspect(t, u, "web").NetworkSettings.Networks[u.Name+"--default"]
		if !ok {
			t.Fatalf("%s's web is not on their default network", u.Name)
		}
		return n.IPAddress.String()
	}
	ipA, ipB := ip(a), ip(b)

	var cycles atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			name := fmt.Sprintf("churn%d", i%3)
			if r := p.Call(t, c.Token, http.MethodPost, "/api/v1/networks", map[string]any{"name": name}); r.Status != http.StatusCreated {
				t.Errorf("churn: create %s: %s", name, r)
				return
			}
			if r := p.Call(t, c.Token, http.MethodDelete, "/api/v1/networks/"+name, nil); r.Status != http.StatusNoContent {
				t.Errorf("churn: remove %s: %s", name, r)
				return
			}
			cycles.Add(1)
		}
	})

	// 3s timeouts: on a loaded machine 1s misses answers, and a probe that
	// gives up early could hide a reach. Probes of A's own web (the
	// positive control) get a second try; a lost answer there is load.
	script := fmt.Sprintf(`get() { printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 3 "$1" 80 2>/dev/null | grep -q "hello $2"; }
probe() { if get "$1" "$2" || { [ "$4" = retry ] && get "$1" "$2"; }; then echo "$3 hit"; else echo "$3 miss"; fi; }
pingp() { if ping -c 1 -W 3 "$1" >/dev/null 2>&1 || { [ "$3" = retry ] && ping -c 1 -W 3 "$1" >/dev/null 2>&1; }; then echo "$2 hit"; else echo "$2 miss"; fi; }
sleep 1
for r in $(seq %d); do
  for i in $(seq %d); do probe %s web same retry & probe %s web cross once & pingp %s same-ping retry & pingp %s cross-ping once & done
  wait
done
echo PROBES-DONE
`, rounds, parallel, ipA, ipB, ipA, ipB)
	createAll(t, p, a, []string{"prober"}, func(name string) map[string]any {
		return map[string]any{"name": name, "image": p.Image, "cmd": []string{"sh", "-c", script}, "memory_mb": 64, "cpus": 0.5}
	})
	id := p.Inspect(t, a, "prober").ID
	var out string
	harness.Converge(t, "probes finish", time.Duration(rounds)*15*time.Second, func() error {
		o, e := dockertest.Logs(t, p.Docker, id)
		out = o + e
		if !strings.Contains(o, "PROBES-DONE") {
			return fmt.Errorf("%d probe lines so far", strings.Count(o, "\n"))
		}
		return nil
	})
	close(stop)
	wg.Wait()

	n, got := rounds*parallel, map[string]int{}
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) == 2 {
			got[l]++
		}
	}
	t.Logf("%d network create+remove cycles by %s during the probes; tally %v", cycles.Load(), c.Name, got)
	if cycles.Load() < 3 {
		t.Errorf("only %d churn cycles ran during the probes", cycles.Load())
	}
	if got["cross hit"] != 0 || got["cross-ping hit"] != 0 || got["cross miss"] != n {
		t.Errorf("cross-tenant probes: %d of %d TCP and %d pings answered, %d TCP blocked", got["cross hit"], n, got["cross-ping hit"], got["cross miss"])
	}
	if got["same hit"] != n {
		t.Errorf("only %d of %d probes reached A's own web (same network must work)", got["same hit"], n)
	}
}
