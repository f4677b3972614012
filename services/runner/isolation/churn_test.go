package isolation_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/nats-io/nats.go"

	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/dockertest"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/natstest"
	"github.com/dockeronline/platform/pkg/subjects"
	"github.com/dockeronline/platform/pkg/testenv"
	"github.com/dockeronline/platform/services/runner/isolation"
	"github.com/dockeronline/platform/services/runner/policy"
	"github.com/dockeronline/platform/services/runner/runnertest"
)

// platform is a runner (firewall on, the default) with its clients.
type platform struct {
	t   *testing.T
	cli *client.Client
	nc  *nats.Conn
	img string
	fw  *isolation.Firewall
}

func start(t *testing.T) *platform {
	cli := dockertest.Client(t)
	img := dockertest.BusyboxImage(t, cli)
	srv := natstest.Server(t)
	runnertest.Start(t, srv.ClientURL())
	fw := isolation.New(cli, isolation.Options{NFT: "nft", Check: time.Minute}, slog.Default())
	return &platform{t: t, cli: cli, nc: natstest.Connect(t, srv), img: img, fw: fw}
}

func (p *platform) user() identity.Caller { return runnertest.NewUser(p.t, p.cli, identity.RoleUser) }

func request[T any](p *platform, c identity.Caller, op subjects.RunnerOp, req any) (T, error) {
	ctx, cancel := context.WithTimeout(identity.With(context.Background(), c), time.Minute)
	defer cancel()
	return bus.Request[T](ctx, p.nc, subjects.RunnerRequestSubject(op), req)
}

// run creates and starts a container of c's through the runner, on c's
// default network, and returns its address there.
func (p *platform) run(c identity.Caller, name, script string) (id, ip string) {
	p.t.Helper()
	ct, err := request[msg.Container](p, c, subjects.ContainerCreate, msg.ContainerCreate{Spec: msg.ContainerSpec{Name: name, Image: p.img, Cmd: []string{"sh", "-c", script}}})
	if err != nil {
		p.t.Fatalf("create %s of %s: %v", name, c.Username, err)
	}
	in, err := p.cli.ContainerInspect(context.Background(), ct.ID, client.ContainerInspectOptions{})
	if err != nil {
		p.t.Fatal(err)
	}
	n, ok := in.Container.NetworkSettings.Networks[c.Username+"--"+policy.DefaultNetwork]
	if !ok {
		p.t.Fatalf("%s is not on %s's default network: %v", name, c.Username, in.Container.NetworkSettings.Networks)
	}
	return ct.ID, n.IPAddress.String()
}

// web serves secret on port 80.
func web(secret string) string {
	return "mkdir -p /w && echo " + secret + " > /w/index.html && httpd -f -p 80 -h /w"
}

// probeScript sends rounds×parallel HTTP requests to each target (TCP
// connect, 3s timeout: on a loaded 2-core machine a 1s timeout misses
// answers, and a probe that gives up early could hide a reach) and as
// many pings; one line per probe: "<label> hit" when the answer held the
// target's secret (or the ping was answered), else "<label> miss". Targets
// named "own…" or "same…" are positive controls and get a second try: a
// lost answer there is load, not isolation.
func probeScript(rounds, parallel int, targets map[string][2]string) string {
	var b strings.Builder
	b.WriteString(`get() { printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 3 "$1" "$2" 2>/dev/null | grep -q "$3"; }
probe() { if get "$1" "$2" "$3" || { [ "$5" = retry ] && get "$1" "$2" "$3"; }; then echo "$4 hit"; else echo "$4 miss"; fi; }
pingp() { if ping -c 1 -W 3 "$1" >/dev/null 2>&1 || { [ "$3" = retry ] && ping -c 1 -W 3 "$1" >/dev/null 2>&1; }; then echo "$2 hit"; else echo "$2 miss"; fi; }
`)
	fmt.Fprintf(&b, "for r in $(seq %d); do\n", rounds)
	for label, tg := range targets { // tg: host:port, secret
		host, port, _ := strings.Cut(tg[0], ":")
		retry := "once"
		if strings.HasPrefix(label, "own") || strings.HasPrefix(label, "same") {
			retry = "retry"
		}
		fmt.Fprintf(&b, "  for i in $(seq %d); do probe %s %s %q %s %s & pingp %s %s-ping %s & done\n", parallel, host, port, tg[1], label, retry, host, label, retry)
	}
	b.WriteString("  wait\ndone\necho PROBES-DONE\n")
	return b.String()
}

