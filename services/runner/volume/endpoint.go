package volume

import (
	"github.com/go-kit/kit/endpoint"

	"github.com/dockeronline/platform/pkg/bus"
)

// Endpoints are the service's methods as go-kit endpoints.
type Endpoints struct{ List, Create, Remove endpoint.Endpoint }

// MakeEndpoints wraps s.
func MakeEndpoints(s Service) Endpoints {
	return Endpoints{List: bus.Endpoint(s.List), Create: bus.Endpoint(s.Create), Remove: bus.Endpoint(s.Remove)}
}
