package policy

import (
	"encoding/json"

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
	return []EscapeCase{
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
}
