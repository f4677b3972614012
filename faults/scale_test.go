package faults

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/faults/harness"
)

// Stated bounds at full scale (1,000 containers, 50 users).
const (
	boundUserList  = 2 * time.Second  // one user's 20 containers
	boundAdminList = 10 * time.Second // everyone's
	boundEvent     = 2 * time.Second  // create answered → event on the user's SSE stream
)

// TestScale: many users, many tiny containers on one host (1,000 across
// 50 users with FAULTS=full; 40 across 5 in the bounded form). Listing,
// events and routing stay fast; a full quota and a host out of bridge
// networks give clear errors.
func TestScale(t *testing.T) {
	// 20 containers a user (the default quota) plus a web app for some.
	p := harness.Start(t, harness.Options{Env: map[string]map[string]string{"runner": {"RUNNER_QUOTA_CONTAINERS": "25"}}})
	admin := p.RegisterAdmin(t)
	t.Run("containers", func(t *testing.T) { scaleContainers(t, p, admin) })
	t.Run("bridge-networks-full", func(t *testing.T) { bridgeNetworksFull(t, p, admin) })
}

// tinySpec is a scale container: busybox sleep, 6–16 MB, 0.01 CPU, and no
// network (NetworkMode none): the engine's default address pools hold only
// about 30 bridge networks (see bridge-networks-full), far fewer than 50
// users' private networks.
func tinySpec(p *harness.Platform, name string, i int) map[string]any {
	return map[string]any{"name": name, "image": p.Image, "cmd": []string{"sleep", "86400"},
		"memory_mb": 6 + i%11, "cpus": 0.01, "host_config": map[string]any{"NetworkMode": "none"}}
}

