package web

import "strings"

// ruleInfo says, for one policy or validation rule the runner names in a
// refusal (services/runner/policy/rules.go, pkg/names), what it means in
// words and which run-form field it concerns.
type ruleInfo struct {
	words string
	field string
}

var rules = map[string]ruleInfo{
	"name":                 {"A container name is 1–24 lower-case letters, digits and single dashes, starting and ending with a letter or digit.", "name"},
	"name-required":        {"A name is required.", "name"},
	"name-length":          {"Names are at most 24 characters long.", "name"},
	"name-charset":         {"Names may only hold lower-case letters, digits and '-', and must start and end with a letter or digit.", "name"},
	"name-separator":       {"Names may not contain \"--\": it separates your username from the name.", "name"},
	"image-reference":      {"The image must be a valid reference such as nginx:alpine or registry.example/team/app:1.2.", "image"},
	"env-format":           {"Each environment line must look like KEY=value.", "env"},
	"port-range":           {"Ports are numbers from 1 to 65535, optionally followed by /tcp or /udp.", "ports"},
	"no-published-ports":   {"Publishing a port on the host is not allowed here: use the container's web link instead.", "ports"},
	"restart-policy":       {"The restart policy must be one of no, always, on-failure or unless-stopped.", "restart"},
	"memory-limit":         {"The memory limit is outside what this platform allows.", "memory"},
	"cpu-limit":            {"The CPU limit is outside what this platform allows.", "cpus"},
	"reserved-label":       {"Labels starting with \"dockeronline.\" belong to the platform.", "labels"},
	"volume-target":        {"A volume is mounted at an absolute path inside the container.", "volumes"},
	"own-volumes-only":     {"You can only mount your own named volumes.", "volumes"},
	"no-bind-mounts":       {"Folders of the host cannot be mounted: use a named volume.", "volumes"},
	"no-docker-socket":     {"The Docker socket can never be mounted: it would give control of the whole host.", "volumes"},
	"no-host-paths":        {"Paths must be absolute paths inside the container, without \"..\".", "workdir"},
	"own-networks-only":    {"A container can only join one of your own networks.", "network"},
	"host-config-format":   {"The advanced host configuration must be a JSON object of Docker's HostConfig.", "hostconfig"},
	"no-privileged":        {"Privileged containers are not allowed: they would control the host.", "hostconfig"},
	"cap-add-allowlist":    {"Only a small list of Linux capabilities may be added.", "hostconfig"},
	"no-devices":           {"Host devices cannot be passed to containers.", "hostconfig"},
	"no-host-namespaces":   {"Containers get their own namespaces: sharing the host's network, PID, IPC, UTS or user namespace is not allowed.", "hostconfig"},
	"no-security-opt":      {"Security options cannot be overridden.", "hostconfig"},
	"no-sysctls":           {"Kernel parameters (sysctls) cannot be set.", "hostconfig"},
	"default-runtime-only": {"The container runtime is the platform's choice (an admin may give you gVisor); leave it out.", "hostconfig"},
	"no-proc-workdir":      {"A working directory under /proc is not allowed: it could reach the host through the runtime's file descriptors.", "workdir"},
	"no-cgroup-overrides":  {"Control-group settings cannot be overridden.", "hostconfig"},
	"no-legacy-links":      {"Legacy container links are not supported: containers on the same network reach each other by name.", "hostconfig"},
	// The resource allow-list (services/runner/policy/resources.go).
	"cpus-only":            {"CPU is set with the CPU limit only: CPU shares, quotas, periods, cpusets and real-time scheduling are not allowed.", "cpus"},
	"no-swap":              {"Containers get no swap beyond their memory limit: leave MemorySwap and swappiness unset.", "memory"},
	"no-blkio-options":     {"Block I/O weights and throttles are not allowed.", "hostconfig"},
	"pids-limit":           {"The process limit is the platform's: it cannot be raised or made unlimited.", "hostconfig"},
	"ulimit-allowlist":     {"Only the nofile (up to the platform's cap), core and stack ulimits may be set.", "hostconfig"},
	"tmpfs-size":           {"tmpfs mounts and /dev/shm are memory: give sizes in bytes, k, m or g, within the platform's cap.", "hostconfig"},
	"request-size":         {"The request holds too many or too large entries (environment, labels, arguments, hosts, ports or mounts).", ""},
	"healthcheck-interval": {"Health checks may run at most once a second.", "hostconfig"},
	"quota":                {"This would go over your quota: remove something first, or ask an admin for more.", ""},
}

// ruleWords explains a rule; unknown rules are shown by name only.
func ruleWords(rule string) string {
	if rule == "" {
		return ""
	}
	if ri, ok := rules[rule]; ok {
		return ri.words
	}
	return ""
}

// ruleField is the run-form field a rule concerns ("" = the whole form).
func ruleField(rule string) string {
	if ri, ok := rules[rule]; ok {
		return ri.field
	}
	if strings.HasPrefix(rule, "name") {
		return "name"
	}
	return ""
}
