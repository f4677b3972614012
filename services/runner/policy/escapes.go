package policy

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/dockeronline/platform/pkg/msg"
)

// EscapeCase is one host-escape or cross-tenant attempt by user "alice"
// and the rule that must refuse it. The catalogue lives in the package so
// the unit test, the API-level test and the fuzzer share it.
type EscapeCase struct {
	Name string
	// HostConfig is raw Engine API HostConfig JSON; Mutate edits the spec.
	HostConfig string
	Mutate     func(*msg.ContainerSpec)
	Rule       string
}

// Spec is the container request of the case, on image.
func (c EscapeCase) Spec(image string) msg.ContainerSpec {
	s := msg.ContainerSpec{Name: "evil", Image: image, Cmd: []string{"sleep", "60"}}
	if c.HostConfig != "" {
		s.HostConfig = json.RawMessage(c.HostConfig)
	}
	if c.Mutate != nil {
		c.Mutate(&s)
	}
	return s
}

// EscapeCases is the catalogue: every way this policy knows to reach the
// host or another tenant, in the encodings Docker accepts.
func EscapeCases() []EscapeCase {
	hc := func(name, raw, rule string) EscapeCase { return EscapeCase{Name: name, HostConfig: raw, Rule: rule} }
	cases := []EscapeCase{
		hc("privileged", `{"Privileged":true}`, RulePrivileged),
		hc("cap SYS_ADMIN", `{"CapAdd":["SYS_ADMIN"]}`, RuleCapAdd),
		hc("cap lower-case with prefix", `{"CapAdd":["cap_sys_admin"]}`, RuleCapAdd),
		hc("cap ALL", `{"CapAdd":["ALL"]}`, RuleCapAdd),
		hc("cap NET_ADMIN", `{"CapAdd":["NET_ADMIN"]}`, RuleCapAdd),
		hc("cap SYS_PTRACE", `{"CapAdd":["SYS_PTRACE"]}`, RuleCapAdd),
		hc("device", `{"Devices":[{"PathOnHost":"/dev/sda","PathInContainer":"/dev/sda","CgroupPermissions":"rwm"}]}`, RuleDevices),
		hc("gpu request", `{"DeviceRequests":[{"Driver":"nvidia","Count":-1,"Capabilities":[["gpu"]]}]}`, RuleDevices),
		hc("device cgroup rule", `{"DeviceCgroupRules":["a *:* rwm"]}`, RuleDevices),
		hc("host network", `{"NetworkMode":"host"}`, RuleHostNS),
		hc("host network upper-case", `{"NetworkMode":"HOST"}`, RuleNetwork),
		hc("another container's network", `{"NetworkMode":"container:bob--web"}`, RuleNetwork),
		hc("another user's network", `{"NetworkMode":"bob--default"}`, RuleNetwork),
		hc("docker default bridge", `{"NetworkMode":"bridge"}`, RuleNetwork),
		hc("host pid", `{"PidMode":"host"}`, RuleHostNS),
		hc("host pid upper-case", `{"PidMode":"HOST"}`, RuleHostNS),
		hc("another container's pid", `{"PidMode":"container:bob--web"}`, RuleHostNS),
		hc("host ipc", `{"IpcMode":"host"}`, RuleHostNS),
		hc("another container's ipc", `{"IpcMode":"container:bob--web"}`, RuleHostNS),
		hc("host uts", `{"UTSMode":"host"}`, RuleHostNS),
		hc("host userns", `{"UsernsMode":"host"}`, RuleHostNS),
		hc("host cgroupns", `{"CgroupnsMode":"host"}`, RuleHostNS),
		hc("seccomp unconfined", `{"SecurityOpt":["seccomp=unconfined"]}`, RuleSecurityOpt),
		hc("apparmor unconfined, old syntax", `{"SecurityOpt":["apparmor:unconfined"]}`, RuleSecurityOpt),
		hc("selinux label disable", `{"SecurityOpt":["label=disable"]}`, RuleSecurityOpt),
		hc("new privileges back on", `{"SecurityOpt":["no-new-privileges:false"]}`, RuleSecurityOpt),
		hc("unmask /proc", `{"MaskedPaths":[]}`, RuleSecurityOpt),
		hc("writable /proc/sys", `{"ReadonlyPaths":[]}`, RuleSecurityOpt),
		hc("sysctl", `{"Sysctls":{"net.ipv4.ip_forward":"1"}}`, RuleSysctls),
		hc("bind root", `{"Binds":["/:/host"]}`, RuleBindMounts),
		hc("bind docker socket", `{"Binds":["/var/run/docker.sock:/var/run/docker.sock"]}`, RuleDockerSock),
		hc("bind /run (socket's folder)", `{"Binds":["/run:/r:ro"]}`, RuleDockerSock),
		hc("bind with .. to the socket", `{"Binds":["/var/lib/../run/docker.sock:/s"]}`, RuleDockerSock),
		hc("named volume through Binds", `{"Binds":["bob--data:/d"]}`, RuleBindMounts),
		hc("mount type bind", `{"Mounts":[{"Type":"bind","Source":"/etc","Target":"/e"}]}`, RuleBindMounts),
		hc("mount type bind of the socket", `{"Mounts":[{"Type":"bind","Source":"/var/run/docker.sock","Target":"/s"}]}`, RuleDockerSock),
		hc("mount containerd socket", `{"Mounts":[{"Type":"bind","Source":"/run/containerd/containerd.sock","Target":"/s"}]}`, RuleDockerSock),
		hc("another user's volume", `{"Mounts":[{"Type":"volume","Source":"bob--data","Target":"/d"}]}`, RuleVolumes),
		hc("foreign volume without prefix", `{"Mounts":[{"Type":"volume","Source":"somevolume","Target":"/d"}]}`, RuleVolumes),
		hc("local driver o=bind", `{"Mounts":[{"Type":"volume","Target":"/d","VolumeOptions":{"DriverConfig":{"Name":"local","Options":{"type":"none","o":"bind","device":"/"}}}}]}`, RuleBindMounts),
		hc("local driver device=socket", `{"Mounts":[{"Type":"volume","Target":"/d","VolumeOptions":{"DriverConfig":{"Name":"local","Options":{"o":"bind","device":"/var/run/docker.sock"}}}}]}`, RuleDockerSock),
		hc("nfs volume", `{"Mounts":[{"Type":"volume","Target":"/d","VolumeOptions":{"DriverConfig":{"Name":"local","Options":{"type":"nfs","o":"addr=10.0.0.1","device":":/export"}}}}]}`, RuleBindMounts),
		hc("third-party volume driver", `{"Mounts":[{"Type":"volume","Target":"/d","VolumeOptions":{"DriverConfig":{"Name":"rexray"}}}]}`, RuleVolumes),
		hc("npipe mount", `{"Mounts":[{"Type":"npipe","Source":"x","Target":"/x"}]}`, RuleBindMounts),
		hc("volumes-from another user", `{"VolumesFrom":["bob--web"]}`, RuleVolumes),
		hc("legacy link", `{"Links":["bob--db:db"]}`, RuleLinks),
		hc("publish ssh port", `{"PortBindings":{"22/tcp":[{"HostPort":"22"}]}}`, RulePublish),
		hc("publish all ports", `{"PublishAllPorts":true}`, RulePublish),
		hc("publish on a chosen host address", `{"PortBindings":{"80/tcp":[{"HostIp":"127.0.0.1","HostPort":"20001"}]}}`, RulePublish),
		hc("other runtime", `{"Runtime":"nvidia"}`, RuleRuntime),
		hc("cgroup parent", `{"CgroupParent":"/"}`, RuleCgroup),
		hc("oom killer off", `{"OomKillDisable":true}`, RuleCgroup),
		hc("negative oom score", `{"OomScoreAdj":-1000}`, RuleCgroup),
		hc("memory above max", `{"Memory":1099511627776}`, RuleMemory),
		hc("misspelt field", `{"Priviliged":true}`, RuleHostConfig),
		{Name: "publish outside range", Mutate: func(s *msg.ContainerSpec) { s.Ports = []msg.PortSpec{{Container: 22, Publish: 22}} }, Rule: RulePublish},
		{Name: "volume target with ..", Mutate: func(s *msg.ContainerSpec) { s.Volumes = []msg.VolumeMount{{Volume: "data", Target: "/data/../../etc"}} }, Rule: RuleVolumeTarget},
		{Name: "volume name is a path", Mutate: func(s *msg.ContainerSpec) { s.Volumes = []msg.VolumeMount{{Volume: "../../etc", Target: "/d"}} }, Rule: RuleName},
		{Name: "volume name of another user", Mutate: func(s *msg.ContainerSpec) { s.Volumes = []msg.VolumeMount{{Volume: "bob--data", Target: "/d"}} }, Rule: RuleName},
		{Name: "network of another user by name", Mutate: func(s *msg.ContainerSpec) { s.Network = "bob--default" }, Rule: RuleName},
		{Name: "reserved owner label", Mutate: func(s *msg.ContainerSpec) { s.Labels = map[string]string{"dockeronline.owner": "u-bob"} }, Rule: RuleReservedLabel},
		{Name: "forged compose project label", Mutate: func(s *msg.ContainerSpec) {
			s.Labels = map[string]string{"com.docker.compose.project": "bob--shop"}
		}, Rule: RuleReservedLabel},
		{Name: "working dir with ..", Mutate: func(s *msg.ContainerSpec) { s.WorkingDir = "/../../" }, Rule: RulePath},
	}
	cases = append(cases, resourceEscapes()...)
	cases = append(cases, procEscapes()...)
	return append(cases, sizeEscapes()...)
}

