package policy

import (
	"path"
	"strings"
)

// hostSystemRoots are the host's own directories: what the machine, its
// services and its accounts live in. A compose file binding one of them
// (or anything beneath) asks for the host itself, not for storage, so it
// is refused; any other absolute path is only a place the author keeps
// data (/srv/media, /mnt/backup, /opt/app/data) and becomes a per-stack
// volume (see services/runner/stack translate_files.go). Nothing of either
// kind is ever bound: this list decides between a refusal and a volume.
var hostSystemRoots = []string{
	"/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib32", "/lib64", "/libx32",
	"/lost+found", "/proc", "/root", "/run", "/sbin", "/snap", "/sys", "/tmp", "/usr",
	// /var: the state, logs, sockets and spools of the host's services
	// (/var/lib/docker, /var/lib/containerd, /var/run/docker.sock, …).
	"/var/cache", "/var/lib", "/var/lock", "/var/log", "/var/run", "/var/spool", "/var/tmp",
}

// HostSystemPath reports whether the host path p is the host's own: the
// root itself or one of hostSystemRoots or beneath one. p is judged as the
// kernel would resolve it lexically ("//etc", "/etc/", "/x/../etc",
// relative forms) and without regard to case ("/ETC"): Docker Desktop's
// host file systems ignore case, and a refusal costs nothing where they
// do not. The Docker socket is refused by its own rule wherever it is
// (MentionsDockerSocket).
func HostSystemPath(p string) bool {
	c := strings.ToLower(path.Clean("/" + strings.ReplaceAll(p, `\`, "/")))
	if c == "/" {
		return true
	}
	for _, r := range hostSystemRoots {
		if c == r || strings.HasPrefix(c, r+"/") {
			return true
		}
	}
	return false
}
