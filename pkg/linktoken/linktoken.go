// Package linktoken signs and verifies the short tokens that open a private
// web link. The gateway, which knows the caller's platform session, signs a
// token naming the caller and the one host it is good for; the proxy, which
// only shares a secret with the gateway, verifies it and keeps a longer-lived
// token of the same kind in a cookie scoped to that host.
//
// A token is "v1.<payload>.<mac>": payload is the base64url (no padding)
// JSON of the claims, mac is the base64url HMAC-SHA256 of "v1.<payload>"
// under the shared secret. Verification is constant-time, checks the host the
// token is bound to and its expiry. Standard library only.
package linktoken

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// version prefixes every token, so a new format can be told apart.
const version = "v1"

// MaxLen bounds a token Verify will look at; real tokens are ~250 bytes.
const MaxLen = 2048

// MinSecretLen is the shortest secret Sign and Verify accept.
const MinSecretLen = 16

// Claims is what a token says: who (UserID, Role) may open which host until
// when. Host is a host name without port, lower case.
type Claims struct {
	Host   string    `json:"h"`
	UserID string    `json:"u"`
	Role   string    `json:"r,omitempty"`
	Expiry time.Time `json:"-"`
}

// wire is Claims on the wire (expiry as unix seconds).
type wire struct {
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

// Sign returns a token for c. It fails on a short secret or a claim without
// host, user or expiry.
func Sign(secret []byte, c Claims) (string, error) {
	if len(secret) < MinSecretLen {
		return "", ErrSecret
	}
	host := NormalizeHost(c.Host)
	if host == "" || c.UserID == "" || c.Expiry.IsZero() {
		return "", errors.New("link token needs a host, a user id and an expiry")
	}
	body, err := json.Marshal(wire{Host: host, UserID: c.UserID, Role: c.Role, Exp: c.Expiry.Unix()})
	if err != nil {
		return "", err
	}
	signed := version + "." + b64.EncodeToString(body)
	return signed + "." + b64.EncodeToString(mac(secret, signed)), nil
}

// Verify checks token against secret and returns its claims when it is well
// formed, signed with secret, bound to host (compared after NormalizeHost)
// and not expired at now. On any error the claims are empty.
func Verify(secret []byte, token, host string, now time.Time) (Claims, error) {
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
	if err := json.Unmarshal(body, &w); err != nil || w.Host == "" || w.UserID == "" || w.Exp == 0 {
		return Claims{}, ErrMalformed
	}
	c := Claims{Host: w.Host, UserID: w.UserID, Role: w.Role, Expiry: time.Unix(w.Exp, 0)}
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
