package web

import (
	"sort"
	"strconv"
	"strings"

	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/names"
)

// Link is one web link of a container, as the proxy serves it.
type Link struct {
	URL  string
	Port int
}

// links mirrors the proxy's host names (services/proxy/host.go): the lowest
// TCP port answers at "<name>--<user>.<domain>"; when a container has
// several, each also answers at "<name>-<port>--<user>.<domain>". Only a
// running container has links: the proxy routes nothing else.
func (c Config) links(ct msg.Container) []Link {
	if ct.State != "running" || ct.Name == "" || ct.Username == "" {
		return nil
	}
	var ports []int
	seen := map[int]bool{}
	for _, p := range ct.Ports {
		if (p.Protocol == "" || p.Protocol == "tcp") && !seen[p.Container] {
			seen[p.Container] = true
			ports = append(ports, p.Container)
		}
	}
	if len(ports) == 0 {
		return nil
	}
	sort.Ints(ports)
	out := []Link{{URL: c.appURL(ct.Name + names.Separator + ct.Username), Port: ports[0]}}
	if len(ports) > 1 {
		for _, p := range ports[1:] {
			out = append(out, Link{URL: c.appURL(ct.Name + "-" + strconv.Itoa(p) + names.Separator + ct.Username), Port: p})
		}
	}
	return out
}

func (c Config) appURL(label string) string {
	return strings.ReplaceAll(c.AppsURLTemplate, "{host}", label+"."+c.AppsDomain)
}
