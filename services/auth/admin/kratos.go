package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	kratos "github.com/ory/kratos-client-go"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/services/auth/account"
)

// Identities is what administration needs from Kratos' admin API. Every
// call is idempotent: deleting what is gone, revoking no sessions,
// deactivating an inactive identity all succeed.
type Identities interface {
	// Create makes an identity with a password; ErrIdentityExists when the
	// username or e-mail is taken.
	Create(ctx context.Context, username, email, password string) (account.KratosIdentity, error)
	// Get returns the identity with id; ok is false when there is none.
	Get(ctx context.Context, id string) (ki account.KratosIdentity, ok bool, err error)
	// FindByIdentifier returns the identity whose password identifier (the
	// username or the e-mail) is identifier.
	FindByIdentifier(ctx context.Context, identifier string) (ki account.KratosIdentity, ok bool, err error)
	// SetActive switches the identity's state: an inactive identity cannot
	// sign in (Kratos refuses it with its own message).
	SetActive(ctx context.Context, id string, active bool) error
	// RevokeSessions ends every session of the identity.
	RevokeSessions(ctx context.Context, id string) error
	// Delete removes the identity.
	Delete(ctx context.Context, id string) error
}

// ErrIdentityExists means Kratos already has the username or e-mail.
var ErrIdentityExists = errors.New("identity exists")

// SchemaID is the identity schema of platform users (deploy/kratos).
const SchemaID = "default"

// KratosAdmin talks to Kratos' admin API. That API has no authentication
// of its own: it must only listen where the auth service can reach it.
type KratosAdmin struct{ api *kratos.APIClient }

// NewKratosAdmin returns a client of the admin API at adminURL.
func NewKratosAdmin(adminURL string) *KratosAdmin {
	cfg := kratos.NewConfiguration()
	cfg.Servers = kratos.ServerConfigurations{{URL: adminURL}}
	cfg.HTTPClient = &http.Client{Timeout: 15 * time.Second, Transport: otelhttp.NewTransport(http.DefaultTransport)}
	return &KratosAdmin{api: kratos.NewAPIClient(cfg)}
}

func unavailable(what string, err error) error {
	return apierr.New(apierr.CodeUnavailable, "identity service could not %s: %v", what, err)
}

func status(res *http.Response) int {
	if res == nil {
		return 0
	}
	return res.StatusCode
}

func fromKratos(id *kratos.Identity) account.KratosIdentity {
	traits, _ := id.Traits.(map[string]any)
	ki := account.KratosIdentity{ID: id.Id}
	ki.Username, _ = traits["username"].(string)
	ki.Email, _ = traits["email"].(string)
	return ki
}

// Create implements Identities.
func (k *KratosAdmin) Create(ctx context.Context, username, email, password string) (account.KratosIdentity, error) {
	body := kratos.NewCreateIdentityBody(SchemaID, map[string]any{"username": username, "email": email})
	body.Credentials = &kratos.IdentityWithCredentials{Password: &kratos.IdentityWithCredentialsPassword{
		Config: &kratos.IdentityWithCredentialsPasswordConfig{Password: &password},
	}}
	id, res, err := k.api.IdentityAPI.CreateIdentity(ctx).CreateIdentityBody(*body).Execute()
	switch {
	case status(res) == http.StatusConflict:
		return account.KratosIdentity{}, ErrIdentityExists
	case status(res) == http.StatusBadRequest:
		return account.KratosIdentity{}, apierr.Invalid("the identity service refused the new user: %s", kratosReason(err))
	case err != nil:
		return account.KratosIdentity{}, unavailable("create the user", err)
	}
	return fromKratos(id), nil
}

// kratosReason is the human part of a Kratos error body.
func kratosReason(err error) string {
	var ge *kratos.GenericOpenAPIError
	if errors.As(err, &ge) {
		if m, ok := ge.Model().(kratos.ErrorGeneric); ok {
			if m.Error.Reason != nil && *m.Error.Reason != "" {
				return *m.Error.Reason
			}
			return m.Error.Message
		}
		return string(ge.Body())
	}
	return fmt.Sprint(err)
}

// Get implements Identities.
func (k *KratosAdmin) Get(ctx context.Context, id string) (account.KratosIdentity, bool, error) {
	ident, res, err := k.api.IdentityAPI.GetIdentity(ctx, id).Execute()
	switch {
	case status(res) == http.StatusNotFound:
		return account.KratosIdentity{}, false, nil
	case err != nil:
		return account.KratosIdentity{}, false, unavailable("look the user up", err)
	}
	return fromKratos(ident), true, nil
}

// FindByIdentifier implements Identities.
func (k *KratosAdmin) FindByIdentifier(ctx context.Context, identifier string) (account.KratosIdentity, bool, error) {
	ids, _, err := k.api.IdentityAPI.ListIdentities(ctx).CredentialsIdentifier(identifier).Execute()
	if err != nil {
		return account.KratosIdentity{}, false, unavailable("look the user up", err)
	}
	if len(ids) == 0 {
		return account.KratosIdentity{}, false, nil
	}
	return fromKratos(&ids[0]), true, nil
}

// SetActive implements Identities.
func (k *KratosAdmin) SetActive(ctx context.Context, id string, active bool) error {
	state := "inactive"
	if active {
		state = "active"
	}
	patch := []kratos.JsonPatch{{Op: "replace", Path: "/state", Value: state}}
	_, res, err := k.api.IdentityAPI.PatchIdentity(ctx, id).JsonPatch(patch).Execute()
	if status(res) == http.StatusNotFound {
		return nil
	}
	if err != nil {
		return unavailable("change the user's state", err)
	}
	return nil
}

// RevokeSessions implements Identities.
func (k *KratosAdmin) RevokeSessions(ctx context.Context, id string) error {
	res, err := k.api.IdentityAPI.DeleteIdentitySessions(ctx, id).Execute()
	if s := status(res); s == http.StatusNotFound || s == http.StatusNoContent {
		return nil
	}
	if err != nil {
		return unavailable("revoke the user's sessions", err)
	}
	return nil
}

// Delete implements Identities.
func (k *KratosAdmin) Delete(ctx context.Context, id string) error {
	res, err := k.api.IdentityAPI.DeleteIdentity(ctx, id).Execute()
	if s := status(res); s == http.StatusNotFound || s == http.StatusNoContent {
		return nil
	}
	if err != nil {
		return unavailable("delete the user", err)
	}
	return nil
}
