package hostcmd

import (
	"fmt"
	"strconv"
	"strings"
)

// PasswdEntry is one line of the user database (passwd(5)).
type PasswdEntry struct {
	Name    string
	UID     int
	GID     int
	Comment string // the GECOS field
	Home    string
	Shell   string
}

// ParsePasswd parses the output of `getent passwd <name>`: exactly one
// entry, seven colon-separated fields.
func ParsePasswd(out string) (PasswdEntry, error) {
	line := strings.TrimRight(out, "\n")
	if line == "" || strings.Contains(line, "\n") {
		return PasswdEntry{}, fmt.Errorf("want one passwd entry, got %q", out)
	}
	f := strings.Split(line, ":")
	if len(f) != 7 {
		return PasswdEntry{}, fmt.Errorf("passwd entry %q has %d fields, want 7", line, len(f))
	}
	uid, err := strconv.Atoi(f[2])
	if err != nil {
		return PasswdEntry{}, fmt.Errorf("passwd entry %q: uid: %w", line, err)
	}
	gid, err := strconv.Atoi(f[3])
	if err != nil {
		return PasswdEntry{}, fmt.Errorf("passwd entry %q: gid: %w", line, err)
	}
	return PasswdEntry{Name: f[0], UID: uid, GID: gid, Comment: f[4], Home: f[5], Shell: f[6]}, nil
}
