package stack

import (
	"fmt"
	"strings"

	"github.com/dockeronline/platform/services/runner/policy"
)

// EscapeCase is one compose file that tries to reach the host or another
// user ("bob"), and the rule that must refuse it. The catalogue lives in the
// package so the runner's test and the API-level test share it.
type EscapeCase struct {
	Name    string
	Compose string
	// Files are uploaded with the compose file (the project directory).
	Files map[string]string
	Rule  string
}

// escapeWeb is a harmless service the cases add their escape to.
const escapeWeb = "services:\n  web:\n    image: busybox:latest\n"

// EscapeCases is the catalogue: every compose-specific escape the policy
// knows, the Docker socket in every form it can take in a compose file.
func EscapeCases() []EscapeCase {
	svc := func(name, extra, rule string) EscapeCase {
		return EscapeCase{Name: name, Compose: escapeWeb + extra, Rule: rule}
	}
	built := func(name, extra, rule string) EscapeCase {
		return EscapeCase{Name: name, Compose: "services:\n  web:\n" + extra, Rule: rule}
	}
	dockerfile := map[string]string{"Dockerfile": "FROM busybox:latest\n"}
	cases := []EscapeCase{
		svc("privileged", "    privileged: true\n", policy.RulePrivileged),
		svc("cap_add SYS_ADMIN", "    cap_add: [SYS_ADMIN]\n", policy.RuleCapAdd),
		svc("cap_add ALL", "    cap_add: [ALL]\n", policy.RuleCapAdd),
		svc("devices", "    devices: [\"/dev/sda:/dev/sda\"]\n", policy.RuleDevices),
		svc("gpus", "    gpus: all\n", policy.RuleDevices),
		svc("device_cgroup_rules", "    device_cgroup_rules: [\"a *:* rwm\"]\n", policy.RuleDevices),
		svc("network_mode host", "    network_mode: host\n", policy.RuleHostNS),
		svc("network_mode of another user's container", "    network_mode: \"container:bob--web\"\n", policy.RuleNetwork),
		svc("network_mode service:", "    network_mode: \"service:db\"\n  db:\n    image: busybox:latest\n", policy.RuleNetwork),
		svc("network_mode bridge", "    network_mode: bridge\n", policy.RuleNetwork),
		svc("another user's network", "    networks: [theirs]\nnetworks:\n  theirs:\n    external: true\n    name: bob--default\n", policy.RuleName),
		svc("macvlan network", "    networks: [lan]\nnetworks:\n  lan:\n    driver: macvlan\n", policy.RuleNetwork),
		// A network's ipam subnet is no escape any more: translateIPAM gives
		// the choice to the engine, with a note (corpus ipam-subnet); the
		// policy still refuses ipam that reaches it (TestPolicyStillRefusesIPAM).
		svc("network bridge name option", "    networks: [lan]\nnetworks:\n  lan:\n    driver_opts:\n      com.docker.network.bridge.name: docker0\n", policy.RuleNetwork),
		svc("endpoint driver options", "    networks:\n      default:\n        driver_opts:\n          com.docker.network.endpoint.sysctls: net.ipv4.conf.IFNAME.forwarding=1\n", policy.RuleNetwork),
		svc("pid host", "    pid: host\n", policy.RuleHostNS),
		svc("pid of a service", "    pid: \"service:db\"\n  db:\n    image: busybox:latest\n", policy.RuleHostNS),
		svc("ipc host", "    ipc: host\n", policy.RuleHostNS),
		svc("uts host", "    uts: host\n", policy.RuleHostNS),
		svc("userns host", "    userns_mode: host\n", policy.RuleHostNS),
		svc("cgroup host", "    cgroup: host\n", policy.RuleHostNS),
		svc("security_opt seccomp unconfined", "    security_opt: [\"seccomp=unconfined\"]\n", policy.RuleSecurityOpt),
		svc("security_opt systempaths unconfined", "    security_opt: [\"systempaths=unconfined\"]\n", policy.RuleSecurityOpt),
		svc("sysctls", "    sysctls:\n      net.ipv4.ip_forward: 1\n", policy.RuleSysctls),
		svc("runtime", "    runtime: nvidia\n", policy.RuleRuntime),
		svc("cgroup_parent", "    cgroup_parent: /\n", policy.RuleCgroup),
		svc("oom_kill_disable", "    oom_kill_disable: true\n", policy.RuleCgroup),
		svc("negative oom_score_adj", "    oom_score_adj: -1000\n", policy.RuleCgroup),
		svc("bind mount of the host's root", "    volumes: [\"/:/host\"]\n", policy.RuleBindMounts),
		svc("bind mount, long syntax", "    volumes:\n      - type: bind\n        source: /etc\n        target: /e\n", policy.RuleBindMounts),
		svc("socket, short syntax", "    volumes: [\"/var/run/docker.sock:/var/run/docker.sock\"]\n", policy.RuleDockerSock),
		svc("socket, long syntax", "    volumes:\n      - type: bind\n        source: /var/run/docker.sock\n        target: /s\n", policy.RuleDockerSock),
		svc("socket's folder", "    volumes: [\"/run:/r:ro\"]\n", policy.RuleDockerSock),
		svc("socket through a volume's device", "    volumes: [\"sock:/s\"]\nvolumes:\n  sock:\n    driver_opts:\n      type: none\n      o: bind\n      device: /var/run/docker.sock\n", policy.RuleDockerSock),
		svc("host path through a volume's device", "    volumes: [\"etc:/e\"]\nvolumes:\n  etc:\n    driver_opts:\n      type: none\n      o: bind\n      device: /etc\n", policy.RuleBindMounts),
		svc("third-party volume driver", "    volumes: [\"v:/v\"]\nvolumes:\n  v:\n    driver: rexray\n", policy.RuleVolumes),
		svc("another user's volume", "    volumes: [\"v:/v\"]\nvolumes:\n  v:\n    external: true\n    name: bob--data\n", policy.RuleName),
		svc("volumes_from another user", "    volumes_from: [\"container:bob--web\"]\n", policy.RuleVolumes),
		svc("use_api_socket", "    use_api_socket: true\n", policy.RuleDockerSock),
		svc("links to another user", "    external_links: [\"bob--db:db\"]\n", policy.RuleLinks),
		svc("owner label", "    labels:\n      dockeronline.owner: u-bob\n", policy.RuleReservedLabel),
		svc("compose project label", "    labels:\n      com.docker.compose.project: bob--shop\n", policy.RuleReservedLabel),
		svc("privileged hook", "    post_start:\n      - command: id\n        privileged: true\n", policy.RulePrivileged),
		svc("provider service", "    provider:\n      type: awesomecloud\n", policy.RuleComposeFeature),
		{Name: "env_file", Compose: escapeWeb + "    env_file: [app.env]\n", Files: map[string]string{"app.env": "A=1\n"}, Rule: policy.RuleEnvFile},
		svc("env_file of a host file", "    env_file: [/etc/shadow]\n", policy.RuleEnvFile),
		svc("env_file of the socket", "    env_file: [/var/run/docker.sock]\n", policy.RuleDockerSock),
		{Name: "label_file", Compose: escapeWeb + "    label_file: [app.labels]\n", Files: map[string]string{"app.labels": "a=1\n"}, Rule: policy.RuleHostFiles},
		svc("secret from a host file", "    secrets: [key]\nsecrets:\n  key:\n    file: /etc/shadow\n", policy.RuleUploadPaths),
		svc("secret from outside the upload", "    secrets: [key]\nsecrets:\n  key:\n    file: ../key\n", policy.RuleUploadPaths),
		svc("config from a host file", "    configs: [c]\nconfigs:\n  c:\n    file: /etc/passwd\n", policy.RuleUploadPaths),
		svc("config copied onto /proc", "    configs:\n      - source: c\n        target: /proc/sysrq-trigger\nconfigs:\n  c:\n    content: b\n", policy.RuleVolumeTarget),
		{Name: "project file copied onto /proc", Compose: escapeWeb + "    volumes: [\"./x:/proc/sysrq-trigger\"]\n", Files: map[string]string{"x": "b"}, Rule: policy.RuleVolumeTarget},
		svc("bind mount out of the upload", "    volumes: [\"../:/up\"]\n", policy.RuleUploadPaths),
		svc("bind mount of another upload", "    volumes: [\"../stack-1/app:/up\"]\n", policy.RuleUploadPaths),
		svc("bind mount of /etc, doubled slash", "    volumes: [\"//etc/:/e\"]\n", policy.RuleBindMounts),
		svc("bind mount of /etc through ..", "    volumes: [\"/srv/../etc:/e\"]\n", policy.RuleBindMounts),
		svc("bind mount of /ETC", "    volumes: [\"/ETC:/e\"]\n", policy.RuleBindMounts),
		svc("bind mount of the docker state", "    volumes: [\"/var/lib/docker:/d\"]\n", policy.RuleBindMounts),
		svc("bind mount of /proc", "    volumes: [\"/proc:/p\"]\n", policy.RuleBindMounts),
		svc("bind mount of another user's home", "    volumes: [\"/home/bob:/b\"]\n", policy.RuleBindMounts),
		svc("bind mount of kernel modules", "    volumes: [\"/lib/modules:/m\"]\n", policy.RuleBindMounts),
		svc("secret from the socket", "    secrets: [key]\nsecrets:\n  key:\n    file: /var/run/docker.sock\n", policy.RuleDockerSock),
		built("build context outside the upload", "    build: ../\n", policy.RuleUploadPaths),
		built("build context on the host", "    build: /etc\n", policy.RuleUploadPaths),
		{Name: "Dockerfile outside the upload", Compose: "services:\n  web:\n    build:\n      context: .\n      dockerfile: ../Dockerfile\n", Files: dockerfile, Rule: policy.RuleUploadPaths},
		built("remote build context", "    build: https://github.com/example/app.git\n", policy.RuleRemoteSource),
		{Name: "build network host", Compose: "services:\n  web:\n    build:\n      context: .\n      network: host\n", Files: dockerfile, Rule: policy.RuleHostNS},
		{Name: "build ssh agent", Compose: "services:\n  web:\n    build:\n      context: .\n      ssh: [default]\n", Files: dockerfile, Rule: policy.RuleHostFiles},
		{Name: "Dockerfile ADD of a URL", Compose: "services:\n  web:\n    build: .\n", Files: map[string]string{"Dockerfile": "FROM busybox:latest\nADD http://127.0.0.1:4222/ /x\n"}, Rule: policy.RuleRemoteSource},
		{Name: "Dockerfile COPY from outside", Compose: "services:\n  web:\n    build: .\n", Files: map[string]string{"Dockerfile": "FROM busybox:latest\nCOPY ../../etc/passwd /x\n"}, Rule: policy.RulePath},
		{Name: "Dockerfile RUN --mount of a secret", Compose: "services:\n  web:\n    build: .\n", Files: map[string]string{"Dockerfile": "FROM busybox:latest\nRUN --mount=type=secret,id=k cat /run/secrets/k\n"}, Rule: policy.RulePath},
		svc("extends a file outside the upload", "    extends:\n      file: ../x.yml\n      service: web\n", policy.RuleUploadPaths),
		svc("extends a host file", "    extends:\n      file: /etc/compose.yml\n      service: web\n", policy.RuleUploadPaths),
		svc("extends the socket", "    extends:\n      file: /var/run/docker.sock\n      service: web\n", policy.RuleDockerSock),
		{Name: "include", Compose: "include: [other.yml]\n" + escapeWeb, Files: map[string]string{"other.yml": escapeWeb}, Rule: policy.RuleComposeFeature},
	}
	return append(cases, resourceEscapes()...)
}

