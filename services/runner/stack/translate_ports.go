package stack

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/dockeronline/platform/pkg/names"
)

// maxPortNotes bounds the notes one service's ports: write; the rest are
// counted in one more note (a range of a hundred ports is one line of the
// file, and should not be a hundred lines of the job's output).
const maxPortNotes = 8

// notHTTP are container ports whose well-known services do not speak
// plain HTTP (databases, brokers, mail, TLS): a web link would only answer
// with an error, so their note says how the stack's other services reach
// them instead. An app_protocol: in the file overrides the guess.
var notHTTP = map[uint32]bool{
	21: true, 22: true, 23: true, 25: true, 53: true, 110: true, 143: true, 389: true,
	443: true, 465: true, 587: true, 636: true, 993: true, 995: true, 1433: true,
	1521: true, 1883: true, 2181: true, 3306: true, 4222: true, 5222: true, 5432: true,
	5671: true, 5672: true, 6379: true, 6380: true, 7687: true, 8443: true, 8883: true,
	9042: true, 9092: true, 11211: true, 25565: true, 26379: true, 27017: true, 27018: true,
}

// translatePorts turns every ports: entry into the container port it
// names, as expose:. In a stack nothing publishes on the host: what a
// file means by "8000:8000" is "the app on port 8000 can be reached", and
// the platform's way to reach it is the container's web link (the proxy
// serves exposed TCP ports); from the stack's other services every port
// is reachable by the service's name anyway. The host side (published
// port, host_ip, mode) is dropped, and a note says where the port is now.
func translatePorts(tr *translation) error {
	svcs := newNamer(tr.stack, keysOf(tr.project.Services))
	for _, key := range keysOf(tr.project.Services) {
		s := tr.project.Services[key]
		if len(s.Ports) == 0 {
			continue
		}
		if mode := networkModeOf(s); mode != "" {
			// No stack network to be reached on (none), or another's
			// namespace, which the policy judges: nothing to expose.
			tr.note("%s: ports %s are not reachable with network_mode %s; not published on the host", key, portList(s.Ports), mode)
			s.Ports = nil
			tr.project.Services[key] = s
			continue
		}
		name, err := containerName(tr.stack, svcs, s)
		if err != nil {
			return err
		}
		if s.GetScale() > 1 {
			name += "-1" // Compose numbers replicas; the note shows the first
		}
		several := tcpPorts(s) > 1
		have := map[string]bool{}
		for _, e := range s.Expose {
			have[e] = true
		}
		for i, p := range s.Ports {
			proto := strings.ToLower(p.Protocol)
			if proto == "" {
				proto = "tcp"
			}
			e := strconv.FormatUint(uint64(p.Target), 10)
			if proto != "tcp" {
				e += "/" + proto
			}
			if !have[e] && !have[e+"/tcp"] {
				have[e] = true
				s.Expose = append(s.Expose, e)
			}
			switch {
			case i == maxPortNotes:
				tr.note("%s: %d more ports: entries are exposed the same way (container ports only; none is published on the host)", key, len(s.Ports)-maxPortNotes)
			case i > maxPortNotes:
			case proto == "tcp" && isHTTP(p):
				label := name + names.Separator + tr.tenant.Username
				if several {
					label = name + "-" + e + names.Separator + tr.tenant.Username
				}
				tr.note("%s: ports %s → %s (container port %s)", key, portSpec(p), tr.apps.URL(label), e)
			default:
				tr.note("%s: ports %s → reachable from the stack's other services at %s:%d; not published on the host", key, portSpec(p), key, p.Target)
			}
		}
		s.Ports = nil
		tr.project.Services[key] = s
	}
	return nil
}

// isHTTP guesses whether a TCP port serves plain HTTP: what app_protocol
// says, else anything but the well-known other protocols.
func isHTTP(p types.ServicePortConfig) bool {
	switch ap := strings.ToLower(p.AppProtocol); {
	case ap == "":
		return !notHTTP[p.Target]
	case ap == "http" || ap == "http2" || ap == "h2c" || ap == "ws" || ap == "grpc":
		return true
	}
	return false
}

// tcpPorts counts the distinct TCP container ports a service exposes once
// its ports: are exposed (its link is "<name>--<user>" with one, one link
// per port "<name>-<port>--<user>" with several, as the proxy serves
// them); a range in expose: counts as several.
func tcpPorts(s types.ServiceConfig) int {
	seen := map[string]bool{}
	for _, e := range s.Expose {
		n, proto, _ := strings.Cut(e, "/")
		if proto != "" && !strings.EqualFold(proto, "tcp") {
			continue
		}
		if strings.Contains(n, "-") {
			return 2
		}
		seen[n] = true
	}
	for _, p := range s.Ports {
		if p.Protocol == "" || strings.EqualFold(p.Protocol, "tcp") {
			seen[strconv.FormatUint(uint64(p.Target), 10)] = true
		}
	}
	return len(seen)
}

// portSpec writes a ports: entry back in the short syntax, as the user
// would recognise it: "[host_ip:][published:]target[/proto]".
func portSpec(p types.ServicePortConfig) string {
	var b strings.Builder
	if p.HostIP != "" {
		if strings.Contains(p.HostIP, ":") {
			fmt.Fprintf(&b, "[%s]:", p.HostIP)
		} else {
			b.WriteString(p.HostIP + ":")
		}
	}
	if p.Published != "" || p.HostIP != "" {
		b.WriteString(p.Published + ":")
	}
	b.WriteString(strconv.FormatUint(uint64(p.Target), 10))
	if p.Protocol != "" && !strings.EqualFold(p.Protocol, "tcp") {
		b.WriteString("/" + strings.ToLower(p.Protocol))
	}
	return b.String()
}

// portList is a service's ports: entries as written, the first few.
func portList(ps []types.ServicePortConfig) string {
	var out []string
	for i, p := range ps {
		if i == maxPortNotes {
			out = append(out, "…")
			break
		}
		out = append(out, portSpec(p))
	}
	return strings.Join(out, ", ")
}

// networkModeOf is a service's network_mode (or its legacy net:).
func networkModeOf(s types.ServiceConfig) string {
	if s.NetworkMode != "" {
		return s.NetworkMode
	}
	return s.Net
}
