// Package msg holds the messages exchanged on NATS. The wire format is JSON;
// the major version travels in the Dol-Msg-Version header (see pkg/bus), so a
// breaking change gets a new version and old and new can be told apart.
package msg

import "github.com/dockeronline/platform/pkg/apierr"

// Version is the major version of every message in this package.
const Version = "1"

// Reply is the envelope of every command reply: the result or an error.
// It implements go-kit's endpoint.Failer so business errors ride in the
// response instead of being mistaken for transport failures.
type Reply[T any] struct {
	Data  T             `json:"data"`
	Error *apierr.Error `json:"error,omitempty"`
}

// Failed implements endpoint.Failer.
func (r Reply[T]) Failed() error {
	if r.Error == nil {
		return nil
	}
	return r.Error
}

// Empty is the payload of a request or reply that carries nothing.
type Empty struct{}
