// Package linktoken signs and verifies the short tokens that open a private
// web link. The gateway, which knows the caller's platform session, signs a
// token naming the caller and the one host it is good for; the proxy, which
// only shares a secret with the gateway, verifies it and keeps a longer-lived
// token of the same kind in a cookie scoped to that host.
//
// A token is "v2.<payload>.<mac>": payload is the base64url (no padding)
// JSON of the claims, mac is the base64url HMAC-SHA256 of "v2.<payload>"
// under the shared secret. Verification is constant-time and checks the
// token's kind, the host it is bound to (its audience) and its expiry.
// There are two kinds, never interchangeable: a ticket, which the gateway
// issues for one redirect, lives a minute and carries an id so the proxy
// can redeem it once; and a cookie, which the proxy issues for itself.
// Standard library only.
package linktoken

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// version prefixes every token, so a new format can be told apart.
const version = "v2"

// MaxLen bounds a token Verify will look at; real tokens are ~250 bytes.
const MaxLen = 2048

// MinSecretLen is the shortest secret Sign and Verify accept.
const MinSecretLen = 16

// Kind says what a token is for.
type Kind string

// Kinds of token.
const (
	// Ticket: the gateway's one-time pass, redeemed once by the proxy.
	Ticket Kind = "ticket"
	// Cookie: the proxy's own longer-lived token, kept in a host-only cookie.
	Cookie Kind = "cookie"
)

// Claims is what a token says: who (UserID, Role) may open which host
// (the audience) until when, as which kind of token. Host is a host name
// without port, lower case. ID is unique per ticket (single use).
type Claims struct {
	Kind   Kind
	ID     string
	Host   string
	UserID string
	Role   string
	Expiry time.Time
}

// wire is Claims on the wire (expiry as unix seconds).
type wire struct {
	Kind   Kind   `json:"k"`
	ID     string `json:"i,omitempty"`
	Host   string `json:"h"`
	UserID string `json:"u"`
	Role   string `json:"r,omitempty"`
	Exp    int64  `json:"e"`
}

// Errors Verify returns; every one means "refuse".
var (
	ErrSecret    = fmt.Errorf("link secret must be at least %d bytes", MinSecretLen)
	ErrMalformed = errors.New("link token is malformed")
	ErrSignature = errors.New("link token signature does not match")
	ErrHost      = errors.New("link token is for another host")
	ErrExpired   = errors.New("link token has expired")
	ErrKind      = errors.New("link token is of another kind")
)

var b64 = base64.RawURLEncoding

// NormalizeHost lower-cases h and drops a port and a trailing dot, the form
// Claims.Host is compared in.
func NormalizeHost(h string) string {
	if host, _, err := net.SplitHostPort(h); err == nil {
		h = host
	}
	return strings.TrimSuffix(strings.ToLower(h), ".")
}

// NewID returns a fresh random ticket id.
func NewID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Sign returns a token for c. It fails on a short secret or a claim without
// kind, host, user or expiry, or a ticket without id.
func Sign(secret []byte, c Claims) (string, error) {
	if len(secret) < MinSecretLen {
		return "", ErrSecret
	}
	host := NormalizeHost(c.Host)
	if host == "" || c.UserID == "" || c.Expiry.IsZero() || !validKind(c.Kind) || (c.Kind == Ticket && c.ID == "") {
		return "", errors.New("link token needs a kind, a host, a user id and an expiry (and a ticket an id)")
	}
	body, err := json.Marshal(wire{Kind: c.Kind, ID: c.ID, Host: host, UserID: c.UserID, Role: c.Role, Exp: c.Expiry.Unix()})
	if err != nil {
		return "", err
	}
	signed := version + "." + b64.EncodeToString(body)
	return signed + "." + b64.EncodeToString(mac(secret, signed)), nil
}

func validKind(k Kind) bool { return k == Ticket || k == Cookie }

// Verify checks token against secret and returns its claims when it is well
// formed, signed with secret, of kind, bound to host (compared after
// NormalizeHost) and not expired at now. On any error the claims are empty.
// A ticket's single use is the redeemer's to enforce (by Claims.ID).
func Verify(secret []byte, token string, kind Kind, host string, now time.Time) (Claims, error) {
	if len(secret) < MinSecretLen {
		return Claims{}, ErrSecret
	}
	if len(token) > MaxLen {
		return Claims{}, ErrMalformed
	}
	i := strings.LastIndexByte(token, '.')
	if i < 0 {
		return Claims{}, ErrMalformed
	}
	signed, sig := token[:i], token[i+1:]
	ver, payload, ok := strings.Cut(signed, ".")
	if !ok || ver != version || payload == "" {
		return Claims{}, ErrMalformed
	}
	got, err := b64.DecodeString(sig)
	if err != nil {
		return Claims{}, ErrMalformed
	}
	if !hmac.Equal(got, mac(secret, signed)) {
		return Claims{}, ErrSignature
	}
	body, err := b64.DecodeString(payload)
	if err != nil {
		return Claims{}, ErrMalformed
	}
	var w wire
	if err := json.Unmarshal(body, &w); err != nil || w.Host == "" || w.UserID == "" || w.Exp == 0 || !validKind(w.Kind) || (w.Kind == Ticket && w.ID == "") {
		return Claims{}, ErrMalformed
	}
	c := Claims{Kind: w.Kind, ID: w.ID, Host: w.Host, UserID: w.UserID, Role: w.Role, Expiry: time.Unix(w.Exp, 0)}
	if c.Kind != kind {
		return Claims{}, ErrKind
	}
	if want := NormalizeHost(host); want == "" || !hmac.Equal([]byte(c.Host), []byte(want)) {
		return Claims{}, ErrHost
	}
	if !now.Before(c.Expiry) {
		return Claims{}, ErrExpired
	}
	return c, nil
}

func mac(secret []byte, signed string) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(signed))
	return h.Sum(nil)
}
