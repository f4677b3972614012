package build_test

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/dockertest"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/testenv"
	"github.com/dockeronline/platform/services/runner/policy"
	"github.com/dockeronline/platform/services/runner/runnertest"
)

// TestBuildBait: every way of making the engine fetch for the user — ADD
// of a URL however it is spelled or carried, base images' ENV and ONBUILD,
// a context that swaps the Dockerfile — is refused through the runner's
// build path on the real engine, and the bait on the Docker host's
// loopback is never reached (it fails the test at cleanup otherwise).
// Images that do get built hold nothing the bait serves.
func TestBuildBait(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		h := setup(t, be.env(t))
		bait := testenv.NewBait(t)
		alice := runnertest.NewUser(t, h.cli, identity.RoleUser)
		from := "FROM " + h.image + "\n"
		u, hostPath := bait.URL+"admin/identities", bait.Host+"/admin/identities"
		var built []string
		parent := t // images go when the whole test ends, after the scan below
		build := func(t *testing.T, name string, req msg.BuildRequest) error {
			t.Helper()
			req.Name, req.NoCache = name, true
			tag := alice.Username + "/" + name + ":latest"
			removeImage(parent, h, tag)
			started, err := start(t, h, alice, req)
			if err != nil {
				return err
			}
			evs := finish(t, h, started.Job.ID)
			if last := evs[len(evs)-1]; last.Type != msg.JobEventDone {
				return last.Error
			}
			built = append(built, tag)
			return nil
		}

		// Images that carry an attack for a later build: the URL in their ENV,
		// a trigger that ADDs it. Building them fetches nothing.
		if err := build(t, "envtrap", msg.BuildRequest{Dockerfile: from + "ENV U=" + u + "\n"}); err != nil {
			t.Fatalf("envtrap: %v", err)
		}
		if err := build(t, "onbuildtrap", msg.BuildRequest{Dockerfile: from + "ONBUILD ADD $U /x\nENV U=" + u + "\n"}); err != nil {
			t.Fatalf("onbuildtrap: %v", err)
		}

		// asWritten marks the cases BuildKit reads as written, where the
		// classic builder misreads: BuildKit's judge finds nothing remote
		// in them (a proxy arg is not an ADD variable, 20.10's misreadings
		// are not BuildKit's), so they are built or fail on a context path —
		// and the bait, checked at cleanup, proves nothing was fetched.
		asWritten := map[string]bool{
			"URL in a proxy build arg": true, "base image ENV over an ARG": true,
			"escape directive Docker 20.10 ignores": true, "heredoc read as instructions by Docker 20.10": true,
		}
		cases := []struct {
			name string
			req  msg.BuildRequest
			rule string
		}{
			{"URL", msg.BuildRequest{Dockerfile: from + "ADD " + u + " /x\n"}, policy.RuleRemoteSource},
			{"URL in ENV", msg.BuildRequest{Dockerfile: from + "ENV U=" + u + "\nADD $U /x\n"}, policy.RuleRemoteSource},
			{"URL in an ARG default", msg.BuildRequest{Dockerfile: from + "ARG U=" + u + "\nADD ${U} /x\n"}, policy.RuleRemoteSource},
			{"URL in a build arg", msg.BuildRequest{Dockerfile: from + "ARG U=local\nADD $U /x\n", BuildArgs: map[string]string{"U": u}}, policy.RuleRemoteSource},
			{"URL in a proxy build arg", msg.BuildRequest{Dockerfile: from + "ADD $HTTP_PROXY /x\n", BuildArgs: map[string]string{"HTTP_PROXY": u}}, policy.RuleRemoteSource},
			{"URL as a default", msg.BuildRequest{Dockerfile: from + "ADD ${U:-" + u + "} /x\n"}, policy.RuleRemoteSource},
			{"URL as an alternative", msg.BuildRequest{Dockerfile: from + "ENV U=1\nADD ${U:+" + u + "} /x\n"}, policy.RuleRemoteSource},
			{"meta ARG declared again", msg.BuildRequest{Dockerfile: "ARG U=" + u + "\n" + from + "ARG U\nADD $U /x\n"}, policy.RuleRemoteSource},
			{"escaped letters", msg.BuildRequest{Dockerfile: from + "ADD h\\t\\tp://" + hostPath + " /x\n"}, policy.RuleRemoteSource},
			{"backtick escape", msg.BuildRequest{Dockerfile: "# escape=`\n" + from + "ADD h`ttp://" + hostPath + " /x\n"}, policy.RuleRemoteSource},
			{"continuation in the scheme", msg.BuildRequest{Dockerfile: from + "ADD ht\\\ntp://" + hostPath + " /x\n"}, policy.RuleRemoteSource},
			{"quoted pieces", msg.BuildRequest{Dockerfile: from + "ADD \"ht\"'tp'://" + hostPath + " /x\n"}, policy.RuleRemoteSource},
			{"JSON form", msg.BuildRequest{Dockerfile: from + "ADD [\"" + u + "\", \"/x\"]\n"}, policy.RuleRemoteSource},
			{"upper case", msg.BuildRequest{Dockerfile: "from " + h.image + "\nadd HTTP://" + hostPath + " /x\n"}, policy.RuleRemoteSource},
			{"ADD --checksum", msg.BuildRequest{Dockerfile: from + "ADD --checksum=sha256:0000000000000000000000000000000000000000000000000000000000000000 " + u + " /x\n"}, policy.RuleRemoteSource},
			{"git URL", msg.BuildRequest{Dockerfile: from + "ADD " + bait.URL + "repo.git#main /x\n"}, policy.RuleRemoteSource},
			{"scp-like git", msg.BuildRequest{Dockerfile: from + "ADD git@" + bait.Host + ":repo.git /x\n"}, policy.RuleRemoteSource},
			{"ONBUILD", msg.BuildRequest{Dockerfile: from + "ONBUILD ADD " + u + " /x\n"}, policy.RuleRemoteSource},
			{"ONBUILD fired in a later stage", msg.BuildRequest{Dockerfile: from[:len(from)-1] + " AS a\nONBUILD ADD $U /x\nENV U=" + u + "\nFROM a\n"}, policy.RuleRemoteSource},
			{"stage ENV", msg.BuildRequest{Dockerfile: from[:len(from)-1] + " AS a\nENV U=" + u + "\nFROM a\nADD $U /x\n"}, policy.RuleRemoteSource},
			{"base image ENV", msg.BuildRequest{Dockerfile: "FROM " + alice.Username + "/envtrap:latest\nADD $U /x\n"}, policy.RuleRemoteSource},
			{"base image ENV over an ARG", msg.BuildRequest{Dockerfile: "FROM " + alice.Username + "/envtrap:latest\nARG U=local\nADD $U /x\n"}, policy.RuleRemoteSource},
			{"base image ONBUILD", msg.BuildRequest{Dockerfile: "FROM " + alice.Username + "/onbuildtrap:latest\n"}, policy.RuleRemoteSource},
			{"escape directive Docker 20.10 ignores", msg.BuildRequest{Dockerfile: "# check=skip=all\n# escape=`\n" + from + "RUN echo `\nADD " + u + " /x\n"}, policy.RuleDockerfile},
			{"heredoc read as instructions by Docker 20.10", msg.BuildRequest{Dockerfile: from + "COPY <<EOF /x\nADD " + u + " /y\nEOF\n"}, policy.RuleDockerfile},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				err := build(t, "bait", c.req)
				if be.buildkit && asWritten[c.name] {
					if ae := apierr.From(err); ae != nil && ae.Rule != "" {
						t.Fatalf("got %v, want it read as written (built, or failed by the builder)", err)
					}
					return
				}
				if ae := apierr.From(err); ae == nil || ae.Rule != c.rule {
					t.Fatalf("got %v, want rule %s", err, c.rule)
				}
			})
		}

		// Contexts that would swap in an unjudged Dockerfile.
		evil := from + "ADD " + u + " /x\n"
		contexts := []struct {
			name    string
			entries []tarEntry
			built   bool
		}{
			{"a later symlink named Dockerfile", []tarEntry{{"Dockerfile", tar.TypeReg, from}, {"evil", tar.TypeReg, evil}, {"Dockerfile", tar.TypeSymlink, "evil"}}, false},
			{"a hard link named Dockerfile", []tarEntry{{"evil", tar.TypeReg, evil}, {"Dockerfile", tar.TypeLink, "evil"}}, false},
			{"Dockerfile twice", []tarEntry{{"Dockerfile", tar.TypeReg, from}, {"./Dockerfile", tar.TypeReg, evil}}, false},
			{"a symlink as the Dockerfile", []tarEntry{{"evil", tar.TypeReg, evil}, {"Dockerfile", tar.TypeSymlink, "evil"}}, false},
			{"a directory named Dockerfile", []tarEntry{{"Dockerfile", tar.TypeDir, ""}, {"Dockerfile/x", tar.TypeReg, evil}}, false},
			{"a .dockerignore hiding the Dockerfile", []tarEntry{{"Dockerfile", tar.TypeReg, from + "COPY . /ctx/\n"}, {"dockerfile", tar.TypeReg, evil},
				{".dockerignore", tar.TypeReg, "Dockerfile\n"}}, true},
		}
		for _, c := range contexts {
			t.Run(c.name, func(t *testing.T) {
				err := build(t, "ctx", msg.BuildRequest{Context: putUpload(t, h, alice.UserID, tarOf(t, c.entries))})
				if c.built != (err == nil) {
					t.Fatalf("built: %v, want built=%v", err, c.built)
				}
				if err != nil && apierr.From(err).Code != apierr.CodeInvalid {
					t.Errorf("refusal %v is not invalid_argument", err)
				}
			})
		}

		// Nothing the bait serves is in any image built.
		for _, tag := range built {
			res, err := h.cli.ImageSave(context.Background(), []string{tag})
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(io.LimitReader(res, 64<<20))
			res.Close()
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(b, []byte(testenv.BaitSecret)) {
				t.Errorf("image %s holds the bait's secret", tag)
			}
		}
		if len(built) < 3 || !strings.Contains(strings.Join(built, " "), "/ctx:") {
			t.Errorf("built %v: the traps and the ignored context should have built", built)
		}
	})
}

