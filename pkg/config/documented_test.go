package config

import (
	"slices"
	"testing"
)

func TestDocumented(t *testing.T) {
	readme := []byte("| variable | default | meaning |\n|---|---|---|\n| `NATS_URL` | x | y |\n\n" +
		"| service | variable | default | meaning |\n|---|---|---|---|\n" +
		"| gateway | `A_B`, `CC` | 1, 2 | z |\n| gateway, proxy | `LINK` | — | z |\n| runner | `RR`, `_SHORT` | 3 | `NOT_THIS` |\n")
	for service, want := range map[string][]string{"gateway": {"A_B", "CC", "LINK"}, "proxy": {"LINK"}, "runner": {"RR"}} {
		if got := Documented(readme, service); !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", service, got, want)
		}
	}
}
