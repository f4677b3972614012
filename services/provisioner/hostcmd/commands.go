package hostcmd

import (
	"fmt"
	"regexp"
	"strconv"
)

// Exit statuses of the shadow tools (useradd(8), userdel(8), getent(1))
// that the provisioner acts on; they are the same on Debian and Fedora.
const (
	ExitGetentNotFound = 2  // getent: the key was not found
	ExitUseraddInUse   = 9  // useradd: the user name (or its group's name) is taken
	ExitUserdelMissing = 6  // userdel: the user does not exist
	ExitUserdelNoHome  = 12 // userdel: the account is gone but its home could not be removed
)

// Options shape the commands for one host. Only Lookup runs without sudo:
// reading the user database needs no privilege.
type Options struct {
	Sudo           bool   // prefix privileged commands with `sudo -n --` (SSH user is not root)
	Group          string // the group every platform account joins
	Shell          string // login shell of platform accounts
	Linger         bool   // `loginctl enable-linger` (user services without a login)
	QuotaBlocksKiB int64  // block quota (soft = hard) in KiB; 0 sets none
	QuotaFS        string // the filesystem the quota applies to
}

// Validate checks the host settings with the same care as user input: they
// end up in commands too.
func (o Options) Validate() error {
	if !groupRE.MatchString(o.Group) {
		return fmt.Errorf("group %q must match %s", o.Group, groupRE)
	}
	if !pathRE.MatchString(o.Shell) {
		return fmt.Errorf("shell %q must be an absolute path matching %s", o.Shell, pathRE)
	}
	if o.QuotaBlocksKiB < 0 {
		return fmt.Errorf("quota %d KiB must not be negative", o.QuotaBlocksKiB)
	}
	if o.QuotaBlocksKiB > 0 && !pathRE.MatchString(o.QuotaFS) {
		return fmt.Errorf("quota filesystem %q must be an absolute path matching %s", o.QuotaFS, pathRE)
	}
	return nil
}

var (
	// groupRE is the portable group name of POSIX and shadow's defaults.
	groupRE = regexp.MustCompile(`^[a-z_][a-z0-9_-]{0,31}$`)
	pathRE  = regexp.MustCompile(`^/[A-Za-z0-9._/-]{0,255}$`)
)

// privileged prefixes argv with sudo when configured. `-n` makes sudo fail
// at once instead of waiting for a password nobody will type; `--` ends
// sudo's options.
func (o Options) privileged(argv ...string) []string {
	if !o.Sudo {
		return argv
	}
	return append([]string{"sudo", "-n", "--"}, argv...)
}

// Lookup prints the passwd entry of username (exit 2 when there is none).
func (o Options) Lookup(username string) []string {
	return []string{"getent", "passwd", "--", username}
}

// EnsureGroup creates the platform group unless it exists (--force).
func (o Options) EnsureGroup() []string {
	return o.privileged("groupadd", "--force", "--system", "--", o.Group)
}

// AddUser creates the account: a home, a private group, membership of the
// platform group, the login shell and the ownership comment. `--` ends the
// options, so even a name starting with '-' could not be read as one.
func (o Options) AddUser(username, comment string) []string {
	return o.privileged("useradd", "--create-home", "--user-group",
		"--groups", o.Group, "--shell", o.Shell, "--comment", comment, "--", username)
}

// SetQuota sets the block quota (soft = hard, no inode limit). It returns
// nil when no quota is configured.
func (o Options) SetQuota(username string) []string {
	if o.QuotaBlocksKiB == 0 {
		return nil
	}
	kib := strconv.FormatInt(o.QuotaBlocksKiB, 10)
	return o.privileged("setquota", "-u", username, kib, kib, "0", "0", o.QuotaFS)
}

// EnableLinger lets the user's systemd services run without a login; nil
// when lingering is not configured.
func (o Options) EnableLinger(username string) []string {
	if !o.Linger {
		return nil
	}
	return o.privileged("loginctl", "enable-linger", username)
}

// DisableLinger undoes EnableLinger before the account goes; nil when
// lingering is not configured.
func (o Options) DisableLinger(username string) []string {
	if !o.Linger {
		return nil
	}
	return o.privileged("loginctl", "disable-linger", username)
}

// DelUser removes the account, its home and mail spool.
func (o Options) DelUser(username string) []string {
	return o.privileged("userdel", "--remove", "--", username)
}
