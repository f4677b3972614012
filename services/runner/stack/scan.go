package stack

import (
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v4"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/services/runner/policy"
)

// scanCompose measures the compose file, and every file of the upload its
// extends: chains name (as compose-go resolves them: relative to the file
// naming them, the name written out), against lim before compose-go reads
// any of them:
// size, nodes with every alias, merge key and extends: expanded, nesting,
// strings with ${VAR} grown by the longest value of env, and the number of
// services and other objects. Nothing is expanded to measure it.
func scanCompose(root string, compose []byte, env map[string]string, lim InputLimits) error {
	s := newScanner(lim, env)
	main := filepath.Join(root, ComposeFile)
	docs, err := s.parse("the compose file", compose)
	if err != nil {
		return err
	}
	for _, d := range docs {
		if err := s.countTop(d); err != nil {
			return err
		}
		if _, err := s.measure(d); err != nil {
			return err
		}
	}
	x := &extender{s: s, root: root, files: map[string][]*yaml.Node{main: docs},
		memo: map[string]int{}, busy: map[string]bool{}}
	extra := 0
	for _, d := range docs {
		if len(d.Content) == 0 {
			continue
		}
		var ferr error
		entries(lookup(mapping(d.Content[0]), "services"), func(k, v *yaml.Node) bool {
			n, err := x.chain(main, v)
			if err != nil {
				ferr = err
				return false
			}
			extra += n
			return true
		})
		if ferr != nil {
			return ferr
		}
		if s.total.nodes+extra > s.lim.MaxNodes {
			return x.over()
		}
	}
	return x.ports(env)
}

// maxPorts bounds the ports a stack's port ranges expand to: compose-go
// turns "1-65535" into 65,535 entries, 1.5 GB and 10 s of its work.
const maxPorts = 1000

var portRangeRE = regexp.MustCompile(`(\d+)-(\d+)`)

// ports refuses a stack whose short-syntax ports (in every file read)
// expand to more than maxPorts. A spec with ${...} is counted with the
// widest range of any env value, whatever it names.
func (x *extender) ports(env map[string]string) error {
	widest := 0
	for _, v := range env {
		widest = max(widest, rangeWidth(v))
	}
	total := 0
	for _, docs := range x.files {
		for _, d := range docs {
			if len(d.Content) == 0 {
				continue
			}
			entries(lookup(mapping(d.Content[0]), "services"), func(_, svc *yaml.Node) bool {
				list := lookup(mapping(svc), "ports")
				if list == nil || list.Kind != yaml.SequenceNode {
					return true
				}
				for _, p := range list.Content {
					if p = deref(p); p == nil || p.Kind != yaml.ScalarNode {
						continue // long syntax: one port each
					}
					n := rangeWidth(p.Value)
					if strings.Contains(p.Value, "$") {
						n = max(n, widest)
					}
					if total += n; total > maxPorts {
						return false
					}
				}
				return true
			})
		}
	}
	if total > maxPorts {
		return apierr.Policy(RuleComposePorts, "port ranges expand to more than %d ports: list the ports the stack serves", maxPorts)
	}
	return nil
}

// rangeWidth is how many ports the widest range in spec names (1 if none).
func rangeWidth(spec string) int {
	w := 1
	for _, m := range portRangeRE.FindAllStringSubmatch(spec, -1) {
		lo, err1 := strconv.Atoi(m[1])
		hi, err2 := strconv.Atoi(m[2])
		if err1 != nil || err2 != nil {
			return math.MaxInt32 // digits beyond an int: no sane range
		}
		w = max(w, hi-lo+1)
	}
	return w
}

// extender measures extends: chains. compose-go copies a base service into
// every service that extends it (through every level), so each chain
// costs the sum of its bases.
type extender struct {
	s     *scanner
	root  string
	files map[string][]*yaml.Node // file → its documents, parsed once
	memo  map[string]int          // file + service → its chain's cost
	busy  map[string]bool
}

func (x *extender) over() error {
	return apierr.Policy(RuleComposeExtends, "extends: copies more than %d YAML nodes in all: extend less, or share less in the bases", x.s.lim.MaxNodes)
}

// chain is the cost of what svc (in file) extends, transitively.
func (x *extender) chain(file string, svc *yaml.Node) (int, error) {
	ext := lookup(mapping(svc), "extends")
	if ext == nil {
		return 0, nil
	}
	baseFile, name := file, ""
	if m := mapping(ext); m != nil {
		if n := lookup(m, "service"); n != nil {
			name = n.Value
		}
		if f := lookup(m, "file"); f != nil {
			if strings.Contains(f.Value, "$") {
				return 0, apierr.Policy(RuleComposeExtends, "line %d: extends: file %q: write the file's name out, without ${...}", f.Line, f.Value)
			}
			baseFile = f.Value
			if !filepath.IsAbs(baseFile) {
				baseFile = filepath.Join(filepath.Dir(file), baseFile)
			}
			baseFile = filepath.Clean(baseFile)
		}
	} else {
		name = ext.Value
	}
	if strings.Contains(name, "$") {
		return 0, apierr.Policy(RuleComposeExtends, "line %d: extends: service %q: write the service's name out, without ${...}", ext.Line, name)
	}
	key := baseFile + "\x00" + name
	if n, ok := x.memo[key]; ok {
		return n, nil
	}
	if x.busy[key] {
		return 0, nil // a cycle: compose-go refuses it in its own words
	}
	x.busy[key] = true
	defer delete(x.busy, key)
	base, err := x.service(baseFile, name)
	if err != nil || base == nil {
		return 0, err // not found or not readable: compose-go (or the confined loader) says so
	}
	c, err := x.s.walk(base)
	if err != nil {
		return 0, err
	}
	sub, err := x.chain(baseFile, base)
	if err != nil {
		return 0, err
	}
	n := c.nodes + sub
	if n > x.s.lim.MaxNodes {
		return 0, x.over()
	}
	x.memo[key] = n
	return n, nil
}

// service is the node of service name in file, reading and measuring the
// file on first use. Files outside the upload are left to the confined
// loader, which refuses them.
func (x *extender) service(file, name string) (*yaml.Node, error) {
	docs, ok := x.files[file]
	if !ok {
		if !policy.Inside(x.root, file) {
			return nil, nil
		}
		if real, err := filepath.EvalSymlinks(file); err != nil || !policy.Inside(x.root, real) {
			return nil, nil
		}
		if len(x.files) > maxExtendsFiles {
			return nil, apierr.Policy(RuleComposeExtends, "extends: names more than %d files: keep the bases in fewer files", maxExtendsFiles)
		}
		st, err := os.Stat(file)
		if err != nil || !st.Mode().IsRegular() {
			return nil, nil
		}
		what := "extends file " + filepath.Base(file)
		if st.Size() > int64(x.s.lim.MaxBytes) {
			return nil, apierr.Policy(RuleComposeSize, "%s is %d KB, more than %d KB: keep the bases short", what, st.Size()>>10, x.s.lim.MaxBytes>>10)
		}
		raw, err := os.ReadFile(file)
		if err != nil {
			return nil, nil
		}
		if docs, err = x.s.parse(what, raw); err != nil {
			return nil, err
		}
		for _, d := range docs {
			if _, err := x.s.measure(d); err != nil {
				return nil, err
			}
		}
		x.files[file] = docs
	}
	var found *yaml.Node
	for _, d := range docs {
		if len(d.Content) == 0 {
			continue
		}
		if v := lookup(lookup(mapping(d.Content[0]), "services"), name); v != nil {
			found = v
		}
	}
	return found, nil
}
