package web

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/names"
)

// runValues are the run form's fields as typed, so a refused form comes
// back exactly as it was sent.
type runValues struct {
	Name, Image, Cmd, Entrypoint, WorkDir, Env, Ports, Volumes string
	Network, Restart, Memory, CPUs, Labels, HostConfig         string
	PrivateLink                                                bool
	RequestID                                                  string
}

func runValuesFrom(f url.Values) runValues {
	g := func(k string) string { return strings.TrimSpace(f.Get(k)) }
	return runValues{
		Name: g("name"), Image: g("image"), Cmd: g("cmd"), Entrypoint: g("entrypoint"), WorkDir: g("workdir"),
		Env: f.Get("env"), Ports: g("ports"), Volumes: f.Get("volumes"), Network: g("network"),
		Restart: g("restart"), Memory: g("memory"), CPUs: g("cpus"), Labels: f.Get("labels"),
		HostConfig: g("hostconfig"), PrivateLink: f.Get("private_link") != "", RequestID: g("request_id"),
	}
}

// fieldErrors maps a form field to what is wrong with it.
type fieldErrors map[string]*fieldError

// fieldError is a message next to a field; Rule names the rule that
// refused, Words says it in words.
type fieldError struct{ Message, Rule, Words string }

// spec turns the form into a container spec. What the form can tell
// without asking (syntax, the naming rules) is checked here and reported
// per field; the runner's policy engine still judges the whole spec.
func (v runValues) spec() (msg.ContainerSpec, fieldErrors) {
	errs := fieldErrors{}
	bad := func(field, format string, args ...any) {
		errs[field] = &fieldError{Message: fmt.Sprintf(format, args...)}
	}
	s := msg.ContainerSpec{Name: v.Name, Image: v.Image, WorkingDir: v.WorkDir, RestartPolicy: v.Restart,
		Network: v.Network, PrivateLink: v.PrivateLink}

	if err := names.ValidateObject("container", v.Name); err != nil {
		ne, _ := err.(*names.Error)
		fe := &fieldError{Message: err.Error()}
		if ne != nil {
			fe.Rule, fe.Words = ne.Rule, ruleWords(ne.Rule)
		}
		errs["name"] = fe
	}
	if v.Image == "" {
		bad("image", "An image is required, for example nginx:alpine.")
	}
	var err error
	if s.Cmd, err = splitArgs(v.Cmd); err != nil {
		bad("cmd", "%v", err)
	}
	if s.Entrypoint, err = splitArgs(v.Entrypoint); err != nil {
		bad("entrypoint", "%v", err)
	}
	if v.WorkDir != "" && !strings.HasPrefix(v.WorkDir, "/") {
		bad("workdir", "The working directory must be an absolute path, such as /app.")
	}
	if s.Env, err = parseEnv(v.Env); err != nil {
		bad("env", "%v", err)
	}
	if s.Ports, err = parsePorts(v.Ports); err != nil {
		bad("ports", "%v", err)
	}
	if s.Volumes, err = parseVolumes(v.Volumes); err != nil {
		bad("volumes", "%v", err)
	}
	if s.Labels, err = parseLabels(v.Labels); err != nil {
		bad("labels", "%v", err)
	}
	if v.Memory != "" {
		if s.MemoryMB, err = strconv.ParseInt(v.Memory, 10, 64); err != nil || s.MemoryMB <= 0 {
			bad("memory", "Memory is a whole number of megabytes, such as 256.")
		}
	}
	if v.CPUs != "" {
		if s.CPUs, err = strconv.ParseFloat(v.CPUs, 64); err != nil || s.CPUs <= 0 {
			bad("cpus", "CPUs is a positive number, such as 0.5.")
		}
	}
	if v.HostConfig != "" {
		var obj map[string]any
		if err := json.Unmarshal([]byte(v.HostConfig), &obj); err != nil {
			bad("hostconfig", "This is not a JSON object: %v", err)
		} else {
			s.HostConfig = json.RawMessage(v.HostConfig)
		}
	}
	if s.Network == "default" {
		s.Network = "" // the runner's default; keeps the spec minimal
	}
	return s, errs
}

// splitArgs splits a command line as a POSIX shell would, without any
// expansion: whitespace separates words; single quotes keep everything;
// double quotes keep everything but \" and \\; a backslash outside quotes
// escapes the next character.
func splitArgs(s string) ([]string, error) {
	var args []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if inWord {
				args = append(args, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("a single quote (') is not closed")
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\') {
					i++
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, fmt.Errorf("a double quote (\") is not closed")
			}
			inWord = true
		case c == '\\':
			if i+1 < len(s) {
				i++
				cur.WriteByte(s[i])
			}
			inWord = true
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		args = append(args, cur.String())
	}
	return args, nil
}

// lines are the non-blank lines of a text area, trimmed.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func parseEnv(s string) ([]string, error) {
	var env []string
	for i, l := range lines(s) {
		k, _, ok := strings.Cut(l, "=")
		if !ok || strings.TrimSpace(k) == "" || strings.ContainsAny(k, " \t") {
			return nil, fmt.Errorf("line %d (%q) must look like KEY=value", i+1, l)
		}
		env = append(env, l)
	}
	return env, nil
}

// parsePorts reads "80, 443, 53/udp, 8081:80": container ports with an
// optional protocol, and an optional host port to publish ("host:container").
func parsePorts(s string) ([]msg.PortSpec, error) {
	var out []msg.PortSpec
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' }) {
		p, proto, _ := strings.Cut(f, "/")
		if proto != "" && proto != "tcp" && proto != "udp" {
			return nil, fmt.Errorf("%q: the protocol is tcp or udp", f)
		}
		host, ctr, published := strings.Cut(p, ":")
		if !published {
			ctr, host = host, ""
		}
		cp, err := portNumber(ctr)
		if err != nil {
			return nil, fmt.Errorf("%q: %v", f, err)
		}
		ps := msg.PortSpec{Container: cp, Protocol: proto}
		if published {
			if ps.Publish, err = portNumber(host); err != nil {
				return nil, fmt.Errorf("%q: host port: %v", f, err)
			}
		}
		out = append(out, ps)
	}
	return out, nil
}

func portNumber(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("a port is a number from 1 to 65535")
	}
	return n, nil
}

// parseVolumes reads one "volume:/path[:ro]" a line.
func parseVolumes(s string) ([]msg.VolumeMount, error) {
	var out []msg.VolumeMount
	for i, l := range lines(s) {
		parts := strings.Split(l, ":")
		if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
			return nil, fmt.Errorf("line %d (%q) must look like volume:/path or volume:/path:ro", i+1, l)
		}
		m := msg.VolumeMount{Volume: parts[0], Target: parts[1]}
		if len(parts) == 3 {
			switch parts[2] {
			case "ro":
				m.ReadOnly = true
			case "rw":
			default:
				return nil, fmt.Errorf("line %d (%q): the mode is ro or rw", i+1, l)
			}
		}
		out = append(out, m)
	}
	return out, nil
}

func parseLabels(s string) (map[string]string, error) {
	var out map[string]string
	for i, l := range lines(s) {
		k, v, ok := strings.Cut(l, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("line %d (%q) must look like key=value", i+1, l)
		}
		if out == nil {
			out = map[string]string{}
		}
		out[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return out, nil
}
