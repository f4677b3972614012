package policy

import "testing"

// TestHostSystemPath: every root of the class, beneath it, and the forms
// the same path takes (trailing slash, doubled slashes, dot segments,
// "..", case, backslashes) are the host's; the places data is kept on a
// host are not.
func TestHostSystemPath(t *testing.T) {
	system := []string{"/", "//", "/.", "/..", "/../..", `\`}
	for _, r := range hostSystemRoots {
		system = append(system, r, r+"/", "/"+r, r+"/x", r+"/./x/..", "/srv/.."+r, r+"//deep/er",
			"/./"+r[1:], `\`+r[1:], upper(r))
	}
	system = append(system, "/var/lib/docker", "/var/lib/docker/volumes/bob--data/_data", "/var/run/docker.sock",
		"/run/containerd/containerd.sock", "/home/bob", "/home/alice/.ssh", "/lib/modules", "/etc/../etc", "/ETC/passwd",
		"/proc/1/root", "/sys/fs/cgroup", "/dev/sda", "/boot/grub", "/root/.docker", "/usr/bin", "/tmp/.X11-unix")
	for _, p := range system {
		if !HostSystemPath(p) {
			t.Errorf("%q is not taken for the host's own", p)
		}
	}
	data := []string{"/srv", "/srv/x", "/mnt/media", "/media/usb", "/opt/app/data", "/data", "/volume1/docker",
		"/var/www/html", "/var/opt", "/etcetera", "/homes", "/run2", "/usr2", "/var/libx", "/tmpdata"}
	for _, p := range data {
		if HostSystemPath(p) {
			t.Errorf("%q is taken for the host's own", p)
		}
	}
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// TestFileTargets: configs and secrets are copied where Compose puts
// them, never onto /proc or /sys, never through "..".
func TestFileTargets(t *testing.T) {
	cases := []struct {
		kind, source, target, want string
	}{
		{"config", "nginx", "", "/nginx"},
		{"config", "nginx", "etc/nginx.conf", "/etc/nginx.conf"},
		{"config", "nginx", "/etc/nginx.conf", "/etc/nginx.conf"},
		{"secret", "pw", "", "/run/secrets/pw"},
		{"secret", "pw", "db.txt", "/run/secrets/db.txt"},
		{"secret", "pw", "/etc/pw", "/etc/pw"},
	}
	for _, c := range cases {
		got := ConfigTarget(c.source, c.target)
		if c.kind == "secret" {
			got = SecretTarget(c.source, c.target)
		}
		if got != c.want {
			t.Errorf("%s %s → %q: %q, want %q", c.kind, c.source, c.target, got, c.want)
		}
	}
}
