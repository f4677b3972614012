package container_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/dockertest"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/subjects"
	"github.com/dockeronline/platform/services/runner/runnertest"
)

// TestEveryCreateOption: command, entrypoint, env, working dir, labels,
// restart policy, memory and CPU limits, exposed and published ports and a
// user network all reach Docker as asked.
func TestEveryCreateOption(t *testing.T) {
	port := freePortIn(t, 20000, 20999)
	h := setup(t, map[string]string{"RUNNER_PUBLISH_PORTS": "20000-20999"})
	u := runnertest.NewUser(t, h.cli, identity.RoleUser)
	if _, err := call[msg.Network](h, u, subjects.NetworkCreate, msg.NetworkCreate{Name: "backend"}); err != nil {
		t.Fatal(err)
	}
	spec := msg.ContainerSpec{
		Name: "opts", Image: h.image,
		Entrypoint:    []string{"sh", "-c"},
		Cmd:           []string{`mkdir -p /www && echo "$GREETING from $(pwd)" > /www/index.html && echo started && exec httpd -f -p 8080 -h /www`},
		Env:           []string{"GREETING=hello"},
		WorkingDir:    "/tmp",
		Labels:        map[string]string{"team": "blue"},
		RestartPolicy: "on-failure",
		MemoryMB:      64,
		CPUs:          0.25,
		Network:       "backend",
		Ports:         []msg.PortSpec{{Container: 8080, Publish: port}},
	}
	c, err := call[msg.Container](h, u, subjects.ContainerCreate, msg.ContainerCreate{Spec: spec})
	if err != nil {
		t.Fatal(err)
	}
	if c.RestartPolicy != "on-failure" || c.MemoryMB != 64 || c.CPUs != 0.25 || c.Labels["team"] != "blue" || len(c.Ports) != 1 || c.Ports[0].Container != 8080 {
		t.Fatalf("view %+v", c)
	}
	in, err := h.cli.ContainerInspect(context.Background(), c.ID, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if string(in.Container.HostConfig.NetworkMode) != u.Username+"--backend" || in.Container.Config.WorkingDir != "/tmp" {
		t.Fatalf("network %s workdir %s", in.Container.HostConfig.NetworkMode, in.Container.Config.WorkingDir)
	}
	dockertest.WaitLogs(t, h.cli, c.ID, "started")
	body := httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/", port))
	if strings.TrimSpace(body) != "hello from /tmp" {
		t.Fatalf("published port served %q", body)
	}

	// The same host port twice is a clear conflict quoting Docker.
	spec2 := msg.ContainerSpec{Name: "opts2", Image: h.image, Cmd: []string{"httpd", "-f", "-p", "80"}, Ports: []msg.PortSpec{{Container: 80, Publish: port}}}
	_, err = call[msg.Container](h, u, subjects.ContainerCreate, msg.ContainerCreate{Spec: spec2})
	if e := apierr.From(err); e == nil || e.Docker == "" || !strings.Contains(strings.ToLower(e.Docker), "already") && !strings.Contains(strings.ToLower(e.Docker), "in use") {
		t.Fatalf("port conflict: %v", err)
	}
	// A network that does not exist is a clear error.
	spec3 := msg.ContainerSpec{Name: "opts3", Image: h.image, Network: "nowhere"}
	if _, err := call[msg.Container](h, u, subjects.ContainerCreate, msg.ContainerCreate{Spec: spec3}); apierr.From(err) == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("missing network: %v", err)
	}
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get(url)
		if err == nil {
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			return string(b)
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: %v", url, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func freePortIn(t *testing.T, lo, hi int) int {
	t.Helper()
	for p := lo + int(time.Now().UnixNano()%int64(hi-lo)); ; p = lo + (p-lo+7)%(hi-lo) {
		ln, err := net.Listen("tcp", fmt.Sprintf("0.0.0.0:%d", p))
		if err == nil {
			ln.Close()
			return p
		}
	}
}