type tarEntry struct {
	name string
	typ  byte
	body string // content, or link target for links
}

func tarOf(t *testing.T, entries []tarEntry) io.Reader {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: 0o644}
		switch e.typ {
		case tar.TypeReg:
			h.Size = int64(len(e.body))
		case tar.TypeDir:
			h.Mode = 0o755
		default:
			h.Linkname = e.body
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if e.typ == tar.TypeReg {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return &buf
}

// TestBuildBaseSwappedAfterJudging: a base image re-tagged between the
// judgement and the build (here, while the build waits for its slot) is
// caught before the engine starts from it: the build fails, the trigger
// the new image carries never runs, and the bait is untouched.
func TestBuildBaseSwappedAfterJudging(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		h := setup(t, be.env(t, map[string]string{"BUILD_PER_USER": "1"}))
		bait := testenv.NewBait(t)
		alice := runnertest.NewUser(t, h.cli, identity.RoleUser)
		base, slow, victim := alice.Username+"/base:latest", alice.Username+"/slow:latest", alice.Username+"/victim:latest"
		for _, tag := range []string{base, slow, victim} {
			removeImage(t, h, tag)
		}
		started, err := start(t, h, alice, msg.BuildRequest{Name: "base", Dockerfile: "FROM " + h.image + "\nENV GREETING=hi\n"})
		if err != nil {
			t.Fatal(err)
		}
		if evs := finish(t, h, started.Job.ID); evs[len(evs)-1].Type != msg.JobEventDone {
			t.Fatalf("base: %s", logOf(evs))
		}
		// Alice's slot is busy for a while; the victim is judged against the
		// harmless base and waits.
		slowJob, err := start(t, h, alice, msg.BuildRequest{Name: "slow", NoCache: true, Dockerfile: "FROM " + h.image + "\nRUN sleep 4\n"})
		if err != nil {
			t.Fatal(err)
		}
		victimJob, err := start(t, h, alice, msg.BuildRequest{Name: "victim", NoCache: true, Dockerfile: "FROM " + base + "\nRUN echo built\n"})
		if err != nil {
			t.Fatalf("victim judged: %v", err)
		}
		// Meanwhile the base becomes an image whose trigger fetches the bait.
		evil := "dockeronline-test/evil-" + alice.Username + ":1"
		removeImage(t, h, evil)
		dockertest.BuildImage(t, h.cli, evil, map[string][]byte{"Dockerfile": []byte("FROM " + h.image + "\nONBUILD ADD " + bait.URL + " /x\n")})
		if _, err := h.cli.ImageTag(context.Background(), client.ImageTagOptions{Source: evil, Target: base}); err != nil {
			t.Fatal(err)
		}
		if evs := finish(t, h, slowJob.Job.ID); evs[len(evs)-1].Type != msg.JobEventDone {
			t.Fatalf("slow: %s", logOf(evs))
		}
		evs := finish(t, h, victimJob.Job.ID)
		last := evs[len(evs)-1]
		if last.Type != msg.JobEventError || last.Error.Code != apierr.CodeConflict {
			t.Fatalf("victim: %+v\n%s", last, logOf(evs))
		}
	})
}
