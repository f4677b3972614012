package policy

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/names"
)

// Compose rules: what a compose file can ask for beyond a container's
// options — files the Compose tool itself would read on the machine that
// runs it, and Compose features that run things outside containers.
const (
	// RuleEnvFile refuses env_file: Compose would read it from the host.
	RuleEnvFile = "no-env-file"
	// RuleHostFiles refuses configs/secrets with file: sources, label_file
	// and credential_spec files: host files, read by the runner.
	RuleHostFiles = "no-host-files"
	// RuleUploadPaths keeps build contexts, Dockerfiles, extends: and
	// include: files inside the uploaded project directory.
	RuleUploadPaths = "paths-in-upload"
	// RuleComposeFeature refuses Compose features that run programs on the
	// host (provider services, models) or that the platform cannot judge
	// (jobs, pre_start containers).
	RuleComposeFeature = "compose-feature"
)

// LabelStack is the stack a container, network or volume belongs to.
const LabelStack = LabelPrefix + "stack"

// ComposeResources are a service's effective memory (bytes), CPUs (1e-9)
// and pids limits, read the way Compose reads them: deploy.resources.limits
// win over the service-level mem_limit, cpus and pids_limit.
func ComposeResources(s types.ServiceConfig) (mem, nanoCPUs, pids int64) {
	mem, nanoCPUs, pids = int64(s.MemLimit), int64(float64(s.CPUS)*1e9), s.PidsLimit
	if s.Deploy != nil && s.Deploy.Resources.Limits != nil {
		l := s.Deploy.Resources.Limits
		if l.MemoryBytes != 0 {
			mem = int64(l.MemoryBytes)
		}
		if l.NanoCPUs != 0 {
			nanoCPUs = int64(float64(l.NanoCPUs) * 1e9)
		}
		if l.Pids > 0 {
			pids = l.Pids
		}
	}
	return mem, nanoCPUs, pids
}

// Compose judges a normalized Compose project (see services/runner/stack)
// for tenant t on behalf of c: EVERY service, volume, network, config and
// secret. Each service is turned into the container configuration Compose
// will send and judged by Admit, like any container; the compose-only
// escapes (files the tool reads on the host, paths outside the upload,
// host-side features) are judged here, by name. root is the upload's
// directory, the only place files may come from. The project must already
// carry the platform's names (every object "<user>--…"), which is checked
// again here: a bug upstream must not turn into an escape.
func (e *Engine) Compose(c identity.Caller, t Tenant, p *types.Project, root string) error {
	if u, _, ok := names.SplitDocker(p.Name); !ok || u != t.Username {
		return rule(apierr.CodeInvalid, RuleName, "project %q is not in your namespace", p.Name)
	}
	if len(p.Models) > 0 {
		return rule(apierr.CodePolicy, RuleComposeFeature, "models are not supported here: they run on the host's model runner")
	}
	if len(p.Jobs) > 0 {
		return rule(apierr.CodePolicy, RuleComposeFeature, "jobs are not supported here")
	}
	for _, k := range sortedKeys(p.Networks) {
		if err := e.composeNetwork(c, t, k, p.Networks[k]); err != nil {
			return err
		}
	}
	for _, k := range sortedKeys(p.Volumes) {
		if err := e.composeVolume(c, t, k, p.Volumes[k]); err != nil {
			return err
		}
	}
	for _, k := range sortedKeys(p.Secrets) {
		if err := fileObject(c, "secret", k, types.FileObjectConfig(p.Secrets[k]), root); err != nil {
			return err
		}
	}
	for _, k := range sortedKeys(p.Configs) {
		if err := fileObject(c, "config", k, types.FileObjectConfig(p.Configs[k]), root); err != nil {
			return err
		}
	}
	for _, k := range sortedKeys(p.Services) {
		if err := e.composeService(c, t, p, p.Services[k], root); err != nil {
			return err
		}
	}
	return nil
}

