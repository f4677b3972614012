package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/names"
)

// Tenant is the owner an object is made for.
type Tenant struct {
	UserID   string
	Username string
	Runtime  string // set by an admin (quota store); empty: the default, see ApplyRuntime
}

// Plan is a container request turned into Docker objects, already admitted.
type Plan struct {
	Name    string // Docker name, "<user>--<name>"
	Config  *container.Config
	Host    *container.HostConfig
	Network string   // the user network it joins
	Volumes []string // Docker names of the user's volumes it mounts
}

// Engine applies the rules.
type Engine struct {
	Limits Limits
}

// New returns an engine with limits.
func New(l Limits) *Engine { return &Engine{Limits: l} }

var restartPolicies = map[string]container.RestartPolicyMode{
	"":               container.RestartPolicyDisabled,
	"no":             container.RestartPolicyDisabled,
	"always":         container.RestartPolicyAlways,
	"on-failure":     container.RestartPolicyOnFailure,
	"unless-stopped": container.RestartPolicyUnlessStopped,
}

// Container validates spec and builds the Docker objects for it, with the
// tenancy labels, the user's network, limits and no-new-privileges, then
// admits the result. labels are the platform's own (owner, name, …).
func (e *Engine) Container(c identity.Caller, t Tenant, spec msg.ContainerSpec, labels map[string]string) (*Plan, error) {
	if err := names.ValidateObject("container", spec.Name); err != nil {
		return nil, nameError(err)
	}
	if err := validateImage(spec.Image); err != nil {
		return nil, err
	}
	if err := e.checkEnvSize(spec.Env); err != nil {
		return nil, err
	}
	if err := validateEnv(spec.Env); err != nil {
		return nil, err
	}
	if err := checkWorkdir(&container.Config{WorkingDir: spec.WorkingDir}); err != nil {
		return nil, err
	}
	if strings.Contains(spec.WorkingDir, "..") || (spec.WorkingDir != "" && !path.IsAbs(spec.WorkingDir)) {
		return nil, rule(apierr.CodeInvalid, RulePath, "working directory %q must be an absolute path inside the container without '..'", spec.WorkingDir)
	}
	restart, ok := restartPolicies[spec.RestartPolicy]
	if !ok {
		return nil, rule(apierr.CodeInvalid, RuleRestart, "restart policy %q is not one of no, always, on-failure, unless-stopped", spec.RestartPolicy)
	}
	mem, cpus, err := e.resources(spec.MemoryMB, spec.CPUs)
	if err != nil {
		return nil, err
	}
	exposed, err := exposedPorts(spec.Ports)
	if err != nil {
		return nil, err
	}
	all := map[string]string{}
	for k, v := range spec.Labels {
		if p := ReservedPrefix(k); p != "" {
			return nil, rule(apierr.CodePolicy, RuleReservedLabel, "label %q uses the reserved prefix %q", k, p)
		}
		all[k] = v
	}
	for k, v := range labels {
		all[k] = v
	}

	netShort := spec.Network
	if netShort == "" {
		netShort = DefaultNetwork
	}
	if err := names.ValidateObject("network", netShort); err != nil {
		return nil, nameError(err)
	}
	netName := names.Docker(t.Username, netShort)
	mounts, vols, err := volumeMounts(t, spec.Volumes)
	if err != nil {
		return nil, err
	}
	bindings, err := e.publishBindings(spec.Ports)
	if err != nil {
		return nil, err
	}
	host, err := rawHostConfig(spec.HostConfig)
	if err != nil {
		return nil, err
	}
	// Raw fields win: the policy engine must see what the user really
	// asked for and refuse it by name, never silently replace it.
	if host.NetworkMode == "" {
		host.NetworkMode = container.NetworkMode(netName)
	}
	if host.RestartPolicy.Name == "" {
		host.RestartPolicy = container.RestartPolicy{Name: restart}
		if restart == container.RestartPolicyOnFailure {
			host.RestartPolicy.MaximumRetryCount = 5
		}
	}
	host.Mounts = append(host.Mounts, mounts...)
	anon, err := nameAnonymous(t, host.Mounts)
	if err != nil {
		return nil, err
	}
	vols = append(vols, anon...)
	if host.Memory == 0 {
		host.Memory = mem
	}
	if host.NanoCPUs == 0 {
		host.NanoCPUs = cpus
	}
	if len(bindings) > 0 && host.PortBindings == nil {
		host.PortBindings = bindings
	}
	p := &Plan{
		Name:    names.Docker(t.Username, spec.Name),
		Network: string(host.NetworkMode),
		Volumes: vols,
		Config: &container.Config{
			Image:        spec.Image,
			Cmd:          spec.Cmd,
			Entrypoint:   spec.Entrypoint,
			Env:          spec.Env,
			WorkingDir:   spec.WorkingDir,
			ExposedPorts: exposed,
			Labels:       all,
			Hostname:     spec.Name,
		},
		Host: host,
	}
	if err := e.Bound(p.Host); err != nil {
		return nil, err
	}
	StampLimits(p.Config, p.Host)
	if err := e.ApplyRuntime(c, t, p.Host); err != nil {
		return nil, err
	}
	if err := e.Admit(c, t, p.Config, p.Host); err != nil {
		return nil, err
	}
	return p, nil
}

