package policy_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/distribution/reference"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/dockeronline/platform/services/runner/policy"
)

// bkHost is the platform the BuildKit-mode tests build for.
var bkHost = ocispecs.Platform{OS: "linux", Architecture: "amd64"}

// baseResolver serves the test bases to BuildKit's frontend as image configs.
type baseResolver struct{}

func (baseResolver) ResolveImageConfig(_ context.Context, ref string, _ sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return "", "", nil, err
	}
	fam := reference.FamiliarString(reference.TagNameOnly(named))
	img, err := bases(strings.TrimSuffix(fam, ":latest"))
	if err != nil {
		if img, err = bases(fam); err != nil {
			return "", "", nil, err
		}
	}
	cfg, _ := json.Marshal(map[string]any{
		"os": bkHost.OS, "architecture": bkHost.Architecture, "rootfs": map[string]any{"type": "layers"},
		"config": map[string]any{"Env": img.Env, "WorkingDir": img.WorkingDir, "OnBuild": img.OnBuild},
	})
	sum := sha256.Sum256(cfg)
	return ref, digest.Digest("sha256:" + hex.EncodeToString(sum[:])), cfg, nil
}

// bkOracle converts what the judge accepted (the returned text when it
// rewrote it) with BuildKit's own dockerfile frontend and checks the LLB:
// every source is the local context or an image of refs.Images (no http,
// git or other scheme), every cache mount id is in the user's namespace,
// every secret is one of refs.Secrets, and no step runs on the host's
// network or insecure. It returns the cache ids, for the tests to look at.
func bkOracle(t *testing.T, df []byte, in policy.DockerfileInput, refs policy.DockerfileRefs, userID string) []string {
	t.Helper()
	text := df
	if refs.Dockerfile != nil {
		text = refs.Dockerfile
	}
	ctx := context.Background()
	caps := pb.Caps.CapSet(pb.Caps.All())
	res, err := dockerfile2llb.Dockerfile2LLB(ctx, text, dockerfile2llb.ConvertOpt{
		Config: dockerui.Config{BuildArgs: in.Args, Target: in.Target,
			BuildPlatforms: []ocispecs.Platform{bkHost}, TargetPlatforms: []ocispecs.Platform{bkHost}},
		MetaResolver: baseResolver{},
		LLBCaps:      &caps,
	})
	if err != nil {
		return nil // the frontend refuses it: nothing is built
	}
	def, err := res.State.Marshal(ctx)
	if err != nil {
		return nil
	}
	if res.Image != nil {
		noProcDir(t, res.Image.Config.WorkingDir)
		for k := range res.Image.Config.Labels {
			if strings.HasPrefix(strings.ToLower(k), policy.LabelPrefix) {
				t.Fatalf("the image carries the platform label %s", k)
			}
		}
	}
	var caches []string
	for _, dt := range def.Def {
		var op pb.Op
		if err := op.UnmarshalVT(dt); err != nil {
			t.Fatalf("LLB op: %v", err)
		}
		if src := op.GetSource(); src != nil {
			id := src.GetIdentifier()
			scheme, rest, _ := strings.Cut(id, "://")
			switch scheme {
			case "local":
				if rest != "context" {
					t.Fatalf("LLB reads local source %q", id)
				}
			case "docker-image":
				if !slices.ContainsFunc(refs.Images, func(ref string) bool { return sameImage(ref, rest) }) {
					t.Fatalf("LLB reads image %q, not in refs %v", rest, refs.Images)
				}
			default:
				t.Fatalf("LLB reads source %q", id)
			}
		}
		if ex := op.GetExec(); ex != nil {
			noProcDir(t, ex.GetMeta().GetCwd())
			if ex.GetNetwork() == pb.NetMode_HOST || ex.GetSecurity() == pb.SecurityMode_INSECURE {
				t.Fatalf("LLB runs a step on the host's network or insecure: %v", ex.GetMeta().GetArgs())
			}
			for _, m := range ex.GetMounts() {
				switch m.GetMountType() {
				case pb.MountType_CACHE:
					id := m.GetCacheOpt().GetID()
					if !strings.HasPrefix(id, "/"+userID+"/") {
						t.Fatalf("cache mount id %q is not in %s's namespace", id, userID)
					}
					caches = append(caches, id)
				case pb.MountType_SECRET:
					if !slices.Contains(refs.Secrets, m.GetSecretOpt().GetID()) {
						t.Fatalf("secret %q is read but not in refs %v", m.GetSecretOpt().GetID(), refs.Secrets)
					}
				case pb.MountType_SSH:
					t.Fatalf("LLB mounts the ssh agent")
				}
			}
		}
	}
	return caches
}

// sameImage reports whether the frontend's image identifier id (a tag
// pinned to the digest it resolved, or the digest written) is ref.
func sameImage(ref, id string) bool {
	r, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return false
	}
	n, err := reference.ParseNormalizedNamed(id)
	if err != nil || reference.TrimNamed(r).String() != reference.TrimNamed(n).String() {
		return false
	}
	tag := func(x reference.Named) string {
		if t, ok := x.(reference.Tagged); ok {
			return t.Tag()
		}
		return ""
	}
	dig := func(x reference.Named) string {
		if d, ok := x.(reference.Digested); ok {
			return d.Digest().String()
		}
		return ""
	}
	switch {
	case dig(r) != "":
		return dig(r) == dig(n) && (tag(r) == "" || tag(r) == tag(n))
	case tag(r) != "":
		return tag(r) == tag(n)
	default:
		return tag(n) == "latest" || tag(n) == ""
	}
}

// noProcDir fails on a working directory under /proc.
func noProcDir(t *testing.T, dir string) {
	t.Helper()
	if c := path.Clean("/" + dir); c == "/proc" || strings.HasPrefix(c, "/proc/") {
		t.Fatalf("a working directory under /proc: %s", dir)
	}
}
