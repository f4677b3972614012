package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dockeronline/platform/e2e/stack"
)

// kratosPath is where the gateway serves Kratos' public API.
const kratosPath = "/.ory/kratos/public"

// uiNode is the part of a Kratos flow node the tests read.
type uiNode struct {
	Attributes struct {
		Name  string `json:"name"`
		Value any    `json:"value"`
	} `json:"attributes"`
	Messages []uiMessage `json:"messages"`
}

type uiMessage struct {
	ID   int    `json:"id"`
	Text string `json:"text"`
	Type string `json:"type"`
}

type flow struct {
	ID string `json:"id"`
	UI struct {
		Action   string      `json:"action"`
		Nodes    []uiNode    `json:"nodes"`
		Messages []uiMessage `json:"messages"`
	} `json:"ui"`
}

func (f flow) value(name string) string {
	for _, n := range f.UI.Nodes {
		if n.Attributes.Name == name {
			s, _ := n.Attributes.Value.(string)
			return s
		}
	}
	return ""
}

// messages are the texts Kratos put next to field name ("" = the form's own).
func (f flow) messages(name string) []string {
	var out []string
	src := f.UI.Messages
	if name != "" {
		src = nil
		for _, n := range f.UI.Nodes {
			if n.Attributes.Name == name {
				src = append(src, n.Messages...)
			}
		}
	}
	for _, m := range src {
		out = append(out, m.Text)
	}
	return out
}

// cookieClient is a cookie-keeping client on the gateway's origin, asking for
// JSON like the UI's scripts do. It never follows redirects, so each
// answer can be checked.
type cookieClient struct {
	t   *testing.T
	c   *http.Client
	gw  string
	jar *cookiejar.Jar
}

