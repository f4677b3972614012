package stack

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/compose/v5/pkg/api"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/names"
	"github.com/dockeronline/platform/services/runner/build"
	"github.com/dockeronline/platform/services/runner/image"
	"github.com/dockeronline/platform/services/runner/policy"
)

// LinksNetwork is the key under which a stack's services with ports join
// the user's own network ("<user>--default"): the web-link proxy reaches
// containers there, as it reaches every container of the user.
const LinksNetwork = "dockeronline-links"

// reservedLabelPrefixes are label prefixes only the platform and Compose set.
var reservedLabelPrefixes = []string{policy.LabelPrefix, "com.docker.compose."}

// normalize puts a loaded project into tenant t's namespace, as stack
// name, before the policy judges it:
//   - the project is "<user>--<stack>"; networks become "<user>--<stack>-<key>"
//     (or "<user>--<name>" for a name: given or an external network of
//     the user), volumes likewise; containers "<user>--<stack>-<service>";
//     a derived or given name that would not fit is shortened stably
//     (namer, names.Fit), and a container_name stays an alias;
//   - everything carries the owner labels (and the file's name where the
//     platform's differs, labelFileName);
//   - every service gets the platform's limits where it set none (memory,
//     CPUs, pids), bounded json-file logs and no-new-privileges, and a
//     stop_grace_period of at most maxStop;
//   - services with exposed ports (ports: became expose:, see
//     translatePorts) also join the user's network, for their web link;
//   - built services are tagged in the user's image namespace.
//
// It refuses labels with reserved prefixes, external names that are not
// the user's, and replicas whose Compose names do not fit.
func normalize(p *types.Project, t policy.Tenant, stack string, lim policy.Limits, maxStop time.Duration) error {
	if err := names.ValidateObject("stack", stack); err != nil {
		return apierr.Invalid("%v", err)
	}
	p.Name = names.Docker(t.Username, stack)
	base := map[string]string{
		policy.LabelOwner: t.UserID, policy.LabelUsername: t.Username, policy.LabelStack: stack,
	}
	// withBase labels an object; from is the file's name for it when the
	// platform's differs (see labelFileName).
	withBase := func(l types.Labels, name, from string) types.Labels {
		if l == nil {
			l = types.Labels{}
		}
		for k, v := range base {
			l[k] = v
		}
		l[policy.LabelName] = name
		if from != "" {
			l[labelFileName] = from
		}
		return l
	}
	nets := newNamer(stack, append(keysOf(p.Networks), "default"))
	vols := newNamer(stack, keysOf(p.Volumes))
	svcs := newNamer(stack, keysOf(p.Services))

	for k, n := range p.Networks {
		if err := reservedLabels("network "+strconv.Quote(k), n.Labels); err != nil {
			return err
		}
		short, from, err := objectName("network", p.Name, nets, k, n.Name, bool(n.External))
		if err != nil {
			return err
		}
		n.Name = names.Docker(t.Username, short)
		if !n.External {
			n.Labels = withBase(n.Labels, short, from)
		}
		p.Networks[k] = n
	}
	for k, v := range p.Volumes {
		if err := reservedLabels("volume "+strconv.Quote(k), v.Labels); err != nil {
			return err
		}
		short, from, err := objectName("volume", p.Name, vols, k, v.Name, bool(v.External))
		if err != nil {
			return err
		}
		v.Name = names.Docker(t.Username, short)
		if !v.External {
			v.Labels = withBase(v.Labels, short, from)
		}
		p.Volumes[k] = v
	}

	links := false
	for k, s := range p.Services {
		if err := reservedLabels("service "+strconv.Quote(k), s.Labels); err != nil {
			return err
		}
		name, err := containerName(stack, svcs, s)
		if err != nil {
			return err
		}
		from := "" // as the guard labels it, which has the last word
		if renamedContainer(stack, k, name) {
			from = k
		}
		if s.ContainerName != "" {
			containerNameAlias(&s)
		}
		if s.GetScale() <= 1 {
			s.ContainerName = names.Docker(t.Username, name)
		}
		s.Labels = withBase(s.Labels, name, from)
		s.Labels[policy.LabelLink] = "public"
		// Compose's own labels, as its project loader sets them: Compose
		// finds its containers by them.
		s.CustomLabels = types.Labels{
			api.ProjectLabel: p.Name, api.ServiceLabel: k, api.VersionLabel: api.ComposeVersion,
			api.OneoffLabel: "False",
		}
		limits(&s, lim)
		// A down must end within a command's time.
		if s.StopGracePeriod != nil && time.Duration(*s.StopGracePeriod) > maxStop {
			d := types.Duration(maxStop)
			s.StopGracePeriod = &d
		}
		if (len(s.Ports) > 0 || len(s.Expose) > 0) && s.NetworkMode == "" && s.Net == "" {
			if s.Networks == nil {
				// No networks: listed means Compose's default, keep it.
				s.Networks = map[string]*types.ServiceNetworkConfig{"default": nil}
			}
			s.Networks[LinksNetwork] = nil
			links = true
		}
		if s.Build != nil {
			img, err := builtImage(t, svcs, s)
			if err != nil {
				return err
			}
			s.Image = img
		}
		p.Services[k] = s
	}
	if links {
		if p.Networks == nil {
			p.Networks = types.Networks{}
		}
		if _, ok := p.Networks["default"]; !ok && needsDefault(p) {
			short, from, _ := objectName("network", p.Name, nets, "default", "", false)
			p.Networks["default"] = types.NetworkConfig{Name: names.Docker(t.Username, short), Labels: withBase(nil, short, from)}
		}
		p.Networks[LinksNetwork] = types.NetworkConfig{Name: names.Docker(t.Username, policy.DefaultNetwork), External: true}
	}
	return nil
}

