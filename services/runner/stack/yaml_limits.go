package stack

import (
	"bytes"
	"errors"
	"io"
	"time"

	"go.yaml.in/yaml/v4"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/config"
	"github.com/dockeronline/platform/services/runner/policy"
)

// InputLimits bound what one compose file may cost the runner. compose-go
// materialises every alias, merge key, extends: and ${VAR} it meets (a
// 300-byte "billion laughs" is gigabytes to it), so the raw YAML is
// measured first (scan), with every expansion counted without being made.
type InputLimits struct {
	// MaxBytes bounds the document as sent (STACK_MAX_COMPOSE_KB, 256).
	MaxBytes int
	// MaxNodes bounds the YAML nodes once anchors, merge keys and extends:
	// are expanded (STACK_MAX_COMPOSE_NODES, 10000).
	MaxNodes int
	// MaxDepth bounds nesting, expanded (STACK_MAX_COMPOSE_DEPTH, 32).
	MaxDepth int
	// MaxServices bounds services (STACK_MAX_SERVICES, 50); MaxObjects
	// bounds each of networks, volumes, configs and secrets
	// (STACK_MAX_OBJECTS, 50).
	MaxServices int
	MaxObjects  int
	// MaxString bounds one string after interpolation
	// (STACK_MAX_STRING_KB, 64); MaxExpanded all of them together, every
	// alias expanded (STACK_MAX_EXPANDED_KB, 1024).
	MaxString   int
	MaxExpanded int
	// LoadTimeout is the deadline of one compose-go load
	// (STACK_LOAD_TIMEOUT, 10s); LoadConcurrency bounds loads (and stack
	// uploads being unpacked) at once on this runner
	// (STACK_LOAD_CONCURRENCY, 2).
	LoadTimeout     time.Duration
	LoadConcurrency int
}

// maxInterpolationDepth bounds ${A:-${B:-...}} nesting: compose-go
// re-parses every nested default.
const maxInterpolationDepth = 8

// maxExtendsFiles bounds the distinct files extends: may name.
const maxExtendsFiles = 16

// DefaultInputLimits are the documented defaults.
func DefaultInputLimits() InputLimits {
	return InputLimits{
		MaxBytes: 256 << 10, MaxNodes: 10000, MaxDepth: 32, MaxServices: 50, MaxObjects: 50,
		MaxString: 64 << 10, MaxExpanded: 1 << 20, LoadTimeout: 10 * time.Second, LoadConcurrency: 2,
	}
}

// LoadInputLimits reads the limits from the environment.
func LoadInputLimits(e *config.Env) InputLimits {
	d := DefaultInputLimits()
	return InputLimits{
		MaxBytes:        e.Int("STACK_MAX_COMPOSE_KB", d.MaxBytes>>10) << 10,
		MaxNodes:        e.Int("STACK_MAX_COMPOSE_NODES", d.MaxNodes),
		MaxDepth:        e.Int("STACK_MAX_COMPOSE_DEPTH", d.MaxDepth),
		MaxServices:     e.Int("STACK_MAX_SERVICES", d.MaxServices),
		MaxObjects:      e.Int("STACK_MAX_OBJECTS", d.MaxObjects),
		MaxString:       e.Int("STACK_MAX_STRING_KB", d.MaxString>>10) << 10,
		MaxExpanded:     e.Int("STACK_MAX_EXPANDED_KB", d.MaxExpanded>>10) << 10,
		LoadTimeout:     e.Duration("STACK_LOAD_TIMEOUT", d.LoadTimeout),
		LoadConcurrency: e.Int("STACK_LOAD_CONCURRENCY", d.LoadConcurrency),
	}
}

func (l InputLimits) withDefaults() InputLimits {
	d := DefaultInputLimits()
	pick := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	pick(&l.MaxBytes, d.MaxBytes)
	pick(&l.MaxNodes, d.MaxNodes)
	pick(&l.MaxDepth, d.MaxDepth)
	pick(&l.MaxServices, d.MaxServices)
	pick(&l.MaxObjects, d.MaxObjects)
	pick(&l.MaxString, d.MaxString)
	pick(&l.MaxExpanded, d.MaxExpanded)
	pick(&l.LoadConcurrency, d.LoadConcurrency)
	if l.LoadTimeout <= 0 {
		l.LoadTimeout = d.LoadTimeout
	}
	return l
}

// cost is what a YAML subtree becomes once expanded.
type cost struct {
	nodes  int  // every node, an alias counted as its anchor's subtree
	bytes  int  // its strings, each ${...} grown by the longest env value
	raw    int  // its strings, uninterpolated
	height int  // nesting
	alias  bool // an alias or merge key contributed
}

