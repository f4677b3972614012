package web

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	ory "github.com/ory/kratos-client-go"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/config"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/services/gateway/admin"
)

// A registration flow as Kratos v1.3 sends it (trimmed to what matters).
const registrationJSON = `{"action":"http://gw.example/.ory/kratos/public/self-service/registration?flow=f1","method":"POST",
"messages":[{"id":4000007,"text":"An account with the same identifier (email, phone, username, ...) exists already.","type":"error"}],
"nodes":[
 {"type":"input","group":"default","attributes":{"name":"csrf_token","type":"hidden","value":"tok123","required":true,"disabled":false,"node_type":"input"},"messages":[],"meta":{}},
 {"type":"input","group":"default","attributes":{"name":"traits.email","type":"email","value":"ada@example.test","required":true,"autocomplete":"email","disabled":false,"node_type":"input"},"messages":[],"meta":{"label":{"id":1070002,"text":"E-mail","type":"info"}}},
 {"type":"input","group":"default","attributes":{"name":"traits.username","type":"text","value":"Ada","required":true,"disabled":false,"node_type":"input"},"messages":[{"id":4000001,"text":"does not match pattern \"^[a-z][a-z0-9-]{2,30}$\"","type":"error"}],"meta":{"label":{"id":1070002,"text":"Username","type":"info"}}},
 {"type":"input","group":"password","attributes":{"name":"password","type":"password","required":true,"autocomplete":"new-password","disabled":false,"node_type":"input"},"messages":[],"meta":{"label":{"id":1070001,"text":"Password","type":"info"}}},
 {"type":"input","group":"password","attributes":{"name":"method","type":"submit","value":"password","disabled":false,"node_type":"input"},"messages":[],"meta":{"label":{"id":1040001,"text":"Sign up","type":"info"}}}
]}`

func TestKratosNodesBecomeForms(t *testing.T) {
	var ui ory.UiContainer
	if err := json.Unmarshal([]byte(registrationJSON), &ui); err != nil {
		t.Fatal(err)
	}
	fs := forms(ui)
	if len(fs) != 1 {
		t.Fatalf("%d forms, want 1 (one method)", len(fs))
	}
	f := fs[0]
	if f.Action != ui.Action || f.Group != "password" || len(f.Hidden) != 1 || f.Hidden[0].Value != "tok123" {
		t.Errorf("form %+v", f)
	}
	if len(f.Submit) != 1 || f.Submit[0].Label != "Sign up" || f.Submit[0].Value != "password" {
		t.Errorf("submit %+v", f.Submit)
	}
	var names []string
	for _, fv := range f.Fields {
		names = append(names, fv.Name)
	}
	if strings.Join(names, ",") != "traits.email,traits.username,password" {
		t.Errorf("fields %v", names)
	}
	user := f.Fields[1]
	if user.Pattern != usernamePattern || user.Hint == "" || len(user.Messages) != 1 || user.Value != "Ada" {
		t.Errorf("username field %+v", user)
	}
	if pw := f.Fields[2]; pw.MinLength != 8 || pw.Value != "" {
		t.Errorf("password field %+v", pw)
	}

	// Settings: one form per method, each with the CSRF token.
	ui.Nodes = append(ui.Nodes, ory.UiNode{Type: "input", Group: "profile", Attributes: ory.UiNodeAttributes{
		UiNodeInputAttributes: &ory.UiNodeInputAttributes{Name: "method", Type: "submit", Value: "profile", NodeType: "input"}}})
	fs = forms(ui)
	if len(fs) != 2 || fs[0].Group != "password" || fs[1].Group != "profile" || len(fs[1].Hidden) != 1 {
		t.Errorf("settings forms %+v", fs)
	}
}

// TestUsernamePatternMirrorsNames: the HTML pattern accepts exactly what
// pkg/names accepts (reserved names aside, which need the server).
func TestPatternsMirrorNames(t *testing.T) {
	user := regexp.MustCompile("^(?:" + strings.ReplaceAll(usernamePattern, "(?=[a-z0-9])", "") + ")$")
	obj := regexp.MustCompile("^(?:" + strings.ReplaceAll(objectPattern, "(?=[a-z0-9])", "") + ")$")
	// Go's regexp has no lookahead; check the lookahead's job by hand.
	lookahead := func(s string) bool { return !strings.Contains(s, "--") && !strings.HasSuffix(s, "-") }
	tests := []struct {
		s          string
		user, name bool
	}{
		{"alice", true, true},
		{"a-b-c", true, true},
		{"ab", false, true},
		{"1web", false, true},
		{"Alice", false, false},
		{"web--x", false, false},
		{"web-", false, false},
		{"a_b", false, false},
		{strings.Repeat("a", 24), true, true},
		{strings.Repeat("a", 25), true, false},
		{strings.Repeat("a", 31), true, false},
		{strings.Repeat("a", 32), false, false},
	}
	for _, tt := range tests {
		if got := user.MatchString(tt.s) && lookahead(tt.s); got != tt.user {
			t.Errorf("username %q: pattern says %v, want %v", tt.s, got, tt.user)
		}
		if got := obj.MatchString(tt.s) && lookahead(tt.s); got != tt.name {
			t.Errorf("object %q: pattern says %v, want %v", tt.s, got, tt.name)
		}
	}
}

