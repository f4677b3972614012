// Package policy is the runner's one policy engine. Every path that reaches
// Docker — container create, and later compose and build — turns the user's
// request into Docker objects and then asks Admit whether they may exist.
// A refusal is an *apierr.Error with code policy_violation (or
// invalid_argument for malformed input) whose Rule names the rule.
package policy

// Rule names, shown to users in refusals; stable, so docs and UIs can link them.
const (
	RuleName          = "name"
	RuleImage         = "image-reference"
	RuleEnv           = "env-format"
	RulePort          = "port-range"
	RuleRestart       = "restart-policy"
	RuleMemory        = "memory-limit"
	RuleCPU           = "cpu-limit"
	RuleReservedLabel = "reserved-label"
	RuleVolumeTarget  = "volume-target"
	RulePath          = "no-host-paths"
	RuleHostConfig    = "host-config-format"

	RulePrivileged  = "no-privileged"
	RuleCapAdd      = "cap-add-allowlist"
	RuleDevices     = "no-devices"
	RuleHostNS      = "no-host-namespaces"
	RuleSecurityOpt = "no-security-opt"
	RuleSysctls     = "no-sysctls"
	RuleBindMounts  = "no-bind-mounts"
	RuleDockerSock  = "no-docker-socket"
	RuleNetwork     = "own-networks-only"
	RulePublish     = "no-published-ports"
	RuleVolumes     = "own-volumes-only"
	RuleRuntime     = "default-runtime-only"
	RuleCgroup      = "no-cgroup-overrides"
	RuleLinks       = "no-legacy-links"

	// Resource allow-list (see resources.go): the policy sets every
	// resource field itself; these name the inputs it refuses.
	RuleCPUOptions  = "cpus-only"            // CpuShares, CpuQuota, cpusets, real-time…: use cpus
	RuleSwap        = "no-swap"              // MemorySwap other than the memory limit, swappiness
	RuleBlkio       = "no-blkio-options"     // block I/O weights and throttles
	RulePids        = "pids-limit"           // unlimited or above the platform's pids limit
	RuleUlimits     = "ulimit-allowlist"     // ulimits other than nofile (capped), core and stack
	RuleTmpfs       = "tmpfs-size"           // tmpfs and /dev/shm sizes and options
	RuleSize        = "request-size"         // too many or too large env, labels, args, hosts…
	RuleHealthcheck = "healthcheck-interval" // health checks more often than once a second
)

// Image rules that live with the image service but are named here with
// the others.
const (
	// RuleInternalRegistry refuses a pull whose registry is an IP literal or
	// a name that resolves to an address of the platform's own networks.
	RuleInternalRegistry = "no-internal-registries"
)
