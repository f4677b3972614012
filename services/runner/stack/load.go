package stack

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"

	"github.com/compose-spec/compose-go/v2/consts"
	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/services/runner/policy"
)

// load parses and normalizes the compose file with compose-go, the
// reference implementation: schema validation (an unknown key is an
// error), interpolation, extends, defaults, paths resolved against the
// project directory. Its errors are quoted as they are.
//
// What compose-go would read from the host is kept in the upload:
//   - interpolation sees the project's .env overridden by env, as
//     `docker compose` reads a project's .env and the shell: the runner's
//     environment never leaks into a stack;
//   - every file it loads (extends: file) goes through a resource loader
//     that refuses paths outside the project directory, before reading;
//   - env_file and label_file are not read at load (the policy refuses
//     them), and include: is refused (an included file may name env files
//     anywhere).
//
// What compose-go would spend is bounded first: scanCompose measures the
// file (and its extends: files) with every expansion counted, and refuses
// it over lim, before compose-go expands anything. Both run in a load slot
// (at most lim.LoadConcurrency at once: a 256 KB document costs the
// measure ~30 MB, compose-go up to ~130 MB) under lim's deadline: past it
// the command is answered, and the slot stays taken until compose-go
// returns, so abandoned loads cannot pile up.
func load(ctx context.Context, dir *projectDir, project string, compose []byte, env map[string]string, lim InputLimits, slots *loadSlots) (*types.Project, error) {
	lim = lim.withDefaults()
	ctx, cancel := context.WithTimeout(ctx, lim.LoadTimeout)
	defer cancel()
	release, err := slots.acquire(ctx)
	if err != nil {
		return nil, err
	}
	dotEnv, err := dir.readDotEnv(env)
	if err != nil {
		release()
		return nil, err
	}
	env = projectEnv(dotEnv, env)
	// The .env's values are measured with the request's: each is what a
	// ${VAR} may grow to.
	if err := scanCompose(dir.path, compose, env, lim); err != nil {
		release()
		return nil, err
	}
	type result struct {
		p   *types.Project
		err error
	}
	done := make(chan result, 1)
	go func() {
		defer release()
		p, err := loadProject(ctx, dir, project, compose, env)
		done <- result{p, err}
	}()
	select {
	case r := <-done:
		return r.p, r.err
	case <-ctx.Done():
		select {
		case r := <-done: // finished as the deadline struck: keep it
			return r.p, r.err
		default:
			return nil, loadTimeout(lim)
		}
	}
}

// loadProject is compose-go's load, confined to the project directory.
func loadProject(ctx context.Context, dir *projectDir, project string, compose []byte, env map[string]string) (*types.Project, error) {
	confined := &confinedLoader{root: dir.path}
	details := types.ConfigDetails{
		WorkingDir:  dir.path,
		ConfigFiles: []types.ConfigFile{{Filename: dir.abs(ComposeFile), Content: compose}},
		Environment: types.Mapping(env),
	}
	if details.Environment == nil {
		details.Environment = types.Mapping{}
	}
	p, err := loader.LoadWithContext(ctx, details, func(o *loader.Options) {
		o.SetProjectName(project, true)
		o.ResolvePaths = true
		o.SkipInclude = true
		o.SkipResolveEnvironment = true
		o.SkipResolveLabels = true
		// Ours first: compose-go's own local loader reads anything.
		o.ResourceLoaders = []loader.ResourceLoader{confined}
	})
	if refused := confined.refusal(); refused != nil {
		return nil, refused
	}
	if err != nil {
		var ae *apierr.Error
		if errors.As(err, &ae) {
			return nil, ae
		}
		if named := explainUnset(compose, env, err); named != nil {
			return nil, named
		}
		return nil, apierr.Invalid("the compose file is invalid: %v", err)
	}
	return p, nil
}

// confinedLoader refuses the files compose-go would load (extends: file)
// from outside the project directory. It takes the paths that may lead
// out — absolute ones elsewhere, any with "..", any naming the socket —
// and refuses those that do (resolved against the file naming them);
// compose-go's own loader takes the rest, which stay inside the directory
// of the file naming them. (compose-go also leaves the paths this loader
// takes unresolved in the model, as it does for remote ones: the policy
// then finds them relative, hence outside, and refuses them too.)
type confinedLoader struct {
	root string
	mu   sync.Mutex
	err  *apierr.Error
	seen map[string]string // path as written → where it was found
}

func (l *confinedLoader) Accept(p string) bool {
	if policy.MentionsDockerSocket(p) {
		return true
	}
	if filepath.IsAbs(p) {
		return !policy.Inside(l.root, p)
	}
	for _, part := range strings.Split(filepath.ToSlash(p), "/") {
		if part == ".." {
			return true
		}
	}
	return false
}

func (l *confinedLoader) Load(ctx context.Context, p string) (string, error) {
	abs := p
	if !filepath.IsAbs(p) {
		base := l.root
		if f, ok := ctx.Value(consts.ComposeFileKey{}).(string); ok && filepath.IsAbs(f) {
			base = filepath.Dir(f)
		}
		abs = filepath.Join(base, p)
	}
	abs = filepath.Clean(abs)
	if err := l.check(p, abs); err != nil {
		return "", err
	}
	l.mu.Lock()
	if l.seen == nil {
		l.seen = map[string]string{}
	}
	l.seen[p] = abs
	l.mu.Unlock()
	return abs, nil
}

func (l *confinedLoader) check(p, abs string) error {
	refuse := func(e *apierr.Error) error {
		l.mu.Lock()
		if l.err == nil {
			l.err = e
		}
		l.mu.Unlock()
		return e
	}
	if policy.MentionsDockerSocket(p) {
		return refuse(apierr.Policy(policy.RuleDockerSock, "extends file %q: the Docker socket may not be read", p))
	}
	inside := policy.Inside(l.root, abs)
	if inside {
		// Links in an upload only point down, but judge the real path too.
		if real, err := filepath.EvalSymlinks(abs); err == nil {
			inside = policy.Inside(l.root, real)
		}
	}
	if !inside {
		return refuse(apierr.Policy(policy.RuleUploadPaths, "extends file %q is outside the uploaded project: extend services of files in the upload", p))
	}
	return nil
}

func (l *confinedLoader) refusal() *apierr.Error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// Dir is the folder relative paths of the loaded file are resolved
// against: its own.
func (l *confinedLoader) Dir(p string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if abs, ok := l.seen[p]; ok {
		return filepath.Dir(abs)
	}
	return filepath.Dir(filepath.Join(l.root, p))
}