// resourceEscapes are the limits a raw HostConfig could bypass: each
// resource field the allow-list (Bound) does not set itself.
func resourceEscapes() []EscapeCase {
	hc := func(name, raw, rule string) EscapeCase { return EscapeCase{Name: name, HostConfig: raw, Rule: rule} }
	return []EscapeCase{
		hc("cpu shares", `{"CpuShares":262144}`, RuleCPUOptions),
		hc("cpu quota above cpus", `{"CpuQuota":1000000,"CpuPeriod":100000}`, RuleCPUOptions),
		hc("cpu period alone", `{"CpuPeriod":1000}`, RuleCPUOptions),
		hc("cpuset cpus", `{"CpusetCpus":"0-63"}`, RuleCPUOptions),
		hc("cpuset mems", `{"CpusetMems":"0"}`, RuleCPUOptions),
		hc("real-time cpu runtime", `{"CpuRealtimeRuntime":950000}`, RuleCPUOptions),
		hc("real-time cpu period", `{"CpuRealtimePeriod":1000000}`, RuleCPUOptions),
		hc("windows cpu count", `{"CpuCount":64}`, RuleCPUOptions),
		hc("windows cpu percent", `{"CpuPercent":100}`, RuleCPUOptions),
		hc("unlimited swap", `{"MemorySwap":-1}`, RuleSwap),
		hc("swap above memory", `{"Memory":268435456,"MemorySwap":1073741824}`, RuleSwap),
		hc("swappiness", `{"MemorySwappiness":100}`, RuleSwap),
		hc("reservation above memory", `{"Memory":67108864,"MemoryReservation":1073741824}`, RuleMemory),
		hc("negative memory", `{"Memory":-1}`, RuleMemory),
		hc("kernel memory (a removed field)", `{"KernelMemory":1073741824}`, RuleHostConfig),
		hc("blkio weight", `{"BlkioWeight":1000}`, RuleBlkio),
		hc("blkio weight device", `{"BlkioWeightDevice":[{"Path":"/dev/sda","Weight":1000}]}`, RuleBlkio),
		hc("blkio read throttle", `{"BlkioDeviceReadBps":[{"Path":"/dev/sda","Rate":1}]}`, RuleBlkio),
		hc("io maximum bandwidth", `{"IOMaximumBandwidth":1}`, RuleBlkio),
		hc("oom killer off, with a limit", `{"Memory":67108864,"OomKillDisable":true}`, RuleCgroup),
		hc("unlimited pids", `{"PidsLimit":-1}`, RulePids),
		hc("pids above the setting", `{"PidsLimit":1000000}`, RulePids),
		hc("ulimit nproc", `{"Ulimits":[{"Name":"nproc","Soft":-1,"Hard":-1}]}`, RuleUlimits),
		hc("ulimit memlock unlimited", `{"Ulimits":[{"Name":"memlock","Soft":-1,"Hard":-1}]}`, RuleUlimits),
		hc("ulimit rtprio", `{"Ulimits":[{"Name":"rtprio","Soft":99,"Hard":99}]}`, RuleUlimits),
		hc("ulimit nofile above the cap", `{"Ulimits":[{"Name":"nofile","Soft":1024,"Hard":1073741816}]}`, RuleUlimits),
		hc("ulimit nofile soft above hard", `{"Ulimits":[{"Name":"nofile","Soft":4096,"Hard":1024}]}`, RuleUlimits),
		hc("ulimit core unlimited", `{"Ulimits":[{"Name":"core","Soft":-1,"Hard":-1}]}`, RuleUlimits),
		hc("tmpfs of 100 GB", `{"Tmpfs":{"/t":"size=100g"}}`, RuleTmpfs),
		hc("tmpfs of half the host", `{"Tmpfs":{"/t":"size=50%"}}`, RuleTmpfs),
		hc("tmpfs unlimited inodes", `{"Tmpfs":{"/t":"nr_inodes=0"}}`, RuleTmpfs),
		hc("tmpfs huge pages", `{"Tmpfs":{"/t":"huge=always"}}`, RuleTmpfs),
		hc("tmpfs size given twice", `{"Tmpfs":{"/t":"size=1m,size=100g"}}`, RuleTmpfs),
		hc("tmpfs mount of 100 GB", `{"Mounts":[{"Type":"tmpfs","Target":"/t","TmpfsOptions":{"SizeBytes":107374182400}}]}`, RuleTmpfs),
		hc("tmpfs mount with a memory policy", `{"Mounts":[{"Type":"tmpfs","Target":"/t","TmpfsOptions":{"Options":[["mpol","bind:0"]]}}]}`, RuleTmpfs),
		hc("unsized tmpfs mounts adding up", `{"Tmpfs":{"/a":"","/b":"","/c":"","/d":"","/e":"","/f":"","/g":"","/h":""}}`, RuleTmpfs),
		hc("shm of 64 GB", `{"ShmSize":68719476736}`, RuleTmpfs),
		hc("negative shm", `{"ShmSize":-1}`, RuleTmpfs),
	}
}

