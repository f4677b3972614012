package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
)

// CSRFField is the form field that carries the UI's CSRF token. (Kratos'
// own forms carry Kratos' "csrf_token"; this one is for the UI's forms.)
const CSRFField = "_csrf"

// csrf makes and checks the UI's anti-forgery tokens. A token is the HMAC
// of the caller's Kratos session cookie under the gateway's secret, so it
// is bound to one signed-in session and no other site can compute it —
// not even a user's app on a sibling subdomain, which could plant cookies
// and would defeat a plain double-submit cookie. No server-side state.
//
// The token is the same on every page of a session: pages are not
// compressed, so there is no BREACH oracle to mask it against, and a
// stable token lets live fragments be compared byte for byte.
type csrf struct{ key []byte }

func (c csrf) token(session string) string {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte("dockeronline-csrf-v1\x00"))
	m.Write([]byte(session))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// valid reports, in constant time, whether token belongs to session.
func (c csrf) valid(session, token string) bool {
	if session == "" || token == "" {
		return false
	}
	return hmac.Equal([]byte(c.token(session)), []byte(token))
}

// maxForm bounds the body of the UI's own forms.
const maxForm = 256 << 10

// check verifies a state-changing request: the browser must say it is
// same-origin (Go's cross-origin protection reads Sec-Fetch-Site/Origin),
// and the form must carry the session's token.
func (c csrf) check(r *http.Request, session string, cop *http.CrossOriginProtection) bool {
	if err := cop.Check(r); err != nil {
		return false
	}
	return c.valid(session, r.PostFormValue(CSRFField))
}
