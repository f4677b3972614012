package stack

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"

	"github.com/compose-spec/compose-go/v2/dotenv"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/services/runner/policy"
)

// DotEnvFile is the project's variables file, next to the compose file at
// the upload's root, which `docker compose` reads for interpolation.
const DotEnvFile = ".env"

// Bounds of a project's .env: the same as a request's env (its values are
// substituted wherever ${VAR} names them), and the file itself small.
const maxDotEnvBytes = 64 << 10

// readDotEnv reads the project's .env (none: nil), through an os.Root so a
// link can only lead inside the project, and parses it as compose-go's
// dotenv reader does (no command substitution, no host environment): a
// ${VAR} inside it sees the request's env first, then the lines above it.
func (p *projectDir) readDotEnv(reqEnv map[string]string) (map[string]string, error) {
	root, err := os.OpenRoot(p.path)
	if err != nil {
		return nil, apierr.New(apierr.CodeUnavailable, "could not open the project directory: %v", err)
	}
	defer root.Close()
	f, err := root.Open(DotEnvFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		// The upload's links only point down; a .env leading out of the
		// project anyway is refused as any path out of the upload is.
		return nil, apierr.Policy(policy.RuleUploadPaths, "the project's .env cannot be read inside the upload: %v", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		return nil, apierr.Policy(policy.RuleUploadPaths, "the project's .env is not a file of the upload")
	}
	raw, err := io.ReadAll(io.LimitReader(f, maxDotEnvBytes+1))
	if err != nil {
		return nil, apierr.New(apierr.CodeUnavailable, "could not read the project's .env: %v", err)
	}
	return parseDotEnv(raw, reqEnv)
}

// parseDotEnv parses a .env. The parser expands ${VAR} in a value from
// the request's env, else from the values above it, once per statement:
// "B=$A$A", "C=$B$B", … doubles at each line. The lookup sees the map
// being filled, so it counts what each expansion copies and stops copying
// past maxEnvTotal: the parse never holds more than the file plus that.
func parseDotEnv(raw []byte, reqEnv map[string]string) (map[string]string, error) {
	if len(raw) > maxDotEnvBytes {
		return nil, apierr.Policy(RuleComposeInterpolation, "the project's .env is larger than %d KB: keep it to variables", maxDotEnvBytes>>10)
	}
	vars := map[string]string{}
	copied, over := 0, false
	lookup := func(k string) (string, bool) {
		v, ok := reqEnv[k]
		if !ok {
			v, ok = vars[k]
		}
		if !ok {
			return "", false
		}
		if copied += len(v); copied > maxEnvTotal {
			over = true
			return "", true
		}
		return v, true
	}
	err := dotenv.ParseWithFormat(bytes.NewReader(raw), DotEnvFile, vars, lookup, dotenv.DotEnv)
	if over {
		return nil, apierr.Policy(RuleComposeInterpolation, "the project's .env expands to more than %d KB: its ${...} copy too much", maxEnvTotal>>10)
	}
	if err != nil {
		return nil, apierr.Invalid("the project's .env is invalid: %v", err)
	}
	if len(vars) > maxEnv {
		return nil, apierr.Policy(RuleComposeInterpolation, "the project's .env sets %d variables, more than %d", len(vars), maxEnv)
	}
	total := 0
	for k, v := range vars {
		if total += len(k) + len(v); total > maxEnvTotal {
			return nil, apierr.Policy(RuleComposeInterpolation, "the project's .env holds more than %d KB in all: keep it to variables", maxEnvTotal>>10)
		}
		if len(v) > maxEnvVal {
			return nil, apierr.Policy(RuleComposeInterpolation, "the project's .env: %s is longer than %d bytes", k, maxEnvVal)
		}
	}
	return vars, nil
}

// projectEnv is what interpolation sees, as `docker compose` builds it:
// the project's .env, overridden by the request's env (the stack form's
// inputs, where a shell's environment would be).
func projectEnv(dotEnv, reqEnv map[string]string) map[string]string {
	out := make(map[string]string, len(dotEnv)+len(reqEnv))
	for k, v := range dotEnv {
		out[k] = v
	}
	for k, v := range reqEnv {
		out[k] = v
	}
	return out
}