func (c *cost) add(o cost) {
	c.nodes += o.nodes
	c.bytes += o.bytes
	c.raw += o.raw
	c.height = max(c.height, o.height)
	c.alias = c.alias || o.alias
}

// scanner measures documents. Costs are memoised per node, so an anchor
// aliased a million times is measured once and the measure itself stays
// linear in the document.
type scanner struct {
	lim        InputLimits
	longestEnv int
	memo       map[*yaml.Node]cost
	busy       map[*yaml.Node]bool
	// total is everything measured so far (all documents and files),
	// checked against the budgets as it grows.
	total cost
}

func newScanner(lim InputLimits, env map[string]string) *scanner {
	s := &scanner{lim: lim.withDefaults(), memo: map[*yaml.Node]cost{}, busy: map[*yaml.Node]bool{}}
	for _, v := range env {
		s.longestEnv = max(s.longestEnv, len(v))
	}
	return s
}

// parse reads every document of a YAML stream into nodes (aliases stay
// pointers: nothing is expanded). A syntax error is refused here, quoting
// the parser: compose-go would process the documents before it.
func (s *scanner) parse(what string, doc []byte) ([]*yaml.Node, error) {
	if len(doc) > s.lim.MaxBytes {
		return nil, apierr.Policy(RuleComposeSize, "%s is %d KB, more than the %d KB a stack may send: move data into the upload (build context) and keep the compose file short", what, len(doc)>>10, s.lim.MaxBytes>>10)
	}
	dec := yaml.NewDecoder(bytes.NewReader(doc))
	var docs []*yaml.Node
	for {
		n := new(yaml.Node)
		err := dec.Decode(n)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, apierr.Invalid("the compose file is invalid: failed to parse %s: %v", what, err)
		}
		docs = append(docs, n)
	}
}

// measure adds a document to the total and refuses it once over a budget.
func (s *scanner) measure(n *yaml.Node) (cost, error) {
	c, err := s.walk(n)
	if err != nil {
		return c, err
	}
	s.total.add(c)
	return c, s.check(s.total, n)
}

// walk is the expanded cost of n.
func (s *scanner) walk(n *yaml.Node) (cost, error) {
	switch n.Kind {
	case yaml.ScalarNode:
		return s.scalar(n)
	case yaml.AliasNode:
		if n.Alias == nil {
			return cost{nodes: 1, height: 1}, nil
		}
		if s.busy[n.Alias] {
			return cost{}, apierr.Policy(RuleComposeAliases, "line %d: alias *%s refers to the node that holds it: an alias may only repeat a finished anchor", n.Line, n.Value)
		}
		c, err := s.walk(n.Alias)
		c.alias = true
		return c, err
	}
	if c, ok := s.memo[n]; ok {
		return c, nil
	}
	s.busy[n] = true
	defer delete(s.busy, n)
	var c cost
	for _, k := range n.Content {
		kc, err := s.walk(k)
		if err != nil {
			return c, err
		}
		c.add(kc)
		// Checked as it grows: an expansion is refused before it is summed.
		if err := s.check(c, k); err != nil {
			return c, err
		}
	}
	c.nodes++
	c.height++
	if err := s.check(c, n); err != nil {
		return c, err
	}
	s.memo[n] = c
	return c, nil
}

// scalar is a string's cost: its length, plus for every substitution
// ($VAR, ${...}) the longest env value compose-go may put there.
func (s *scanner) scalar(n *yaml.Node) (cost, error) {
	raw := len(n.Value)
	if raw > s.lim.MaxString {
		return cost{}, apierr.Policy(RuleComposeSize, "line %d: a string of %d KB, more than %d KB: put large content in a file of the upload", n.Line, raw>>10, s.lim.MaxString>>10)
	}
	dollars, depth := substitutions(n.Value)
	grown := raw + dollars*s.longestEnv
	if grown > s.lim.MaxString {
		return cost{}, apierr.Policy(RuleComposeInterpolation, "line %d: ${...} substitution could make a string of %d KB, more than %d KB: use fewer or shorter variables", n.Line, grown>>10, s.lim.MaxString>>10)
	}
	if depth > maxInterpolationDepth {
		return cost{}, apierr.Policy(RuleComposeInterpolation, "line %d: ${...} defaults nest %d deep, more than %d: flatten the default values", n.Line, depth, maxInterpolationDepth)
	}
	return cost{nodes: 1, bytes: grown, raw: raw, height: 1}, nil
}

