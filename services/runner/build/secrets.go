package build

import (
	"regexp"

	"github.com/dockeronline/platform/pkg/apierr"
)

// Bounds of a build's secrets: the runner holds them in memory for the
// build's life and hands them to BuildKit over the build's session.
const (
	MaxSecrets      = 32
	MaxSecretBytes  = 64 << 10
	maxSecretsTotal = 512 << 10
)

// secretIDRE is a secret id: what RUN --mount=type=secret,id=… names and
// /run/secrets/<id> mounts.
var secretIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// ValidateSecrets bounds a build's secrets: at most MaxSecrets, each id a
// plain name, each value at most MaxSecretBytes, all together 512 KB.
// Messages name ids, never values.
func ValidateSecrets(secrets map[string]string) error {
	if len(secrets) > MaxSecrets {
		return apierr.Invalid("at most %d build secrets", MaxSecrets)
	}
	total := 0
	for id, v := range secrets {
		if !secretIDRE.MatchString(id) {
			return apierr.Invalid("build secret id %q must be 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit", id)
		}
		if len(v) > MaxSecretBytes {
			return apierr.Invalid("build secret %s is larger than %d KB", id, MaxSecretBytes>>10)
		}
		if total += len(v); total > maxSecretsTotal {
			return apierr.Invalid("build secrets are larger than %d KB together", maxSecretsTotal>>10)
		}
	}
	return nil
}

// SecretBytes is secrets as Spec takes them (nil for none).
func SecretBytes(secrets map[string]string) map[string][]byte {
	if len(secrets) == 0 {
		return nil
	}
	out := make(map[string][]byte, len(secrets))
	for id, v := range secrets {
		out[id] = []byte(v)
	}
	return out
}
