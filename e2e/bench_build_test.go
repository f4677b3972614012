package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/dockeronline/platform/e2e/stack"
	"github.com/dockeronline/platform/pkg/dockertest"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/testenv"
	gwjobs "github.com/dockeronline/platform/services/gateway/jobs"
)

// BenchmarkBuild builds one Dockerfile (a context of a few files, two
// stages, RUN steps that do some work) two ways, taking turns:
//
//   - platform: POST /api/v1/builds with the context, as a user, through
//     the gateway, NATS and the runner's judgement, on standalone BuildKit
//     (base image from the engine as an OCI layout, the exported image
//     loaded into the engine), until the job's done event;
//   - docker build: the docker CLI against the same engine (20.10: the
//     classic builder), the same context, until it exits.
//
// Each is timed cold (no cache: --no-cache, "no_cache") and cached (the
// same build again). With BENCH_MARKDOWN set it writes the "Builds"
// section of that file (between <!-- builds:begin --> and
// <!-- builds:end -->). Run it with -benchtime 1x:
//
//	go test ./e2e -run '^$' -bench 'BenchmarkBuild$' -benchtime 1x
func BenchmarkBuild(b *testing.B) {
	bk := testenv.BuildKit(b)
	w := stack.StartWeb(b, map[string]string{"RUNNER_BUILDKIT_ADDR": bk.Addr, "RUNNER_BUILDKIT_DIR": b.TempDir()})
	s := w.Stack
	u := s.Register(b, stack.UniqueName("bench"))
	files := map[string]string{
		"Dockerfile": "FROM " + s.Image + " AS build\n" +
			"COPY src/ /src/\n" +
			"RUN for i in $(seq 1 20000); do echo line $i; done > /src/generated.txt && sha256sum /src/* > /src/SUMS\n" +
			"RUN tar -cf /out.tar -C /src .\n" +
			"FROM " + s.Image + "\n" +
			"COPY --from=build /out.tar /app/out.tar\n" +
			"RUN mkdir -p /www && tar -xf /app/out.tar -C /www && ls -l /www > /www/index.txt\n" +
			"CMD [\"httpd\", \"-f\", \"-p\", \"80\", \"-h\", \"/www\"]\n",
		"src/a.txt": strings.Repeat("alpha\n", 5000),
		"src/b.txt": strings.Repeat("beta\n", 5000),
		"src/c.sh":  "#!/bin/sh\necho c\n",
	}
	dir := b.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	platformTag, dockerTag := u.Username+"/benchbuild:latest", "dockeronline-bench/build-"+u.Username+":latest"
	b.Cleanup(func() { removeImages(s, platformTag, dockerTag) })

	platform := func(noCache bool) time.Duration {
		start := time.Now()
		buildThroughAPI(b, s, u.Token, files, noCache)
		return time.Since(start)
	}
	docker := func(noCache bool) time.Duration {
		args := []string{"build", "-q", "-t", dockerTag}
		if noCache {
			args = append(args, "--no-cache")
		}
		cmd := exec.Command("docker", append(args, dir)...)
		cmd.Env = append(os.Environ(), "DOCKER_BUILDKIT=0") // the engine's own builder; this CLI has no buildx
		start := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("docker build: %v\n%s", err, out)
		}
		return time.Since(start)
	}
	// Warm up both (base image layout, the engine's first build), untimed.
	platform(false)
	docker(false)

	const rounds = 5
	samples := map[string][]time.Duration{}
	for i := 0; i < rounds; i++ {
		samples["platform cold"] = append(samples["platform cold"], platform(true))
		samples["docker cold"] = append(samples["docker cold"], docker(true))
		samples["platform cached"] = append(samples["platform cached"], platform(false))
		samples["docker cached"] = append(samples["docker cached"], docker(false))
	}
	for _, k := range []string{"platform cold", "docker cold", "platform cached", "docker cached"} {
		b.ReportMetric(float64(median(samples[k]).Milliseconds()), strings.ReplaceAll(k, " ", "-")+"-ms")
	}
	if path := os.Getenv("BENCH_MARKDOWN"); path != "" {
		writeBuildSection(b, path, samples, rounds)
	}
}

