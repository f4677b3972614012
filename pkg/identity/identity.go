// Package identity carries the authenticated caller through a request: in a
// context inside a process, in NATS headers between processes. The gateway is
// the only publisher of commands (NATS permissions enforce it in production),
// so a service trusts the identity headers of a command it receives.
package identity

import (
	"context"
	"errors"
)

// Role is a platform role.
type Role string

// Roles.
const (
	RoleUser  Role = "user"
	RoleAdmin Role = "admin"
)

// Caller is who is asking.
type Caller struct {
	UserID   string `json:"user_id"`
	Username string `json:"username"`
	Role     Role   `json:"role"`
}

// IsAdmin reports whether the caller may see and act on everything.
func (c Caller) IsAdmin() bool { return c.Role == RoleAdmin }

// Header names used on NATS messages.
const (
	HeaderUserID   = "Dol-User-Id"
	HeaderUsername = "Dol-Username"
	HeaderRole     = "Dol-Role"
)

type ctxKey struct{}

// With returns ctx carrying c.
func With(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, ctxKey{}, c)
}

// From returns the caller carried by ctx.
func From(ctx context.Context) (Caller, bool) {
	c, ok := ctx.Value(ctxKey{}).(Caller)
	return c, ok && c.UserID != ""
}

// ErrNoCaller is returned where a caller is required and none is present.
var ErrNoCaller = errors.New("no authenticated caller")

// Require returns the caller or ErrNoCaller.
func Require(ctx context.Context) (Caller, error) {
	c, ok := From(ctx)
	if !ok {
		return Caller{}, ErrNoCaller
	}
	return c, nil
}

// Header is the subset of nats.Header / http.Header that identity needs.
type Header interface {
	Get(key string) string
	Set(key, value string)
}

// Inject writes c into h.
func Inject(h Header, c Caller) {
	h.Set(HeaderUserID, c.UserID)
	h.Set(HeaderUsername, c.Username)
	h.Set(HeaderRole, string(c.Role))
}

// Extract reads a caller from h; ok is false when none is present.
func Extract(h Header) (Caller, bool) {
	c := Caller{UserID: h.Get(HeaderUserID), Username: h.Get(HeaderUsername), Role: Role(h.Get(HeaderRole))}
	return c, c.UserID != ""
}
