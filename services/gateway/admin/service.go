// Package admin is the gateway's admin API (/api/v1/admin/…, admin role
// required): users (list with usage, quota and Linux account state; add;
// disable and enable; role; quota; delete with its cascade), the audit log,
// and everyone's containers, volumes and images. go-kit layering: this file
// is the service, turning calls into commands on NATS; endpoint.go,
// transport_http.go and middleware.go wrap it.
//
// The gateway is the only service allowed to send commands, so it is the
// one that orchestrates what spans services. Each step is idempotent, and a
// failed cascade is finished by repeating the request.
package admin

import (
	"context"
	"sync"

	"github.com/nats-io/nats.go"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/subjects"
)

// User is a user as the admin API shows it.
type User struct {
	msg.User
	// Usage is the user's quota and what they use of it; absent when the
	// runner does not know the user yet or did not answer.
	Usage *msg.Usage `json:"usage,omitempty"`
	// LinuxAccount is the state of the user's account on the Docker host
	// ("unknown" when the provisioner did not answer or never heard of it).
	LinuxAccount LinuxAccount `json:"linux_account"`
}

// LinuxAccount is the provisioning state shown for a user.
type LinuxAccount struct {
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"`
}

// StateUnknown is the Linux account state when the provisioner cannot say.
const StateUnknown = "unknown"

// UserList is the reply of GET /admin/users.
type UserList struct {
	Users []User `json:"users"`
}

// Deleted is the reply of DELETE /admin/users/{id}.
type Deleted struct {
	msg.UserDeleteResult
	Purged msg.PurgeResult `json:"purged"`
}

// Disabled is the reply of POST /admin/users/{id}/disable.
type Disabled struct {
	User
	Stopped int `json:"stopped"`
}

// Service is the admin API.
type Service interface {
	ListUsers(ctx context.Context) (UserList, error)
	CreateUser(ctx context.Context, req msg.UserCreateRequest) (msg.User, error)
	DeleteUser(ctx context.Context, ref msg.UserRef) (Deleted, error)
	DisableUser(ctx context.Context, ref msg.UserRef) (Disabled, error)
	EnableUser(ctx context.Context, ref msg.UserRef) (msg.User, error)
	SetRole(ctx context.Context, req msg.UserRoleRequest) (msg.User, error)
	SetQuota(ctx context.Context, req msg.QuotaSetRequest) (msg.Usage, error)
	Audit(ctx context.Context, req msg.AuditListRequest) (msg.AuditList, error)
	Containers(ctx context.Context) (msg.ContainerList, error)
	Volumes(ctx context.Context) (msg.VolumeList, error)
	Images(ctx context.Context) (msg.ImageList, error)
	// RetryLinuxAccount runs a user's last provisioning operation again.
	RetryLinuxAccount(ctx context.Context, req msg.UserRef) (msg.LinuxAccount, error)
}

type service struct{ nc *nats.Conn }

// New returns the admin API sending commands on nc.
func New(nc *nats.Conn) Service { return &service{nc: nc} }

func auth[Resp any](ctx context.Context, nc *nats.Conn, op subjects.AuthOp, req any) (Resp, error) {
	return bus.Request[Resp](ctx, nc, subjects.AuthRequestSubject(op), req)
}

func runner[Resp any](ctx context.Context, nc *nats.Conn, op subjects.RunnerOp, req any) (Resp, error) {
	return bus.Request[Resp](ctx, nc, subjects.RunnerRequestSubject(op), req)
}

func isCode(err error, code apierr.Code) bool {
	e := apierr.From(err)
	return e != nil && e.Code == code
}

// ListUsers asks auth for the users and, at the same time, the runner for
// usage and the provisioner for Linux accounts; only auth must answer.
func (s *service) ListUsers(ctx context.Context) (UserList, error) {
	var (
		wg       sync.WaitGroup
		usage    msg.UsageList
		usageErr error
		prov     msg.ProvisionStatus
		provErr  error
	)
	wg.Add(2)
	go func() {
		defer wg.Done()
		usage, usageErr = runner[msg.UsageList](ctx, s.nc, subjects.UsageGet, msg.UsageRequest{All: true})
	}()
	go func() {
		defer wg.Done()
		prov, provErr = bus.Request[msg.ProvisionStatus](ctx, s.nc, subjects.ProvisionerStatus, msg.ProvisionStatusRequest{All: true})
	}()
	users, err := auth[msg.UserList](ctx, s.nc, subjects.UserList, msg.Empty{})
	wg.Wait()
	if err != nil {
		return UserList{}, err
	}
	byUser := map[string]*msg.Usage{}
	if usageErr == nil {
		for i := range usage.Users {
			byUser[usage.Users[i].UserID] = &usage.Users[i]
		}
	}
	accounts := map[string]msg.LinuxAccount{}
	if provErr == nil {
		for _, a := range prov.Accounts {
			accounts[a.UserID] = a
		}
	}
	out := UserList{Users: make([]User, 0, len(users.Users))}
	for _, u := range users.Users {
		v := User{User: u, Usage: byUser[u.ID], LinuxAccount: LinuxAccount{State: StateUnknown}}
		if a, ok := accounts[u.ID]; ok {
			v.LinuxAccount = LinuxAccount{State: string(a.State), Reason: a.Reason}
		}
		out.Users = append(out.Users, v)
	}
	return out, nil
}

