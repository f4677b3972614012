package app

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/dockeronline/platform/pkg/metrics"
	"github.com/dockeronline/platform/pkg/metrics/metricstest"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/testenv"
	"github.com/dockeronline/platform/services/provisioner/store"
)

// The backlog is the accounts pending or failed in the store, whatever the
// others are (ready, removed, recorded while disabled).
func TestBacklogCountsPendingAndFailedAccounts(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, testenv.Postgres(t))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	reg := metrics.NewRegistry("provisioner")
	reg.MustRegister(backlogCollector(st))
	srv := httptest.NewServer(reg.Handler())
	defer srv.Close()

	backlog := func() float64 {
		t.Helper()
		v, ok := metricstest.Scrape(t, srv.URL).Sum("dockeronline_provision_backlog", nil)
		if !ok {
			t.Fatal("dockeronline_provision_backlog is not served")
		}
		return v
	}
	if got := backlog(); got != 0 {
		t.Fatalf("empty store: backlog %v, want 0", got)
	}

	states := []struct {
		state     msg.ProvisionState
		n         int
		inBacklog bool
	}{
		{msg.ProvisionPending, 3, true},
		{msg.ProvisionFailed, 2, true},
		{msg.ProvisionReady, 4, false},
		{msg.ProvisionRemoved, 1, false},
		{msg.ProvisionDisabled, 2, false},
	}
	want := 0
	for _, s := range states {
		for i := range s.n {
			id := fmt.Sprintf("%s-%d", s.state, i)
			if _, err := st.Record(ctx, "user-"+id, "u"+id, msg.ProvisionCreate, "evt-"+id, s.state, "test"); err != nil {
				t.Fatal(err)
			}
		}
		if s.inBacklog {
			want += s.n
		}
	}
	// A fresh collector: the first one keeps its read for its TTL.
	reg = metrics.NewRegistry("provisioner")
	reg.MustRegister(backlogCollector(st))
	srv2 := httptest.NewServer(reg.Handler())
	defer srv2.Close()
	got, _ := metricstest.Scrape(t, srv2.URL).Sum("dockeronline_provision_backlog", nil)
	if got != float64(want) {
		t.Errorf("backlog %v, want %d (pending + failed)", got, want)
	}
}
