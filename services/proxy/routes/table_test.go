package routes

import (
	"testing"
)

func goodRoute(label, target string) Route {
	return Route{Label: label, Target: target, Owner: "uid-alice", Username: "alice", Name: "web", ContainerID: "c1", Port: 80, Primary: true}
}

func TestNewTableValidates(t *testing.T) {
	ok := goodRoute("web--alice", "172.18.0.2:80")
	tab, err := NewTable(map[string]Route{"web--alice": ok}, 7)
	if err != nil {
		t.Fatal(err)
	}
	if r, found := tab.Lookup("web--alice"); !found || r.Target != "172.18.0.2:80" || tab.Revision() != 7 || tab.Len() != 1 {
		t.Fatalf("lookup = %+v %v", r, found)
	}
	bad := map[string]Route{
		"wrong key":     goodRoute("web--alice", "172.18.0.2:80"),
		"noport--alice": {Label: "noport--alice", Target: "172.18.0.2", Owner: "o", Username: "alice"},
		"api--alice":    {Label: "api--alice", Target: "0.0.0.0:80", Owner: "o", Username: "alice"},
		"db--alice":     {Label: "db--alice", Target: "172.18.0.2:80", Username: "alice"},
		"x--alice":      {Label: "x--alice", Target: "172.18.0.2:80", Owner: "o", Username: "bob"},
		"bad label!":    {Label: "bad label!", Target: "172.18.0.2:80", Owner: "o", Username: "alice"},
		"host--alice":   {Label: "host--alice", Target: "example.com:80", Owner: "o", Username: "alice"},
		"zero--alice":   {Label: "zero--alice", Target: "172.18.0.2:0", Owner: "o", Username: "alice"},
		"v6ok--alice":   {Label: "v6ok--alice", Target: "[fd00::2]:80", Owner: "o", Username: "alice"},
	}
	for key, r := range bad {
		_, err := NewTable(map[string]Route{key: r, "web--alice": ok}, 1)
		if key == "v6ok--alice" {
			if err != nil {
				t.Errorf("IPv6 target refused: %v", err)
			}
			continue
		}
		if err == nil {
			t.Errorf("table with %q (%+v) accepted", key, r)
		}
	}
}

func TestRoutesHolder(t *testing.T) {
	var rs Routes
	if rs.Loaded() || rs.Load().Len() != 0 {
		t.Fatal("a fresh holder is empty and not loaded")
	}
	tab, _ := NewTable(map[string]Route{"web--alice": goodRoute("web--alice", "10.0.0.1:80")}, 1)
	rs.Swap(tab)
	if !rs.Loaded() || rs.Load() != tab {
		t.Fatal("swap did not install the table")
	}
}
