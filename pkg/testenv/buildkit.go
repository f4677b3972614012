package testenv

import (
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BuildKitSupernet is the runner's default RUNNER_BUILDKIT_SUBNET: each
// test daemon takes a /24 inside it, so the runner's build firewall (which
// fences the whole supernet) covers every test daemon with one ruleset.
const BuildKitSupernet = "10.213.0.0/16"

// BuildKitd is a standalone BuildKit daemon started for a test.
type BuildKitd struct {
	// Addr is its socket, "unix:///…/buildkitd.sock" (RUNNER_BUILDKIT_ADDR).
	Addr string
	// Subnet is the /24 its RUN steps get addresses from.
	Subnet string
	// Root is its state directory.
	Root string
	proc *process
}

// Logs is what the daemon wrote so far.
func (b *BuildKitd) Logs() string { return b.proc.out.String() }

// BuildKit starts buildkitd (BUILDKITD_BIN, else <repo>/bin/buildkitd) with
// the project's config (deploy/buildkit) on its own root, socket and /24 of
// BuildKitSupernet, and stops it when the test ends: SIGTERM, on which it
// releases its network namespaces, veths and CNI NAT rules, then whatever
// a killed daemon left (netns mounts, overlay mounts) and the root.
func BuildKit(t testing.TB) *BuildKitd {
	t.Helper()
	repo := RepoRoot(t)
	bin := os.Getenv("BUILDKITD_BIN")
	if bin == "" {
		bin = filepath.Join(repo, "bin", "buildkitd")
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("testenv: buildkitd %s missing: run `make tools` (or set BUILDKITD_BIN): %v", bin, err)
	}
	for _, p := range []string{"/usr/lib/cni/ptp", "/usr/sbin/runc"} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("testenv: %s missing: run `make deps` (containernetworking-plugins, runc): %v", p, err)
		}
	}
	// A short path: a unix socket path has at most 107 bytes.
	root, err := os.MkdirTemp("", "bk")
	if err != nil {
		t.Fatal(err)
	}
	b := &BuildKitd{Root: root, Addr: "unix://" + filepath.Join(root, "buildkitd.sock"), Subnet: freeBuildSubnet(t)}
	cni := filepath.Join(root, "cni.conflist")
	cfg := filepath.Join(root, "buildkitd.toml")
	vars := map[string]string{"@ROOT@": root, "@SUBNET@": b.Subnet, "@ADDR@": b.Addr, "@CNI@": cni, "@MAXUSED@": "4GB"}
	render(t, filepath.Join(repo, "deploy", "buildkit", "cni.conflist"), cni, vars)
	render(t, filepath.Join(repo, "deploy", "buildkit", "buildkitd.toml"), cfg, vars)

	b.proc = startProcess(t, "buildkitd", exec.Command(bin, "--config", cfg))
	t.Cleanup(func() {
		// SIGTERM to the daemon alone: its CNI plugins, in its process
		// group, must finish what they do for it to release them.
		_ = syscall.Kill(b.proc.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-b.proc.done:
		case <-time.After(15 * time.Second):
		}
		b.proc.stop(syscall.SIGKILL, 5*time.Second)
		if t.Failed() {
			t.Logf("testenv: output of buildkitd:\n%s", b.proc.out.String())
		}
		removeLeftovers(b.Subnet)
		unmountUnder(root)
		_ = os.RemoveAll(root)
	})
	sock := strings.TrimPrefix(b.Addr, "unix://")
	deadline := time.Now().Add(30 * time.Second)
	for {
		// The socket listens before the worker is set up; the log line
		// says it serves.
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			if strings.Contains(b.proc.out.String(), "running server on") {
				return b
			}
		}
		if b.proc.exited() || time.Now().After(deadline) {
			t.Fatalf("testenv: buildkitd did not start: %v\n%s", b.proc.err, b.proc.out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// render writes the template src to dst with vars replaced.
func render(t testing.TB, src, dst string, vars map[string]string) {
	t.Helper()
	raw, err := os.ReadFile(src)
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	s := string(raw)
	for k, v := range vars {
		s = strings.ReplaceAll(s, k, v)
	}
	if err := os.WriteFile(dst, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

// freeBuildSubnet picks a /24 of BuildKitSupernet no interface of the host
// has an address in (another test daemon, make run's).
func freeBuildSubnet(t testing.TB) string {
	t.Helper()
	used := map[byte]bool{0: true, 255: true}
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			if ip := n.IP.To4(); ip != nil && ip[0] == 10 && ip[1] == 213 {
				used[ip[2]] = true
			}
		}
	}
	for i := 0; i < 100; i++ {
		r := make([]byte, 1)
		_, _ = rand.Read(r)
		// Keep clear of make run's daemon (scripts/run.sh takes 10.213.0.0/24).
		if !used[r[0]] && r[0] >= 16 {
			return fmt.Sprintf("10.213.%d.0/24", r[0])
		}
	}
	t.Fatal("testenv: no free /24 in " + BuildKitSupernet)
	return ""
}

// unmountUnder lazily unmounts every mount below dir (what a killed
// buildkitd leaves: network namespaces, overlay snapshots), deepest first.
func unmountUnder(dir string) {
	raw, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		return
	}
	var points []string
	for _, l := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(l); len(f) > 1 && strings.HasPrefix(f[1], dir+"/") {
			points = append(points, f[1])
		}
	}
	for i := len(points) - 1; i >= 0; i-- {
		_ = syscall.Unmount(points[i], syscall.MNT_DETACH)
	}
}

