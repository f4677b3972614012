package image

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/moby/moby/client"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/names"
	"github.com/dockeronline/platform/services/runner/engine"
)

// Access decides which images a user may use — run, build FROM, COPY
// --from, name in a compose file, pull — from the platform's own records
// only, never from labels an image carries (anyone can build or push an
// image labelled as someone else's):
//
//   - an image on the host is usable if the caller holds a reference to
//     that very image (the image id their pull or build recorded), or if
//     it is public: one of its tags or digests is outside every other
//     platform user's namespace, on a registry the pull rules allow.
//     Anything else — another user's build by name, id, short id or
//     digest, an intermediate image of their build — is "not found",
//     exactly like an image that does not exist. Admins use any image.
//   - an image not on the host would be pulled: its registry must pass the
//     pull rules (allow-list, no internal addresses: registry.go), and it
//     may not land in another platform user's namespace (image-namespace).
type Access struct {
	docker *client.Client
	gate   registryGate
	js     jetstream.JetStream

	mu   sync.Mutex
	refs *Refs // opened on first use (NATS may come up after the runner)

	claimed sync.Map // "<username>.<owner>" claims made by this process
}

// NewAccess returns the image access rules over docker and the reference
// bucket in js, with the pull rules of opts.
func NewAccess(docker *client.Client, js jetstream.JetStream, opts Options) *Access {
	return &Access{docker: docker, gate: newRegistryGate(opts), js: js}
}

func newAccessWithRefs(docker *client.Client, refs *Refs, opts Options) *Access {
	return &Access{docker: docker, gate: newRegistryGate(opts), refs: refs}
}

// installed is the runner's one Access, set by app.Run before it serves:
// the container, build and stack paths reach it through MayUse, MayPull
// and RecordBuild, which keeps their call sites one line each.
var installed atomic.Pointer[Access]

// Install makes a the Access the package functions use.
func Install(a *Access) { installed.Store(a) }

func current() (*Access, error) {
	if a := installed.Load(); a != nil {
		return a, nil
	}
	// Fail closed: without the records nothing can be shown to be theirs.
	return nil, apierr.New(apierr.CodeUnavailable, "image access rules are not set up yet; try again in a moment")
}

// MayUse checks that c may use the image ref on the engine docker (see
// Access). It is the check every path runs before it creates a container
// from, builds from or pulls an image.
func MayUse(ctx context.Context, docker *client.Client, c identity.Caller, ref string) error {
	a, err := current()
	if err != nil {
		return err
	}
	return a.mayUse(ctx, docker, c, ref)
}

// MayPull checks that c may pull ref even when it is on the host already:
// a pull always contacts the registry (compose's pull_policy: always).
func MayPull(ctx context.Context, docker *client.Client, c identity.Caller, ref string) error {
	a, err := current()
	if err != nil {
		return err
	}
	return a.mayPull(ctx, docker, c, ref)
}

// RecordBuild records that the platform user owner (username) built
// imageID and tagged it tag ("<username>/<name>:<tag>"): the build path
// calls it after every successful build, so the image is theirs.
func RecordBuild(ctx context.Context, owner, username, tag, imageID string) error {
	a, err := current()
	if err != nil {
		return err
	}
	return a.RecordBuild(ctx, owner, username, tag, imageID)
}

// MayUse is the package's MayUse on a's engine.
func (a *Access) MayUse(ctx context.Context, c identity.Caller, ref string) error {
	return a.mayUse(ctx, a.docker, c, ref)
}

// MayPull is the package's MayPull on a's engine.
func (a *Access) MayPull(ctx context.Context, c identity.Caller, ref string) error {
	return a.mayPull(ctx, a.docker, c, ref)
}

// RecordBuild is the package's RecordBuild.
func (a *Access) RecordBuild(ctx context.Context, owner, username, tag, imageID string) error {
	_, familiar, err := Parse(tag)
	if err != nil {
		return err
	}
	refs, err := a.store(ctx)
	if err != nil {
		return err
	}
	if err := refs.Claim(ctx, username, owner); err != nil {
		return err
	}
	return refs.Put(ctx, Ref{Ref: familiar, ImageID: imageID, Owner: owner, Username: username, Pulled: time.Now().UTC(), Built: true})
}

func (a *Access) mayUse(ctx context.Context, docker *client.Client, c identity.Caller, ref string) error {
	return a.check(ctx, docker, c, ref, false)
}

