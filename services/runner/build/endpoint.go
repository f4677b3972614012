package build

import (
	"github.com/go-kit/kit/endpoint"

	"github.com/dockeronline/platform/pkg/bus"
)

// Endpoints are the service's methods as go-kit endpoints.
type Endpoints struct {
	Start endpoint.Endpoint
}

// MakeEndpoints wraps s.
func MakeEndpoints(s Service) Endpoints {
	return Endpoints{Start: bus.Endpoint(s.Start)}
}
