package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dockeronline/platform/e2e/stack"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/subjects"
	"github.com/dockeronline/platform/services/gateway/admin"
	"github.com/dockeronline/platform/services/runner/policy"
)

type adminUser struct {
	ID           string     `json:"id"`
	Username     string     `json:"username"`
	Role         string     `json:"role"`
	Disabled     bool       `json:"disabled"`
	LastLogin    *time.Time `json:"last_login"`
	Bootstrap    bool       `json:"bootstrap"`
	LinuxAccount struct {
		State string `json:"state"`
	} `json:"linux_account"`
	Usage *struct {
		Quota struct {
			Containers int `json:"containers"`
		} `json:"quota"`
	} `json:"usage"`
}

func listUsers(t *testing.T, s *stack.Stack, token string) map[string]adminUser {
	t.Helper()
	r := s.Call(t, token, http.MethodGet, "/api/v1/admin/users", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("list users: %d %s", r.Status, r.Body)
	}
	var l struct {
		Users []adminUser `json:"users"`
	}
	r.JSON(t, &l)
	out := map[string]adminUser{}
	for _, u := range l.Users {
		out[u.ID] = u
	}
	return out
}

// TestAdminRoutesRefuseNonAdmins walks every admin route (admin.Table, so
// a new route is covered without editing this test): without a session it
// is 401, as a signed-in user 403, and the refused calls change nothing.
func TestAdminRoutesRefuseNonAdmins(t *testing.T) {
	s := stack.StartAccounts(t)
	adm := s.RegisterAdmin(t)
	u := s.Register(t, stack.UniqueName("mallory"))
	victim := s.Register(t, stack.UniqueName("victim"))
	s.Call(t, victim.Token, http.MethodGet, "/api/v1/me", nil)
	s.Call(t, u.Token, http.MethodGet, "/api/v1/me", nil)

	// Bodies that would succeed for an admin: the refusal is the role's.
	bodies := map[string]any{
		"POST /users":           map[string]any{"username": stack.UniqueName("sneaky"), "email": "sneaky@example.test", "password": "long enough password"},
		"PUT /users/{id}/role":  map[string]any{"role": "admin"},
		"PUT /users/{id}/quota": map[string]any{"containers": 99},
	}
	table := admin.Table()
	if len(table) < 11 {
		t.Fatalf("admin.Table has %d routes; the admin API has at least 11", len(table))
	}
	for _, rt := range table {
		for _, target := range []stack.User{u, victim} {
			path := "/api/v1/admin" + strings.ReplaceAll(rt.Pattern, "{id}", target.UserID)
			body := bodies[rt.Method+" "+rt.Pattern]
			t.Run(rt.Method+" "+rt.Pattern+" on "+target.Username, func(t *testing.T) {
				if r := s.Call(t, "", rt.Method, path, body); r.Status != http.StatusUnauthorized {
					t.Errorf("no session: %d %s, want 401", r.Status, r.Body)
				}
				r := s.Call(t, u.Token, rt.Method, path, body)
				if r.Status != http.StatusForbidden {
					t.Fatalf("as a user: %d %s, want 403", r.Status, r.Body)
				}
				if e := r.Err(t); e.Code != "forbidden" || !strings.Contains(e.Message, "admin") {
					t.Errorf("refusal %+v", e)
				}
			})
		}
	}
	// Nothing changed: the user is still a user, the victim still there.
	users := listUsers(t, s, adm.Token)
	if got := users[u.UserID]; got.Role != "user" || got.Disabled {
		t.Errorf("mallory after the refusals: %+v", got)
	}
	if got, ok := users[victim.UserID]; !ok || got.Disabled {
		t.Errorf("victim after the refusals: %+v (listed %v)", got, ok)
	}
	if len(users) != 3 {
		t.Errorf("users %+v, want the three registered", users)
	}
}