func (a *Access) mayPull(ctx context.Context, docker *client.Client, c identity.Caller, ref string) error {
	return a.check(ctx, docker, c, ref, true)
}

// check is MayUse, or MayPull when pull is set: then the pull rules apply
// whether or not the image is on the host.
func (a *Access) check(ctx context.Context, docker *client.Client, c identity.Caller, ref string, pull bool) error {
	raw := strings.TrimSpace(ref)
	if raw == "" {
		return apierr.Invalid("image is required")
	}
	refs, err := a.store(ctx)
	if err != nil {
		return err
	}
	if err := a.claim(ctx, refs, c); err != nil {
		return err
	}
	if pull {
		if err := a.pullRules(ctx, refs, c, raw); err != nil {
			return err
		}
	}
	// Inspect the very string the engine will resolve: "abc123def456" is
	// an id prefix to the engine, but "abc123def456:latest" once parsed.
	in, err := docker.ImageInspect(ctx, raw)
	switch {
	case cerrdefs.IsNotFound(err) && pull:
		return nil
	case cerrdefs.IsNotFound(err):
		return a.pullRules(ctx, refs, c, raw)
	case err != nil:
		if cerrdefs.IsInvalidArgument(err) && !pull {
			// The engine cannot read it (an older engine and IPv6
			// literals): judge it as the pull it would be, then quote it.
			if perr := a.pullRules(ctx, refs, c, raw); perr != nil {
				return perr
			}
		}
		return engine.FromDocker("inspect image "+raw, err)
	case c.IsAdmin():
		return nil
	}
	ok, err := a.usable(ctx, refs, c, in.ID, append(append([]string{}, in.RepoTags...), in.RepoDigests...))
	if err != nil {
		return err
	}
	if !ok {
		return notFound(raw)
	}
	return nil
}

// pullRules judge a pull of ref by c: the registry, and the namespace it
// would land in. They apply to admins too: nobody overwrites a user's
// builds, and the Docker host knocks on no internal address for anyone.
func (a *Access) pullRules(ctx context.Context, refs *Refs, c identity.Caller, ref string) error {
	named, familiar, err := Parse(ref)
	if err != nil {
		return err
	}
	// The namespace first: it needs no lookup.
	if ns := Namespace(named); ns != "" && ns != c.Username {
		owners, err := refs.Claimants(ctx, ns)
		if err != nil {
			return err
		}
		if ownedByOther(owners, c.UserID) {
			return apierr.Policy(RuleNamespace, "%q is in the image namespace of platform user %q; only they can put images there", familiar, ns)
		}
	}
	return a.gate.check(ctx, named, familiar)
}

// usable reports whether c may use the image id known by names (its tags
// and digests, known): they hold a reference to that very image, or it is public.
func (a *Access) usable(ctx context.Context, refs *Refs, c identity.Caller, id string, known []string) (bool, error) {
	mine, err := refs.OfUser(ctx, c.UserID)
	if err != nil {
		return false, err
	}
	for _, r := range mine {
		if r.ImageID == id {
			return true, nil
		}
	}
	for _, n := range known {
		named, err := reference.ParseNormalizedNamed(n)
		if err != nil {
			continue
		}
		if !a.gate.publicDomain(reference.Domain(named)) {
			continue
		}
		ns := Namespace(named)
		if ns == "" {
			return true, nil
		}
		owners, err := refs.Claimants(ctx, ns)
		if err != nil {
			return false, err
		}
		if !ownedByOther(owners, c.UserID) {
			return true, nil // nobody else's namespace (or the caller's own)
		}
	}
	return false, nil
}

// claim records the caller's namespace once per process and user.
func (a *Access) claim(ctx context.Context, refs *Refs, c identity.Caller) error {
	if names.ValidateUsername(c.Username) != nil || validOwner(c.UserID) != nil {
		return nil // nothing to claim (callers are checked where they enter)
	}
	key := c.Username + "." + c.UserID
	if _, ok := a.claimed.Load(key); ok {
		return nil
	}
	if err := refs.Claim(ctx, c.Username, c.UserID); err != nil {
		return err
	}
	a.claimed.Store(key, true)
	return nil
}

// store returns the reference bucket, opening it on first use.
func (a *Access) store(ctx context.Context) (*Refs, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.refs != nil {
		return a.refs, nil
	}
	refs, err := OpenRefs(ctx, a.js)
	if err != nil {
		return nil, apierr.New(apierr.CodeUnavailable, "the image reference store is not available: %v", err)
	}
	a.refs = refs
	return refs, nil
}
