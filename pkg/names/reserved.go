package names

import (
	"bufio"
	"errors"
	"io/fs"
	"os"
	"strings"
	"sync"
)

// Why a name cannot be a username. A username is the first path component
// of its owner's image names ("<user>/<image>"), a Linux account on the
// Docker host, and a label in web links, so a name that means something
// else in any of those places is refused.
const (
	whyHub      = "a Docker Hub namespace: images under it would stand in for Docker's own"
	whyRegistry = "read as a registry host in an image name"
	whySystem   = "a system account or group of the host"
	whyPlatform = "a name of the platform or its services"
)

// hubNamespaces are names with a meaning in Docker image references.
// "library" is where official images live: "busybox" is
// "docker.io/library/busybox", so a user "library" tagging
// "library/busybox" would replace it for everyone on the engine. "docker"
// and "moby" publish the builder's own images (docker/dockerfile,
// moby/buildkit) that builds pull implicitly. "_" is Hub's URL of official
// images (invalid here anyway); "registry", "index", "hub", "official" and
// the rest name Docker's registry and Hub themselves, and would read as
// official to people.
var hubNamespaces = []string{
	"library", "docker", "moby", "registry", "index", "hub", "official",
	"dockerhub", "docker-hub", "docker-library", "dockerlibrary", "dockerinc",
	"docker-inc", "dockerofficial", "docker-official", "docker-images",
	"official-images", "containerd", "buildkit", "scratch", "verified",
	"sponsored", "publisher", "docker-io", "registry-1",
}

// registryNames are read by Docker as a registry host when they are the
// first component of an image name ("localhost/x" is pulled from the local
// machine); names with '.' or ':' are invalid usernames anyway.
var registryNames = []string{"localhost"}

// systemAccounts are the system users and groups of Debian and Ubuntu hosts
// (base-passwd, systemd and common packages) and of other distributions'
// service accounts, so a platform account never collides with one on the
// Docker host even before ReserveAccountsFrom reads that host's own files.
var systemAccounts = []string{
	// base-passwd users and groups
	"root", "daemon", "bin", "sys", "sync", "games", "man", "lp", "mail",
	"news", "uucp", "proxy", "www-data", "backup", "list", "irc", "gnats",
	"nobody", "nogroup", "adm", "tty", "disk", "kmem", "dialout", "fax",
	"voice", "cdrom", "floppy", "tape", "sudo", "audio", "dip", "operator",
	"src", "shadow", "utmp", "video", "sasl", "plugdev", "staff", "users",
	"input", "sgx", "kvm", "render", "netdev", "crontab", "ssl-cert",
	// systemd and daemons of a base system
	"messagebus", "sshd", "tss", "uuidd", "tcpdump", "avahi", "avahi-autoipd",
	"polkitd", "dnsmasq", "ntp", "ntpsec", "chrony", "statd", "rpc", "rpcuser",
	"usbmux", "rtkit", "pulse", "pulse-access", "lightdm", "gdm", "colord",
	"geoclue", "saned", "cups", "lpadmin", "syslog", "landscape", "pollinate",
	"fwupd-refresh", "sambashare", "unbound", "dhcpcd", "lxd", "ubuntu",
	"debian", "admin", "administrator", "wheel", "halt", "shutdown", "ftp",
	"guest", "nfsnobody", "dbus", "cloudsdk", "dockremap", "docker",
	"libvirt", "libvirt-qemu", "libvirt-dnsmasq", "qemu",
	// common service accounts
	"postgres", "mysql", "mariadb", "redis", "mongodb", "memcache",
	"rabbitmq", "elasticsearch", "nginx", "apache", "httpd", "www", "git",
	"gitlab", "jenkins", "nagios", "zabbix", "prometheus", "grafana",
	"node-exporter", "postfix", "postdrop", "exim", "dovecot", "bind", "named",
	"squid", "haproxy", "caddy", "traefik", "vault", "consul", "nomad",
	"runsc", "gvisor",
}

// systemPrefixes reserve families of system accounts.
var systemPrefixes = []string{"systemd-", "debian-", "ubuntu-"}

// platformNames are the platform's own services and the addresses people
// trust by name.
var platformNames = []string{
	"api", "apps", "auth", "gateway", "runner", "provisioner", "kratos",
	"nats", "loki", "tempo", "alloy", "otel", "default", "system", "support",
	"security", "abuse", "postmaster", "hostmaster", "webmaster", "noreply",
	"no-reply", "help", "status", "dockeronline", "docker-online", "user",
}

var reserved = func() map[string]string {
	m := map[string]string{}
	for _, set := range []struct {
		names []string
		why   string
	}{{platformNames, whyPlatform}, {systemAccounts, whySystem}, {registryNames, whyRegistry}, {hubNamespaces, whyHub}} {
		for _, n := range set.names {
			m[n] = set.why
		}
	}
	return m
}()

// hostAccounts are names read from the host's account files at start.
var hostAccounts struct {
	sync.RWMutex
	names map[string]bool
}

// Reserved says why s cannot be a username, or "" when it can.
func Reserved(s string) string {
	if why, ok := reserved[s]; ok {
		return why
	}
	for _, p := range systemPrefixes {
		if strings.HasPrefix(s, p) {
			return whySystem
		}
	}
	hostAccounts.RLock()
	defer hostAccounts.RUnlock()
	if hostAccounts.names[s] {
		return whySystem
	}
	return ""
}

// ReserveAccountsFrom adds every user or group name of the given
// passwd/group-format files (the first field of each line) to the reserved
// names, for as long as the process runs. A missing file is skipped; the
// count of names read is returned.
func ReserveAccountsFrom(paths ...string) (int, error) {
	found := map[string]bool{}
	for _, p := range paths {
		f, err := os.Open(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return 0, err
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			name, _, _ := strings.Cut(line, ":")
			found[strings.ToLower(name)] = true
		}
		err = sc.Err()
		f.Close()
		if err != nil {
			return 0, err
		}
	}
	hostAccounts.Lock()
	defer hostAccounts.Unlock()
	if hostAccounts.names == nil {
		hostAccounts.names = map[string]bool{}
	}
	for n := range found {
		hostAccounts.names[n] = true
	}
	return len(found), nil
}
