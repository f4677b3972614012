package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
)

// machine describes where the numbers were measured.
type machine struct {
	CPU    string
	Cores  int
	MemGiB float64
	Kernel string
	Go     string
	Docker string
}

func (m machine) String() string {
	return fmt.Sprintf("%s, %d cores, %.0f GiB memory, Linux %s; %s; Docker Engine %s",
		m.CPU, m.Cores, m.MemGiB, m.Kernel, m.Go, m.Docker)
}

// probe reads the machine from /proc and asks Docker its version. The Go
// version is this program's: `go run` builds it with the toolchain that
// built the benchmarks.
func probe() machine {
	m := machine{CPU: "unknown CPU", Cores: runtime.NumCPU(), Kernel: "unknown", Go: runtime.Version(), Docker: "unknown"}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if f := strings.Fields(l); len(f) >= 2 && f[0] == "MemTotal:" {
				kb, _ := strconv.ParseFloat(f[1], 64)
				m.MemGiB = kb / (1 << 20)
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if out, err := exec.Command("docker", "version", "--format", "{{.Server.Version}}").Output(); err == nil {
		m.Docker = strings.TrimSpace(string(out))
	}
	return m
}
