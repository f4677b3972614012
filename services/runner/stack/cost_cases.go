package stack

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"strings"

	"github.com/dockeronline/platform/services/runner/policy"
)

// CostCase is one compose file built to cost the runner without bound
// (memory or time), and the rule that must refuse it before compose-go
// expands anything. The catalogue lives in the package so the unit test
// and the runner's test through NATS share it.
type CostCase struct {
	Name    string
	Compose string
	Env     map[string]string
	// Files are uploaded with the compose file (the project directory).
	Files map[string]string
	Rule  string
}

const costWeb = "services:\n  web:\n    image: busybox:latest\n"

// laughs is the billion laughs: nine levels of nine aliases of the level
// below, 9^9 strings from about 300 bytes. key is the top-level key that
// holds it (x-… extensions are free-form in compose).
func laughs(key string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:\n  a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n", key)
	for l := 'b'; l <= 'i'; l++ {
		p := string(l - 1)
		fmt.Fprintf(&b, "  %c: &%c [*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s]\n", l, l, p, p, p, p, p, p, p, p, p)
	}
	return b.String()
}

// ManyEntriesUpload is a gzip tar of n empty files: a small upload that
// unpacks to n headers in memory.
func ManyEntriesUpload(n int) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	tw := tar.NewWriter(zw)
	for i := range n {
		// Writes to a bytes.Buffer do not fail.
		_ = tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("d/f%07d", i), Typeflag: tar.TypeReg, Mode: 0o644})
	}
	_ = tw.Close()
	_ = zw.Close()
	return buf.Bytes()
}

// ports11 is eleven services sharing a 100-port range by alias.
func ports11() string {
	var b strings.Builder
	for i := range 11 {
		fmt.Fprintf(&b, "  s%d:\n    image: busybox:latest\n    ports: *p\n", i)
	}
	return b.String()
}

func indent(s, by string) string {
	return by + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n"+by) + "\n"
}