// check refuses a cost over a budget, by the rule that names its cause.
func (s *scanner) check(c cost, at *yaml.Node) error {
	l := s.lim
	switch {
	case c.height > l.MaxDepth:
		return apierr.Policy(RuleComposeNesting, "line %d: the document nests more than %d levels deep (aliases expanded): flatten it", at.Line, l.MaxDepth)
	case c.nodes > l.MaxNodes && c.alias:
		return apierr.Policy(RuleComposeAliases, "line %d: anchors and aliases (merge keys included) expand to more than %d YAML nodes: repeat less, or write the values out", at.Line, l.MaxNodes)
	case c.nodes > l.MaxNodes:
		return apierr.Policy(RuleComposeSize, "the compose file has more than %d YAML nodes: split it into several stacks", l.MaxNodes)
	case c.raw > l.MaxExpanded && c.alias:
		return apierr.Policy(RuleComposeAliases, "line %d: anchors and aliases expand to more than %d KB of strings: repeat less", at.Line, l.MaxExpanded>>10)
	case c.raw > l.MaxExpanded:
		return apierr.Policy(RuleComposeSize, "the compose file's strings exceed %d KB: put large content in files of the upload", l.MaxExpanded>>10)
	case c.bytes > l.MaxExpanded:
		return apierr.Policy(RuleComposeInterpolation, "${...} substitution could grow the compose file past %d KB: use fewer or shorter variables", l.MaxExpanded>>10)
	}
	return nil
}

// substitutions counts the $VAR and ${...} forms of s compose-go
// substitutes ("$$" is a literal "$"), and how deep ${...} forms nest.
func substitutions(s string) (n, deepest int) {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '$' && i+1 < len(s) && s[i+1] == '$':
			i++
		case s[i] == '$' && i+1 < len(s) && s[i+1] == '{':
			n++
			depth++
			deepest = max(deepest, depth)
			i++
		case s[i] == '$' && i+1 < len(s) && (s[i+1] == '_' || s[i+1]|0x20 >= 'a' && s[i+1]|0x20 <= 'z'):
			n++
		case s[i] == '}' && depth > 0:
			depth--
		}
	}
	return n, deepest
}

// deref is the node an alias stands for (n itself if not an alias).
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 64; i++ {
		n = n.Alias
	}
	return n
}

// mapping resolves n to the mapping it is (through an alias), or nil.
func mapping(n *yaml.Node) *yaml.Node {
	if n = deref(n); n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	return n
}

// entries calls f for each key and value of mapping m, merge keys
// (`<<: *a`, `<<: [*a, *b]`) followed, each merged mapping once. It stops
// when f returns false.
func entries(m *yaml.Node, f func(k, v *yaml.Node) bool) {
	seen := map[*yaml.Node]bool{}
	var walk func(m *yaml.Node) bool
	walk = func(m *yaml.Node) bool {
		if m = mapping(m); m == nil || seen[m] {
			return true
		}
		seen[m] = true
		for i := 0; i+1 < len(m.Content); i += 2 {
			k, v := deref(m.Content[i]), m.Content[i+1]
			if k.Value == "<<" && k.Tag != "!!str" {
				srcs := []*yaml.Node{v}
				if v.Kind == yaml.SequenceNode {
					srcs = v.Content
				}
				for _, src := range srcs {
					if !walk(src) {
						return false
					}
				}
				continue
			}
			if !f(k, v) {
				return false
			}
		}
		return true
	}
	walk(m)
}

// lookup is the value of key in mapping m (merge keys followed, an alias
// resolved: `file: *f` names the anchor's value), or nil.
func lookup(m *yaml.Node, key string) *yaml.Node {
	var out *yaml.Node
	entries(m, func(k, v *yaml.Node) bool {
		if k.Value == key {
			out = deref(v)
			return false
		}
		return true
	})
	return out
}

// countTop refuses a document whose top level declares too much, or
// include: (compose-go would load the included files' env_file:
// wherever they point).
func (s *scanner) countTop(doc *yaml.Node) error {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil
	}
	top := mapping(doc.Content[0])
	if top == nil {
		return nil // compose-go says the top level must be a mapping
	}
	if lookup(top, "include") != nil {
		return apierr.Policy(policy.RuleComposeFeature, "include: is not supported here: put the services in the compose file, or use extends: with files of the upload")
	}
	for _, kind := range []string{"services", "networks", "volumes", "configs", "secrets"} {
		limit := s.lim.MaxObjects
		if kind == "services" {
			limit = s.lim.MaxServices
		}
		n := 0
		entries(lookup(top, kind), func(_, _ *yaml.Node) bool { n++; return n <= limit })
		if n > limit {
			return apierr.Policy(RuleComposeObjects, "more than %d %s in one stack: split it into several stacks", limit, kind)
		}
	}
	return nil
}