func (e *Engine) composeNetwork(c identity.Caller, t Tenant, key string, n types.NetworkConfig) error {
	if u, _, ok := names.SplitDocker(n.Name); !ok || u != t.Username {
		return rule(apierr.CodePolicy, RuleNetwork, "network %q (%s) is not one of your networks", key, n.Name)
	}
	if err := CheckLabels(n.Labels); err != nil {
		return err
	}
	if err := ownLabels(t, n.Labels, bool(n.External)); err != nil {
		return err
	}
	if c.IsAdmin() || bool(n.External) {
		return nil
	}
	switch {
	case n.Driver != "" && n.Driver != "bridge":
		return rule(apierr.CodePolicy, RuleNetwork, "network %q: driver %q is not allowed: stack networks are private bridges", key, n.Driver)
	case len(n.DriverOpts) > 0:
		return rule(apierr.CodePolicy, RuleNetwork, "network %q: driver options are not allowed", key)
	case len(n.Ipam.Config) > 0 || len(n.Ipam.Options) > 0 || (n.Ipam.Driver != "" && n.Ipam.Driver != "default"):
		return rule(apierr.CodePolicy, RuleNetwork, "network %q: custom address management is not allowed: subnets are chosen by the engine so they never overlap the host's", key)
	}
	return nil
}

func (e *Engine) composeVolume(c identity.Caller, t Tenant, key string, v types.VolumeConfig) error {
	if u, _, ok := names.SplitDocker(v.Name); !ok || u != t.Username {
		return rule(apierr.CodePolicy, RuleVolumes, "volume %q (%s) is not one of your volumes", key, v.Name)
	}
	if err := CheckLabels(v.Labels); err != nil {
		return err
	}
	if err := ownLabels(t, v.Labels, bool(v.External)); err != nil {
		return err
	}
	if v.External {
		return nil
	}
	return e.CheckVolumeDriver(c, v.Driver, v.DriverOpts)
}

// fileObject judges a top-level config or secret: content and environment
// sources are fine (a file: inside the upload was turned into one of them
// before, see services/runner/stack translate_files.go); a file: left is
// outside the upload, a host file; external ones are Swarm objects.
func fileObject(c identity.Caller, kind, key string, o types.FileObjectConfig, root string) error {
	if o.File != "" && !c.IsAdmin() {
		if mentionsDockerSocket(o.File) {
			return rule(apierr.CodePolicy, RuleDockerSock, "%s %q: the Docker socket may not be read", kind, key)
		}
		return rule(apierr.CodePolicy, RuleUploadPaths, "%s %q: file %s is outside the uploaded project: put it in the project, or use content: or environment:", kind, key, asWritten(root, o.File))
	}
	if o.External {
		return rule(apierr.CodePolicy, RuleComposeFeature, "%s %q: external %ss are Swarm objects, not supported here", kind, key, kind)
	}
	if o.Driver != "" || o.TemplateDriver != "" {
		return rule(apierr.CodePolicy, RuleComposeFeature, "%s %q: drivers are not supported here", kind, key)
	}
	return nil
}

// ownLabels checks that a normalized object carries the tenant's labels
// (external objects carry their own; they were checked against Docker).
func ownLabels(t Tenant, l types.Labels, external bool) error {
	if external {
		return nil
	}
	if l[LabelOwner] != t.UserID || l[LabelUsername] != t.Username {
		return rule(apierr.CodeInvalid, RuleReservedLabel, "object is missing its owner labels")
	}
	return nil
}

