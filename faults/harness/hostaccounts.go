package harness

import (
	"strings"
)

// MarkerPrefix starts the comment (GECOS) of every Linux account the
// provisioner makes: "dockeronline/<user id>".
const MarkerPrefix = "dockeronline/"

// HostAccount is a passwd entry the provisioner made on the test host.
type HostAccount struct {
	Username string
	UserID   string // from the comment
}

// HostAccounts lists the test host's passwd entries that carry the
// provisioner's marker. Without a test host it returns nil.
func (p *Platform) HostAccounts() []HostAccount {
	if p.Host == nil {
		return nil
	}
	var out []HostAccount
	for _, line := range strings.Split(p.Host.Passwd(), "\n") {
		f := strings.Split(line, ":")
		if len(f) < 7 || !strings.HasPrefix(f[4], MarkerPrefix) {
			continue
		}
		out = append(out, HostAccount{Username: f[0], UserID: strings.TrimPrefix(f[4], MarkerPrefix)})
	}
	return out
}
