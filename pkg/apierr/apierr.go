// Package apierr is the platform's one error model. The same value travels in
// NATS replies and in HTTP responses:
//
//	{"error":{"code":"policy_violation","message":"…","rule":"no-bind-mounts","docker":"…"}}
//
// Message is written for the user; Rule names the policy rule that refused;
// Docker quotes the Docker engine's own text when the engine refused.
package apierr

import (
	"errors"
	"fmt"
	"net/http"
)

// Code classifies an error; each maps to one HTTP status.
type Code string

// Error codes.
const (
	CodeInvalid         Code = "invalid_argument"
	CodeNotFound        Code = "not_found"
	CodeConflict        Code = "conflict"
	CodePolicy          Code = "policy_violation"
	CodeQuota           Code = "quota_exceeded"
	CodeUnauthenticated Code = "unauthenticated"
	CodeForbidden       Code = "forbidden"
	CodeUnavailable     Code = "unavailable"
	CodeTimeout         Code = "timeout"
	CodeInternal        Code = "internal"
	// CodeTooLarge is a request body over the size limit (HTTP 413).
	CodeTooLarge Code = "payload_too_large"
)

var statusOf = map[Code]int{
	CodeInvalid:         http.StatusBadRequest,
	CodeNotFound:        http.StatusNotFound,
	CodeConflict:        http.StatusConflict,
	CodePolicy:          http.StatusForbidden,
	CodeQuota:           http.StatusForbidden,
	CodeUnauthenticated: http.StatusUnauthorized,
	CodeForbidden:       http.StatusForbidden,
	CodeUnavailable:     http.StatusServiceUnavailable,
	CodeTimeout:         http.StatusGatewayTimeout,
	CodeInternal:        http.StatusInternalServerError,
	CodeTooLarge:        http.StatusRequestEntityTooLarge,
}

// Error is a platform error, safe to show to the caller.
type Error struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
	Rule    string `json:"rule,omitempty"`
	Docker  string `json:"docker,omitempty"`
}

func (e *Error) Error() string {
	s := string(e.Code) + ": " + e.Message
	if e.Rule != "" {
		s += " (rule " + e.Rule + ")"
	}
	if e.Docker != "" {
		s += ": docker: " + e.Docker
	}
	return s
}

// HTTPStatus is the status an HTTP transport answers with.
func (e *Error) HTTPStatus() int {
	if s, ok := statusOf[e.Code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// New makes an error with a formatted message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid is a bad input.
func Invalid(format string, args ...any) *Error { return New(CodeInvalid, format, args...) }

// NotFound is a missing object (or one the caller may not see).
func NotFound(format string, args ...any) *Error { return New(CodeNotFound, format, args...) }

// Conflict is a clash with existing state, such as a taken name.
func Conflict(format string, args ...any) *Error { return New(CodeConflict, format, args...) }

// Policy is a refusal by the policy engine; rule names the rule.
func Policy(rule, format string, args ...any) *Error {
	e := New(CodePolicy, format, args...)
	e.Rule = rule
	return e
}

// WithDocker returns a copy of e quoting the Docker engine's own text.
func (e *Error) WithDocker(text string) *Error {
	c := *e
	c.Docker = text
	return &c
}

// From returns err as an *Error: itself if it is one (or wraps one), an
// internal error otherwise. A nil err gives nil.
func From(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: CodeInternal, Message: err.Error()}
}