func scaleContainers(t *testing.T, p *harness.Platform, admin harness.User) {
	nUsers, per := harness.Pick(5, 50), harness.Pick(8, 20)
	routed := harness.Pick(2, 5) // the first users also run a web app on their own network
	const concurrency = 8

	start := time.Now()
	users := make([]harness.User, nUsers)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i := range users {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			var err error
			if users[i], err = p.TryRegister(t, fmt.Sprintf("scale%02d%s", i, harness.RandomHex(3))); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	t.Logf("%d users registered in %v", nUsers, time.Since(start).Round(time.Millisecond))

	events, err := p.Events(users[0].Token)
	if err != nil {
		t.Fatal(err)
	}
	defer events.Close()

	// Every create, then the routed web apps.
	type job struct {
		u    harness.User
		name string
		spec map[string]any
	}
	var jobs []job
	for _, u := range users[:routed] {
		jobs = append(jobs, job{u, "web", p.WebApp("web")})
	}
	// Round-robin over users: one user's creates are serialised by the
	// quota lock, different users' run side by side.
	for j := range per {
		for i, u := range users {
			name := fmt.Sprintf("s%02d", j)
			jobs = append(jobs, job{u, name, tinySpec(p, name, i*per+j)})
		}
	}
	var mu sync.Mutex
	answered := map[string]time.Time{} // user/name → when the create was answered
	var failures []string
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	start = time.Now()
	ch := make(chan job)
	for range concurrency {
		wg.Go(func() {
			for j := range ch {
				r, n := p.CreateRetrying(ctx, j.u.Token, j.spec, "scale-"+j.u.Name+"-"+j.name)
				mu.Lock()
				answered[j.u.Name+"/"+j.name] = time.Now()
				if r.Status != http.StatusCreated {
					failures = append(failures, fmt.Sprintf("%s/%s: %s after %d attempts", j.u.Name, j.name, r, n))
				}
				mu.Unlock()
			}
		})
	}
	for _, j := range jobs {
		ch <- j
	}
	close(ch)
	wg.Wait()
	took := time.Since(start)
	if len(failures) > 0 {
		t.Fatalf("%d of %d creates failed, e.g. %s", len(failures), len(jobs), failures[0])
	}
	t.Logf("%d containers created for %d users in %v (%.1f/s, %d at a time)", len(jobs), nUsers, took.Round(time.Millisecond),
		float64(len(jobs))/took.Seconds(), concurrency)

	// Docker holds exactly what was asked, all running.
	total := 0
	for i, u := range users {
		want := per
		if i < routed {
			want++
		}
		inv := p.Inventory(t, u.ID)
		if inv.Total != want || inv.Running != want {
			t.Fatalf("%s: %d containers, %d running in Docker; want %d", u.Name, inv.Total, inv.Running, want)
		}
		total += inv.Total
	}
	t.Logf("checked: %d containers in Docker for %d users, all running", total, nUsers)

	// Listing: every user's own list, then an admin's list of everyone.
	var lat []time.Duration
	for i, u := range users {
		r := p.Call(t, u.Token, http.MethodGet, "/api/v1/containers", nil)
		var l struct {
			Containers []struct{} `json:"containers"`
		}
		r.JSON(t, &l)
		want := per + map[bool]int{true: 1}[i < routed]
		if r.Status != http.StatusOK || len(l.Containers) != want {
			t.Fatalf("%s lists %d containers (%d), want %d", u.Name, len(l.Containers), r.Status, want)
		}
		lat = append(lat, r.Took)
	}
	slices.Sort(lat)
	harness.Record(t, fmt.Sprintf("user list p95 (%d users, %d containers on the host)", nUsers, total), lat[len(lat)*95/100], boundUserList)
	t.Logf("user list latency: p50 %v, p95 %v, worst %v", lat[len(lat)/2], lat[len(lat)*95/100], lat[len(lat)-1])
	if worst := lat[len(lat)-1]; worst > boundUserList*harness.Slack {
		t.Fatalf("a user's list took %v, deadline %v", worst, boundUserList*harness.Slack)
	}
	r := p.Call(t, admin.Token, http.MethodGet, "/api/v1/admin/containers", nil)
	var all struct {
		Containers []struct {
			Owner string `json:"owner"`
		} `json:"containers"`
	}
	r.JSON(t, &all)
	ours := 0
	for _, c := range all.Containers {
		for _, u := range users {
			if c.Owner == u.ID {
				ours++
			}
		}
	}
	if r.Status != http.StatusOK || ours != total {
		t.Fatalf("the admin list holds %d of our %d containers (%d)", ours, total, r.Status)
	}
	harness.Record(t, fmt.Sprintf("admin list of all %d containers", len(all.Containers)), r.Took, boundAdminList)
	if r.Took > boundAdminList*harness.Slack {
		t.Fatalf("the admin list took %v, deadline %v", r.Took, boundAdminList*harness.Slack)
	}

	// Events: user 0's stream told of every one of their containers.
	var evLat []time.Duration
	harness.Converge(t, fmt.Sprintf("events of %d creates on the user's SSE stream", per+1), boundEvent, func() error {
		evLat = evLat[:0]
		names := []string{"web"}
		for j := range per {
			names = append(names, fmt.Sprintf("s%02d", j))
		}
		for _, n := range names {
			at, ok := events.FirstRunning(n)
			if !ok {
				return fmt.Errorf("no running event for %s yet", n)
			}
			mu.Lock()
			// The start event may even beat the create's answer.
			evLat = append(evLat, max(0, at.Sub(answered[users[0].Name+"/"+n])))
			mu.Unlock()
		}
		return nil
	})
	slices.Sort(evLat)
	harness.Record(t, "event delivery, create answered → SSE event (worst)", evLat[len(evLat)-1], boundEvent)

	// Routing: every routed web app answers through the proxy.
	harness.Converge(t, fmt.Sprintf("%d web links live among %d containers", routed, total), boundRouteLive, func() error {
		for _, u := range users[:routed] {
			if err := p.LinkLive("web", u.Name); err != nil {
				return err
			}
		}
		return nil
	})

	// A full quota is a clear refusal, before anything reaches Docker.
	last := users[nUsers-1]
	if r := p.Call(t, admin.Token, http.MethodPut, "/api/v1/admin/users/"+last.ID+"/quota", map[string]any{"containers": per}); r.Status != http.StatusOK {
		t.Fatalf("set quota: %s", r)
	}
	r = p.Call(t, last.Token, http.MethodPost, "/api/v1/containers", tinySpec(p, "one-more", 0))
	if e, ok := r.APIError(); r.Status != http.StatusForbidden || !ok || e.Code != "quota_exceeded" || !strings.Contains(e.Message, "quota") {
		t.Fatalf("create past a full quota: %s; want 403 quota_exceeded", r)
	} else {
		t.Logf("create past a full quota: %s", r)
	}
	if n := p.Inventory(t, last.ID).Total; n != per {
		t.Fatalf("%s has %d containers after a refused create, want %d", last.Name, n, per)
	}

	start = time.Now()
	for _, u := range users {
		p.RemoveOwned(t, u.ID)
	}
	t.Logf("removed %d containers in %v", total, time.Since(start).Round(time.Millisecond))
}

// bridgeNetworksFull: a user creates networks until Docker runs out of
// address pools. The API answers with an error that quotes Docker's
// cause; a user who has no network yet cannot run a container and is told
// the same; once networks are freed, it works again. The networks are
// removed at once: the engine is shared. The user first meets the network
// quota (RUNNER_QUOTA_NETWORKS, 5), which an admin then lifts.
func bridgeNetworksFull(t *testing.T, p *harness.Platform, admin harness.User) {
	const attempts = 300
	u := p.Register(t, harness.UniqueName("nets"))
	late := p.Register(t, harness.UniqueName("late"))
	before := bridgeNetworks(t, p)
	made := 0
	var refused harness.Response
	defer p.RemoveOwned(t, u.ID)
	quotaMet := false
	for i := range attempts {
		r := p.Call(t, u.Token, http.MethodPost, "/api/v1/networks", map[string]any{"name": fmt.Sprintf("n%03d", i)})
		if r.Status == http.StatusCreated {
			made++
			continue
		}
		if e, ok := r.APIError(); !quotaMet && ok && e.Code == "quota_exceeded" {
			if made != 5 || !strings.Contains(e.Message, "network quota") {
				t.Fatalf("network %d refused by quota: %s; want the 6th, naming the network quota", made+1, r)
			}
			quotaMet = true
			if r := p.Call(t, admin.Token, http.MethodPut, "/api/v1/admin/users/"+u.ID+"/quota", map[string]any{"networks": attempts}); r.Status != http.StatusOK {
				t.Fatalf("set network quota: %s", r)
			}
			r = p.Call(t, u.Token, http.MethodPost, "/api/v1/networks", map[string]any{"name": fmt.Sprintf("n%03d", i)})
			if r.Status == http.StatusCreated {
				made++
				continue
			}
		}
		refused = r
		break
	}
	if refused.Status == 0 {
		// An engine configured with small pools (see docs/FAULTS.md).
		if made != attempts {
			t.Fatalf("made %d networks of %d", made, attempts)
		}
		t.Logf("the engine made %d networks (beside %d others) without running out of address pools", made, before)
		return
	}
	e, ok := refused.APIError()
	if !ok || refused.Status < 400 || !strings.Contains(e.Docker, "address pool") {
		t.Fatalf("network %d refused with %s; want an error body quoting Docker's cause (address pools)", made, refused)
	}
	t.Logf("bridge networks full after %d more (%d bridge networks existed before): %s", made, before, refused)
	r := p.Call(t, late.Token, http.MethodPost, "/api/v1/containers", p.Sleeper("first"))
	if e, ok := r.APIError(); r.Status < 400 || !ok || !strings.Contains(e.Docker, "address pool") {
		t.Fatalf("a user without a network created a container with the pools full: %s; want an error quoting Docker's cause", r)
	} else {
		t.Logf("first container of a new user with the pools full: %s", r)
	}

	p.RemoveOwned(t, u.ID)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if r, n := p.CreateRetrying(ctx, late.Token, p.Sleeper("first"), "late-"+harness.RandomHex(4)); r.Status != http.StatusCreated {
		t.Fatalf("create after networks were freed: %s after %d attempts", r, n)
	}
}

// bridgeNetworks counts the engine's bridge networks (each holds a pool).
func bridgeNetworks(t *testing.T, p *harness.Platform) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := p.Docker.NetworkList(ctx, client.NetworkListOptions{Filters: make(client.Filters).Add("driver", "bridge")})
	if err != nil {
		t.Fatal(err)
	}
	return len(res.Items)
}