func (e *Engine) composeService(c identity.Caller, t Tenant, p *types.Project, s types.ServiceConfig, root string) error {
	if err := composeOnly(c, s, root); err != nil {
		return err
	}
	if s.Build != nil { // build: secrets: (composeBuild judges the rest)
		if err := buildSecrets(s.Name, s.Build.Secrets, p.Secrets, root); err != nil {
			return err
		}
	}
	for _, h := range append(append([]types.ServiceHook{}, s.PostStart...), s.PreStop...) {
		if err := e.CheckExec(h.WorkingDir, composeEnv(h.Environment), h.Command); err != nil {
			return withService(s.Name, err)
		}
	}
	if err := ownLabels(t, s.Labels, false); err != nil {
		return err
	}
	if s.ContainerName != "" {
		if u, _, ok := names.SplitDocker(s.ContainerName); !ok || u != t.Username {
			return rule(apierr.CodeInvalid, RuleName, "service %q: container name %q is not in your namespace", s.Name, s.ContainerName)
		}
	}
	cfg, h, err := ServiceContainer(p, s)
	if err != nil {
		return err
	}
	if err := e.ApplyRuntime(c, t, h); err != nil {
		return withService(s.Name, err)
	}
	err = e.Bound(h)
	if err == nil {
		err = e.Admit(c, t, cfg, h)
	}
	if err != nil {
		return withService(s.Name, err)
	}
	return nil
}

// withService prefixes a refusal with the service it is about.
func withService(name string, err error) error {
	ae := apierr.From(err)
	out := *ae
	out.Message = "service " + strconv.Quote(name) + ": " + ae.Message
	return &out
}

// composeOnly judges what only Compose can ask for: files it would read on
// the host, host-side features, build options.
func composeOnly(c identity.Caller, s types.ServiceConfig, root string) error {
	svc := "service " + strconv.Quote(s.Name)
	if s.UseAPISocket {
		return rule(apierr.CodePolicy, RuleDockerSock, "%s: use_api_socket would mount the Docker socket", svc)
	}
	if s.Provider != nil {
		return rule(apierr.CodePolicy, RuleComposeFeature, "%s: provider services run a program on the host; not supported here", svc)
	}
	if len(s.Models) > 0 {
		return rule(apierr.CodePolicy, RuleComposeFeature, "%s: models are not supported here", svc)
	}
	if len(s.PreStart) > 0 {
		return rule(apierr.CodePolicy, RuleComposeFeature, "%s: pre_start containers are not supported here", svc)
	}
	if err := fileTargets(svc, s); err != nil {
		return err
	}
	if c.IsAdmin() {
		return nil
	}
	for _, f := range s.EnvFiles {
		if mentionsDockerSocket(f.Path) {
			return rule(apierr.CodePolicy, RuleDockerSock, "%s: env_file may not name the Docker socket", svc)
		}
	}
	if len(s.EnvFiles) > 0 {
		return rule(apierr.CodePolicy, RuleEnvFile, "%s: env_file is not allowed (%s): put the variables in environment: or in the stack's env", svc, relTo(root, s.EnvFiles[0].Path))
	}
	if len(s.LabelFiles) > 0 {
		return rule(apierr.CodePolicy, RuleHostFiles, "%s: label_file is not allowed (%s)", svc, relTo(root, s.LabelFiles[0]))
	}
	if cs := s.CredentialSpec; cs != nil && (cs.File != "" || cs.Registry != "") {
		return rule(apierr.CodePolicy, RuleHostFiles, "%s: credential_spec files are not allowed", svc)
	}
	for _, h := range append(append([]types.ServiceHook{}, s.PostStart...), s.PreStop...) {
		if h.Privileged {
			return rule(apierr.CodePolicy, RulePrivileged, "%s: privileged hooks are not allowed", svc)
		}
	}
	if len(s.Networks) > maxNetworks {
		return rule(apierr.CodeInvalid, RuleSize, "%s joins %d networks: at most %d", svc, len(s.Networks), maxNetworks)
	}
	for k, n := range s.Networks {
		if n != nil && len(n.Aliases) > maxSmallList {
			return rule(apierr.CodeInvalid, RuleSize, "%s: network %q has %d aliases: at most %d", svc, k, len(n.Aliases), maxSmallList)
		}
		if n != nil && len(n.DriverOpts) > 0 {
			return rule(apierr.CodePolicy, RuleNetwork, "%s: driver options on network %q are not allowed (they reach the host's interfaces)", svc, k)
		}
	}
	if s.VolumeDriver != "" {
		return rule(apierr.CodePolicy, RuleVolumes, "%s: volume_driver %q is not allowed", svc, s.VolumeDriver)
	}
	if s.OomScoreAdj < 0 {
		return rule(apierr.CodePolicy, RuleCgroup, "%s: a negative oom_score_adj would shield the container from the OOM killer", svc)
	}
	if s.Build != nil {
		return composeBuild(svc, s.Build, root)
	}
	return nil
}

