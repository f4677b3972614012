package web

import (
	"context"
	"time"

	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/subjects"
)

// Side panels of the dashboard and the run form are optional: a service
// that is not deployed or slow leaves its panel saying so, and never fails
// the page. Usage and the Linux account are asked on the bus with the
// caller's identity, as the API's /me does (api.Service.Me needs authn's
// session in the context, which only authn can put there), because the
// dashboard tells "the provisioner did not answer" from "no account yet".
const sideTimeout = 2 * time.Second

func sideRequest[Resp any](ctx context.Context, h *Handler, subject string, req any) (Resp, bool) {
	ctx, cancel := context.WithTimeout(ctx, sideTimeout)
	defer cancel()
	r, err := bus.Request[Resp](ctx, h.nc, subject, req)
	if err != nil {
		h.log.Debug("web: side request failed", "subject", subject, "err", err)
		return r, false
	}
	return r, true
}

// usage is the caller's quota and use, if the runner serves it.
func (h *Handler) usage(ctx context.Context) (*msg.Usage, bool) {
	u, ok := sideRequest[msg.Usage](ctx, h, subjects.RunnerRequestSubject(subjects.UsageGet), msg.UsageRequest{})
	return &u, ok
}

// linuxAccount is the caller's Linux account, if the provisioner knows it.
func (h *Handler) linuxAccount(ctx context.Context, userID string) (*msg.LinuxAccount, bool) {
	st, ok := sideRequest[msg.ProvisionStatus](ctx, h, subjects.ProvisionerStatus, msg.ProvisionStatusRequest{UserIDs: []string{userID}})
	if !ok {
		return nil, false
	}
	for _, a := range st.Accounts {
		if a.UserID == userID {
			return &a, true
		}
	}
	return nil, true // asked, and not known yet: pending
}

// networks are the caller's network names, if the runner lists them.
func (h *Handler) networks(ctx context.Context) []string {
	ctx, cancel := context.WithTimeout(ctx, sideTimeout)
	defer cancel()
	nl, err := h.api.ListNetworks(ctx, msg.NetworkListRequest{})
	if err != nil {
		return nil
	}
	out := make([]string, 0, len(nl.Networks))
	for _, n := range nl.Networks {
		out = append(out, n.Name)
	}
	return out
}

// volumes are the caller's volumes, if the runner lists them.
func (h *Handler) volumes(ctx context.Context) ([]msg.Volume, bool) {
	ctx, cancel := context.WithTimeout(ctx, sideTimeout)
	defer cancel()
	vl, err := h.api.ListVolumes(ctx, msg.VolumeListRequest{})
	return vl.Volumes, err == nil
}