// CostCases is the catalogue. Every case stays under the bus's message
// size, so it reaches the runner; larger documents are the bus's to refuse.
func CostCases() []CostCase {
	long := strings.Repeat("y", 40<<10)
	var many strings.Builder
	many.WriteString("services:\n")
	for i := range 10000 {
		fmt.Fprintf(&many, "  s%d: {image: b}\n", i)
	}
	var nets strings.Builder
	nets.WriteString(costWeb + "networks:\n")
	for i := range 60 {
		fmt.Fprintf(&nets, "  n%d: {}\n", i)
	}
	// Each alias wraps the one before: depth grows one level per line.
	var deepAliases strings.Builder
	deepAliases.WriteString("x-deep:\n  l0: &l0 [x]\n")
	for i := 1; i < 40; i++ {
		fmt.Fprintf(&deepAliases, "  l%d: &l%d [*l%d]\n", i, i, i-1)
	}
	// Merge keys: every level merges the one below and repeats it as values.
	var merges strings.Builder
	merges.WriteString("x-m:\n  m0: &m0 {k0: v, k1: v, k2: v, k3: v, k4: v, k5: v, k6: v, k7: v}\n")
	for i := 1; i < 8; i++ {
		fmt.Fprintf(&merges, "  m%d: &m%d {<<: *m%d, a: *m%d, b: *m%d, c: *m%d, d: *m%d, e: *m%d, f: *m%d, g: *m%d}\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	// extends: chains: s_i extends s_{i-1}, each copying every base below.
	var chain strings.Builder
	chain.WriteString("services:\n  s0:\n    image: busybox:latest\n    environment:\n")
	for i := range 700 {
		fmt.Fprintf(&chain, "      V%d: x\n", i)
	}
	for i := 1; i < 40; i++ {
		fmt.Fprintf(&chain, "  s%d:\n    extends: s%d\n", i, i-1)
	}
	return []CostCase{
		{Name: "billion laughs (300 bytes)", Compose: laughs("x-lol") + costWeb, Rule: RuleComposeAliases},
		{Name: "billion laughs in a service", Compose: costWeb + indent(laughs("x-lol"), "    "), Rule: RuleComposeAliases},
		{Name: "merge-key bomb", Compose: merges.String() + costWeb, Rule: RuleComposeAliases},
		{Name: "alias of its own anchor", Compose: "x-a: &a [*a]\n" + costWeb, Rule: RuleComposeAliases},
		{Name: "aliases nested 40 deep", Compose: deepAliases.String() + costWeb, Rule: RuleComposeNesting},
		{Name: "nesting 200 deep", Compose: "x-deep: " + strings.Repeat("[", 200) + strings.Repeat("]", 200) + "\n" + costWeb, Rule: RuleComposeNesting},
		{Name: "document over the size limit", Compose: costWeb + "    command: [\"true\"]\n" + "x-pad: [" + strings.Repeat("\"0123456789\",", 24<<10) + "]\n", Rule: RuleComposeSize},
		{Name: "one string too long", Compose: costWeb + "    command: [\"echo\", \"" + long + long + "\"]\n", Rule: RuleComposeSize},
		{Name: "10,000 services", Compose: many.String(), Rule: RuleComposeObjects},
		{Name: "60 networks", Compose: nets.String(), Rule: RuleComposeObjects},
		{Name: "interpolation: defaults nested 50 deep", Compose: costWeb + "    command: [\"echo\", \"" + strings.Repeat("${A:-", 50) + "x" + strings.Repeat("}", 50) + "\"]\n", Rule: RuleComposeInterpolation},
		{Name: "interpolation: a long value repeated", Compose: costWeb + "    command: [\"echo\", \"" + strings.Repeat("${V}", 100) + "\"]\n", Env: map[string]string{"V": strings.Repeat("v", 30<<10)}, Rule: RuleComposeInterpolation},
		{Name: "interpolation: an aliased long value", Compose: "x-v: &v \"${V}${V}\"\nx-all: [" + strings.Repeat("*v,", 2000) + "]\n" + costWeb, Env: map[string]string{"V": strings.Repeat("v", 30<<10)}, Rule: RuleComposeInterpolation},
		{Name: "extends: chain copies", Compose: chain.String(), Rule: RuleComposeExtends},
		{Name: "extends: a file with a billion laughs", Compose: "services:\n  web:\n    extends: {file: base.yml, service: base}\n",
			Files: map[string]string{"base.yml": laughs("x-lol") + "services:\n  base:\n    image: busybox:latest\n"}, Rule: RuleComposeAliases},
		{Name: "extends: a file named through an alias", Compose: "x-f: &f base.yml\nservices:\n  web:\n    extends: {file: *f, service: base}\n",
			Files: map[string]string{"base.yml": laughs("x-lol") + "services:\n  base:\n    image: busybox:latest\n"}, Rule: RuleComposeAliases},
		{Name: "extends: a file named by ${VAR}", Compose: "services:\n  web:\n    extends: {file: \"${F}\", service: base}\n",
			Env: map[string]string{"F": "base.yml"}, Files: map[string]string{"base.yml": "services:\n  base:\n    image: busybox:latest\n"}, Rule: RuleComposeExtends},
		{Name: "ports: one range of 65,535", Compose: costWeb + "    ports: [\"1-65535\"]\n", Rule: RuleComposePorts},
		{Name: "ports: a range through ${VAR}", Compose: costWeb + "    ports: [\"${P:-80}\"]\n", Env: map[string]string{"P": "1-65535:1-65535"}, Rule: RuleComposePorts},
		{Name: "ports: small ranges aliased", Compose: "x-p: &p [\"8000-8099\"]\nservices:\n" + ports11(), Rule: RuleComposePorts},
		{Name: "include", Compose: "include: [other.yml]\n" + costWeb, Rule: policy.RuleComposeFeature},
	}
}