func TestLinks(t *testing.T) {
	c := Config{AppsDomain: "apps.localhost", AppsURLTemplate: "http://{host}:8000/"}
	ct := msg.Container{Name: "web", Username: "ada", State: "running",
		Ports: []msg.PortSpec{{Container: 8080}, {Container: 53, Protocol: "udp"}, {Container: 80}}}
	got := c.links(ct)
	want := []Link{{URL: "http://web--ada.apps.localhost:8000/", Port: 80}, {URL: "http://web-8080--ada.apps.localhost:8000/", Port: 8080}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("links %+v, want %+v", got, want)
	}
	ct.State = "exited"
	if l := c.links(ct); l != nil {
		t.Errorf("a stopped container has links %+v", l)
	}
}

func TestConfig(t *testing.T) {
	tests := []struct {
		env      map[string]string
		template string
		wantErr  bool
	}{
		{map[string]string{}, "http://{host}:8000/", false},
		{map[string]string{"APPS_PORT": "80"}, "http://{host}/", false},
		{map[string]string{"APPS_URL_TEMPLATE": "https://{host}/"}, "https://{host}/", false},
		{map[string]string{"APPS_URL_TEMPLATE": "https://apps.example/"}, "", true},
		{map[string]string{"APPS_PORT": "0"}, "", true},
		{map[string]string{"WEB_SECRET": "short"}, "", true},
	}
	for _, tt := range tests {
		c, err := LoadConfig(configFrom(tt.env))
		if (err != nil) != tt.wantErr {
			t.Errorf("%v: error %v", tt.env, err)
			continue
		}
		if err == nil && (c.AppsURLTemplate != tt.template || len(c.Secret) < MinSecretLen) {
			t.Errorf("%v: template %q, secret %d bytes", tt.env, c.AppsURLTemplate, len(c.Secret))
		}
	}
}