// needsDefault reports whether a service lists Compose's default network.
func needsDefault(p *types.Project) bool {
	for _, s := range p.Services {
		if _, ok := s.Networks["default"]; ok {
			return true
		}
	}
	return false
}

// objectName is the name the user knows a network or volume by, and the
// file's name for it when that differs (for labelFileName): an external
// one's own name (one of the user's); one named with name: that name
// (fitted to the name rules, see fitGiven); otherwise the namer's
// "<stack>-<key>". compose-go names the unnamed ones "<project>_<key>".
func objectName(kind, project string, n namer, key, name string, external bool) (short, from string, err error) {
	switch {
	case external:
		if err := names.ValidateObject(kind, name); err != nil {
			return "", "", apierr.Policy(policy.RuleName, "external %s %q must be one of your %ss, by the name you gave it: %v", kind, name, kind, err)
		}
		return name, "", nil
	case name != "" && name != project+"_"+key:
		if short, renamed := fitGiven(name); renamed {
			return short, name, nil
		}
		return name, "", nil
	}
	if short, renamed := n.name(key); renamed {
		return short, key, nil
	}
	return n.stack + "-" + key, "", nil
}

// containerName is the platform name of a service's (first) container:
// its container_name if set (fitted, see fitGiven), else the namer's
// "<stack>-<service>". Replicas are numbered by Compose from the
// service's key: "<stack>-<service>-<n>", which must fit as it is.
func containerName(stack string, n namer, s types.ServiceConfig) (string, error) {
	if s.ContainerName != "" {
		name, _ := fitGiven(s.ContainerName)
		return name, nil
	}
	if c := s.GetScale(); c > 1 {
		name := stack + "-" + s.Name
		if err := names.ValidateObject("container", name+"-"+strconv.Itoa(c)); err != nil {
			return "", apierr.Invalid("service %q has %d replicas, which Compose names after the service: %q does not fit (%v); shorten the service's name", s.Name, c, name+"-"+strconv.Itoa(c), err)
		}
		return name, nil
	}
	name, _ := n.name(s.Name)
	return name, nil
}

