package harness

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
)

// User is a registered platform user with an API session token.
type User struct {
	Name  string
	Email string
	Token string
	ID    string // the platform's user id: the owner label on their objects
}

// Password is every test user's password.
func Password(username string) string { return "correct horse battery " + username }

// SignUp registers username through Kratos' API flow (which calls auth's
// registration hook, as in production) and returns the session token and
// identity id. It does not touch the gateway.
func (p *Platform) SignUp(username string) (User, error) {
	u := User{Name: username, Email: username + "@example.test"}
	var flow struct {
		ID string `json:"id"`
	}
	r := p.do(p.Kratos.PublicURL+"/self-service/registration/api", "", "", http.MethodGet, nil, nil, 0)
	if err := decode(r, &flow); err != nil {
		return u, fmt.Errorf("registration flow: %w", err)
	}
	var reg struct {
		SessionToken string `json:"session_token"`
		Identity     struct {
			ID string `json:"id"`
		} `json:"identity"`
	}
	body := map[string]any{"method": "password", "password": Password(username),
		"traits": map[string]string{"email": u.Email, "username": username}}
	r = p.do(p.Kratos.PublicURL+"/self-service/registration?flow="+flow.ID, "", "", http.MethodPost, body, nil, 0)
	if err := decode(r, &reg); err != nil {
		return u, fmt.Errorf("register %s: %w", username, err)
	}
	if reg.SessionToken == "" {
		return u, fmt.Errorf("register %s: no session token: %s", username, r)
	}
	u.Token, u.ID = reg.SessionToken, reg.Identity.ID
	return u, nil
}

// Register signs username up and makes the platform know them (GET /me,
// which creates the user in auth and announces evt.user.created). Their
// Docker objects are removed when t ends.
func (p *Platform) Register(t testing.TB, username string) User {
	t.Helper()
	u, err := p.TryRegister(t, username)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TryRegister is Register returning its error instead of failing the test,
// for goroutines (which must not call t.Fatal).
func (p *Platform) TryRegister(t testing.TB, username string) (User, error) {
	u, err := p.SignUp(username)
	if err != nil {
		return u, err
	}
	if username == p.Admin {
		if err := p.Kratos.VerifyAddresses(u.ID); err != nil {
			return u, err
		}
	}
	t.Cleanup(func() { p.RemoveOwned(t, u.ID) })
	p.mu.Lock()
	p.users[u.ID] = u
	p.mu.Unlock()
	r := p.Do(u.Token, http.MethodGet, "/api/v1/me", nil, nil, 0)
	var me struct {
		UserID string `json:"user_id"`
	}
	if err := decode(r, &me); err != nil {
		return u, fmt.Errorf("GET /me as %s: %w", username, err)
	}
	if me.UserID != u.ID {
		return u, fmt.Errorf("GET /me as %s: user id %q, Kratos identity %q", username, me.UserID, u.ID)
	}
	return u, nil
}

// RegisterAdmin registers the bootstrap admin (BOOTSTRAP_ADMIN is its
// e-mail) and verifies its address, as its owner would, before its first
// call: only a verified address makes an admin.
func (p *Platform) RegisterAdmin(t testing.TB) User {
	t.Helper()
	u := p.Register(t, p.Admin)
	var me struct {
		Role string `json:"role"`
	}
	p.Call(t, u.Token, http.MethodGet, "/api/v1/me", nil).JSON(t, &me)
	if me.Role != "admin" {
		t.Fatalf("bootstrap admin %s has role %q", p.Admin, me.Role)
	}
	return u
}

// UniqueName is a fresh valid username: prefix and 8 hex digits.
func UniqueName(prefix string) string { return prefix + RandomHex(4) }

func decode(r Response, v any) error {
	if r.Err != nil {
		return r.Err
	}
	if r.Status/100 != 2 {
		return fmt.Errorf("%s", r)
	}
	return json.Unmarshal(r.Body, v)
}

// Known reports whether id is a user registered through this platform.
func (p *Platform) Known(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.users[id]
	return ok
}