// ApplyDefaults sets what every container gets whatever path made it: memory
// and CPU defaults where none were asked, the pids limit, bounded json-file
// logs, and no-new-privileges. Bound calls it after building the resources;
// paths call Bound.
func (e *Engine) ApplyDefaults(h *container.HostConfig) {
	if h.Memory <= 0 {
		h.Memory = e.Limits.DefaultMemoryMB << 20
	}
	if h.MemorySwap == 0 {
		h.MemorySwap = h.Memory // no swap beyond the memory limit
	}
	if h.NanoCPUs <= 0 && h.CPUQuota <= 0 {
		h.NanoCPUs = int64(e.Limits.DefaultCPUs * 1e9)
	}
	if max := e.pidsLimit(h.Runtime); h.PidsLimit == nil || *h.PidsLimit <= 0 || *h.PidsLimit > max {
		pl := max
		h.PidsLimit = &pl
	}
	h.LogConfig = container.LogConfig{Type: "json-file", Config: map[string]string{
		"max-size": e.Limits.LogMaxSize, "max-file": e.Limits.LogMaxFiles,
	}}
	if !hasNoNewPrivileges(h.SecurityOpt) {
		h.SecurityOpt = append(h.SecurityOpt, "no-new-privileges:true")
	}
}

// StampLimits records the admitted limits as labels (see LabelMemory).
func StampLimits(cfg *container.Config, h *container.HostConfig) {
	if cfg.Labels == nil {
		cfg.Labels = map[string]string{}
	}
	cfg.Labels[LabelMemory] = strconv.FormatInt(h.Memory, 10)
	cfg.Labels[LabelCPUs] = strconv.FormatInt(h.NanoCPUs, 10)
	cfg.Labels[LabelTmpfs] = strconv.FormatInt(TmpfsBytes(h), 10)
}

func hasNoNewPrivileges(opts []string) bool {
	for _, o := range opts {
		if o == "no-new-privileges" || o == "no-new-privileges:true" || o == "no-new-privileges=true" {
			return true
		}
	}
	return false
}

func (e *Engine) resources(memMB int64, cpus float64) (int64, int64, error) {
	if memMB < 0 || memMB > e.Limits.MaxMemoryMB || (memMB > 0 && memMB < 6) {
		return 0, 0, rule(apierr.CodeInvalid, RuleMemory, "memory limit %d MB must be between 6 and %d MB", memMB, e.Limits.MaxMemoryMB)
	}
	if cpus < 0 || cpus > e.Limits.MaxCPUs {
		return 0, 0, rule(apierr.CodeInvalid, RuleCPU, "CPU limit %g must be between 0.01 and %g", cpus, e.Limits.MaxCPUs)
	}
	return memMB << 20, int64(cpus * 1e9), nil
}

// reservedPrefixes are label namespaces users may not write: the platform's
// own (tenancy) and Compose's (a forged project label would make Compose
// treat the container as part of another stack).
var reservedPrefixes = []string{LabelPrefix, "com.docker.compose."}

// ReservedPrefix is the reserved namespace label falls in, or "".
func ReservedPrefix(label string) string {
	l := strings.ToLower(label)
	for _, p := range reservedPrefixes {
		if strings.HasPrefix(l, p) {
			return p
		}
	}
	return ""
}

