package faults

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/dockeronline/platform/faults/harness"
)

// TestAbuse: one user abuses their sandbox — fork bomb, memory bomb, log
// flood, disk fill, an API flood — while another user's calls keep
// succeeding. Each abuse is contained by a limit the platform sets (pids,
// memory, log size, API rate) or, for disk, documented as not bounded.
func TestAbuse(t *testing.T) {
	p := harness.Start(t, harness.Options{Env: map[string]map[string]string{
		"gateway": {"API_RATE_PER_SECOND": "20", "API_RATE_BURST": "60"}, // the defaults, stated
	}})
	other := p.Register(t, harness.UniqueName("calm"))
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, p *harness.Platform, u harness.User)
	}{
		{"fork-bomb", forkBomb},
		{"memory-bomb", memoryBomb},
		{"log-flood", logFlood},
		{"disk-fill", diskFill},
		{"api-flood", apiFlood},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := p.Register(t, harness.UniqueName("abuser"))
			b := p.StartBystander(other)
			tc.run(t, p, u)
			rep := b.Stop()
			t.Logf("the other user meanwhile: %s", rep)
			if len(rep.Failures) > 0 || rep.OK == 0 {
				t.Fatalf("the other user's calls failed during %s: %v", tc.name, rep.Failures)
			}
		})
	}
}

// The policy's defaults (services/runner/policy.DefaultLimits).
const (
	pidsLimit   = 256
	logMaxSize  = "10m"
	logMaxFiles = "3"
)

// forkBomb: the classic bomb. Busybox's sh refuses ":" as a function name,
// so the function is called bomb; it is the same bomb. The pids limit
// holds it at 256 processes; the container can still be removed.
func forkBomb(t *testing.T, p *harness.Platform, u harness.User) {
	spec := map[string]any{"name": "forkbomb", "image": p.Image, "memory_mb": 64, "cpus": 0.5,
		"cmd": []string{"sh", "-c", "bomb(){ bomb|bomb& }; bomb; exec sleep 3600"}}
	createAll(t, p, u, []string{"forkbomb"}, func(string) map[string]any { return spec })
	if got := p.Inspect(t, u, "forkbomb").HostConfig.PidsLimit; got == nil || *got != pidsLimit {
		t.Fatalf("pids limit %v, want %d", got, pidsLimit)
	}
	var peak uint64
	harness.Converge(t, "fork bomb reaches the pids limit", 20*time.Second, func() error {
		n := p.Pids(t, u, "forkbomb")
		peak = max(peak, n)
		if n < pidsLimit*3/4 {
			return fmt.Errorf("%d processes", n)
		}
		return nil
	})
	for range 5 {
		peak = max(peak, p.Pids(t, u, "forkbomb"))
		time.Sleep(500 * time.Millisecond)
	}
	if peak > pidsLimit {
		t.Fatalf("the fork bomb reached %d processes, above the limit of %d", peak, pidsLimit)
	}
	t.Logf("fork bomb held at %d processes (limit %d)", peak, pidsLimit)
	removeBounded(t, p, u, "forkbomb")
}

// memoryBomb allocates 64 MB under a 16 MB limit: the kernel kills it
// (OOM, exit 137); nothing else notices.
func memoryBomb(t *testing.T, p *harness.Platform, u harness.User) {
	spec := map[string]any{"name": "membomb", "image": p.Image, "memory_mb": 16,
		"cmd": []string{"dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"}}
	createAll(t, p, u, []string{"membomb"}, func(string) map[string]any { return spec })
	harness.Converge(t, "memory bomb killed", 10*time.Second, func() error {
		if s := p.Inspect(t, u, "membomb").State; s.Status != "exited" {
			return fmt.Errorf("state %s", s.Status)
		}
		return nil
	})
	in := p.Inspect(t, u, "membomb")
	if in.State.ExitCode != 137 || !in.State.OOMKilled || in.HostConfig.Memory != 16<<20 {
		t.Fatalf("memory bomb: exit %d, OOM-killed %v, limit %d; want 137, true, 16 MiB", in.State.ExitCode, in.State.OOMKilled, in.HostConfig.Memory)
	}
	var c struct {
		State string `json:"state"`
	}
	p.Call(t, u.Token, http.MethodGet, "/api/v1/containers/membomb", nil).JSON(t, &c)
	if c.State != "exited" {
		t.Fatalf("the API shows the memory bomb %q, want exited", c.State)
	}
	t.Logf("memory bomb OOM-killed: exit %d", in.State.ExitCode)
}