// procEscapes are the Leaky Vessels class (working directory under /proc)
// and mounts that would shadow /proc or /sys.
func procEscapes() []EscapeCase {
	wd := func(dir string) EscapeCase {
		return EscapeCase{Name: "working dir " + dir, Mutate: func(s *msg.ContainerSpec) { s.WorkingDir = dir }, Rule: RuleProcWorkdir}
	}
	hc := func(name, raw, rule string) EscapeCase { return EscapeCase{Name: name, HostConfig: raw, Rule: rule} }
	return []EscapeCase{
		wd("/proc/self/fd/8"), wd("/./proc/1/cwd"), wd("/proc/../proc/self/cwd"), wd("//proc"),
		wd("/proc"), wd("/dev/fd/7"), wd("/dev/stdin"),
		hc("tmpfs over /proc/sys", `{"Mounts":[{"Type":"tmpfs","Target":"/proc/sys"}]}`, RuleVolumeTarget),
		hc("volume over /sys/fs/cgroup", `{"Mounts":[{"Type":"volume","Target":"/sys/fs/cgroup"}]}`, RuleVolumeTarget),
		hc("tmpfs map over /proc", `{"Tmpfs":{"//proc/./sysrq-trigger":""}}`, RuleVolumeTarget),
		{Name: "volume at /proc/self", Mutate: func(s *msg.ContainerSpec) { s.Volumes = []msg.VolumeMount{{Volume: "data", Target: "/proc/self"}} }, Rule: RuleVolumeTarget},
		{Name: "volume at /sys/kernel", Mutate: func(s *msg.ContainerSpec) { s.Volumes = []msg.VolumeMount{{Volume: "data", Target: "/sys/kernel"}} }, Rule: RuleVolumeTarget},
	}
}