// containerNameAlias keeps a service reachable by the container_name the
// file gives it, as Docker's DNS answers for a container's name: the
// platform names the container "<user>--<name>", so the file's name
// becomes an alias on each of the stack's networks the service joins.
// Only a name Docker would take as a container's (and a DNS label) is
// kept so: anything else never resolved under Compose either.
func containerNameAlias(s *types.ServiceConfig) {
	if s.NetworkMode != "" || s.Net != "" || !dockerContainerName(s.ContainerName) {
		return
	}
	if s.Networks == nil {
		s.Networks = map[string]*types.ServiceNetworkConfig{"default": nil}
	}
	nets := make(map[string]*types.ServiceNetworkConfig, len(s.Networks))
	for k, n := range s.Networks {
		c := types.ServiceNetworkConfig{}
		if n != nil {
			c = *n // a copy: the loader may share one between services
		}
		if !slices.Contains(c.Aliases, s.ContainerName) {
			c.Aliases = append(slices.Clone(c.Aliases), s.ContainerName)
		}
		nets[k] = &c
	}
	s.Networks = nets
}

// dockerContainerName reports whether s is a container name Docker
// accepts ([a-zA-Z0-9][a-zA-Z0-9_.-]*) that fits one DNS label.
func dockerContainerName(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || c != '_' && c != '.' && c != '-') {
			return false
		}
	}
	return true
}

// sanitize maps a Compose key to the platform's name alphabet.
func sanitize(s string) string {
	s = strings.ToLower(s)
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '-'
	}, s)
}

func reservedLabels(what string, l types.Labels) error {
	for k := range l {
		for _, p := range reservedLabelPrefixes {
			if strings.HasPrefix(strings.ToLower(k), p) {
				return apierr.Policy(policy.RuleReservedLabel, "%s: label %q uses the reserved prefix %q", what, k, p)
			}
		}
	}
	return nil
}

// limits gives a service the platform's defaults where it set none, in the
// fields Compose reads (service level and deploy.resources.limits).
func limits(s *types.ServiceConfig, lim policy.Limits) {
	mem, cpus, pids := policy.ComposeResources(*s)
	if mem <= 0 {
		mem = lim.DefaultMemoryMB << 20
	}
	if cpus <= 0 && s.CPUQuota <= 0 {
		cpus = int64(lim.DefaultCPUs * 1e9)
	}
	if pids <= 0 || pids > lim.PidsLimit {
		pids = lim.PidsLimit
	}
	s.MemLimit = types.UnitBytes(mem)
	if s.MemSwapLimit == 0 {
		s.MemSwapLimit = types.UnitBytes(mem)
	}
	s.CPUS = float32(float64(cpus) / 1e9)
	s.PidsLimit = pids
	if s.Deploy != nil && s.Deploy.Resources.Limits != nil {
		l := s.Deploy.Resources.Limits
		l.MemoryBytes, l.NanoCPUs, l.Pids = types.UnitBytes(mem), types.NanoCPUs(s.CPUS), pids
	}
	s.Logging = &types.LoggingConfig{Driver: "json-file", Options: types.Options{"max-size": lim.LogMaxSize, "max-file": lim.LogMaxFiles}}
	s.LogDriver, s.LogOpt = "", nil
	for _, o := range s.SecurityOpt {
		if o == "no-new-privileges" || o == "no-new-privileges:true" || o == "no-new-privileges=true" {
			return
		}
	}
	s.SecurityOpt = append(s.SecurityOpt, "no-new-privileges:true")
}

// builtImage is the tag of a service's built image: in the user's image
// namespace, "<user>/<container name>:latest" (see containerName) unless
// image: names another image of the user's namespace (translateBuiltImages
// moved every other image there). Nobody tags over a shared image.
func builtImage(t policy.Tenant, n namer, s types.ServiceConfig) (string, error) {
	if s.Image == "" {
		name, _ := n.name(s.Name)
		return build.Tag(t.Username, name, "latest"), nil
	}
	named, ref, err := image.Parse(s.Image)
	if err != nil {
		return "", err
	}
	if image.Namespace(named) != t.Username {
		return "", apierr.Policy(image.RuleNamespace, "service %q: a built image is tagged in your namespace: use image: %s/<name>[:tag], or leave image: out", s.Name, t.Username)
	}
	return ref, nil
}
