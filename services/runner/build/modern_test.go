package build_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/services/runner/policy"
	"github.com/dockeronline/platform/services/runner/runnertest"
)

// modernDockerfile uses what most published Dockerfiles now do: a syntax
// line, a platform arg in FROM, heredocs, cache and secret mounts,
// COPY --chmod, several stages and a target.
func modernDockerfile(image, word string) string {
	return "# syntax=docker/dockerfile:1.4\n" +
		"FROM --platform=$BUILDPLATFORM " + image + " AS base\n" +
		"RUN --mount=type=cache,target=/root/.cache echo " + word + " >> /root/.cache/runs && echo cache-runs=$(wc -l < /root/.cache/runs)\n" +
		"RUN --mount=type=secret,id=token,required=true echo secret-bytes=$(wc -c < /run/secrets/token)\n" +
		"RUN <<EOF\n" +
		"echo heredoc-ran > /heredoc.txt\n" +
		"EOF\n" +
		"COPY --chmod=0755 app.sh /app.sh\n" +
		"FROM base AS final\n" +
		"ARG TARGETPLATFORM\n" +
		"RUN echo platform=$TARGETPLATFORM\n" +
		"FROM base AS unused\n" +
		"RUN exit 1\n"
}

// TestModernDockerfileThroughTheRunner: the Dockerfile of a current
// project builds through the runner on BuildKit, as pasted — the judge in
// BuildKit mode, the secret from the request, the target stage — and the
// cache mount is the user's own (another user's build starts empty: the
// judge scoped its id). The classic builder refuses the same file by rule,
// naming what it cannot read.
func TestModernDockerfileThroughTheRunner(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		h := setup(t, be.env(t))
		secret := "s3cr3t-value"
		// Later builds change the cached step's text, so it runs and reads
		// the cache mount again (--no-cache would give it a fresh one).
		build := func(c identity.Caller, name, word string) (string, *apierr.Error) {
			tag := c.Username + "/" + name + ":1"
			removeImage(t, h, tag)
			started, err := start(t, h, c, msg.BuildRequest{
				Name: name, Tag: "1", Target: "final", Dockerfile: modernDockerfile(h.image, word),
				Context: upload(t, h, c.UserID, map[string]string{"app.sh": "#!/bin/sh\necho app\n"}),
				Secrets: map[string]string{"token": secret},
			})
			if err != nil {
				return "", apierr.From(err)
			}
			evs := finish(t, h, started.Job.ID)
			if last := evs[len(evs)-1]; last.Type != msg.JobEventDone {
				return logOf(evs), last.Error
			}
			return logOf(evs), nil
		}
		alice := runnertest.NewUser(t, h.cli, identity.RoleUser)
		log, e := build(alice, "modern", "run")
		if !be.buildkit {
			if e == nil || e.Rule != policy.RuleDockerfile {
				t.Fatalf("the classic builder took a modern Dockerfile: %+v\n%s", e, log)
			}
			return
		}
		if e != nil {
			t.Fatalf("build: %+v\n%s", e, log)
		}
		for _, want := range []string{"cache-runs=1", "secret-bytes=" + strconv.Itoa(len(secret)), "platform=linux/amd64"} {
			if !strings.Contains(log, want) {
				t.Errorf("log lacks %q:\n%s", want, log)
			}
		}
		if strings.Contains(log, secret) {
			t.Errorf("the secret's value is in the build log")
		}
		if log, e = build(alice, "modern2", "again"); e != nil || !strings.Contains(log, "cache-runs=2") {
			t.Errorf("alice's second build: %+v, want her cache (cache-runs=2):\n%s", e, log)
		}
		bob := runnertest.NewUser(t, h.cli, identity.RoleUser)
		if log, e = build(bob, "modern", "again"); e != nil || !strings.Contains(log, "cache-runs=1") {
			t.Errorf("bob's build: %+v, want a cache of his own (cache-runs=1):\n%s", e, log)
		}
	})
}