// composeBuild judges a service's build: section. The platform builds it
// with its own builder (see services/runner/build), from the upload only.
func composeBuild(svc string, b *types.BuildConfig, root string) error {
	if isRemote(b.Context) || strings.Contains(b.Context, "://") {
		return rule(apierr.CodePolicy, RuleRemoteSource, "%s: build context %q is fetched by the engine; upload the context instead", svc, b.Context)
	}
	for what, p := range map[string]string{"build context": b.Context, "Dockerfile": dockerfilePath(b)} {
		if p == "" {
			continue
		}
		if mentionsDockerSocket(p) {
			return rule(apierr.CodePolicy, RuleDockerSock, "%s: %s may not name the Docker socket", svc, what)
		}
		if !Inside(root, p) {
			return rule(apierr.CodePolicy, RuleUploadPaths, "%s: %s %s is outside the uploaded project", svc, what, relTo(root, p))
		}
	}
	n := strings.ToLower(b.Network)
	switch {
	case n == "host":
		return rule(apierr.CodePolicy, RuleHostNS, "%s: build network host is not allowed", svc)
	case !buildNetworks[n]:
		return rule(apierr.CodePolicy, RuleNetwork, "%s: build network %q is not allowed: use default or none", svc, b.Network)
	case b.Privileged || len(b.Entitlements) > 0:
		return rule(apierr.CodePolicy, RuleEntitlement, "%s: privileged builds and entitlements are not allowed", svc)
	case len(b.SSH) > 0:
		return rule(apierr.CodePolicy, RuleHostFiles, "%s: build ssh reads the host's keys; not allowed", svc)
	case len(b.AdditionalContexts) > 0:
		return rule(apierr.CodePolicy, RuleUploadPaths, "%s: additional build contexts are not supported: everything comes from the upload", svc)
	case len(b.CacheTo) > 0 || len(b.CacheFrom) > 0:
		return rule(apierr.CodePolicy, RuleHostFiles, "%s: build caches to or from elsewhere are not supported", svc)
	case len(b.Tags) > 0:
		return rule(apierr.CodePolicy, RuleName, "%s: extra build tags are not supported: the image is tagged in your namespace", svc)
	case len(b.Platforms) > 1:
		return rule(apierr.CodeInvalid, RuleComposeFeature, "%s: builds are for the host's platform only: other platforms need emulation, which this platform does not run", svc)
	case len(b.ExtraHosts) > 0 || len(b.Ulimits) > 0 || b.Isolation != "" || b.ShmSize != 0:
		return rule(apierr.CodeInvalid, RuleComposeFeature, "%s: build extra_hosts, ulimits, isolation and shm_size are not supported", svc)
	}
	return nil
}

// dockerfilePath is where a build's Dockerfile is read, if from a file.
func dockerfilePath(b *types.BuildConfig) string {
	if b.DockerfileInline != "" {
		return ""
	}
	df := b.Dockerfile
	if df == "" {
		df = "Dockerfile"
	}
	if filepath.IsAbs(df) {
		return df
	}
	return filepath.Join(b.Context, df)
}