// logFlood writes as fast as it can to stdout. Docker's json-file driver,
// with the limits the policy sets (10 MB × 3 files), rotates it: the logs
// on disk stay bounded however long it runs.
func logFlood(t *testing.T, p *harness.Platform, u harness.User) {
	spec := map[string]any{"name": "flood", "image": p.Image, "memory_mb": 16, "cpus": 0.5,
		"cmd": []string{"sh", "-c", "exec yes 'flood flood flood flood flood flood flood flood flood flood flood flood'"}}
	createAll(t, p, u, []string{"flood"}, func(string) map[string]any { return spec })
	in := p.Inspect(t, u, "flood")
	lc := in.HostConfig.LogConfig
	if lc.Type != "json-file" || lc.Config["max-size"] != logMaxSize || lc.Config["max-file"] != logMaxFiles {
		t.Fatalf("log config %+v, want json-file %s × %s", lc, logMaxSize, logMaxFiles)
	}
	const limit = 3*10<<20 + 1<<20 // three files of 10 MiB, and a line of slack each
	var peak int64
	var files int
	sample := func() error {
		size, n := logSize(in.LogPath)
		peak, files = max(peak, size), max(files, n)
		if size > limit || n > 3 {
			t.Fatalf("the log flood takes %d bytes in %d files, above %d bytes in 3", size, n, limit)
		}
		if _, err := os.Stat(in.LogPath + ".2"); err != nil {
			return fmt.Errorf("not rotated twice yet: %d bytes in %d files", size, n)
		}
		return nil
	}
	harness.Converge(t, "log flood fills every rotated file", 90*time.Second, sample)
	// It goes on: the size must stay put.
	for range 6 {
		time.Sleep(500 * time.Millisecond)
		_ = sample()
	}
	t.Logf("log flood: at most %d bytes in %d files (bound %d)", peak, files, limit)
	removeBounded(t, p, u, "flood")
}

// logSize is the size of a json-file log and its rotated files.
func logSize(path string) (int64, int) {
	files, _ := filepath.Glob(path + "*")
	var total int64
	n := 0
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil {
			total += fi.Size()
			n++
		}
	}
	return total, n
}

// diskFill writes into a named volume. The platform sets no size limit on
// volumes (this engine's filesystem has no per-volume quota): the write
// succeeds. The fill is bounded here — this machine's disk is shared —
// and the test proves the platform removes every byte with the volume.
func diskFill(t *testing.T, p *harness.Platform, u harness.User) {
	mb := harness.Pick(64, 512)
	if r := p.Call(t, u.Token, http.MethodPost, "/api/v1/volumes", map[string]any{"name": "fill"}); r.Status != http.StatusCreated {
		t.Fatalf("create volume: %s", r)
	}
	spec := map[string]any{"name": "filler", "image": p.Image, "memory_mb": 32,
		"volumes": []map[string]any{{"volume": "fill", "target": "/data"}},
		"cmd":     []string{"sh", "-c", fmt.Sprintf("dd if=/dev/zero of=/data/fill bs=1M count=%d && sync", mb)}}
	createAll(t, p, u, []string{"filler"}, func(string) map[string]any { return spec })
	harness.Converge(t, fmt.Sprintf("%d MiB written into a volume", mb), 60*time.Second, func() error {
		if s := p.Inspect(t, u, "filler").State; s.Status != "exited" {
			return fmt.Errorf("state %s", s.Status)
		}
		return nil
	})
	in := p.Inspect(t, u, "filler")
	if in.State.ExitCode != 0 {
		t.Fatalf("the fill exited %d", in.State.ExitCode)
	}
	var file string
	for _, m := range in.Mounts {
		if m.Destination == "/data" {
			file = filepath.Join(m.Source, "fill")
		}
	}
	fi, err := os.Stat(file)
	if err != nil || fi.Size() != int64(mb)<<20 {
		t.Fatalf("the volume holds %v (%v), want %d MiB: nothing bounds it, so all of it must be there", fi, err, mb)
	}
	t.Logf("%d MiB written into volume %s--fill: volumes have no size limit (docs/FAULTS.md)", mb, u.Name)
	removeBounded(t, p, u, "filler")
	if r := p.Call(t, u.Token, http.MethodDelete, "/api/v1/volumes/fill", nil); r.Status != http.StatusNoContent {
		t.Fatalf("remove volume: %s", r)
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Fatalf("%s still exists after the volume was removed: %v", file, err)
	}
}

