package account

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	kratos "github.com/ory/kratos-client-go"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"

	"github.com/dockeronline/platform/pkg/apierr"
)

// KratosIdentity is what a valid Kratos session tells about its holder.
type KratosIdentity struct {
	ID       string
	Username string
	Email    string
	// EmailVerified: Kratos verified Email (a verifiable address of the
	// identity with this value has verified set).
	EmailVerified bool
	ExpiresAt     time.Time
}

// Sessions resolves Kratos sessions.
type Sessions interface {
	Whoami(ctx context.Context, cookie, token string) (KratosIdentity, error)
}

// KratosSessions asks Kratos' public API (/sessions/whoami).
type KratosSessions struct{ api *kratos.APIClient }

// NewKratosSessions returns a resolver for the Kratos public API at publicURL.
func NewKratosSessions(publicURL string) *KratosSessions {
	cfg := kratos.NewConfiguration()
	cfg.Servers = kratos.ServerConfigurations{{URL: publicURL}}
	cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second, Transport: otelhttp.NewTransport(http.DefaultTransport)}
	return &KratosSessions{api: kratos.NewAPIClient(cfg)}
}

// ErrNoSession means the cookie or token is missing, unknown or expired.
var ErrNoSession = apierr.New(apierr.CodeUnauthenticated, "no valid session: sign in again")

// Whoami resolves a session from a Cookie header or a session token.
func (k *KratosSessions) Whoami(ctx context.Context, cookie, token string) (KratosIdentity, error) {
	req := k.api.FrontendAPI.ToSession(ctx)
	switch {
	case token != "":
		req = req.XSessionToken(token)
	case cookie != "":
		req = req.Cookie(cookie)
	default:
		return KratosIdentity{}, ErrNoSession
	}
	s, res, err := req.Execute()
	if res != nil && (res.StatusCode == http.StatusUnauthorized || res.StatusCode == http.StatusForbidden) {
		return KratosIdentity{}, ErrNoSession
	}
	if err != nil {
		var ge *kratos.GenericOpenAPIError
		if errors.As(err, &ge) && res != nil && res.StatusCode < 500 {
			return KratosIdentity{}, ErrNoSession
		}
		return KratosIdentity{}, apierr.New(apierr.CodeUnavailable, "identity service unavailable: %v", err)
	}
	if s.Active != nil && !*s.Active || s.Identity == nil {
		return KratosIdentity{}, ErrNoSession
	}
	traits, _ := s.Identity.Traits.(map[string]any)
	id := KratosIdentity{ID: s.Identity.Id}
	id.Username, _ = traits["username"].(string)
	id.Email, _ = traits["email"].(string)
	id.EmailVerified = verified(s.Identity.VerifiableAddresses, id.Email)
	if s.ExpiresAt != nil {
		id.ExpiresAt = *s.ExpiresAt
	}
	if id.ID == "" || id.Username == "" {
		return KratosIdentity{}, fmt.Errorf("kratos session without identity id or username")
	}
	return id, nil
}

// verified reports whether addr is among the identity's verified addresses.
func verified(addrs []kratos.VerifiableIdentityAddress, addr string) bool {
	for _, a := range addrs {
		if addr != "" && a.Verified && strings.EqualFold(a.Value, addr) {
			return true
		}
	}
	return false
}
