package web

import (
	"net/http"
	"sync"

	"github.com/dockeronline/platform/pkg/msg"
)

// dashboardView is the home page: containers at a glance, usage against
// quota, volumes, and the Linux account.
type dashboardView struct {
	Rows     rowsView
	Running  int
	Stopped  int
	Usage    *msg.Usage // nil: the runner does not report usage
	Account  *msg.LinuxAccount
	Accounts bool // the provisioner answered (Account nil = not created yet)
	Volumes  []msg.Volume
	HasVols  bool // the runner lists volumes
	Username string
}

func (h *Handler) dashboard(w http.ResponseWriter, r *http.Request) {
	h.render(w, http.StatusOK, "dashboard", h.page(w, r, "Dashboard", "dashboard", h.dashboardData(r)))
}

// dashboardFragment is the figures alone, refreshed live with the list.
func (h *Handler) dashboardFragment(w http.ResponseWriter, r *http.Request) {
	h.fragment(w, "dashboard", "dashboard_stats", h.dashboardData(r))
}

// dashboardData asks the runner, the provisioner and the volume list at
// the same time; each may be missing.
func (h *Handler) dashboardData(r *http.Request) dashboardView {
	v, _ := viewerFrom(r.Context())
	ctx := r.Context()
	d := dashboardView{Username: v.Username}
	var wg sync.WaitGroup
	wg.Go(func() { d.Rows = h.rows(ctx, false) })
	wg.Go(func() {
		if u, ok := h.usage(ctx); ok {
			d.Usage = u
		}
	})
	wg.Go(func() { d.Account, d.Accounts = h.linuxAccount(ctx, v.UserID) })
	wg.Go(func() { d.Volumes, d.HasVols = h.volumes(ctx) })
	wg.Wait()
	for _, c := range d.Rows.Rows {
		if c.State == "running" {
			d.Running++
		} else {
			d.Stopped++
		}
	}
	return d
}
