package build_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/testenv"
	"github.com/dockeronline/platform/services/runner/engine"
	"github.com/dockeronline/platform/services/runner/isolation"
	"github.com/dockeronline/platform/services/runner/runnertest"
)

// TestBuildKitRunStepsReachNothing: a BuildKit RUN step has a network
// namespace of its own on the build subnet (never the host's), and from
// it neither the host (at every address it has: eth0, docker0, the
// step's own gateway; a bait listens on all of them), nor another user's
// container (directly, or through the port it publishes on the host) is
// reachable. The build firewall's counters prove the drops were its own.
func TestBuildKitRunStepsReachNothing(t *testing.T) {
	be := backend{name: "buildkit", buildkit: true}
	port := testenv.FreePort(t)
	h := setup(t, be.env(t, map[string]string{"RUNNER_PUBLISH_PORTS": fmt.Sprintf("%d-%d", port, port)}))
	bait := testenv.NewBaitOn(t, "0.0.0.0:0")
	alice := runnertest.NewUser(t, h.cli, identity.RoleUser)
	bob := runnertest.NewUser(t, h.cli, identity.RoleUser)

	// Bob's web server, on his network, published on the host.
	removeImage(t, h, bob.Username+"/web:latest")
	started, err := start(t, h, bob, msg.BuildRequest{Name: "web",
		Dockerfile: "FROM " + h.image + "\nRUN mkdir /www && echo " + testenv.BaitSecret + " > /www/index.html\nCMD [\"httpd\", \"-f\", \"-p\", \"80\", \"-h\", \"/www\"]\n",
		Run:        &msg.ContainerSpec{Name: "web", Ports: []msg.PortSpec{{Container: 80, Publish: port}}}})
	if err != nil {
		t.Fatalf("bob's web: %v", err)
	}
	if evs := finish(t, h, started.Job.ID); evs[len(evs)-1].Type != msg.JobEventDone {
		t.Fatalf("bob's web: %s", logOf(evs))
	}
	in, err := h.cli.ContainerInspect(context.Background(), bob.Username+"--web", client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	bobIP := engine.IPOn(in.Container, bob.Username+"--default").String()
	// The host can reach it: the targets are live.
	if got := get(t, "http://"+bobIP+"/"); !strings.Contains(got, testenv.BaitSecret) {
		t.Fatalf("bob's web answers %q", got)
	}

	var targets []string
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() {
			targets = append(targets, net.JoinHostPort(n.IP.String(), strconv.Itoa(bait.Port)))
			if !strings.HasPrefix(n.IP.String(), "10.213.") {
				targets = append(targets, net.JoinHostPort(n.IP.String(), strconv.Itoa(port))) // bob's published port
			}
		}
	}
	targets = append(targets, bobIP+":80")
	targets = uniq(targets)
	inBefore, fwdBefore := buildDrops(t)
	script := "ip -4 -o addr show; ip route; for a in " + strings.Join(targets, " ") +
		// busybox's static wget crashes without NSS; nc speaks HTTP well enough.
		"; do if printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 ${a%:*} ${a#*:} | grep -q HTTP; then echo REACHED $a; else echo blocked $a; fi; done"
	removeImage(t, h, alice.Username+"/probe:latest")
	started, err = start(t, h, alice, msg.BuildRequest{Name: "probe", NoCache: true, Dockerfile: "FROM " + h.image + "\nRUN " + script + "\n"})
	if err != nil {
		t.Fatalf("probe: %v", err)
	}
	evs := finish(t, h, started.Job.ID)
	log := logOf(evs)
	if evs[len(evs)-1].Type != msg.JobEventDone {
		t.Fatalf("probe failed: %s", log)
	}
	// The step's own output lines ("#4 blocked …"), not its name.
	if m := regexp.MustCompile(`(?m)^#\d+ REACHED .*$`).FindAllString(log, -1); m != nil || strings.Contains(log, testenv.BaitSecret) {
		t.Errorf("a RUN step reached %q:\n%s", m, log)
	}
	if n := len(regexp.MustCompile(`(?m)^#\d+ blocked `).FindAllString(log, -1)); n != len(targets) {
		t.Errorf("%d of %d targets probed:\n%s", n, len(targets), log)
	}
	if !regexp.MustCompile(`inet 10\.213\.\d+\.\d+/`).MatchString(log) {
		t.Errorf("the RUN step is not on the build subnet:\n%s", log)
	}
	inAfter, fwdAfter := buildDrops(t)
	if inAfter <= inBefore || fwdAfter <= fwdBefore {
		t.Errorf("build firewall drops: input %d→%d, forward %d→%d; want both to grow", inBefore, inAfter, fwdBefore, fwdAfter)
	}
}

// buildDrops reads the build firewall's counters (isolation.BuildTable).
func buildDrops(t *testing.T) (input, forward uint64) {
	t.Helper()
	out, err := exec.Command("nft", "-j", "list", "table", "inet", isolation.BuildTable).Output()
	if err != nil {
		t.Fatalf("nft list %s: %v", isolation.BuildTable, err)
	}
	var doc struct {
		Nftables []struct {
			Rule *struct {
				Chain string            `json:"chain"`
				Expr  []json.RawMessage `json:"expr"`
			} `json:"rule"`
		} `json:"nftables"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	for _, o := range doc.Nftables {
		if o.Rule == nil {
			continue
		}
		for _, e := range o.Rule.Expr {
			var c struct {
				Counter *struct{ Packets uint64 } `json:"counter"`
			}
			if json.Unmarshal(e, &c) == nil && c.Counter != nil {
				if o.Rule.Chain == "input" {
					input += c.Counter.Packets
				} else {
					forward += c.Counter.Packets
				}
			}
		}
	}
	return input, forward
}

func uniq(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
