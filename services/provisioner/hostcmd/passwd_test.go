package hostcmd

import "testing"

func TestParsePasswd(t *testing.T) {
	got, err := ParsePasswd("alice:x:1001:1002:dockeronline/u-1:/home/alice:/bin/bash\n")
	want := PasswdEntry{Name: "alice", UID: 1001, GID: 1002, Comment: "dockeronline/u-1", Home: "/home/alice", Shell: "/bin/bash"}
	if err != nil || got != want {
		t.Fatalf("ParsePasswd = %+v, %v; want %+v", got, err, want)
	}
	for _, bad := range []string{
		"",
		"alice:x:1001:1002::/home/alice",                 // six fields
		"alice:x:uid:1002::/home/alice:/bin/sh",          // uid not a number
		"alice:x:1001:gid::/home/alice:/bin/sh",          // gid not a number
		"a:x:1:1::/:/bin/sh\nb:x:2:2::/:/bin/sh",         // two entries
		"alice:x:1001:1002:a:b:/home/alice:/bin/sh:more", // too many fields
	} {
		if _, err := ParsePasswd(bad); err == nil {
			t.Errorf("ParsePasswd(%q) succeeded, want an error", bad)
		}
	}
}