// TestDeleteUserCascade: an admin adds a user, who signs in and makes
// containers, a volume and thus a network; deleting the user removes every
// Docker object with their owner label, the identity (no sign-in, token
// refused), the row, and publishes evt.user.deleted once; a retry
// succeeds; the audit log shows it. Admins cannot delete themselves or
// the bootstrap admin.
func TestDeleteUserCascade(t *testing.T) {
	s := stack.StartAccounts(t)
	adm := s.RegisterAdmin(t)
	name := stack.UniqueName("doomed")
	password := "a long password for " + name

	r := s.Call(t, adm.Token, http.MethodPost, "/api/v1/admin/users", map[string]any{"username": name, "email": name + "@example.test", "password": password})
	if r.Status != http.StatusCreated {
		t.Fatalf("add user: %d %s", r.Status, r.Body)
	}
	var created adminUser
	r.JSON(t, &created)
	t.Cleanup(func() { assertNothingOwned(t, s.Docker, created.ID) })
	if created.Username != name || created.Role != "user" || created.ID == "" {
		t.Fatalf("created %+v", created)
	}
	// Adding the same user again is a conflict only if it is another user.
	if r := s.Call(t, adm.Token, http.MethodPost, "/api/v1/admin/users", map[string]any{"username": name, "email": "other@example.test", "password": password}); r.Status != http.StatusConflict {
		t.Errorf("duplicate username: %d %s, want 409", r.Status, r.Body)
	}
	if r := s.Call(t, adm.Token, http.MethodPost, "/api/v1/admin/users", map[string]any{"username": "root", "email": "r@example.test", "password": password}); r.Status != http.StatusBadRequest || r.Err(t).Rule != "username-reserved" {
		t.Errorf("reserved username: %d %s, want 400 username-reserved", r.Status, r.Body)
	}

	status, token := apiLogin(t, s, name, password)
	if status != http.StatusOK {
		t.Fatalf("the added user cannot sign in: %d", status)
	}
	for _, c := range []map[string]any{
		{"name": "web", "image": s.Image, "cmd": []string{"sleep", "600"}, "volumes": []map[string]any{{"volume": "data", "target": "/data"}}},
		{"name": "idle", "image": s.Image, "cmd": []string{"sleep", "600"}},
	} {
		if r := s.Call(t, token, http.MethodPost, "/api/v1/containers", c); r.Status != http.StatusCreated {
			t.Fatalf("create %v: %d %s", c["name"], r.Status, r.Body)
		}
	}
	if r := s.Call(t, token, http.MethodPost, "/api/v1/containers/idle/stop", nil); r.Status != http.StatusOK {
		t.Fatalf("stop: %d %s", r.Status, r.Body)
	}
	if n := ownedObjects(t, s.Docker, created.ID); n < 4 {
		t.Fatalf("only %d owned Docker objects before the delete; want 2 containers, a volume, a network", n)
	}

	// Guards: not yourself, not the bootstrap admin (even by another admin).
	if r := s.Call(t, adm.Token, http.MethodDelete, "/api/v1/admin/users/"+adm.UserID, nil); r.Status != http.StatusForbidden || r.Err(t).Rule != "not-yourself" {
		t.Errorf("delete yourself: %d %s", r.Status, r.Body)
	}
	second := s.Register(t, stack.UniqueName("second"))
	s.Call(t, second.Token, http.MethodGet, "/api/v1/me", nil)
	if r := s.Call(t, adm.Token, http.MethodPut, "/api/v1/admin/users/"+second.UserID+"/role", map[string]any{"role": "admin"}); r.Status != http.StatusOK {
		t.Fatalf("promote: %d %s", r.Status, r.Body)
	}
	if r := s.Call(t, second.Token, http.MethodDelete, "/api/v1/admin/users/"+adm.UserID, nil); r.Status != http.StatusForbidden || r.Err(t).Rule != "bootstrap-admin" {
		t.Errorf("delete the bootstrap admin: %d %s", r.Status, r.Body)
	}

	r = s.Call(t, adm.Token, http.MethodDelete, "/api/v1/admin/users/"+created.ID, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	var del struct {
		Username string          `json:"username"`
		Purged   msg.PurgeResult `json:"purged"`
	}
	r.JSON(t, &del)
	if del.Username != name || del.Purged.Containers != 2 || del.Purged.Volumes < 1 || del.Purged.Networks < 1 {
		t.Errorf("delete result %s", r.Body)
	}
	if n := ownedObjects(t, s.Docker, created.ID); n != 0 {
		t.Fatalf("%d Docker objects with the owner label survive the delete", n)
	}
	if r := s.Call(t, token, http.MethodGet, "/api/v1/me", nil); r.Status != http.StatusUnauthorized {
		t.Errorf("deleted user's token: %d, want 401", r.Status)
	}
	if status, _ := apiLogin(t, s, name, password); status != http.StatusBadRequest {
		t.Errorf("deleted user signs in: %d", status)
	}
	if _, listed := listUsers(t, s, adm.Token)[created.ID]; listed {
		t.Error("deleted user still listed")
	}
	// A retry finishes (nothing to do) and says so.
	r = s.Call(t, adm.Token, http.MethodDelete, "/api/v1/admin/users/"+created.ID, nil)
	if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"already_gone":true`) {
		t.Errorf("retried delete: %d %s", r.Status, r.Body)
	}
	if n := deletedEvents(t, s.NATSURL, created.ID); n != 1 {
		t.Errorf("%d evt.user.deleted events for the user, want exactly 1", n)
	}
	if r := s.Call(t, adm.Token, http.MethodDelete, "/api/v1/admin/users/no-such-user", nil); r.Status != http.StatusNotFound {
		t.Errorf("delete unknown: %d %s", r.Status, r.Body)
	}

	rec := waitAudit(t, s, adm.Token, "DELETE /api/v1/admin/users/{id}", created.ID)
	if rec.Username != s.Admin || rec.Role != "admin" || rec.Status != http.StatusOK || rec.TraceID == "" || !strings.Contains(rec.Target, "user="+name) {
		t.Errorf("audit record %+v", rec)
	}
	refused := waitAudit(t, s, adm.Token, "DELETE /api/v1/admin/users/{id}", adm.UserID)
	if refused.Status != http.StatusForbidden || refused.ErrorCode != "policy_violation" {
		t.Errorf("refused delete audited as %+v", refused)
	}
}

// TestDisableUser: disabling refuses the user's token at the very next
// request (even one cached a moment ago), stops their containers and
// refuses sign-in; enabling lets them in again.
func TestDisableUser(t *testing.T) {
	s := stack.StartAccounts(t)
	adm := s.RegisterAdmin(t)
	u := s.Register(t, stack.UniqueName("paused"))
	if r := s.Call(t, u.Token, http.MethodPost, "/api/v1/containers", map[string]any{"name": "web", "image": s.Image, "cmd": []string{"sleep", "600"}}); r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	if r := s.Call(t, u.Token, http.MethodGet, "/api/v1/me", nil); r.Status != http.StatusOK {
		t.Fatalf("me: %d", r.Status)
	}

	r := s.Call(t, adm.Token, http.MethodPost, "/api/v1/admin/users/"+u.UserID+"/disable", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("disable: %d %s", r.Status, r.Body)
	}
	var d struct {
		Disabled bool `json:"disabled"`
		Stopped  int  `json:"stopped"`
	}
	r.JSON(t, &d)
	if !d.Disabled || d.Stopped != 1 {
		t.Errorf("disable result %s", r.Body)
	}
	if r := s.Call(t, u.Token, http.MethodGet, "/api/v1/me", nil); r.Status != http.StatusUnauthorized && r.Status != http.StatusForbidden {
		t.Fatalf("disabled user's next request: %d %s", r.Status, r.Body)
	}
	cs, err := s.Docker.ContainerList(context.Background(), client.ContainerListOptions{All: true,
		Filters: make(client.Filters).Add("label", policy.LabelOwner+"="+u.UserID)})
	if err != nil || len(cs.Items) != 1 || cs.Items[0].State == "running" {
		t.Fatalf("containers after disable: %+v %v", cs.Items, err)
	}
	if status, _ := apiLogin(t, s, u.Username, "correct horse battery "+u.Username); status == http.StatusOK {
		t.Fatal("a disabled user signed in")
	}
	if got := listUsers(t, s, adm.Token)[u.UserID]; !got.Disabled || got.LinuxAccount.State != admin.StateUnknown || got.LastLogin == nil {
		t.Errorf("listed as %+v", got)
	}
	// Disabling again is harmless; yourself is refused.
	if r := s.Call(t, adm.Token, http.MethodPost, "/api/v1/admin/users/"+u.UserID+"/disable", nil); r.Status != http.StatusOK {
		t.Errorf("disable again: %d %s", r.Status, r.Body)
	}
	if r := s.Call(t, adm.Token, http.MethodPost, "/api/v1/admin/users/"+adm.UserID+"/disable", nil); r.Status != http.StatusForbidden {
		t.Errorf("disable yourself: %d %s", r.Status, r.Body)
	}

	if r := s.Call(t, adm.Token, http.MethodPost, "/api/v1/admin/users/"+u.UserID+"/enable", nil); r.Status != http.StatusOK {
		t.Fatalf("enable: %d %s", r.Status, r.Body)
	}
	status, token := apiLogin(t, s, u.Username, "correct horse battery "+u.Username)
	if status != http.StatusOK {
		t.Fatalf("enabled user cannot sign in: %d", status)
	}
	if r := s.Call(t, token, http.MethodGet, "/api/v1/me", nil); r.Status != http.StatusOK {
		t.Fatalf("enabled user's new session: %d %s", r.Status, r.Body)
	}
}

// TestRolesAndQuota: an admin promotes a user, who can then use the admin
// API, and demotes them again; demoting yourself is refused; a quota change
// reaches the runner.
func TestRolesAndQuota(t *testing.T) {
	s := stack.StartAccounts(t)
	adm := s.RegisterAdmin(t)
	u := s.Register(t, stack.UniqueName("carol"))
	s.Call(t, u.Token, http.MethodGet, "/api/v1/me", nil)

	tests := []struct {
		role      string
		adminCode int
	}{{"admin", http.StatusOK}, {"user", http.StatusForbidden}}
	for _, tt := range tests {
		if r := s.Call(t, adm.Token, http.MethodPut, "/api/v1/admin/users/"+u.UserID+"/role", map[string]any{"role": tt.role}); r.Status != http.StatusOK {
			t.Fatalf("set role %s: %d %s", tt.role, r.Status, r.Body)
		}
		var me struct {
			Role string `json:"role"`
		}
		s.Call(t, u.Token, http.MethodGet, "/api/v1/me", nil).JSON(t, &me)
		if me.Role != tt.role {
			t.Errorf("role %q after setting %q", me.Role, tt.role)
		}
		if r := s.Call(t, u.Token, http.MethodGet, "/api/v1/admin/users", nil); r.Status != tt.adminCode {
			t.Errorf("as %s: admin list %d, want %d", tt.role, r.Status, tt.adminCode)
		}
	}
	if r := s.Call(t, adm.Token, http.MethodPut, "/api/v1/admin/users/"+adm.UserID+"/role", map[string]any{"role": "user"}); r.Status != http.StatusForbidden {
		t.Errorf("demote yourself: %d %s", r.Status, r.Body)
	}
	if r := s.Call(t, adm.Token, http.MethodPut, "/api/v1/admin/users/"+u.UserID+"/role", map[string]any{"role": "root"}); r.Status != http.StatusBadRequest {
		t.Errorf("bad role: %d %s", r.Status, r.Body)
	}
	if r := s.Call(t, adm.Token, http.MethodPut, "/api/v1/admin/users/"+u.UserID+"/role", map[string]any{"rol": "admin"}); r.Status != http.StatusBadRequest {
		t.Errorf("typo field: %d %s", r.Status, r.Body)
	}

	r := s.Call(t, adm.Token, http.MethodPut, "/api/v1/admin/users/"+u.UserID+"/quota", map[string]any{"containers": 1})
	if r.Status != http.StatusOK {
		t.Fatalf("set quota: %d %s", r.Status, r.Body)
	}
	var usage msg.Usage
	r.JSON(t, &usage)
	if usage.Quota.Containers != 1 {
		t.Errorf("usage after quota change %+v", usage)
	}
}

type auditRecord = msg.AuditRecord

// waitAudit polls the audit log for action on a path containing needle.
func waitAudit(t *testing.T, s *stack.Stack, token, action, needle string) auditRecord {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := s.Call(t, token, http.MethodGet, "/api/v1/admin/audit?limit=200", nil)
		if r.Status != http.StatusOK {
			t.Fatalf("audit: %d %s", r.Status, r.Body)
		}
		var l msg.AuditList
		r.JSON(t, &l)
		for _, rec := range l.Records {
			if rec.Action == action && strings.Contains(rec.Path, needle) {
				return rec
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no audit record %s on %s in %s", action, needle, r.Body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// ownedObjects counts Docker objects with owner's label.
func ownedObjects(t *testing.T, cli *client.Client, owner string) int {
	t.Helper()
	ctx := context.Background()
	f := make(client.Filters).Add("label", policy.LabelOwner+"="+owner)
	cs, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		t.Fatal(err)
	}
	vs, err := cli.VolumeList(ctx, client.VolumeListOptions{Filters: f})
	if err != nil {
		t.Fatal(err)
	}
	ns, err := cli.NetworkList(ctx, client.NetworkListOptions{Filters: f})
	if err != nil {
		t.Fatal(err)
	}
	is, err := cli.ImageList(ctx, client.ImageListOptions{All: true, Filters: f})
	if err != nil {
		t.Fatal(err)
	}
	return len(cs.Items) + len(vs.Items) + len(ns.Items) + len(is.Items)
}

// assertNothingOwned fails the test if owner still has Docker objects.
func assertNothingOwned(t *testing.T, cli *client.Client, owner string) {
	if ownedObjects(t, cli, owner) > 0 {
		t.Errorf("Docker objects of %s left behind", owner)
	}
}

// deletedEvents counts evt.user.deleted events about userID in the stream.
func deletedEvents(t *testing.T, natsURL, userID string) int {
	t.Helper()
	nc, err := nats.Connect(natsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cons, err := js.OrderedConsumer(ctx, subjects.EventsStream, jetstream.OrderedConsumerConfig{FilterSubjects: []string{subjects.UserDeleted}})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		batch, err := cons.FetchNoWait(100)
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for m := range batch.Messages() {
			got++
			var ev msg.UserEvent
			if json.Unmarshal(m.Data(), &ev) == nil && ev.UserID == userID {
				n++
			}
		}
		if got == 0 {
			return n
		}
	}
}
