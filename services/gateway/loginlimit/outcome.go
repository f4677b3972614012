package loginlimit

import (
	"net/http"
	"strings"
)

// SessionCookie is the cookie Kratos sets on a successful browser sign-in.
const SessionCookie = "ory_kratos_session"

type result int

const (
	neutral   result = iota // expired flow, CSRF refusal, server error: not a guess
	failed                  // wrong identifier or password
	succeeded               // signed in
)

// recorder notes the status Kratos answered (headers are read from the
// wrapped writer, where the proxy copied them).
type recorder struct {
	http.ResponseWriter
	code int
}

func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.ResponseWriter.Write(p)
}

// Unwrap is for http.ResponseController.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// outcome reads Kratos' answer to a sign-in. JSON clients (API flows and
// browser flows asked with Accept: application/json) get 200 on success
// and 400 with the form's messages on a failure. HTML form posts get a 303
// either way: to the return address with a session cookie on success, back
// to the form without one on a failure.
func outcome(r *recorder) result {
	switch {
	case r.code == http.StatusOK:
		return succeeded
	case r.code == http.StatusBadRequest:
		return failed
	case r.code >= 300 && r.code < 400:
		for _, c := range r.Header().Values("Set-Cookie") {
			if strings.HasPrefix(c, SessionCookie+"=") && !strings.Contains(strings.ToLower(c), "max-age=0") {
				return succeeded
			}
		}
		return failed
	}
	return neutral
}
