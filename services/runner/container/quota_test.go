package container_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/subjects"
	"github.com/dockeronline/platform/services/runner/quota"
	"github.com/dockeronline/platform/services/runner/runnertest"
)

// TestConcurrentCreatesRespectTheQuota: with room for 3 containers, 8
// concurrent creates give exactly 3 containers and 5 quota refusals.
func TestConcurrentCreatesRespectTheQuota(t *testing.T) {
	h := setup(t, map[string]string{"RUNNER_QUOTA_CONTAINERS": "3"})
	u := runnertest.NewUser(t, h.cli, identity.RoleUser)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = call[msg.Container](h, u, subjects.ContainerCreate, msg.ContainerCreate{Spec: sleeper(fmt.Sprintf("c%d", i), h.image)})
		}()
	}
	wg.Wait()
	ok, refused := 0, 0
	for _, err := range errs {
		switch e := apierr.From(err); {
		case e == nil:
			ok++
		case e.Code == apierr.CodeQuota && e.Rule == quota.RuleQuota:
			refused++
		default:
			t.Errorf("unexpected error %v", err)
		}
	}
	list, _ := call[msg.ContainerList](h, u, subjects.ContainerList, msg.ContainerListRequest{})
	if ok != 3 || refused != 5 || len(list.Containers) != 3 {
		t.Fatalf("%d created, %d refused, %d exist; want 3, 5, 3", ok, refused, len(list.Containers))
	}
	usage, err := call[msg.Usage](h, u, subjects.UsageGet, msg.UsageRequest{})
	if err != nil || usage.Used.Containers != 3 || usage.Quota.Containers != 3 || usage.Used.MemoryMB != 3*256 {
		t.Fatalf("usage %+v, %v", usage, err)
	}
}

// TestQuotaIsAdminConfigurable: an admin raises a user's memory quota; the
// user cannot; a create above the quota is refused with the rule.
func TestQuotaIsAdminConfigurable(t *testing.T) {
	h := setup(t, map[string]string{"RUNNER_QUOTA_MEMORY_MB": "300"})
	u := runnertest.NewUser(t, h.cli, identity.RoleUser)
	admin := runnertest.NewUser(t, h.cli, identity.RoleAdmin)
	big := msg.ContainerSpec{Name: "big", Image: h.image, Cmd: []string{"sleep", "600"}, MemoryMB: 512}
	_, err := call[msg.Container](h, u, subjects.ContainerCreate, msg.ContainerCreate{Spec: big})
	if e := apierr.From(err); e == nil || e.Rule != quota.RuleQuota {
		t.Fatalf("512 MB with a 300 MB quota: %v", err)
	}
	mem := int64(1024)
	_, err = call[msg.Usage](h, u, subjects.QuotaSet, msg.QuotaSetRequest{UserID: u.UserID, MemoryMB: &mem})
	if e := apierr.From(err); e == nil || e.Code != apierr.CodeForbidden {
		t.Fatalf("user raised own quota: %v", err)
	}
	usage, err := call[msg.Usage](h, admin, subjects.QuotaSet, msg.QuotaSetRequest{UserID: u.UserID, MemoryMB: &mem})
	if err != nil || usage.Quota.MemoryMB != 1024 || usage.Quota.Containers != 20 {
		t.Fatalf("admin set: %+v %v", usage, err)
	}
	if _, err := call[msg.Container](h, u, subjects.ContainerCreate, msg.ContainerCreate{Spec: big}); err != nil {
		t.Fatalf("after raise: %v", err)
	}
}
