package apierr

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
)

func TestHTTPStatus(t *testing.T) {
	tests := []struct {
		err  *Error
		want int
	}{
		{Invalid("x"), http.StatusBadRequest},
		{NotFound("x"), http.StatusNotFound},
		{Conflict("x"), http.StatusConflict},
		{Policy("no-privileged", "x"), http.StatusForbidden},
		{New(CodeUnauthenticated, "x"), http.StatusUnauthorized},
		{New(Code("bogus"), "x"), http.StatusInternalServerError},
	}
	for _, tt := range tests {
		if got := tt.err.HTTPStatus(); got != tt.want {
			t.Errorf("%s: status %d, want %d", tt.err.Code, got, tt.want)
		}
	}
}

func TestFromUnwraps(t *testing.T) {
	base := Policy("no-bind-mounts", "bind mounts are not allowed")
	got := From(fmt.Errorf("create: %w", base))
	if got != base {
		t.Fatalf("From did not unwrap: %v", got)
	}
	if From(nil) != nil {
		t.Fatal("From(nil) must be nil")
	}
	if c := From(errors.New("boom")).Code; c != CodeInternal {
		t.Fatalf("plain error code %q, want internal", c)
	}
}

func TestWithDockerCopies(t *testing.T) {
	e := Invalid("bad image")
	d := e.WithDocker("No such image: nope")
	if e.Docker != "" || d.Docker != "No such image: nope" {
		t.Fatalf("WithDocker must copy: %+v %+v", e, d)
	}
}
