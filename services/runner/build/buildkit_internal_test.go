package build

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"path"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/dockertest"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/testenv"
	"github.com/dockeronline/platform/services/runner/policy"
)

// These tests drive the BuildKit backend directly, past the policy
// engine's judgement of the Dockerfile: what the backend does with a
// Dockerfile (current syntax) and what it refuses on its own (the source
// policy, the backstop behind the judge).

type bkHarness struct {
	cli   *client.Client
	image string // busybox
	id    string // its image id
	k     *buildkit
	c     identity.Caller
}

func newBKHarness(t *testing.T) *bkHarness {
	t.Helper()
	cli := dockertest.Client(t)
	img := dockertest.BusyboxImage(t, cli)
	in, err := cli.ImageInspect(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	bk := testenv.BuildKit(t)
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	c := identity.Caller{UserID: "test-" + hex.EncodeToString(b), Username: "u" + hex.EncodeToString(b), Role: identity.RoleUser}
	return &bkHarness{cli: cli, image: img, id: in.ID, c: c,
		k: newBuildKit(cli, BuildKitOptions{Addr: bk.Addr, Dir: t.TempDir(), BaseCacheMB: 1024})}
}

// build runs df with files as its context on the backend, as Run does
// after the judgement: the base image pinned, the platform's limits.
func (h *bkHarness) build(t *testing.T, tag, df string, files map[string]string, secrets map[string][]byte) (string, string, error) {
	t.Helper()
	a := &Archive{}
	for name, body := range files {
		a.Entries = append(a.Entries, Entry{Header: &tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(body))}, Data: []byte(body)})
	}
	tarball, name, err := a.Context([]byte(df))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = h.cli.ImageRemove(context.Background(), tag, client.ImageRemoveOptions{Force: true, PruneChildren: true})
	})
	o := client.ImageBuildOptions{Dockerfile: name, Memory: 256 << 20, MemorySwap: 256 << 20, CPUPeriod: 100000, CPUQuota: 100000,
		Labels: map[string]string{policy.LabelOwner: h.c.UserID, policy.LabelUsername: h.c.Username}}
	p := &Prepared{tar: tarball, opts: o, caller: h.c, pins: map[string]string{h.image: h.id}, secrets: secrets, Tag: tag}
	cg, release, err := h.k.cgroup("/sys/fs/cgroup", h.c.UserID, 256)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	var log strings.Builder
	out := newOutput(func(l msg.BuildLog) { log.WriteString(strings.Join(l.Lines, "\n") + "\n") })
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	id, err := h.k.run(ctx, p, o, cg, out)
	return id, log.String(), err
}

// TestBuildKitModernDockerfile: heredocs, RUN --mount=type=cache and
// type=secret, COPY --chmod and --link, multi-stage with TARGETPLATFORM and
// a "# syntax=" line (read by the built-in frontend, nothing pulled) build
// on the backend; the secret was readable in its step and is in no layer.
func TestBuildKitModernDockerfile(t *testing.T) {
	h := newBKHarness(t)
	secret := "s3cr3t-" + h.c.UserID
	df := "# syntax=docker/dockerfile:1.4\n" +
		"FROM --platform=$BUILDPLATFORM " + h.image + " AS base\n" +
		"RUN --mount=type=cache,target=/cache echo warm >> /cache/runs && echo cache-runs=$(wc -l < /cache/runs)\n" +
		"RUN --mount=type=secret,id=token,required=true echo secret-bytes=$(wc -c < /run/secrets/token)\n" +
		"RUN <<EOF\n" +
		"echo heredoc-ran > /heredoc.txt\n" +
		"echo second line >> /heredoc.txt\n" +
		"EOF\n" +
		"COPY --chmod=0755 app.sh /app.sh\n" +
		"COPY --link app.sh /linked.sh\n" +
		"FROM base AS final\n" +
		"ARG TARGETPLATFORM\n" +
		"RUN echo $TARGETPLATFORM > /platform\n"
	tag := "dockeronline-test/modern-" + h.c.Username + ":1"
	id, log, err := h.build(t, tag, df, map[string]string{"app.sh": "#!/bin/sh\necho app\n"}, map[string][]byte{"token": []byte(secret)})
	if err != nil {
		t.Fatalf("build: %v\n%s", err, log)
	}
	for _, want := range []string{"cache-runs=1", "secret-bytes=" + strconv.Itoa(len(secret))} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	files := layerFiles(t, h.cli, id)
	if f, ok := files["app.sh"]; !ok || f.mode&0o777 != 0o755 {
		t.Errorf("/app.sh: %+v, want mode 0755", f)
	}
	if _, ok := files["linked.sh"]; !ok {
		t.Errorf("/linked.sh missing")
	}
	if f := files["heredoc.txt"]; f.body != "heredoc-ran\nsecond line\n" {
		t.Errorf("/heredoc.txt %q", f.body)
	}
	if f := files["platform"]; strings.TrimSpace(f.body) != "linux/amd64" {
		t.Errorf("/platform %q", f.body)
	}
	for name, f := range files {
		if strings.Contains(f.body, secret) {
			t.Errorf("the secret is in the image, at /%s", name)
		}
	}
	in, err := h.cli.ImageInspect(context.Background(), tag)
	if err != nil || in.ID != id || in.Config.Labels[policy.LabelOwner] != h.c.UserID {
		t.Errorf("image %s: %v, labels %v", tag, err, in.Config)
	}

	// The cache mount is the user's own: the second build sees the first
	// run's file; another user's build starts from an empty cache.
	_, log, err = h.build(t, tag, strings.Replace(df, "echo warm", "echo warm again", 1), map[string]string{"app.sh": "x"}, map[string][]byte{"token": []byte(secret)})
	if err != nil || !strings.Contains(log, "cache-runs=2") {
		t.Errorf("second build: %v, want cache-runs=2:\n%s", err, log)
	}
	other := *h
	other.c.UserID, other.c.Username = h.c.UserID+"x", h.c.Username+"x"
	_, log, err = other.build(t, tag+"x", strings.Replace(df, "echo warm", "echo warm again", 1), map[string]string{"app.sh": "x"}, map[string][]byte{"token": []byte(secret)})
	if err != nil || !strings.Contains(log, "cache-runs=1") {
		t.Errorf("another user's build: %v, want cache-runs=1 (a cache of its own):\n%s", err, log)
	}
}