// removeBounded removes name through the API and checks it is gone.
func removeBounded(t *testing.T, p *harness.Platform, u harness.User, name string) {
	t.Helper()
	r := p.Call(t, u.Token, http.MethodDelete, "/api/v1/containers/"+name+"?force=true", nil)
	if r.Status != http.StatusNoContent {
		t.Fatalf("remove %s: %s", name, r)
	}
	harness.Record(t, "abusive container "+name+" removed", r.Took, 10*time.Second)
	if n := p.Inventory(t, u.ID).ByName[name]; n != 0 {
		t.Fatalf("%s still in Docker after its removal", name)
	}
}

// apiFlood: 1,000 calls as fast as one user can make them. Past the burst
// the gateway answers 429 with Retry-After and the rate_limited error —
// without asking any other service — and the other user (the bystander)
// is served as usual.
func apiFlood(t *testing.T, p *harness.Platform, u harness.User) {
	const calls, concurrency = 1000, 16
	const rate, burst = 20, 60
	type answer struct {
		status int
		retry  string
		code   string
		took   time.Duration
	}
	answers := make(chan answer, calls)
	jobs := make(chan struct{}, calls)
	for range calls {
		jobs <- struct{}{}
	}
	close(jobs)
	// Another user calls at their own pace while the flood runs (the
	// test's bystander is too slow to land many calls in it).
	peer := p.Register(t, harness.UniqueName("peer"))
	flooding := make(chan struct{})
	peerDone := make(chan []harness.Response)
	go func() {
		var rs []harness.Response
		for {
			select {
			case <-flooding:
				peerDone <- rs
				return
			default:
			}
			rs = append(rs, p.Do(peer.Token, http.MethodGet, "/api/v1/containers", nil, nil, 0))
			time.Sleep(60 * time.Millisecond) // under 20 a second
		}
	}()
	start := time.Now()
	done := make(chan struct{})
	for range concurrency {
		go func() {
			defer func() { done <- struct{}{} }()
			for range jobs {
				r := p.Do(u.Token, http.MethodGet, "/api/v1/containers", nil, nil, 0)
				e, _ := r.APIError()
				if r.Err != nil {
					answers <- answer{status: -1}
					continue
				}
				answers <- answer{r.Status, r.Header.Get("Retry-After"), e.Code, r.Took}
			}
		}()
	}
	for range concurrency {
		<-done
	}
	elapsed := time.Since(start)
	close(answers)
	close(flooding)
	var peerWorst time.Duration
	peerCalls := <-peerDone
	if len(peerCalls) == 0 {
		t.Fatal("the other user made no call during the flood")
	}
	for _, r := range peerCalls {
		if r.Err != nil || r.Status != http.StatusOK {
			t.Fatalf("another user's call during the flood: %s", r)
		}
		peerWorst = max(peerWorst, r.Took)
	}
	t.Logf("another user during the flood: %d calls, all 200, slowest %v", len(peerCalls), peerWorst.Round(time.Millisecond))

	var ok, limited int
	var worst429 time.Duration
	for a := range answers {
		switch a.status {
		case http.StatusOK:
			ok++
		case http.StatusTooManyRequests:
			limited++
			worst429 = max(worst429, a.took)
			if s, err := strconv.Atoi(a.retry); err != nil || s < 1 || a.code != "rate_limited" {
				t.Fatalf("429 with Retry-After %q and code %q; want whole seconds ≥ 1 and rate_limited", a.retry, a.code)
			}
		default:
			t.Fatalf("flood call answered %d (want 200 or 429 only)", a.status)
		}
	}
	allowed := burst + int(rate*elapsed.Seconds()) + 2
	t.Logf("%d calls in %v: %d ok, %d refused 429 (at most %d could pass; slowest 429 %v)",
		calls, elapsed.Round(time.Millisecond), ok, limited, allowed, worst429.Round(time.Millisecond))
	if ok+limited != calls || limited == 0 || ok > allowed || ok < burst-2 {
		t.Fatalf("%d ok and %d refused of %d calls in %v: want between %d and %d ok, the rest 429", ok, limited, calls, elapsed, burst-2, allowed)
	}
	// Refused calls do not lock the user out: after the wait they pass.
	harness.Converge(t, "the flooding user is served again", 2*time.Second, func() error {
		return expectStatus(p.Do(u.Token, http.MethodGet, "/api/v1/containers", nil, nil, 0), http.StatusOK)
	})
}
