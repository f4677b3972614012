package sshdtest

import (
	"os"
	"strings"
	"testing"
)

// The server's namespace must keep account changes away from the machine:
// an account made inside exists in the copy of /etc only.
func TestAccountChangesStayInTheNamespace(t *testing.T) {
	s := Start(t)
	s.Run("useradd", "--create-home", "--comment", "sshdtest isolation check", "sshdtestiso")

	if got := s.Entries("sshdtestiso"); len(got) != 1 {
		t.Fatalf("namespace passwd entries for sshdtestiso = %q, want one", got)
	}
	if _, err := os.Stat(s.HomePath("sshdtestiso")); err != nil {
		t.Errorf("home not created in the namespace's /home: %v", err)
	}
	real, err := os.ReadFile("/etc/passwd")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(real), "sshdtestiso") {
		t.Fatal("the machine's own /etc/passwd was changed")
	}
	if _, err := os.Stat("/home/sshdtestiso"); !os.IsNotExist(err) {
		t.Fatalf("the machine's own /home was changed: %v", err)
	}
}

func TestStopAndStartAgain(t *testing.T) {
	s := Start(t)
	if !banner(s.Addr) {
		t.Fatal("no SSH banner after Start")
	}
	s.Stop()
	if banner(s.Addr) {
		t.Fatal("SSH banner after Stop")
	}
	s.Start()
	if !banner(s.Addr) {
		t.Fatal("no SSH banner after the second Start")
	}
}