// TestBuildKitSourcePolicy: whatever the judge let through, BuildKit reads
// nothing but the context and the pinned base images: a registry image, a
// URL, a git repository are refused by the source policy and the bait is
// never reached.
func TestBuildKitSourcePolicy(t *testing.T) {
	h := newBKHarness(t)
	bait := testenv.NewBaitOn(t, "0.0.0.0:0")
	from := "FROM " + h.image + "\n"
	cases := []struct{ name, df string }{
		{"registry image", "FROM docker.io/library/alpine:3.19\nRUN true\n"},
		{"COPY --from a registry image", from + "COPY --from=docker.io/library/alpine:3.19 /etc/os-release /x\n"},
		{"ADD a URL", from + "ADD " + bait.URL + " /x\n"},
		{"ADD a git repository", from + "ADD " + bait.URL + "repo.git /x\n"},
		{"RUN --mount from an image", from + "RUN --mount=type=bind,from=docker.io/library/alpine:3.19,target=/a true\n"},
		{"syntax from BUILDKIT_SYNTAX", "# syntax=docker.io/evil/frontend:1\n" + from + "ADD " + bait.URL + " /x\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, log, err := h.build(t, "dockeronline-test/policy-"+h.c.Username+":1", c.df, nil, nil)
			if err == nil {
				t.Fatalf("built:\n%s", log)
			}
			if ae, ok := err.(*apierr.Error); !ok || ae.Code != apierr.CodePolicy || ae.Rule != policy.RuleRemoteSource {
				t.Errorf("error %v, want the source policy's refusal (rule %s)", err, policy.RuleRemoteSource)
			}
		})
	}
}

type layerFile struct {
	mode int64
	body string
}

// layerFiles is every regular file of the image's layers (the last layer
// wins), read from an engine save.
func layerFiles(t *testing.T, cli *client.Client, id string) map[string]layerFile {
	t.Helper()
	rc, err := cli.ImageSave(context.Background(), []string{id})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	out := map[string]layerFile{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if path.Base(h.Name) != "layer.tar" {
			continue
		}
		lr := tar.NewReader(tr)
		for {
			lh, err := lr.Next()
			if err != nil {
				break
			}
			if lh.Typeflag == tar.TypeReg {
				var b bytes.Buffer
				_, _ = io.Copy(&b, io.LimitReader(lr, 1<<20))
				out[strings.TrimPrefix(path.Clean(lh.Name), "/")] = layerFile{mode: lh.Mode, body: b.String()}
			}
		}
	}
}

// TestBuildKitNoEntitlements: past the judge, a RUN step still cannot ask
// BuildKit for the host's network or an unconfined sandbox: the daemon
// grants no entitlement (deploy/buildkit/buildkitd.toml) and the solve
// asks for none.
func TestBuildKitNoEntitlements(t *testing.T) {
	h := newBKHarness(t)
	from := "FROM " + h.image + "\n"
	for _, c := range []struct{ name, df string }{
		{"RUN --network=host", from + "RUN --network=host ip -4 -o addr show\n"},
		{"RUN --security=insecure", from + "RUN --security=insecure cat /proc/1/status\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, log, err := h.build(t, "dockeronline-test/ent-"+h.c.Username+":1", c.df, nil, nil)
			if err == nil {
				t.Fatalf("built:\n%s", log)
			}
			if ae, ok := err.(*apierr.Error); !ok || ae.Code != apierr.CodePolicy || ae.Rule != policy.RuleEntitlement {
				t.Errorf("error %v, want the entitlement rule %s", err, policy.RuleEntitlement)
			}
		})
	}
}
