package hostcmd

import (
	"reflect"
	"testing"
)

func TestCommands(t *testing.T) {
	plain := Options{Group: "dockeronline", Shell: "/bin/bash"}
	sudo := plain
	sudo.Sudo = true
	extras := plain
	extras.Linger, extras.QuotaBlocksKiB, extras.QuotaFS = true, 1048576, "/home"

	tests := []struct {
		name string
		got  []string
		want []string
	}{
		{"lookup", plain.Lookup("alice"), []string{"getent", "passwd", "--", "alice"}},
		{"lookup never uses sudo", sudo.Lookup("alice"), []string{"getent", "passwd", "--", "alice"}},
		{"group", plain.EnsureGroup(), []string{"groupadd", "--force", "--system", "--", "dockeronline"}},
		{"useradd", plain.AddUser("alice", "dockeronline/u-1"), []string{"useradd", "--create-home", "--user-group",
			"--groups", "dockeronline", "--shell", "/bin/bash", "--comment", "dockeronline/u-1", "--", "alice"}},
		{"useradd with sudo", sudo.AddUser("alice", "c"), []string{"sudo", "-n", "--", "useradd", "--create-home", "--user-group",
			"--groups", "dockeronline", "--shell", "/bin/bash", "--comment", "c", "--", "alice"}},
		{"userdel", plain.DelUser("alice"), []string{"userdel", "--remove", "--", "alice"}},
		{"userdel with sudo", sudo.DelUser("alice"), []string{"sudo", "-n", "--", "userdel", "--remove", "--", "alice"}},
		{"no quota configured", plain.SetQuota("alice"), nil},
		{"quota", extras.SetQuota("alice"), []string{"setquota", "-u", "alice", "1048576", "1048576", "0", "0", "/home"}},
		{"no linger configured", plain.EnableLinger("alice"), nil},
		{"linger", extras.EnableLinger("alice"), []string{"loginctl", "enable-linger", "alice"}},
		{"unlinger", extras.DisableLinger("alice"), []string{"loginctl", "disable-linger", "alice"}},
	}
	for _, tt := range tests {
		if !reflect.DeepEqual(tt.got, tt.want) {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}

func TestOptionsValidate(t *testing.T) {
	ok := Options{Group: "dockeronline", Shell: "/bin/bash"}
	tests := []struct {
		name    string
		mutate  func(*Options)
		wantErr bool
	}{
		{"defaults", func(*Options) {}, false},
		{"quota", func(o *Options) { o.QuotaBlocksKiB, o.QuotaFS = 10, "/home" }, false},
		{"group with a semicolon", func(o *Options) { o.Group = "a;id" }, true},
		{"group starting with a dash", func(o *Options) { o.Group = "-g" }, true},
		{"empty group", func(o *Options) { o.Group = "" }, true},
		{"relative shell", func(o *Options) { o.Shell = "bash" }, true},
		{"shell with a space", func(o *Options) { o.Shell = "/bin/ba sh" }, true},
		{"shell with substitution", func(o *Options) { o.Shell = "/bin/$(id)" }, true},
		{"negative quota", func(o *Options) { o.QuotaBlocksKiB = -1 }, true},
		{"quota without filesystem", func(o *Options) { o.QuotaBlocksKiB = 10 }, true},
	}
	for _, tt := range tests {
		o := ok
		tt.mutate(&o)
		if err := o.Validate(); (err != nil) != tt.wantErr {
			t.Errorf("%s: Validate() = %v, wantErr %v", tt.name, err, tt.wantErr)
		}
	}
}
