package testenv

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
)

// TestKratosRegistration proves the project's Kratos config works end to end:
// API registration returns a session token (the `session` hook), the token
// authenticates /sessions/whoami, and the username is a login identifier.
func TestKratosRegistration(t *testing.T) {
	k := StartKratos(t, Postgres(t))

	var reg struct {
		SessionToken string `json:"session_token"`
		Identity     struct {
			ID     string            `json:"id"`
			Traits map[string]string `json:"traits"`
		} `json:"identity"`
	}
	flow := startFlow(t, k, "registration")
	post(t, k.PublicURL+"/self-service/registration?flow="+flow, map[string]any{
		"method":   "password",
		"password": "correct-horse-battery",
		"traits":   map[string]string{"email": "alice@example.com", "username": "alice"},
	}, &reg)
	if reg.SessionToken == "" {
		t.Fatal("registration returned no session token")
	}

	req, _ := http.NewRequest("GET", k.PublicURL+"/sessions/whoami", nil)
	req.Header.Set("X-Session-Token", reg.SessionToken)
	var who struct {
		Active   bool `json:"active"`
		Identity struct {
			ID string `json:"id"`
		} `json:"identity"`
	}
	do(t, req, &who)
	if !who.Active || who.Identity.ID != reg.Identity.ID {
		t.Fatalf("whoami = %+v, want active session of %s", who, reg.Identity.ID)
	}

	var login struct {
		SessionToken string `json:"session_token"`
	}
	flow = startFlow(t, k, "login")
	post(t, k.PublicURL+"/self-service/login?flow="+flow, map[string]any{
		"method": "password", "identifier": "alice", "password": "correct-horse-battery",
	}, &login)
	if login.SessionToken == "" {
		t.Fatal("login by username returned no session token")
	}
}

// TestKratosRejectsBadUsername checks the identity schema's username rule.
func TestKratosRejectsBadUsername(t *testing.T) {
	k := StartKratos(t, Postgres(t), WithDevMode())
	flow := startFlow(t, k, "registration")
	body, _ := json.Marshal(map[string]any{
		"method": "password", "password": "correct-horse-battery",
		"traits": map[string]string{"email": "bob@example.com", "username": "Bob Smith"},
	})
	resp, err := http.Post(k.PublicURL+"/self-service/registration?flow="+flow, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("status %d, want 400 for an invalid username", resp.StatusCode)
	}
}

// startFlow begins an API self-service flow and returns its id.
func startFlow(t *testing.T, k *Kratos, kind string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", k.PublicURL+"/self-service/"+kind+"/api", nil)
	var flow struct {
		ID string `json:"id"`
	}
	do(t, req, &flow)
	return flow.ID
}

func post(t *testing.T, url string, body, into any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", url, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	do(t, req, into)
}

func do(t *testing.T, req *http.Request, into any) {
	t.Helper()
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil {
		t.Fatalf("%s %s: %d, undecodable body: %v", req.Method, req.URL, resp.StatusCode, err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %d %s", req.Method, req.URL, resp.StatusCode, raw)
	}
	if err := json.Unmarshal(raw, into); err != nil {
		t.Fatal(err)
	}
}

// TestKratosVerifyAddresses: an address marked verified through the admin
// API shows as verified in the owner's session (what auth reads).
func TestKratosVerifyAddresses(t *testing.T) {
	k := StartKratos(t, Postgres(t), WithDevMode())
	var reg struct {
		SessionToken string `json:"session_token"`
		Identity     struct {
			ID string `json:"id"`
		} `json:"identity"`
	}
	flow := startFlow(t, k, "registration")
	post(t, k.PublicURL+"/self-service/registration?flow="+flow, map[string]any{
		"method": "password", "password": "correct-horse-battery",
		"traits": map[string]string{"email": "vera@example.com", "username": "vera"},
	}, &reg)
	who := func() bool {
		req, _ := http.NewRequest("GET", k.PublicURL+"/sessions/whoami", nil)
		req.Header.Set("X-Session-Token", reg.SessionToken)
		var s struct {
			Identity struct {
				Addresses []struct {
					Value    string `json:"value"`
					Verified bool   `json:"verified"`
				} `json:"verifiable_addresses"`
			} `json:"identity"`
		}
		do(t, req, &s)
		return len(s.Identity.Addresses) == 1 && s.Identity.Addresses[0].Value == "vera@example.com" && s.Identity.Addresses[0].Verified
	}
	if who() {
		t.Fatal("a new address is verified before anyone verified it")
	}
	if err := k.VerifyAddresses(reg.Identity.ID); err != nil {
		t.Fatal(err)
	}
	if !who() {
		t.Fatal("the address is not verified in the session after VerifyAddresses")
	}
}
