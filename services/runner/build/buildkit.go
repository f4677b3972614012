package build

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/containerd/containerd/v2/core/content"
	clog "github.com/containerd/log"
	"github.com/distribution/reference"
	bkclient "github.com/moby/buildkit/client"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/secrets/secretsprovider"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/client"
	"github.com/tonistiigi/fsutil"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/services/runner/engine"
)

// buildkit is the standalone BuildKit backend (RUNNER_BUILDKIT_ADDR): the
// builder of current Dockerfiles (heredocs, RUN --mount, COPY --chmod, …),
// which the engine here (20.10, classic builder) cannot parse. The build
// is judged exactly as for the classic builder; then BuildKit gets the
// judged context and Dockerfile, base images from the engine (no
// registry), a source policy that refuses everything else, the build's
// cgroup parent and the user's memory and CPU, and exports an image
// tarball the engine loads.
type buildkit struct {
	addr   string
	docker *client.Client
	bases  *bases
	tmp    string // where contexts are unpacked for the duration of a build

	mu     sync.Mutex
	client *bkclient.Client
	groups map[string]int // a user's cgroup parent -> builds using it
}

func newBuildKit(docker *client.Client, o BuildKitOptions) *buildkit {
	// The BuildKit client and containerd's content store log through
	// logrus, outside the runner's slog: their warnings (a file system
	// without fs-verity, on every store opened) are noise; their errors
	// reach the build's result anyway.
	_ = clog.SetLevel("error")
	return &buildkit{addr: o.Addr, docker: docker, tmp: o.Dir, groups: map[string]int{},
		bases: newBases(docker, o.Dir+"/bases", o.BaseCacheMB<<20)}
}

// conn returns the client, made once (it connects lazily and reconnects).
func (k *buildkit) conn(ctx context.Context) (*bkclient.Client, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.client != nil {
		return k.client, nil
	}
	c, err := bkclient.New(ctx, k.addr)
	if err != nil {
		return nil, err
	}
	k.client = c
	return c, nil
}

// cgroup returns the user's cgroup parent for BuildKit's RUN steps, made
// with pids.max = pids for the first of the user's builds and removed
// after the last. It is one per user, not per build, because BuildKit
// keys its cache on the cgroup parent (it is part of the RUN step's
// definition): a name per build would cache nothing. So RUN results are
// cached per user, never reused across users, and the pids limit holds for
// all of one user's builds at once (BUILD_PER_USER of them).
func (k *buildkit) cgroup(root, owner string, pids int64) (*buildCgroup, func(), error) {
	sum := sha256.Sum256([]byte(owner))
	name := cgroupPrefix + "u" + hex.EncodeToString(sum[:8])
	k.mu.Lock()
	defer k.mu.Unlock()
	g, err := makeBuildCgroup(root, name, pids, true)
	if err != nil {
		return nil, nil, err
	}
	k.groups[name]++
	return g, func() {
		k.mu.Lock()
		defer k.mu.Unlock()
		if k.groups[name]--; k.groups[name] <= 0 {
			delete(k.groups, name)
			_ = g.remove() // best effort: a leftover is an empty cgroup with a pids limit
		}
	}, nil
}

// frontend attributes the platform sets itself; a build arg cannot set
// them (BUILDKIT_* args are frontend switches, not the user's).
const (
	argPrefix  = "build-arg:"
	cacheNSArg = argPrefix + "BUILDKIT_CACHE_MOUNT_NS"
)