// resourceEscapes are the limits a compose file could bypass: every
// resource key Compose turns into a HostConfig field the policy's
// allow-list does not set itself, /proc working directories and mounts,
// and unbounded lists.
func resourceEscapes() []EscapeCase {
	svc := func(name, extra, rule string) EscapeCase {
		return EscapeCase{Name: name, Compose: escapeWeb + extra, Rule: rule}
	}
	return []EscapeCase{
		svc("cpus above the maximum", "    cpus: 64\n", policy.RuleCPU),
		svc("deploy cpus above the maximum", "    deploy:\n      resources:\n        limits:\n          cpus: \"64\"\n", policy.RuleCPU),
		svc("cpu_quota", "    cpu_quota: 1000000\n", policy.RuleCPUOptions),
		svc("cpu_period", "    cpu_period: 1000\n", policy.RuleCPUOptions),
		svc("cpu_shares", "    cpu_shares: 262144\n", policy.RuleCPUOptions),
		svc("cpuset", "    cpuset: \"0-63\"\n", policy.RuleCPUOptions),
		svc("cpu_rt_runtime", "    cpu_rt_runtime: 950000\n", policy.RuleCPUOptions),
		svc("cpu_rt_period", "    cpu_rt_period: 1000000\n", policy.RuleCPUOptions),
		svc("cpu_count", "    cpu_count: 64\n", policy.RuleCPUOptions),
		svc("cpu_percent", "    cpu_percent: 100\n", policy.RuleCPUOptions),
		svc("memswap_limit unlimited", "    memswap_limit: -1\n", policy.RuleSwap),
		svc("memswap_limit above memory", "    mem_limit: 64m\n    memswap_limit: 4g\n", policy.RuleSwap),
		svc("mem_swappiness", "    mem_swappiness: 100\n", policy.RuleSwap),
		svc("mem_reservation above memory", "    mem_limit: 64m\n    mem_reservation: 4g\n", policy.RuleMemory),
		svc("deploy memory reservation above memory", "    deploy:\n      resources:\n        limits:\n          memory: 64m\n        reservations:\n          memory: 4g\n", policy.RuleMemory),
		svc("mem_limit above the maximum", "    mem_limit: 1t\n", policy.RuleMemory),
		svc("blkio weight", "    blkio_config:\n      weight: 1000\n", policy.RuleBlkio),
		svc("blkio device throttle", "    blkio_config:\n      device_read_bps:\n        - path: /dev/sda\n          rate: 1mb\n", policy.RuleBlkio),
		svc("ulimit nproc", "    ulimits:\n      nproc: 65535\n", policy.RuleUlimits),
		svc("ulimit memlock unlimited", "    ulimits:\n      memlock:\n        soft: -1\n        hard: -1\n", policy.RuleUlimits),
		svc("ulimit nofile above the cap", "    ulimits:\n      nofile:\n        soft: 1024\n        hard: 1073741816\n", policy.RuleUlimits),
		svc("tmpfs of 100 GB", "    tmpfs: [\"/t:size=100g\"]\n", policy.RuleTmpfs),
		svc("tmpfs of half the host", "    tmpfs: [\"/t:size=50%\"]\n", policy.RuleTmpfs),
		svc("tmpfs with unlimited inodes", "    tmpfs: [\"/t:nr_inodes=0\"]\n", policy.RuleTmpfs),
		svc("tmpfs volume of 100 GB", "    volumes:\n      - type: tmpfs\n        target: /t\n        tmpfs:\n          size: 100g\n", policy.RuleTmpfs),
		svc("shm_size 64 GB", "    shm_size: 64g\n", policy.RuleTmpfs),
		svc("working_dir /proc/self/fd/8", "    working_dir: /proc/self/fd/8\n", policy.RuleProcWorkdir),
		svc("working_dir //proc/1/cwd", "    working_dir: //proc/1/cwd\n", policy.RuleProcWorkdir),
		svc("working_dir /proc/../proc/self/cwd", "    working_dir: /proc/../proc/self/cwd\n", policy.RuleProcWorkdir),
		svc("working_dir /dev/fd/8", "    working_dir: /dev/fd/8\n", policy.RuleProcWorkdir),
		svc("health check every millisecond", "    healthcheck:\n      test: [\"CMD\", \"true\"]\n      interval: 1ms\n", policy.RuleHealthcheck),
		svc("health check start_interval of a millisecond", "    healthcheck:\n      test: [\"CMD\", \"true\"]\n      start_interval: 1ms\n", policy.RuleHealthcheck),
		svc("hook working_dir under /proc", "    post_start:\n      - command: id\n        working_dir: /proc/self/fd/8\n", policy.RuleProcWorkdir),
		svc("anonymous volume over /sys", "    volumes: [\"/sys/fs/cgroup\"]\n", policy.RuleVolumeTarget),
		svc("tmpfs over /proc", "    tmpfs: [\"/proc/sys\"]\n", policy.RuleVolumeTarget),
		svc("300 environment entries", "    environment:\n"+lines(300, "      - V%d=x\n"), policy.RuleSize),
		// Each string stays under the compose reader's 64 KB (compose-size):
		// the policy's totals are what refuse these.
		svc("two 40 KB environment values", "    environment:\n      BIG1: "+strings.Repeat("x", 40<<10)+"\n      BIG2: "+strings.Repeat("x", 40<<10)+"\n", policy.RuleSize),
		svc("200 labels", "    labels:\n"+lines(200, "      l%d: x\n"), policy.RuleSize),
		svc("three 50 KB command arguments", "    command: [\"echo\", \""+strings.Repeat("x", 50<<10)+"\", \""+strings.Repeat("x", 50<<10)+"\", \""+strings.Repeat("x", 50<<10)+"\"]\n", policy.RuleSize),
		svc("20 networks", "    networks: ["+lines(20, "n%d, ")+"n20]\nnetworks:\n"+lines(21, "  n%d: {}\n"), policy.RuleSize),
		svc("100 network aliases", "    networks:\n      default:\n        aliases: ["+lines(100, "a%d, ")+"a100]\n", policy.RuleSize),
		svc("200 volume labels", "    volumes: [\"v:/v\"]\nvolumes:\n  v:\n    labels:\n"+lines(200, "      l%d: x\n"), policy.RuleSize),
		svc("100 extra hosts", "    extra_hosts:\n"+lines(100, "      - \"h%d:10.0.0.1\"\n"), policy.RuleSize),
	}
}

// lines is format applied to 0..n-1, joined.
func lines(n int, format string) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, format, i)
	}
	return b.String()
}