// removeLeftovers deletes what a daemon killed mid-way through a CNI call
// leaves: host-side veths holding an address of subnet, and the NAT rules
// and chains CNI's ipMasq made for addresses of subnet. Best effort.
func removeLeftovers(subnet string) {
	_, n, err := net.ParseCIDR(subnet)
	if err != nil {
		return
	}
	ifs, _ := net.Interfaces()
	for _, i := range ifs {
		addrs, _ := i.Addrs()
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok && n.Contains(ipn.IP) && strings.HasPrefix(i.Name, "veth") {
				_ = exec.Command("ip", "link", "del", i.Name).Run()
				break
			}
		}
	}
	out, err := exec.Command("iptables", "-t", "nat", "-S", "POSTROUTING").Output()
	if err != nil {
		return
	}
	for _, l := range strings.Split(string(out), "\n") {
		f := strings.Fields(l)
		if len(f) < 4 || f[0] != "-A" {
			continue
		}
		var src, chain string
		for i := 0; i+1 < len(f); i++ {
			switch f[i] {
			case "-s":
				src = f[i+1]
			case "-j":
				chain = f[i+1]
			}
		}
		ip, _, err := net.ParseCIDR(src)
		if err != nil || !n.Contains(ip) || !strings.HasPrefix(chain, "CNI-") {
			continue
		}
		// The rule as listed, with -A turned into -D (its comment is quoted:
		// let iptables' own parser read it through a shell-free argv).
		args := append([]string{"-t", "nat", "-D"}, splitRule(l)[1:]...)
		_ = exec.Command("iptables", args...).Run()
		_ = exec.Command("iptables", "-t", "nat", "-F", chain).Run()
		_ = exec.Command("iptables", "-t", "nat", "-X", chain).Run()
	}
	// Chains whose POSTROUTING rule is gone already ("-A CNI-… -d <subnet>").
	out, err = exec.Command("iptables", "-t", "nat", "-S").Output()
	if err != nil {
		return
	}
	for _, l := range strings.Split(string(out), "\n") {
		f := strings.Fields(l)
		if len(f) >= 4 && f[0] == "-A" && strings.HasPrefix(f[1], "CNI-") && f[2] == "-d" && f[3] == n.String() {
			_ = exec.Command("iptables", "-t", "nat", "-F", f[1]).Run()
			_ = exec.Command("iptables", "-t", "nat", "-X", f[1]).Run()
		}
	}
}

// splitRule splits an iptables -S line into arguments, keeping "quoted
// words" (comments) together, without their quotes.
func splitRule(l string) []string {
	var out []string
	var cur strings.Builder
	quoted, escaped := false, false
	for _, r := range l {
		switch {
		case escaped:
			cur.WriteRune(r)
			escaped = false
		case r == '\\':
			escaped = true
		case r == '"':
			quoted = !quoted
		case r == ' ' && !quoted:
			if cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteRune(r)
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}
