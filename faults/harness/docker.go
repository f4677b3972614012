package harness

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// Labels the runner puts on every platform object (services/runner/policy;
// repeated here because the harness sees the platform only from outside).
const (
	LabelOwner   = "dockeronline.owner"
	LabelName    = "dockeronline.name"
	LabelRequest = "dockeronline.request"
)

// Owned lists every container (running or not) whose owner label is owner,
// straight from Docker, the source of truth.
func (p *Platform) Owned(t testing.TB, owner string) []container.Summary {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := p.Docker.ContainerList(ctx, client.ContainerListOptions{All: true,
		Filters: make(client.Filters).Add("label", LabelOwner+"="+owner)})
	if err != nil {
		t.Fatalf("docker ps for owner %s: %v", owner, err)
	}
	return res.Items
}

// Inventory is what Docker holds for one owner, counted the ways the fault
// invariants need.
type Inventory struct {
	Total     int
	ByName    map[string]int // the name the user chose → containers
	ByRequest map[string]int // idempotency key → containers
	Running   int
}

// Inventory counts owner's containers.
func (p *Platform) Inventory(t testing.TB, owner string) Inventory {
	t.Helper()
	inv := Inventory{ByName: map[string]int{}, ByRequest: map[string]int{}}
	for _, c := range p.Owned(t, owner) {
		inv.Total++
		inv.ByName[c.Labels[LabelName]]++
		if k := c.Labels[LabelRequest]; k != "" {
			inv.ByRequest[k]++
		}
		if c.State == container.StateRunning {
			inv.Running++
		}
	}
	return inv
}

// CheckExactly verifies the fault invariants for a burst of creates: Docker
// holds exactly the expected containers (name → idempotency key), each
// once, all running — none lost, none duplicated, no orphan of this owner
// that nobody asked for. It returns a description of every violation.
func (inv Inventory) CheckExactly(want map[string]string) []string {
	var bad []string
	for name, key := range want {
		if n := inv.ByName[name]; n != 1 {
			bad = append(bad, fmt.Sprintf("%d containers named %q, want 1", n, name))
		}
		if n := inv.ByRequest[key]; n != 1 {
			bad = append(bad, fmt.Sprintf("%d containers with idempotency key %q, want 1", n, key))
		}
	}
	for name := range inv.ByName {
		if _, ok := want[name]; !ok {
			bad = append(bad, fmt.Sprintf("orphan container %q that no request asked for", name))
		}
	}
	if inv.Total != len(want) {
		bad = append(bad, fmt.Sprintf("%d containers in Docker, want %d", inv.Total, len(want)))
	}
	if inv.Running != len(want) {
		bad = append(bad, fmt.Sprintf("%d running, want %d", inv.Running, len(want)))
	}
	sort.Strings(bad)
	return bad
}

// RemoveOwned force-removes every container, volume and network owned by
// owner, concurrently (a scale test leaves hundreds).
func (p *Platform) RemoveOwned(t testing.TB, owner string) {
	t.Helper()
	RemoveOwned(t, p.Docker, owner)
}

// RemoveOwned is the platform-independent form of Platform.RemoveOwned.
func RemoveOwned(t testing.TB, cli *client.Client, owner string) {
	t.Helper()
	if owner == "" {
		t.Errorf("harness: RemoveOwned without an owner: refusing to guess")
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	f := make(client.Filters).Add("label", LabelOwner+"="+owner)
	if cs, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f}); err == nil {
		ids := make(chan string)
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for id := range ids {
					_, _ = cli.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
				}
			})
		}
		for _, c := range cs.Items {
			ids <- c.ID
		}
		close(ids)
		wg.Wait()
	}
	if vs, err := cli.VolumeList(ctx, client.VolumeListOptions{Filters: f}); err == nil {
		for _, v := range vs.Items {
			_, _ = cli.VolumeRemove(ctx, v.Name, client.VolumeRemoveOptions{Force: true})
		}
	}
	if ns, err := cli.NetworkList(ctx, client.NetworkListOptions{Filters: f}); err == nil {
		for _, n := range ns.Items {
			if _, err := cli.NetworkRemove(ctx, n.ID, client.NetworkRemoveOptions{}); err != nil {
				t.Logf("harness: remove network %s: %v", n.Name, err)
			}
		}
	}
}

// Sleeper is the spec of a tiny idle container.
func (p *Platform) Sleeper(name string) map[string]any {
	return map[string]any{"name": name, "image": p.Image, "cmd": []string{"sleep", "3600"}, "memory_mb": 8, "cpus": 0.05}
}

// WebApp is the spec of a tiny web server on port 80 that answers
// "hello <name>" — enough for a web link to be live.
func (p *Platform) WebApp(name string) map[string]any {
	script := fmt.Sprintf("mkdir -p /www && echo hello %s > /www/index.html && exec httpd -f -p 80 -h /www", name)
	return map[string]any{"name": name, "image": p.Image, "cmd": []string{"sh", "-c", script},
		"ports": []map[string]any{{"container": 80}}, "memory_mb": 16, "cpus": 0.1}
}

// LinkLive checks that name's web link answers 200 with its greeting.
func (p *Platform) LinkLive(name, username string) error {
	r := p.Link(name, username)
	if r.Err != nil {
		return r.Err
	}
	if r.Status != 200 || !strings.Contains(string(r.Body), "hello "+name) {
		return fmt.Errorf("link %s--%s: %s", name, username, r)
	}
	return nil
}

// AllLinksLive checks every name's link; the error lists those not live.
func (p *Platform) AllLinksLive(names []string, username string) error {
	var down []string
	for _, n := range names {
		if err := p.LinkLive(n, username); err != nil {
			down = append(down, err.Error())
		}
	}
	if len(down) > 0 {
		return fmt.Errorf("%d of %d links not live: %s", len(down), len(names), strings.Join(down, "; "))
	}
	return nil
}
