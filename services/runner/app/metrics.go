package app

import (
	"context"
	"time"

	"github.com/moby/moby/client"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/dockeronline/platform/pkg/metrics"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/services/runner/engine"
	"github.com/dockeronline/platform/services/runner/policy"
)

var (
	containersDesc = prometheus.NewDesc(metrics.Namespace+"_containers",
		"Platform users' containers, by user (the platform username) and Docker state.",
		[]string{"user", "state"}, nil)
	quotaUsedDesc = prometheus.NewDesc(metrics.Namespace+"_quota_used",
		"What each user's objects take of their quota, by resource (containers, memory_mb, cpus, volumes, networks), counted as the quota check counts them.",
		[]string{"user", "resource"}, nil)
)

// dockerCollector reads Docker, the truth for containers, when Prometheus
// scrapes: two list calls for every user at once (not two per user, as
// quota.Used makes for one user), reused for a few seconds so several
// scrapers cost Docker one read.
func dockerCollector(docker *client.Client) prometheus.Collector {
	return metrics.NewScraped(5*time.Second, 10*time.Second, func(ctx context.Context, emit metrics.Emit) error {
		cs, err := engine.ListContainers(ctx, docker, "")
		if err != nil {
			return err
		}
		vs, err := engine.ListVolumes(ctx, docker, "")
		if err != nil {
			return err
		}
		type userState struct{ user, state string }
		states := map[userState]int{}
		used := map[string]*msg.Quota{}
		use := func(user string) *msg.Quota {
			if used[user] == nil {
				used[user] = &msg.Quota{}
			}
			return used[user]
		}
		for _, c := range cs {
			user := userLabel(c.Labels)
			states[userState{user, string(c.State)}]++
			// As quota.Used counts: every container, running or not, with
			// the limits the policy engine stamped on it.
			u := use(user)
			u.Containers++
			mem, cpus := policy.Counted(c.Labels)
			u.MemoryMB += mem
			u.CPUs += cpus
		}
		for _, v := range vs {
			use(userLabel(v.Labels)).Volumes++
		}
		ns, err := engine.ListNetworks(ctx, docker, "")
		if err != nil {
			return err
		}
		for _, n := range ns {
			if n.Labels[policy.LabelName] != policy.DefaultNetwork { // as quota.Used counts
				use(userLabel(n.Labels)).Networks++
			}
		}
		for k, n := range states {
			emit(containersDesc, float64(n), k.user, k.state)
		}
		for user, u := range used {
			emit(quotaUsedDesc, float64(u.Containers), user, "containers")
			emit(quotaUsedDesc, float64(u.MemoryMB), user, "memory_mb")
			emit(quotaUsedDesc, u.CPUs, user, "cpus")
			emit(quotaUsedDesc, float64(u.Volumes), user, "volumes")
			emit(quotaUsedDesc, float64(u.Networks), user, "networks")
		}
		return nil
	}, containersDesc, quotaUsedDesc)
}

// userLabel names an object's user as people know them: the username, or
// the owner id for an object made before usernames were stamped.
func userLabel(labels map[string]string) string {
	if u := labels[policy.LabelUsername]; u != "" {
		return u
	}
	return engine.OwnerOf(labels)
}