func (s *service) CreateUser(ctx context.Context, req msg.UserCreateRequest) (msg.User, error) {
	return auth[msg.User](ctx, s.nc, subjects.UserCreate, req)
}

// DeleteUser runs the cascade: disable (sessions refused, no new objects),
// purge every Docker object of the owner label (containers, stacks,
// volumes, networks, images; the proxy drops the links as the containers
// go), then delete in auth (Kratos identity, evt.user.deleted for the
// provisioner, the row). A failure stops the cascade with the user
// disabled; repeating the request finishes it.
func (s *service) DeleteUser(ctx context.Context, ref msg.UserRef) (Deleted, error) {
	if _, err := auth[msg.User](ctx, s.nc, subjects.UserDisable, ref); err != nil && !isCode(err, apierr.CodeNotFound) {
		// not_found: deleted by an earlier attempt (or never existed, which
		// the last step tells); anything else stops here.
		return Deleted{}, err
	}
	purged, err := runner[msg.PurgeResult](ctx, s.nc, subjects.UserPurge, ref)
	if err != nil {
		return Deleted{}, err
	}
	res, err := auth[msg.UserDeleteResult](ctx, s.nc, subjects.UserDelete, ref)
	if err != nil {
		return Deleted{}, err
	}
	return Deleted{UserDeleteResult: res, Purged: purged}, nil
}

// DisableUser refuses the user's sessions, then stops their containers.
func (s *service) DisableUser(ctx context.Context, ref msg.UserRef) (Disabled, error) {
	u, err := auth[msg.User](ctx, s.nc, subjects.UserDisable, ref)
	if err != nil {
		return Disabled{}, err
	}
	paused, err := runner[msg.PauseResult](ctx, s.nc, subjects.UserPause, ref)
	if err != nil {
		return Disabled{}, err
	}
	return Disabled{User: User{User: u, LinuxAccount: LinuxAccount{State: StateUnknown}}, Stopped: paused.Stopped}, nil
}

func (s *service) EnableUser(ctx context.Context, ref msg.UserRef) (msg.User, error) {
	return auth[msg.User](ctx, s.nc, subjects.UserEnable, ref)
}

func (s *service) SetRole(ctx context.Context, req msg.UserRoleRequest) (msg.User, error) {
	return auth[msg.User](ctx, s.nc, subjects.UserSetRole, req)
}

func (s *service) SetQuota(ctx context.Context, req msg.QuotaSetRequest) (msg.Usage, error) {
	return runner[msg.Usage](ctx, s.nc, subjects.QuotaSet, req)
}

func (s *service) Audit(ctx context.Context, req msg.AuditListRequest) (msg.AuditList, error) {
	return auth[msg.AuditList](ctx, s.nc, subjects.AuditList, req)
}

func (s *service) Containers(ctx context.Context) (msg.ContainerList, error) {
	return runner[msg.ContainerList](ctx, s.nc, subjects.ContainerList, msg.ContainerListRequest{All: true})
}

func (s *service) Volumes(ctx context.Context) (msg.VolumeList, error) {
	return runner[msg.VolumeList](ctx, s.nc, subjects.VolumeList, msg.VolumeListRequest{All: true})
}

func (s *service) Images(ctx context.Context) (msg.ImageList, error) {
	return runner[msg.ImageList](ctx, s.nc, subjects.ImageList, msg.ImageListRequest{All: true})
}

func (s *service) RetryLinuxAccount(ctx context.Context, req msg.UserRef) (msg.LinuxAccount, error) {
	return bus.Request[msg.LinuxAccount](ctx, s.nc, subjects.ProvisionerRetry, msg.ProvisionRetryRequest{UserID: req.UserID})
}