// tally counts "<label> hit|miss" lines.
func tally(out string) map[string]int {
	n := map[string]int{}
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) == 2 && (f[1] == "hit" || f[1] == "miss") {
			n[f[0]+" "+f[1]]++
		}
	}
	return n
}

// waitFor polls the container's output for want within d.
func (p *platform) waitFor(id, want string, d time.Duration) string {
	p.t.Helper()
	deadline := time.Now().Add(d)
	for {
		o, e := dockertest.Logs(p.t, p.cli, id)
		if strings.Contains(o, want) || time.Now().After(deadline) {
			return o + e
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// churn creates and removes networks of c until stop is closed; it
// returns the number of completed create+remove cycles.
func (p *platform) churn(c identity.Caller, stop <-chan struct{}) func() int64 {
	var cycles atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			name := fmt.Sprintf("churn%d", i%3)
			if _, err := request[msg.Network](p, c, subjects.NetworkCreate, msg.NetworkCreate{Name: name}); err != nil {
				p.t.Errorf("churn: create %s: %v", name, err)
				return
			}
			if _, err := request[msg.Empty](p, c, subjects.NetworkRemove, msg.NetworkRef{Name: name}); err != nil {
				p.t.Errorf("churn: remove %s: %v", name, err)
				return
			}
			cycles.Add(1)
		}
	}()
	return func() int64 { wg.Wait(); return cycles.Load() }
}

// TestTenantIsolationUnderChurn: while user C creates and removes networks
// without pause (Docker re-programs its own isolation chains each time),
// hundreds of probes from user A's container to user B's get no answer,
// and every probe to A's own web (same network) is answered.
func TestTenantIsolationUnderChurn(t *testing.T) {
	p := start(t)
	churnProbes(t, p, 15, 20) // 300 cross-tenant TCP probes (and as many pings)
}

// churnProbes is the churn test with rounds×parallel probes per target.
func churnProbes(t *testing.T, p *platform, rounds, parallel int) {
	a, b, c := p.user(), p.user(), p.user()
	_, ipA := p.run(a, "web", web("tenant-a-"+a.Username))
	_, ipB := p.run(b, "web", web("tenant-b-"+b.Username))
	fwd0, _, err := p.fw.Drops(context.Background())
	if err != nil {
		t.Fatal(err)
	}

	stop := make(chan struct{})
	cycles := p.churn(c, stop)
	script := probeScript(rounds, parallel, map[string][2]string{
		"same":  {ipA + ":80", "tenant-a-" + a.Username},
		"cross": {ipB + ":80", "tenant-b-" + b.Username},
	})
	// A moment for the webs to listen; the probes then run during churn.
	id, _ := p.run(a, "prober", "sleep 2; "+script)
	out := p.waitFor(id, "PROBES-DONE", 5*time.Minute)
	close(stop)
	n, got := rounds*parallel, tally(out)
	churned := cycles()

	if !strings.Contains(out, "PROBES-DONE") {
		t.Fatalf("probes did not finish; output tail: %q", tail(out))
	}
	t.Logf("%d network create+remove cycles by %s during the probes; tally %v", churned, c.Username, got)
	if churned < 3 {
		t.Errorf("only %d churn cycles ran during the probes; the test did not churn", churned)
	}
	if got["cross hit"] != 0 || got["cross-ping hit"] != 0 {
		t.Errorf("cross-tenant probes answered: %d of %d TCP, %d pings", got["cross hit"], n, got["cross-ping hit"])
	}
	if got["cross miss"] != n {
		t.Errorf("%d cross-tenant TCP probes ran, want %d", got["cross miss"]+got["cross hit"], n)
	}
	// Positive control: the same probes reach A's own web.
	if got["same hit"] != n {
		t.Errorf("only %d of %d probes reached the prober's own network's web (same-network traffic must pass)", got["same hit"], n)
	}
	// Pings to the same network show whether ping works in a container at
	// all; when it does, no cross-tenant ping may have been answered (above).
	t.Logf("ping available in containers: %v", got["same-ping hit"] > 0)
	// The drops were this runner's rules (priority before Docker's chains).
	fwd1, _, err := p.fw.Drops(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("forward drops during the probes: %d", fwd1-fwd0)
	if fwd1-fwd0 < uint64(n) {
		t.Errorf("the firewall's forward rules dropped %d packets during %d blocked probes", fwd1-fwd0, n)
	}
}

func tail(s string) string {
	if len(s) > 2000 {
		return s[len(s)-2000:]
	}
	return s
}

// TestContainersCannotReachHost: a listener on every host address (as
// Kratos, NATS, Postgres or a metrics endpoint might bind) is not reached
// from a user container through the bridge gateway, nor through any other
// host address; the container's own network works meanwhile.
func TestContainersCannotReachHost(t *testing.T) {
	p := start(t)
	bait := testenv.NewBaitOn(t, "0.0.0.0:0")
	a := p.user()
	_, ipA := p.run(a, "web", web("own-"+a.Username))
	nw, err := p.cli.NetworkInspect(context.Background(), a.Username+"--"+policy.DefaultNetwork, client.NetworkInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	gw := nw.Network.IPAM.Config[0].Gateway.String()
	if !strings.HasPrefix(nw.Network.Options[isolation.BridgeNameOption], isolation.Prefix) {
		t.Errorf("the runner made %s with bridge %q, want the %s prefix", nw.Network.Name, nw.Network.Options[isolation.BridgeNameOption], isolation.Prefix)
	}
	_, in0, err := p.fw.Drops(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	const rounds, parallel = 3, 10
	targets := map[string][2]string{"own": {ipA + ":80", "own-" + a.Username}}
	for i, h := range hostAddrs(t, gw) {
		targets[fmt.Sprintf("host%d", i)] = [2]string{fmt.Sprintf("%s:%d", h, bait.Port), testenv.BaitSecret}
	}
	id, _ := p.run(a, "prober", "sleep 1; "+probeScript(rounds, parallel, targets))
	out := p.waitFor(id, "PROBES-DONE", 3*time.Minute)
	got := tally(out)
	t.Logf("tally %v", got)
	if got["own hit"] != rounds*parallel {
		t.Errorf("only %d of %d probes reached the container's own network (positive control)", got["own hit"], rounds*parallel)
	}
	for label := range targets {
		if label != "own" && (got[label+" hit"] != 0 || got[label+" miss"] != rounds*parallel) {
			t.Errorf("%s (%s): %d answered, %d blocked, want 0 and %d", label, targets[label][0], got[label+" hit"], got[label+" miss"], rounds*parallel)
		}
	}
	_, in1, err := p.fw.Drops(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if in1-in0 < uint64(rounds*parallel*(len(targets)-1)) {
		t.Errorf("the firewall's input rules dropped %d packets during %d blocked probes", in1-in0, rounds*parallel*(len(targets)-1))
	}
	// The bait itself fails the test at cleanup if anything reached it.
}

// hostAddrs are the addresses a container might try to reach the host at:
// its bridge's gateway and every IPv4 address of the host's own
// (non-bridge, non-loopback) interfaces.
func hostAddrs(t *testing.T, gateway string) []string {
	out := []string{gateway}
	ifs, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range ifs {
		if i.Flags&net.FlagLoopback != 0 || strings.HasPrefix(i.Name, "br-") || strings.HasPrefix(i.Name, isolation.Prefix) || strings.HasPrefix(i.Name, "veth") || i.Name == "docker0" {
			continue
		}
		as, _ := i.Addrs()
		for _, a := range as {
			if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil {
				out = append(out, n.IP.String())
			}
		}
	}
	return out
}
