package testenv

import (
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestBuildKitUndoesEverything: the daemon comes up on its own /24 (its
// network namespace pool's veths carry the gateway address), and once the
// test that started it ends, nothing of it is left: no address of its
// subnet on any interface, no NAT rule of CNI's for it, no root directory.
func TestBuildKitUndoesEverything(t *testing.T) {
	var bk *BuildKitd
	t.Run("daemon", func(t *testing.T) {
		bk = BuildKit(t)
		gw := strings.TrimSuffix(bk.Subnet, "0/24") + "1"
		deadline := time.Now().Add(20 * time.Second)
		for !hasAddr(gw) {
			if time.Now().After(deadline) {
				t.Fatalf("no interface has %s (the pool's veths):\n%s", gw, bk.Logs())
			}
			time.Sleep(200 * time.Millisecond)
		}
		if !strings.Contains(bk.Logs(), "network:cni") {
			t.Errorf("the worker is not on CNI:\n%s", bk.Logs())
		}
	})
	gw := strings.TrimSuffix(bk.Subnet, "0/24") + "1"
	if hasAddr(gw) {
		t.Errorf("%s is still on an interface after the daemon stopped", gw)
	}
	if out, err := exec.Command("iptables", "-t", "nat", "-S").Output(); err != nil || strings.Contains(string(out), "-d "+bk.Subnet+" ") {
		t.Errorf("CNI's NAT rules for %s are left behind (%v):\n%s", bk.Subnet, err, out)
	}
	if _, err := os.Stat(bk.Root); !os.IsNotExist(err) {
		t.Errorf("root %s left behind: %v", bk.Root, err)
	}
}

func hasAddr(ip string) bool {
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.String() == ip {
			return true
		}
	}
	return false
}
