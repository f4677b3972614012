package stack

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/testenv"
)

func TestScanRefusesCostlyInputs(t *testing.T) {
	for _, c := range CostCases() {
		t.Run(c.Name, func(t *testing.T) {
			root := t.TempDir()
			for name, content := range c.Files {
				if err := os.WriteFile(filepath.Join(root, name), []byte(content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			err := scanCompose(root, []byte(c.Compose), c.Env, DefaultInputLimits())
			ae := apierr.From(err)
			if ae == nil || ae.Rule != c.Rule {
				t.Fatalf("len %d: got %v, want rule %s", len(c.Compose), err, c.Rule)
			}
			t.Logf("%d bytes: %s", len(c.Compose), ae.Message)
		})
	}
}

// writeProject is a project directory holding files, as an upload makes.
func writeProject(t *testing.T, files map[string]string) *projectDir {
	t.Helper()
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(root, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return &projectDir{path: root}
}

// TestScanAcceptsOrdinaryFiles: what compose files do every day — shared
// anchors, merge keys, extends: (in the file and from the upload),
// ${VAR:-default}, as many services as allowed — passes the measure and
// loads.
func TestScanAcceptsOrdinaryFiles(t *testing.T) {
	var fifty strings.Builder
	fifty.WriteString("x-common: &common\n  image: busybox:latest\n  restart: unless-stopped\n  environment: {A: \"1\", B: \"2\"}\nservices:\n")
	for i := range 50 {
		fmt.Fprintf(&fifty, "  s%d:\n    <<: *common\n    command: [\"echo\", \"${GREETING:-hello} %d\"]\n", i, i)
	}
	cases := []struct {
		name, compose string
		env, files    map[string]string
	}{
		{name: "two services", compose: "services:\n  web:\n    image: busybox:latest\n    expose: [\"80\"]\n    volumes: [\"data:/data\"]\n  worker:\n    image: busybox:latest\n    depends_on: [web]\nvolumes:\n  data: {}\n"},
		{name: "fifty services sharing an anchor", compose: fifty.String(), env: map[string]string{"GREETING": strings.Repeat("g", 1000)}},
		{name: "extends in the file", compose: "services:\n  base:\n    image: busybox:latest\n    environment: {A: \"1\"}\n  web:\n    extends: base\n  api:\n    extends: {service: web}\n"},
		{name: "extends from the upload", compose: "services:\n  app:\n    extends:\n      file: base.yml\n      service: base\n",
			files: map[string]string{"base.yml": "services:\n  base:\n    image: busybox:latest\n    command: [\"sh\", \"-c\", \"sleep 1\"]\n"}},
		{name: "interpolation with defaults", compose: "services:\n  web:\n    image: ${IMG:-busybox:latest}\n    command: [\"echo\", \"${A:-${B:-x}}\"]\n", env: map[string]string{"B": "b"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := writeProject(t, c.files)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			p, err := load(ctx, dir, "u--ok", []byte(c.compose), c.env, DefaultInputLimits(), newLoadSlots(1))
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if len(p.Services) == 0 {
				t.Fatalf("no services loaded")
			}
		})
	}
}

// worstAccepted are inputs just inside every bound: what compose-go may
// be asked to load at most.
func worstAccepted() []struct {
	name, compose string
	env           map[string]string
} {
	var aliases strings.Builder
	aliases.WriteString("x-a: &a {")
	for i := range 48 {
		fmt.Fprintf(&aliases, "k%d: v, ", i)
	}
	aliases.WriteString("z: v}\nx-all: [" + strings.Repeat("*a,", 99) + "]\n" + costWeb)

	var big strings.Builder
	big.WriteString("services:\n")
	for i := range 50 {
		fmt.Fprintf(&big, "  s%d:\n    image: busybox:latest\n    command: [\"echo\", \"%s\"]\n", i, strings.Repeat("x", 4800))
	}

	var chain strings.Builder
	chain.WriteString("services:\n  s0:\n    image: busybox:latest\n    environment:\n")
	for i := range 100 {
		fmt.Fprintf(&chain, "      V%d: x\n", i)
	}
	for i := 1; i < 13; i++ {
		fmt.Fprintf(&chain, "  s%d:\n    extends: s%d\n", i, i-1)
	}

	var interp strings.Builder
	interp.WriteString(costWeb + "    environment:\n")
	for i := range 15 {
		fmt.Fprintf(&interp, "      E%d: \"${V}${V}\"\n", i)
	}

	list := func(key, format string) string {
		var b strings.Builder
		b.WriteString(costWeb + "    " + key + ":\n")
		for i := range 9900 {
			b.WriteString("      - " + fmt.Sprintf(format, i) + "\n")
		}
		return b.String()
	}

	var plain strings.Builder
	plain.WriteString(costWeb + "    labels:\n")
	for i := range 4900 {
		fmt.Fprintf(&plain, "      l%d: v\n", i)
	}
	return []struct {
		name, compose string
		env           map[string]string
	}{
		{name: "aliases just under the node budget", compose: aliases.String()},
		{name: "250 KB of strings", compose: big.String()},
		{name: "extends chain just under the budget", compose: chain.String()},
		{name: "interpolation just under 1 MB", compose: interp.String(), env: map[string]string{"V": strings.Repeat("v", 31<<10)}},
		{name: "10,000 plain nodes", compose: plain.String()},
		{name: "9,900 environment entries", compose: list("environment", "V%d=x")},
		{name: "9,900 anonymous volumes", compose: list("volumes", "/d%d")},
		{name: "1,000 ports from ranges", compose: costWeb + "    ports: [\"20000-20499\", \"30000-30499:80-579\"]\n"},
	}
}

// TestLoadOfTheWorstAcceptedInputIsBounded: the largest inputs the
// measure lets through cost compose-go a bounded amount of memory: the
// heap's peak above its start, and the bytes allocated for the load.
func TestLoadOfTheWorstAcceptedInputIsBounded(t *testing.T) {
	const maxGrowth, maxAlloc = 128 << 20, 768 << 20
	for _, c := range worstAccepted() {
		t.Run(c.name, func(t *testing.T) {
			dir := writeProject(t, nil)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			w := testenv.WatchHeap()
			start := time.Now()
			_, err := load(ctx, dir, "u--worst", []byte(c.compose), c.env, DefaultInputLimits(), newLoadSlots(1))
			took := time.Since(start)
			grew, alloc := w.Stop()
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			t.Logf("%d bytes in: the heap grew %d MB, %d MB allocated, in %s", len(c.compose), grew>>20, alloc>>20, took)
			if grew > maxGrowth || alloc > maxAlloc {
				t.Errorf("the heap grew %d MB and %d MB were allocated, bounds %d and %d MB", grew>>20, alloc>>20, maxGrowth>>20, maxAlloc>>20)
			}
		})
	}
}

// TestLoadPastItsDeadline: a load that outlives its deadline is answered
// with the rule at the deadline; its slot stays taken until compose-go
// returns (abandoned loads cannot pile up), then frees.
func TestLoadPastItsDeadline(t *testing.T) {
	var slow string
	for _, c := range worstAccepted() {
		if c.name == "10,000 plain nodes" {
			slow = c.compose
		}
	}
	lim := DefaultInputLimits()
	lim.LoadTimeout = 20 * time.Millisecond
	slots := newLoadSlots(1)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := load(ctx, writeProject(t, nil), "u--slow", []byte(slow), nil, lim, slots)
	if ae := apierr.From(err); ae == nil || ae.Rule != RuleComposeTimeout {
		t.Fatalf("got %v, want rule %s", err, RuleComposeTimeout)
	}
	select {
	case slots.ch <- struct{}{}:
		t.Fatal("the abandoned load gave its slot back before compose-go returned")
	default:
	}
	// A second load waits for the slot, and is told the runner is busy.
	_, err = load(ctx, writeProject(t, nil), "u--next", []byte(costWeb), nil, lim, slots)
	if ae := apierr.From(err); ae == nil || ae.Code != apierr.CodeUnavailable {
		t.Fatalf("second load while the slot is taken: %v, want unavailable", err)
	}
	select {
	case slots.ch <- struct{}{}:
		<-slots.ch
	case <-ctx.Done():
		t.Fatal("the abandoned load never gave its slot back")
	}
}

// TestScanRefusesA10MBDocument: the measure refuses a document over its
// size before parsing it (the bus refuses one this large first).
func TestScanRefusesA10MBDocument(t *testing.T) {
	doc := []byte(costWeb + "x-pad: \"" + strings.Repeat("x", 10<<20) + "\"\n")
	root := t.TempDir()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	err := scanCompose(root, doc, nil, DefaultInputLimits())
	runtime.ReadMemStats(&after)
	if ae := apierr.From(err); ae == nil || ae.Rule != RuleComposeSize {
		t.Fatalf("got %v, want rule %s", err, RuleComposeSize)
	}
	if a := after.TotalAlloc - before.TotalAlloc; a > 1<<20 {
		t.Errorf("refusing it allocated %d KB", a>>10)
	}
}

// TestUploadEntriesAreCounted: an upload of more entries than the bound
// is refused while streaming it, without holding it; one within passes.
func TestUploadEntriesAreCounted(t *testing.T) {
	cases := []struct {
		name    string
		entries int
		refused bool
	}{
		{"within the bound", 1000, false},
		{"150,000 empty files", 150000, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw := ManyEntriesUpload(c.entries)
			w := testenv.WatchHeap()
			err := countEntries(raw, maxUploadEntries, 200<<20)
			grew, _ := w.Stop()
			if (err != nil) != c.refused {
				t.Fatalf("%d entries (%d KB gzip): %v, refused %v", c.entries, len(raw)>>10, err, c.refused)
			}
			if grew > 16<<20 {
				t.Errorf("counting grew the heap by %d MB", grew>>20)
			}
		})
	}
}

// TestSubstitutions: what compose-go substitutes is counted, "$$" is not.
func TestSubstitutions(t *testing.T) {
	cases := []struct {
		in         string
		n, deepest int
	}{
		{"plain", 0, 0},
		{"$A and ${B}", 2, 1},
		{"$$HOME and $$ {x}", 0, 0},
		{"${A:-${B:-${C}}}", 3, 3},
		{"${A}${B}", 2, 1},
		{"$1 $ {", 0, 0},
	}
	for _, c := range cases {
		if n, d := substitutions(c.in); n != c.n || d != c.deepest {
			t.Errorf("substitutions(%q) = %d, %d; want %d, %d", c.in, n, d, c.n, c.deepest)
		}
	}
}