// run builds p with BuildKit and returns the image id the engine loaded.
// o is p's options bounded for this run (memory, CPU), cg the build's
// cgroup parent (pids).
func (k *buildkit) run(ctx context.Context, p *Prepared, o client.ImageBuildOptions, cg *buildCgroup, out *output) (string, error) {
	c, err := k.conn(ctx)
	if err != nil {
		return "", apierr.New(apierr.CodeUnavailable, "the builder (BuildKit at %s) is not reachable: %v", k.addr, err)
	}
	if err := os.MkdirAll(k.tmp, 0o700); err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp(k.tmp, "context-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	if err := unpackTo(p.tar, dir); err != nil {
		return "", apierr.New(apierr.CodeInternal, "could not prepare the build context: %v", err)
	}
	fs, err := fsutil.NewFS(dir)
	if err != nil {
		return "", err
	}

	attrs := map[string]string{
		"filename": o.Dockerfile,
		// Set, a "# syntax=" line never makes BuildKit fetch a frontend
		// image: the built-in frontend (newer than dockerfile:1.x) reads it.
		"cmdline":       "dockeronline/builtin",
		"cgroup-parent": cg.Parent(),
		"memory":        strconv.FormatInt(o.Memory, 10),
		"memswap":       strconv.FormatInt(o.MemorySwap, 10),
		"cpuquota":      strconv.FormatInt(o.CPUQuota, 10),
		"cpuperiod":     strconv.FormatInt(o.CPUPeriod, 10),
	}
	if o.Target != "" {
		attrs["target"] = o.Target
	}
	if o.NoCache {
		attrs["no-cache"] = ""
	}
	if strings.EqualFold(o.NetworkMode, "none") {
		attrs["force-network-mode"] = "none"
	}
	for name, v := range o.BuildArgs {
		if v != nil && !strings.HasPrefix(strings.ToUpper(name), "BUILDKIT_") {
			attrs[argPrefix+name] = *v
		}
	}
	// Cache mounts (RUN --mount=type=cache) are the user's own: BuildKit
	// prefixes every cache id with this namespace.
	attrs[cacheNSArg] = "user-" + p.caller.UserID
	for name, v := range o.Labels {
		attrs["label:"+name] = v
	}
	stores := map[string]content.Store{}
	var allowed []string
	for ref, id := range p.pins {
		st, release, err := k.bases.store(ctx, id)
		if err != nil {
			return "", apierr.New(apierr.CodeUnavailable, "could not give the builder the base image %s: %v", ref, err)
		}
		defer release()
		key, err := contextKey(ref)
		if err != nil {
			return "", err
		}
		stores[st.ID] = st.Store
		attrs["context:"+key] = "oci-layout://" + st.ID + "@" + st.Manifest
		allowed = append(allowed, st.Manifest)
	}

	pr, pw := io.Pipe()
	loaded := make(chan loadResult, 1)
	go func() { loaded <- k.load(ctx, pr) }()
	opt := bkclient.SolveOpt{
		Frontend:      "dockerfile.v0",
		FrontendAttrs: attrs,
		LocalMounts:   map[string]fsutil.FS{"context": fs, "dockerfile": fs},
		OCIStores:     stores,
		SourcePolicy:  sourcePolicy(allowed),
		SharedKey:     "user-" + p.caller.UserID,
		Session:       []session.Attachable{secretsprovider.FromMap(p.secrets)},
		Exports: []bkclient.ExportEntry{{
			Type:  bkclient.ExporterDocker,
			Attrs: map[string]string{"name": p.Tag},
			Output: func(map[string]string) (io.WriteCloser, error) {
				return pw, nil
			},
		}},
	}
	ch := make(chan *bkclient.SolveStatus)
	prog := newSteps(out)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for s := range ch {
			prog.status(s)
		}
	}()
	_, serr := c.Solve(ctx, nil, opt, ch)
	<-done
	out.end()
	// The exporter closes pw when the tarball is written; on a failure
	// before that, the load must not wait for it.
	pw.CloseWithError(errors.New("the build ended"))
	res := <-loaded
	if serr != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", prog.failure(serr)
	}
	if res.err != nil {
		return "", res.err
	}
	in, err := k.docker.ImageInspect(ctx, p.Tag)
	if err != nil {
		return "", engine.FromDocker("inspect built image "+p.Tag, err)
	}
	return in.ID, nil
}

type loadResult struct{ err error }

// load streams the exporter's tarball into the engine.
func (k *buildkit) load(ctx context.Context, r io.ReadCloser) loadResult {
	defer r.Close()
	res, err := k.docker.ImageLoad(ctx, r, client.ImageLoadWithQuiet(true))
	if err != nil {
		_, _ = io.Copy(io.Discard, r) // let the exporter finish
		return loadResult{engine.FromDocker("load the built image", err)}
	}
	defer res.Close()
	dec := json.NewDecoder(res)
	for {
		var m jsonstream.Message
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return loadResult{}
			}
			return loadResult{fmt.Errorf("load the built image: %w", err)}
		}
		if m.Error != nil {
			return loadResult{apierr.New(apierr.CodeInternal, "the engine did not load the built image: %s", m.Error.Message)}
		}
	}
}

// contextKey is the name the Dockerfile frontend looks a FROM (or
// COPY --from, RUN --mount from=) image up by among named contexts: the
// familiar form, without ":latest" (dockerui.Client.NamedContext).
func contextKey(ref string) (string, error) {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return "", apierr.Invalid("image reference %q: %v", ref, err)
	}
	return strings.TrimSuffix(reference.FamiliarString(named), ":latest"), nil
}