// TestPagesRender renders every page with realistic data, as a signed-in
// user, and checks what each must show.
func TestPagesRender(t *testing.T) {
	h := testHandler(t)
	v := viewer{cookie: "sess"}
	v.UserID, v.Username, v.Role = "u1", "ada", identity.RoleAdmin
	now := time.Now()
	running := msg.Container{Name: "web", Username: "ada", Owner: "u1", Image: "busybox", State: "running", Status: "Up 2 minutes",
		Created: now.Add(-3 * time.Minute), Ports: []msg.PortSpec{{Container: 80}}, Cmd: []string{"httpd", "-f"}, Labels: map[string]string{"team": "blue"}}
	stopped := msg.Container{Name: "job", Username: "ada", Image: "busybox", State: "exited", Status: "Exited (0)", Created: now.Add(-48 * time.Hour)}
	rows := rowsView{Rows: []containerRow{{Container: running, Links: h.cfg.links(running)}, {Container: stopped}}}
	docker := &apierr.Error{Code: apierr.CodeInvalid, Message: `image "nope:1" is not on this host and could not be pulled`, Docker: "pull access denied for nope"}
	var ui ory.UiContainer
	if err := json.Unmarshal([]byte(registrationJSON), &ui); err != nil {
		t.Fatal(err)
	}
	usage := &msg.Usage{Quota: msg.Quota{Containers: 10, MemoryMB: 2048, CPUs: 2, Volumes: 5}, Used: msg.Quota{Containers: 2, MemoryMB: 512, CPUs: 1, Volumes: 1}}
	last := now.Add(-time.Hour)

	tests := []struct {
		page  string
		data  any
		wants []string
	}{
		{"dashboard", dashboardView{Username: "ada", Rows: rows, Running: 1, Stopped: 1, Usage: usage, Accounts: true,
			Account: &msg.LinuxAccount{State: msg.ProvisionReady, Username: "ada"}},
			[]string{"Hello, ada", "http://web--ada.apps.localhost:8000/", `data-state="running"`, "512 MB / 2048 MB", "exists on the Docker host"}},
		{"dashboard", dashboardView{Rows: rowsView{}}, []string{"No containers yet", "Quotas are not reported", "not available right now"}},
		{"containers", rowsView{Err: &apierr.Error{Message: "runner down"}}, []string{"could not be listed", "runner down"}},
		{"container", containerView{Panel: panelView{C: running, Links: h.cfg.links(running), CSRF: "tok", Err: &apierr.Error{Code: apierr.CodePolicy, Message: "refused", Rule: "no-privileged"}, Rule: ruleWords("no-privileged")}, Fragment: "/fragments/containers/web", LogsURL: "/api/v1/containers/web/logs?follow=true"},
			[]string{"Open terminal", `action="/containers/web/stop"`, `data-confirm="Stop container web?`, "no-privileged", "they would control the host", `data-logs="/api/v1/containers/web/logs?follow=true"`, `name="_csrf" value="tok"`}},
		{"run", runView{V: runValues{Name: "Bad_Name", Image: "busybox"}, NamePattern: objectPattern, NameMax: 24,
			Errs: fieldErrors{"name": {Message: "bad name", Rule: "name-charset", Words: ruleWords("name-charset")}}},
			[]string{`id="name-error" aria-live="polite">bad name`, "name-charset", `value="Bad_Name"`, `aria-invalid="true"`, "Please check the highlighted field."}},
		{"run", runView{V: runValues{Name: "x1", Image: "nope:1"}, Err: docker}, []string{"could not be pulled", `<pre class="docker">pull access denied for nope</pre>`}},
		{"confirm", confirmView{Question: "Delete container web?", Action: "/containers/web/remove", Button: "Delete web", Cancel: "/containers/web", Hidden: map[string]string{"confirmed": "yes", CSRFField: "tok"}},
			[]string{"Delete container web?", `name="confirmed" value="yes"`, "Delete web"}},
		{"error", errorView{Status: 404, Err: &apierr.Error{Code: apierr.CodeNotFound, Message: "container \"x\" not found"}}, []string{"404", "not found"}},
		{"flow", flowView{Kind: "registration", Title: "Create your account", Messages: texts(ui.Messages), Forms: forms(ui)},
			[]string{`action="http://gw.example/.ory/kratos/public/self-service/registration?flow=f1"`, `name="csrf_token" value="tok123"`, "exists already", "does not match pattern", `pattern="` + usernamePattern[:8], "Already have an account?"}},
		{"stacks", stacksView{NamePattern: objectPattern, NameMax: 24, V: stackValues{Name: "plex", Compose: "services: {}"},
			Vars:   stackVarsView{Listed: true, Vars: []stackVar{{Name: "PLEX_MEDIA_PATH", Required: true, Used: "services.plex.volumes"}, {Name: "TZ", Value: "Etc/UTC", Default: "Etc/UTC", Used: "services.plex.environment"}}},
			Stacks: []msg.Stack{{Name: "wordpress-mysql", Status: "running", Renamed: []msg.StackRename{{Kind: "service", From: "wordpress", To: "ada--wordpress-mysq-3f2a-wordpress"}}}}},
			[]string{`name="var.PLEX_MEDIA_PATH"`, `required data-invalid-message="PLEX_MEDIA_PATH must be set."`, `name="var.TZ" value="Etc/UTC"`, "services.plex.volumes", `formaction="/stacks/variables" formnovalidate`,
				`data-rename="service"`, "ada--wordpress-mysq-3f2a-wordpress"}},
		{"stacks", stacksView{Vars: stackVarsView{Listed: true}}, []string{"The compose file uses no variables."}},
		{"admin", adminUsersView{Tab: "users", Available: true, Me: "u1", Users: []admin.User{
			{User: msg.User{ID: "u1", Username: "ada", Role: identity.RoleAdmin, Bootstrap: true}},
			{User: msg.User{ID: "u2", Username: "bob", Email: "bob@example.test", Role: identity.RoleUser, LastLogin: &last}, Usage: usage, LinuxAccount: admin.LinuxAccount{State: "failed", Reason: "useradd: exit 9"}}}},
			[]string{`action="/admin/users/u2/delete"`, `data-confirm="Delete user bob?`, "useradd: exit 9", "2 / 10 containers", "last sign-in 1 hour ago"}},
		{"admin_containers", adminContainersView{Tab: "containers", Rows: rowsView{Owner: true, Rows: rows.Rows}}, []string{"?owner=u1", `data-refresh="/fragments/containers?all=1"`}},
		{"admin_audit", adminAuditView{Tab: "audit", Available: true, Records: []msg.AuditRecord{{Time: now, Username: "ada", Action: "POST /run", Target: "name=web", Status: 303}}, Older: "/admin/audit?before=9"},
			[]string{"POST /run", "name=web", "Older actions"}},
	}
	for _, tt := range tests {
		t.Run(tt.page, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "http://gw.example/", nil).WithContext(withViewer(t.Context(), v))
			rec := httptest.NewRecorder()
			h.render(rec, http.StatusOK, tt.page, h.page(rec, req, "Title", "", tt.data))
			body := rec.Body.String()
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d:\n%s", rec.Code, body)
			}
			for _, w := range tt.wants {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			if !strings.Contains(body, `<form method="post" action="/logout"`) || !strings.Contains(body, `href="/admin"`) {
				t.Error("a signed-in admin's page lacks the sign-out form or the admin link")
			}
		})
	}
}

func configFrom(m map[string]string) *config.Env { return config.FromMap(m) }
