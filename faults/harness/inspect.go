package harness

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// Inspect is Docker's view of u's container name.
func (p *Platform) Inspect(t testing.TB, u User, name string) container.InspectResponse {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := p.Docker.ContainerInspect(ctx, u.Name+"--"+name, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatalf("docker inspect %s--%s: %v", u.Name, name, err)
	}
	return res.Container
}

// Pids is how many processes u's container name has now (Docker's stats,
// read from the pids cgroup).
func (p *Platform) Pids(t testing.TB, u User, name string) uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := p.Docker.ContainerStats(ctx, u.Name+"--"+name, client.ContainerStatsOptions{})
	if err != nil {
		t.Fatalf("docker stats %s--%s: %v", u.Name, name, err)
	}
	defer res.Body.Close()
	var s container.StatsResponse
	if err := json.NewDecoder(res.Body).Decode(&s); err != nil {
		t.Fatalf("docker stats %s--%s: %v", u.Name, name, err)
	}
	return s.PidsStats.Current
}