// sizeEscapes are unbounded lists in a create request (each below the
// bus's 1 MB message limit, so the policy is what refuses it).
func sizeEscapes() []EscapeCase {
	many := func(n int, f func(i int) string) []string {
		l := make([]string, n)
		for i := range l {
			l[i] = f(i)
		}
		return l
	}
	hosts, _ := json.Marshal(map[string][]string{"ExtraHosts": many(1000, func(i int) string { return fmt.Sprintf("h%d:10.0.0.1", i) })})
	search, _ := json.Marshal(map[string][]string{"DnsSearch": many(100, func(i int) string { return fmt.Sprintf("d%d.example", i) })})
	return []EscapeCase{
		{Name: "10,000 env entries", Mutate: func(s *msg.ContainerSpec) {
			s.Env = many(10000, func(i int) string { return fmt.Sprintf("V%d=x", i) })
		}, Rule: RuleSize},
		{Name: "one 200 KB env entry", Mutate: func(s *msg.ContainerSpec) { s.Env = []string{"A=" + strings.Repeat("x", 200<<10)} }, Rule: RuleSize},
		{Name: "10,000 labels", Mutate: func(s *msg.ContainerSpec) {
			s.Labels = map[string]string{}
			for i := range 10000 {
				s.Labels[fmt.Sprintf("l%d", i)] = "x"
			}
		}, Rule: RuleSize},
		{Name: "one 200 KB label", Mutate: func(s *msg.ContainerSpec) { s.Labels = map[string]string{"big": strings.Repeat("x", 200<<10)} }, Rule: RuleSize},
		{Name: "10,000 command args", Mutate: func(s *msg.ContainerSpec) { s.Cmd = many(10000, func(int) string { return "x" }) }, Rule: RuleSize},
		{Name: "200 KB entrypoint", Mutate: func(s *msg.ContainerSpec) { s.Entrypoint = []string{strings.Repeat("x", 200<<10)} }, Rule: RuleSize},
		{Name: "1,000 exposed ports", Mutate: func(s *msg.ContainerSpec) {
			for i := range 1000 {
				s.Ports = append(s.Ports, msg.PortSpec{Container: 1000 + i})
			}
		}, Rule: RuleSize},
		{Name: "1,000 extra hosts", HostConfig: string(hosts), Rule: RuleSize},
		{Name: "100 DNS search domains", HostConfig: string(search), Rule: RuleSize},
		{Name: "100 mounts", HostConfig: `{"Mounts":[` + strings.Join(many(100, func(i int) string {
			return fmt.Sprintf(`{"Type":"tmpfs","Target":"/t%d","TmpfsOptions":{"SizeBytes":1024}}`, i)
		}), ",") + `]}`, Rule: RuleSize},
	}
}