// rawHostConfig decodes the user's raw HostConfig strictly: an unknown or
// misspelt field is an error, never silently ignored.
func rawHostConfig(raw json.RawMessage) (*container.HostConfig, error) {
	h := &container.HostConfig{}
	if len(raw) == 0 || string(raw) == "null" {
		return h, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(h); err != nil {
		return nil, rule(apierr.CodeInvalid, RuleHostConfig, "host_config is not a valid Docker HostConfig: %v", err)
	}
	return h, nil
}

// publishBindings maps the ports the user asked to publish, each of which
// must lie in the admin's range.
func (e *Engine) publishBindings(ports []msg.PortSpec) (network.PortMap, error) {
	var pm network.PortMap
	seen := map[string]bool{}
	for _, p := range ports {
		if p.Publish == 0 {
			continue
		}
		if e.Limits.PublishMax == 0 || p.Publish < e.Limits.PublishMin || p.Publish > e.Limits.PublishMax {
			return nil, rule(apierr.CodePolicy, RulePublish, "host port %d is outside the range users may publish on (%s)", p.Publish, e.publishRange())
		}
		proto := p.Protocol
		if proto == "" {
			proto = "tcp"
		}
		key := strconv.Itoa(p.Publish) + "/" + proto
		if seen[key] {
			return nil, rule(apierr.CodeInvalid, RulePublish, "host port %s is published twice", key)
		}
		seen[key] = true
		port, err := network.ParsePort(strconv.Itoa(p.Container) + "/" + proto)
		if err != nil {
			return nil, rule(apierr.CodeInvalid, RulePort, "port %d/%s: %v", p.Container, proto, err)
		}
		if pm == nil {
			pm = network.PortMap{}
		}
		pm[port] = append(pm[port], network.PortBinding{HostPort: strconv.Itoa(p.Publish)})
	}
	return pm, nil
}

func (e *Engine) publishRange() string {
	if e.Limits.PublishMax == 0 {
		return "none is open"
	}
	return fmt.Sprintf("%d-%d", e.Limits.PublishMin, e.Limits.PublishMax)
}

func validateImage(img string) error {
	if img == "" {
		return rule(apierr.CodeInvalid, RuleImage, "image is required")
	}
	if _, err := reference.ParseNormalizedNamed(img); err != nil {
		return rule(apierr.CodeInvalid, RuleImage, "image %q is not a valid reference: %v", img, err)
	}
	return nil
}

func validateEnv(env []string) error {
	for _, kv := range env {
		k, _, ok := strings.Cut(kv, "=")
		if !ok || k == "" || strings.ContainsAny(k, " \t\n\x00") {
			return rule(apierr.CodeInvalid, RuleEnv, "environment entry %q must look like KEY=value", kv)
		}
	}
	return nil
}

func exposedPorts(ports []msg.PortSpec) (network.PortSet, error) {
	if len(ports) == 0 {
		return nil, nil
	}
	set := network.PortSet{}
	for _, p := range ports {
		proto := p.Protocol
		if proto == "" {
			proto = "tcp"
		}
		if p.Container < 1 || p.Container > 65535 || (proto != "tcp" && proto != "udp") {
			return nil, rule(apierr.CodeInvalid, RulePort, "port %d/%s must be 1-65535 over tcp or udp", p.Container, p.Protocol)
		}
		port, err := network.ParsePort(strconv.Itoa(p.Container) + "/" + proto)
		if err != nil {
			return nil, rule(apierr.CodeInvalid, RulePort, "port %d/%s: %v", p.Container, proto, err)
		}
		set[port] = struct{}{}
	}
	return set, nil
}

func volumeMounts(t Tenant, vs []msg.VolumeMount) ([]mount.Mount, []string, error) {
	var ms []mount.Mount
	var vols []string
	targets := map[string]bool{}
	for _, v := range vs {
		if err := names.ValidateObject("volume", v.Volume); err != nil {
			return nil, nil, nameError(err)
		}
		clean := path.Clean(v.Target)
		if !path.IsAbs(v.Target) || strings.Contains(v.Target, "..") || clean == "/" {
			return nil, nil, rule(apierr.CodeInvalid, RuleVolumeTarget, "volume target %q must be an absolute path inside the container (not / and without '..')", v.Target)
		}
		if targets[clean] {
			return nil, nil, rule(apierr.CodeInvalid, RuleVolumeTarget, "two volumes are mounted at %q", clean)
		}
		targets[clean] = true
		dn := names.Docker(t.Username, v.Volume)
		ms = append(ms, mount.Mount{Type: mount.TypeVolume, Source: dn, Target: clean, ReadOnly: v.ReadOnly})
		vols = append(vols, dn)
	}
	sort.Strings(vols)
	return ms, vols, nil
}

func nameError(err error) error {
	var ne *names.Error
	if ok := asNamesError(err, &ne); ok {
		return rule(apierr.CodeInvalid, RuleName, "%s", ne.Message)
	}
	return apierr.Invalid("%v", err)
}

func rule(code apierr.Code, name, format string, args ...any) *apierr.Error {
	return &apierr.Error{Code: code, Rule: name, Message: fmt.Sprintf(format, args...)}
}