// Inside reports whether p is root or inside it, lexically (root and p
// absolute and clean). Symbolic links in an upload are refused when it is
// unpacked, so the lexical answer is the real one.
func Inside(root, p string) bool {
	if !filepath.IsAbs(p) {
		return false
	}
	rel, err := filepath.Rel(root, filepath.Clean(p))
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// relTo shows p relative to the upload when it is inside (the user knows
// their files by those names), as given otherwise.
func relTo(root, p string) string {
	if Inside(root, p) {
		if rel, err := filepath.Rel(root, p); err == nil {
			return rel
		}
	}
	return p
}

// ServiceContainer is the container configuration Compose sends to Docker
// for service s of normalized project p (compose's own conversion, for what
// the policy judges): image, labels, ports, mounts, namespaces, devices,
// privileges, links and limits.
func ServiceContainer(p *types.Project, s types.ServiceConfig) (*container.Config, *container.HostConfig, error) {
	svc := "service " + strconv.Quote(s.Name)
	cfg := &container.Config{Image: s.Image, Labels: map[string]string{},
		Cmd: s.Command, Entrypoint: s.Entrypoint, WorkingDir: s.WorkingDir, User: s.User,
		Env: composeEnv(s.Environment), Healthcheck: composeHealthcheck(s)}
	for k, v := range s.Labels {
		cfg.Labels[k] = v
	}
	mem, cpus, pids := ComposeResources(s)
	h := &container.HostConfig{
		Privileged:  s.Privileged,
		CapAdd:      s.CapAdd,
		IpcMode:     container.IpcMode(serviceRef(s.Ipc)),
		PidMode:     container.PidMode(serviceRef(s.Pid)),
		UTSMode:     container.UTSMode(s.Uts),
		UsernsMode:  container.UsernsMode(s.UserNSMode),
		SecurityOpt: s.SecurityOpt,
		Sysctls:     map[string]string(s.Sysctls),
		VolumesFrom: s.VolumesFrom,
		Runtime:     s.Runtime,
		Links:       append(append([]string{}, s.Links...), s.ExternalLinks...),
		Resources: container.Resources{
			Memory: mem, NanoCPUs: cpus, CgroupParent: s.CgroupParent,
			DeviceCgroupRules: s.DeviceCgroupRules,
		},
	}
	h.CgroupnsMode = container.CgroupnsMode(s.Cgroup)
	composeLimits(s, h)
	if len(h.Sysctls) == 0 {
		h.Sysctls = nil
	}
	if len(h.Links) == 0 {
		h.Links = nil
	}
	if pids != 0 {
		h.PidsLimit = &pids
	}
	if s.OomKillDisable {
		t := true
		h.OomKillDisable = &t
	}
	for _, d := range s.Devices {
		h.Devices = append(h.Devices, container.DeviceMapping{PathOnHost: d.Source, PathInContainer: d.Target, CgroupPermissions: d.Permissions})
	}
	gpus := append([]types.DeviceRequest{}, s.Gpus...)
	if s.Deploy != nil && s.Deploy.Resources.Reservations != nil {
		gpus = append(gpus, s.Deploy.Resources.Reservations.Devices...)
	}
	for _, g := range gpus {
		h.DeviceRequests = append(h.DeviceRequests, container.DeviceRequest{Driver: g.Driver, Count: int(g.Count), DeviceIDs: g.IDs})
	}
	mode := s.NetworkMode
	if mode == "" {
		mode = s.Net
	}
	switch {
	case mode != "":
		h.NetworkMode = container.NetworkMode(serviceRef(mode))
	default:
		keys := s.NetworksByPriority()
		if len(keys) == 0 {
			h.NetworkMode = network.NetworkNone
		} else {
			h.NetworkMode = container.NetworkMode(p.Networks[keys[0]].Name)
		}
	}
	var err error
	if cfg.ExposedPorts, h.PortBindings, err = servicePorts(svc, s); err != nil {
		return nil, nil, err
	}
	if h.Mounts, err = serviceMounts(svc, p, s); err != nil {
		return nil, nil, err
	}
	return cfg, h, nil
}

// serviceRef turns Compose's "service:<name>" into the "container:<id>"
// Compose will send: sharing another container's namespace.
func serviceRef(mode string) string {
	if name, ok := strings.CutPrefix(mode, types.ServicePrefix); ok {
		return "container:" + name
	}
	return mode
}

func servicePorts(svc string, s types.ServiceConfig) (network.PortSet, network.PortMap, error) {
	set := network.PortSet{}
	add := func(target uint32, proto string) (network.Port, error) {
		if proto == "" {
			proto = "tcp"
		}
		port, err := network.ParsePort(strconv.FormatUint(uint64(target), 10) + "/" + proto)
		if err != nil {
			return port, rule(apierr.CodeInvalid, RulePort, "%s: port %d/%s: %v", svc, target, proto, err)
		}
		set[port] = struct{}{}
		return port, nil
	}
	for _, e := range s.Expose {
		n, proto, _ := strings.Cut(e, "/")
		lo, hi, _ := strings.Cut(n, "-")
		a, err := strconv.ParseUint(lo, 10, 16)
		b := a
		if hi != "" {
			b, err = strconv.ParseUint(hi, 10, 16)
		}
		if err != nil || a == 0 || b < a || b-a > 100 {
			return nil, nil, rule(apierr.CodeInvalid, RulePort, "%s: expose %q is not a port (or a range of at most 100)", svc, e)
		}
		for p := a; p <= b; p++ {
			if _, err := add(uint32(p), proto); err != nil {
				return nil, nil, err
			}
		}
	}
	// A stack never publishes on the host: the runner's translation turns
	// every ports: entry into an exposed port (its web link). One left
	// here is a bug upstream, refused rather than published.
	if len(s.Ports) > 0 {
		return nil, nil, rule(apierr.CodePolicy, RulePublish, "%s: ports are not published on the host in a stack (the container port gets a web link)", svc)
	}
	if len(set) == 0 {
		set = nil
	}
	return set, nil, nil
}

func serviceMounts(svc string, p *types.Project, s types.ServiceConfig) ([]mount.Mount, error) {
	var ms []mount.Mount
	for _, v := range s.Volumes {
		m := mount.Mount{Type: mount.Type(v.Type), Source: v.Source, Target: v.Target, ReadOnly: v.ReadOnly}
		if v.Type == types.VolumeTypeTmpfs && v.Tmpfs != nil {
			m.TmpfsOptions = &mount.TmpfsOptions{SizeBytes: int64(v.Tmpfs.Size), Mode: os.FileMode(v.Tmpfs.Mode)}
		}
		if v.Target == "" || !strings.HasPrefix(v.Target, "/") || strings.Contains(v.Target, "..") {
			return nil, rule(apierr.CodeInvalid, RuleVolumeTarget, "%s: volume target %q must be an absolute path inside the container without '..'", svc, v.Target)
		}
		if v.Type == types.VolumeTypeVolume && v.Source != "" {
			pv, ok := p.Volumes[v.Source]
			if !ok {
				return nil, rule(apierr.CodeInvalid, RuleVolumes, "%s: volume %q is not declared in the top-level volumes", svc, v.Source)
			}
			m.Source = pv.Name
			if !pv.External {
				m.VolumeOptions = &mount.VolumeOptions{DriverConfig: &mount.Driver{Name: pv.Driver, Options: pv.DriverOpts}}
			}
			if v.Volume != nil && v.Volume.Subpath != "" {
				if strings.HasPrefix(v.Volume.Subpath, "/") || strings.Contains(v.Volume.Subpath, "..") {
					return nil, rule(apierr.CodePolicy, RulePath, "%s: volume subpath %q must stay inside the volume", svc, v.Volume.Subpath)
				}
			}
		}
		ms = append(ms, m)
	}
	return ms, nil
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// MentionsDockerSocket reports whether a path names the Docker (or
// containerd) socket or the folder holding it.
func MentionsDockerSocket(s string) bool { return mentionsDockerSocket(s) }