func newCookieClient(t *testing.T, gw string) *cookieClient {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &cookieClient{t: t, gw: gw, jar: jar, c: &http.Client{Jar: jar, Timeout: time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *cookieClient) do(method, u string, body any) (*http.Response, []byte) {
	b.t.Helper()
	if strings.HasPrefix(u, "/") {
		u = b.gw + u
	}
	var rd io.Reader
	if body != nil {
		j, err := json.Marshal(body)
		if err != nil {
			b.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, u, err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return res, data
}

// start begins a browser flow (registration, login, settings).
func (b *cookieClient) start(kind string) flow {
	b.t.Helper()
	res, data := b.do(http.MethodGet, kratosPath+"/self-service/"+kind+"/browser", nil)
	if res.StatusCode != http.StatusOK {
		b.t.Fatalf("start %s flow: %d %s", kind, res.StatusCode, data)
	}
	var f flow
	if err := json.Unmarshal(data, &f); err != nil {
		b.t.Fatal(err)
	}
	if f.value("csrf_token") == "" {
		b.t.Fatalf("%s flow has no csrf_token node: %s", kind, data)
	}
	if !strings.HasPrefix(f.UI.Action, b.gw+kratosPath+"/") {
		b.t.Fatalf("%s flow posts to %s, not through the gateway %s", kind, f.UI.Action, b.gw)
	}
	return f
}

// submit posts body to the flow (with its CSRF token unless omitted).
func (b *cookieClient) submit(f flow, body map[string]any, withCSRF bool) (*http.Response, flow) {
	b.t.Helper()
	if withCSRF {
		body["csrf_token"] = f.value("csrf_token")
	}
	res, data := b.do(http.MethodPost, f.UI.Action, body)
	var out flow
	_ = json.Unmarshal(data, &out)
	if res.StatusCode >= 400 && res.StatusCode != http.StatusBadRequest {
		b.t.Logf("%s: %d %s", f.UI.Action, res.StatusCode, data)
	}
	return res, out
}

func (b *cookieClient) me() (int, string) {
	b.t.Helper()
	res, data := b.do(http.MethodGet, "/api/v1/me", nil)
	var me struct {
		Username string `json:"username"`
	}
	_ = json.Unmarshal(data, &me)
	return res.StatusCode, me.Username
}

func sessionCookie(t *testing.T, res *http.Response) string {
	t.Helper()
	for _, c := range res.Header.Values("Set-Cookie") {
		if strings.HasPrefix(c, "ory_kratos_session=") {
			return c
		}
	}
	t.Fatalf("no session cookie set; headers %v", res.Header)
	return ""
}

// TestBrowserFlows: registration, whoami, logout, login, password change
// and logout again, through the gateway's origin with cookies and CSRF
// tokens, as a browser does; a POST without the CSRF token is refused.
func TestBrowserFlows(t *testing.T) {
	s := stack.StartAccounts(t)
	b := newCookieClient(t, s.GatewayURL)
	name := stack.UniqueName("bro")
	pw, newPW := "first password "+name, "second password "+name

	if code, _ := b.me(); code != http.StatusUnauthorized {
		t.Fatalf("me before registration: %d, want 401", code)
	}

	reg := b.start("registration")
	traits := map[string]any{"username": name, "email": name + "@example.test"}
	// CSRF: the same submission without the token is refused, no session.
	if res, _ := b.submit(reg, map[string]any{"method": "password", "password": pw, "traits": traits}, false); res.StatusCode != http.StatusForbidden {
		t.Fatalf("registration without csrf_token: %d, want 403", res.StatusCode)
	}
	if code, _ := b.me(); code != http.StatusUnauthorized {
		t.Fatalf("a refused registration signed in: %d", code)
	}
	reg = b.start("registration")
	res, _ := b.submit(reg, map[string]any{"method": "password", "password": pw, "traits": traits}, true)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("registration: %d", res.StatusCode)
	}
	cookie := strings.ToLower(sessionCookie(t, res))
	for _, flag := range []string{"httponly", "samesite=lax", "path=/"} {
		if !strings.Contains(cookie, flag) {
			t.Errorf("session cookie %q lacks %s", cookie, flag)
		}
	}
	if code, who := b.me(); code != http.StatusOK || who != name {
		t.Fatalf("me after registration: %d %q", code, who)
	}

	logout := func() {
		t.Helper()
		res, data := b.do(http.MethodGet, kratosPath+"/self-service/logout/browser", nil)
		var l struct {
			LogoutURL string `json:"logout_url"`
		}
		if err := json.Unmarshal(data, &l); err != nil || res.StatusCode != http.StatusOK || !strings.HasPrefix(l.LogoutURL, s.GatewayURL+kratosPath+"/") {
			t.Fatalf("logout flow: %d %s", res.StatusCode, data)
		}
		if res, data := b.do(http.MethodGet, l.LogoutURL, nil); res.StatusCode/100 != 2 && res.StatusCode/100 != 3 {
			t.Fatalf("logout: %d %s", res.StatusCode, data)
		}
		if code, _ := b.me(); code != http.StatusUnauthorized {
			t.Fatalf("me after logout: %d, want 401", code)
		}
	}
	login := func(password string, want int) flow {
		t.Helper()
		f := b.start("login")
		res, out := b.submit(f, map[string]any{"method": "password", "identifier": name, "password": password}, true)
		if res.StatusCode != want {
			t.Fatalf("login: %d, want %d (%v)", res.StatusCode, want, out.messages(""))
		}
		return out
	}

	logout()
	login(pw, http.StatusOK)
	if code, who := b.me(); code != http.StatusOK || who != name {
		t.Fatalf("me after login: %d %q", code, who)
	}

	// Password change through the settings flow.
	set := b.start("settings")
	if res, out := b.submit(set, map[string]any{"method": "password", "password": newPW}, true); res.StatusCode != http.StatusOK {
		t.Fatalf("password change: %d %v", res.StatusCode, out.messages(""))
	}
	// The username cannot be changed: the profile method is off.
	set = b.start("settings")
	if res, _ := b.submit(set, map[string]any{"method": "profile", "traits": map[string]any{"username": name + "x", "email": name + "@example.test"}}, true); res.StatusCode == http.StatusOK {
		t.Errorf("a trait change was accepted")
	}
	if _, who := b.me(); who != name {
		t.Errorf("username changed to %q", who)
	}

	logout()
	out := login(pw, http.StatusBadRequest)
	if len(out.messages("")) == 0 {
		t.Errorf("wrong password refused without Kratos' message")
	}
	login(newPW, http.StatusOK)
	if code, _ := b.me(); code != http.StatusOK {
		t.Fatalf("me with the new password: %d", code)
	}
}

// TestRegistrationRefusesBadUsernames: Kratos refuses each bad username at
// registration (API flow) with a message on the username field that says
// which rule it broke; a good one is accepted.
func TestRegistrationRefusesBadUsernames(t *testing.T) {
	s := stack.StartAccounts(t)
	tests := []struct {
		username string
		want     string // in the field's message
	}{
		{"root", "username-reserved"},
		{"admin", "username-reserved"},
		{"docker", "username-reserved"},
		{"library", "username-reserved"}, // "library/busybox" is Docker's busybox
		{"moby", "username-reserved"},
		{"registry", "username-reserved"},
		{"localhost", "username-reserved"}, // read as a registry host
		{"www-data", "username-reserved"},
		{"systemd-network", "username-reserved"},
		{"nobody", "username-reserved"},
		{"postgres", "username-reserved"},
		{"a--b", "name-separator"},
		{"abc-", "name-charset"},
		{"Bad", "pattern"},
		{"9lives", "pattern"},
		{"ab", ">= 3"},
		{strings.Repeat("a", 32), "<= 31"},
	}
	for _, tt := range tests {
		t.Run(tt.username, func(t *testing.T) {
			status, f := apiRegister(t, s, tt.username)
			if status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400", status)
			}
			msgs := f.messages("traits.username")
			if len(msgs) == 0 || !strings.Contains(strings.Join(msgs, " | "), tt.want) {
				t.Fatalf("username messages %q, want one naming %q (form: %q)", msgs, tt.want, f.messages(""))
			}
		})
	}
	if status, f := apiRegister(t, s, stack.UniqueName("good")); status != http.StatusOK {
		t.Fatalf("a valid username was refused: %d %q %q", status, f.messages("traits.username"), f.messages(""))
	}
}

// apiRegister runs Kratos' API registration flow through the gateway.
func apiRegister(t *testing.T, s *stack.Stack, username string) (int, flow) {
	t.Helper()
	var f flow
	s.Call(t, "", http.MethodGet, kratosPath+"/self-service/registration/api", nil).JSON(t, &f)
	body := map[string]any{"method": "password", "password": "a fine password for " + username,
		"traits": map[string]string{"username": username, "email": url.PathEscape(username) + "@example.test"}}
	r := s.Call(t, "", http.MethodPost, kratosPath+"/self-service/registration?flow="+f.ID, body)
	var out flow
	_ = json.Unmarshal(r.Body, &out)
	return r.Status, out
}

// apiLogin signs in through the gateway with Kratos' API flow and returns
// the status and the session token.
func apiLogin(t *testing.T, s *stack.Stack, identifier, password string) (int, string) {
	t.Helper()
	var f flow
	s.Call(t, "", http.MethodGet, kratosPath+"/self-service/login/api", nil).JSON(t, &f)
	r := s.Call(t, "", http.MethodPost, kratosPath+"/self-service/login?flow="+f.ID,
		map[string]any{"method": "password", "identifier": identifier, "password": password})
	var out struct {
		SessionToken string `json:"session_token"`
	}
	_ = json.Unmarshal(r.Body, &out)
	return r.Status, out.SessionToken
}

// TestLoginLockout: after repeated wrong passwords the gateway refuses
// sign-ins of that account from that address, even with the right
// password, with 429 and Retry-After; another account is not affected.
func TestLoginLockout(t *testing.T) {
	s := stack.StartAccounts(t)
	victim := s.Register(t, stack.UniqueName("lock"))
	other := s.Register(t, stack.UniqueName("free"))
	password := func(u stack.User) string { return "correct horse battery " + u.Username }

	if status, tok := apiLogin(t, s, victim.Username, password(victim)); status != http.StatusOK || tok == "" {
		t.Fatalf("API login: %d", status)
	}
	for i := 0; i < 5; i++ {
		if status, _ := apiLogin(t, s, victim.Username, "wrong password"); status != http.StatusBadRequest {
			t.Fatalf("wrong password %d: %d, want 400", i+1, status)
		}
	}
	var f flow
	s.Call(t, "", http.MethodGet, kratosPath+"/self-service/login/api", nil).JSON(t, &f)
	r := s.Call(t, "", http.MethodPost, kratosPath+"/self-service/login?flow="+f.ID,
		map[string]any{"method": "password", "identifier": victim.Username, "password": password(victim)})
	if r.Status != http.StatusTooManyRequests {
		t.Fatalf("right password while locked out: %d %s, want 429", r.Status, r.Body)
	}
	if e := r.Err(t); e.Code != "too_many_attempts" || e.Message == "" {
		t.Errorf("lockout error %+v", e)
	}
	// The e-mail is a different identifier but the same account: counted
	// separately, so the lockout is per identifier typed.
	if status, tok := apiLogin(t, s, other.Username, password(other)); status != http.StatusOK || tok == "" {
		t.Fatalf("another account is locked out too: %d", status)
	}
	// The existing session is untouched.
	if r := s.Call(t, victim.Token, http.MethodGet, "/api/v1/me", nil); r.Status != http.StatusOK {
		t.Fatalf("the victim's session stopped working: %d", r.Status)
	}
}