// buildThroughAPI posts the build and waits for its job to end.
func buildThroughAPI(b testing.TB, s *stack.Stack, token string, files map[string]string, noCache bool) {
	b.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	req, _ := json.Marshal(map[string]any{"name": "benchbuild", "no_cache": noCache})
	_ = mw.WriteField("request", string(req))
	fw, _ := mw.CreateFormFile("context", "context.tar")
	raw := map[string][]byte{}
	for k, v := range files {
		raw[k] = []byte(v)
	}
	if _, err := io.Copy(fw, dockertest.TarOf(b, raw)); err != nil {
		b.Fatal(err)
	}
	_ = mw.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	hr, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.GatewayURL+"/api/v1/builds", &body)
	hr.Header.Set("Content-Type", mw.FormDataContentType())
	hr.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(hr)
	if err != nil {
		b.Fatal(err)
	}
	var started msg.JobStarted
	err = json.NewDecoder(res.Body).Decode(&started)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusAccepted {
		b.Fatalf("build: %d %v", res.StatusCode, err)
	}
	er, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.GatewayURL+started.Events, nil)
	er.Header.Set("Authorization", "Bearer "+token)
	er.Header.Set("Accept", "text/event-stream")
	evres, err := http.DefaultClient.Do(er)
	if err != nil {
		b.Fatal(err)
	}
	defer evres.Body.Close()
	for ev, err := range gwjobs.ReadSSE(evres.Body) {
		if err != nil {
			b.Fatal(err)
		}
		switch ev.Event {
		case "done":
			return
		case "error":
			b.Fatalf("build failed: %s", ev.Data)
		}
	}
	b.Fatal("the build's events ended without done")
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func spread(d []time.Duration) (lo, hi time.Duration) {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[0], s[len(s)-1]
}

// writeBuildSection splices the "Builds" section into the markdown file.
func writeBuildSection(b *testing.B, path string, samples map[string][]time.Duration, rounds int) {
	var md strings.Builder
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Fprintf(&md, "Measured by `BenchmarkBuild` (`e2e/bench_build_test.go`, run by `make bench`) on %s: %d CPUs, %s. "+
		"The same Dockerfile and context (two stages, three files, RUN steps that generate and checksum 20 000 lines and pack them) built %d times each way, the ways taking turns: "+
		"through the platform (POST /api/v1/builds, gateway → NATS → runner → standalone BuildKit, the image loaded into the engine, until the job's done event) and `docker build` on the raw engine (Docker 20.10's classic builder; the CLI here has no buildx). "+
		"Cold: no cache (`no_cache`, `--no-cache`); cached: the same build again. Load average (1 min) at the end: %s.\n\n",
		time.Now().UTC().Format("2006-01-02"), runtime.NumCPU(), runtime.Version(), rounds, strings.Fields(string(load) + " ?")[0])
	md.WriteString("| build | platform (BuildKit): median | range | `docker build`: median | range | platform / docker |\n|---|---:|---:|---:|---:|---:|\n")
	for _, kind := range []string{"cold", "cached"} {
		p, d := samples["platform "+kind], samples["docker "+kind]
		plo, phi := spread(p)
		dlo, dhi := spread(d)
		fmt.Fprintf(&md, "| %s | %d ms | %d–%d ms | %d ms | %d–%d ms | **%.2f×** |\n", kind,
			median(p).Milliseconds(), plo.Milliseconds(), phi.Milliseconds(),
			median(d).Milliseconds(), dlo.Milliseconds(), dhi.Milliseconds(),
			float64(median(p))/float64(median(d)))
	}
	md.WriteString("\nThe platform's time includes what `docker build` does not do: the upload through the gateway, the judgement of the Dockerfile, the user's build slot and cgroup, the export of the built image as a tarball and its load into the engine (BuildKit cannot write to the engine's image store), and the job's events; a cached build still exports and loads the image. " +
		"Cold, BuildKit is the faster builder here: the classic builder runs each RUN step as an engine container and commits it through the engine's storage driver (fuse-overlayfs on this machine), BuildKit runs it with runc on its own overlayfs snapshots. " +
		"Cold means no build cache; the base image's OCI layout (exported from the engine once per image id, in the untimed warm-up) is kept.\n")
	old, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	const begin, end = "<!-- builds:begin -->", "<!-- builds:end -->"
	doc, block := string(old), begin+"\n"+md.String()+end
	if i, j := strings.Index(doc, begin), strings.Index(doc, end); i >= 0 && j > i {
		doc = doc[:i] + block + doc[j+len(end):]
	} else {
		doc = strings.TrimRight(doc, "\n") + "\n\n## Builds\n\n" + block + "\n"
	}
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		b.Fatal(err)
	}
}
