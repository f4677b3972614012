package linktoken

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var (
	secret = []byte("0123456789abcdef0123456789abcdef")
	now    = time.Unix(1_800_000_000, 0)
)

func sign(t testing.TB, c Claims) string {
	t.Helper()
	tok, err := Sign(secret, c)
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	return tok
}

func TestRoundTrip(t *testing.T) {
	tok := sign(t, Claims{Kind: Ticket, ID: "t1", Host: "Web--Alice.apps.localhost:8000", UserID: "u-1", Role: "user", Expiry: now.Add(time.Minute)})
	if !strings.HasPrefix(tok, "v2.") {
		t.Fatalf("token %q has no version prefix", tok)
	}
	c, err := Verify(secret, tok, Ticket, "web--alice.apps.localhost", now)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if c.Host != "web--alice.apps.localhost" || c.UserID != "u-1" || c.Role != "user" || !c.Expiry.Equal(now.Add(time.Minute)) {
		t.Fatalf("claims = %+v", c)
	}
	// The host is compared after normalisation: port, case, trailing dot.
	if _, err := Verify(secret, tok, Ticket, "WEB--alice.apps.localhost.:443", now); err != nil {
		t.Fatalf("verify normalised host: %v", err)
	}
}

func TestRefusals(t *testing.T) {
	good := sign(t, Claims{Kind: Ticket, ID: "t1", Host: "web--alice.apps.localhost", UserID: "u-1", Expiry: now.Add(time.Minute)})
	other := []byte("another-secret-another-secret!!")
	payload := strings.Split(good, ".")[1]
	forged := sign(t, Claims{Kind: Ticket, ID: "t1", Host: "web--alice.apps.localhost", UserID: "u-admin", Role: "admin", Expiry: now.Add(time.Hour)})
	forgedPayload := strings.Split(forged, ".")[1]
	goodSig := strings.Split(good, ".")[2]

	cases := []struct {
		name   string
		secret []byte
		token  string
		kind   Kind
		host   string
		now    time.Time
		want   error
	}{
		{"a cookie is not a ticket", secret, good, Cookie, "web--alice.apps.localhost", now, ErrKind},
		{"other host", secret, good, Ticket, "web--bob.apps.localhost", now, ErrHost},
		{"suffix host", secret, good, Ticket, "x.web--alice.apps.localhost", now, ErrHost},
		{"empty host", secret, good, Ticket, "", now, ErrHost},
		{"expired", secret, good, Ticket, "web--alice.apps.localhost", now.Add(time.Minute), ErrExpired},
		{"other secret", other, good, Ticket, "web--alice.apps.localhost", now, ErrSignature},
		{"short secret", []byte("short"), good, Ticket, "web--alice.apps.localhost", now, ErrSecret},
		{"swapped payload", secret, "v2." + forgedPayload + "." + goodSig, Ticket, "web--alice.apps.localhost", now, ErrSignature},
		{"no signature", secret, "v2." + payload, Ticket, "web--alice.apps.localhost", now, ErrMalformed},
		{"empty signature", secret, "v2." + payload + ".", Ticket, "web--alice.apps.localhost", now, ErrSignature},
		{"wrong version", secret, "v1." + payload + "." + goodSig, Ticket, "web--alice.apps.localhost", now, ErrMalformed},
		{"empty", secret, "", Ticket, "web--alice.apps.localhost", now, ErrMalformed},
		{"garbage", secret, "not a token", Ticket, "web--alice.apps.localhost", now, ErrMalformed},
		{"huge", secret, strings.Repeat("a", MaxLen+1), Ticket, "web--alice.apps.localhost", now, ErrMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Verify(tc.secret, tc.token, tc.kind, tc.host, tc.now)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if c != (Claims{}) {
				t.Fatalf("claims returned with an error: %+v", c)
			}
		})
	}
}

func TestSignRefusesIncompleteClaims(t *testing.T) {
	for _, c := range []Claims{
		{Kind: Cookie, UserID: "u", Expiry: now},
		{Kind: Cookie, Host: "h", Expiry: now},
		{Kind: Cookie, Host: "h", UserID: "u"},
		{Host: "h", UserID: "u", Expiry: now},
		{Kind: "other", Host: "h", UserID: "u", Expiry: now},
		{Kind: Ticket, Host: "h", UserID: "u", Expiry: now},
	} {
		if _, err := Sign(secret, c); err == nil {
			t.Fatalf("Sign(%+v) succeeded", c)
		}
	}
	if _, err := Sign([]byte("short"), Claims{Kind: Ticket, ID: "t1", Host: "h", UserID: "u", Expiry: now}); !errors.Is(err, ErrSecret) {
		t.Fatalf("short secret: %v", err)
	}
}

// A signed payload that is not valid claims is refused even with a good MAC.
func TestSignedGarbageIsMalformed(t *testing.T) {
	for _, body := range []string{"e30", "bm90IGpzb24", "!!"} { // {}, "not json", bad base64
		signed := "v2." + body
		tok := signed + "." + b64.EncodeToString(mac(secret, signed))
		if _, err := Verify(secret, tok, Ticket, "h", now); !errors.Is(err, ErrMalformed) {
			t.Fatalf("%s: err = %v, want ErrMalformed", body, err)
		}
	}
}

// FuzzVerify: Verify never panics, and anything it accepts was signed with the
// secret for that host and is unexpired. Run: go test -fuzz FuzzVerify ./linktoken
func FuzzVerify(f *testing.F) {
	f.Add(sign(f, Claims{Kind: Ticket, ID: "t1", Host: "web--alice.apps.localhost", UserID: "u-1", Role: "admin", Expiry: now.Add(time.Hour)}), "web--alice.apps.localhost")
	f.Add("v1..", "h")
	f.Add("v1.e30.", "")
	f.Add("...", "a:b")
	f.Fuzz(func(t *testing.T, token, host string) {
		c, err := Verify(secret, token, Ticket, host, now)
		if err != nil {
			return
		}
		if c.Host != NormalizeHost(host) || c.UserID == "" || c.Kind != Ticket || c.ID == "" || !now.Before(c.Expiry) {
			t.Fatalf("accepted bad claims %+v for host %q", c, host)
		}
		// Re-signing the accepted claims verifies too (the format round-trips).
		again, err := Sign(secret, c)
		if err != nil {
			t.Fatalf("re-sign accepted claims: %v", err)
		}
		if _, err := Verify(secret, again, Ticket, host, now); err != nil {
			t.Fatalf("re-signed token refused: %v", err)
		}
	})
}
