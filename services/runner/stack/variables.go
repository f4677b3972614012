package stack

import (
	"bytes"
	"errors"
	"io"
	"regexp"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/template"
	"go.yaml.in/yaml/v4"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/msg"
)

// maxVariables bounds the variables a listing returns (a form shows an
// input for each).
const maxVariables = 200

// variableUse is a variable as the compose file uses it: compose-go's
// reading of ${NAME}, ${NAME:-default}, ${NAME:?message}, … and where.
type variableUse struct {
	template.Variable
	paths []string // "services.plex.volumes", in file order, once each
}

// fileVariables lists the variables the compose file interpolates, in the
// order the file first uses them, with the paths using each (list indexes
// left out: "services.web.ports"). The file must have passed the scan
// (its size and nodes are bounded); aliases are not followed (an anchor's
// variables are listed where the anchor is written).
func fileVariables(compose []byte) ([]*variableUse, error) {
	dec := yaml.NewDecoder(bytes.NewReader(compose))
	byName := map[string]*variableUse{}
	var order []*variableUse
	var visit func(n *yaml.Node, path string)
	use := func(s, path string) {
		if !strings.Contains(s, "$") {
			return
		}
		found := template.ExtractVariables(map[string]any{"v": s}, template.DefaultPattern)
		names := make([]string, 0, len(found))
		for k := range found {
			names = append(names, k)
		}
		// One scalar's variables in the order it names them.
		at := func(n string) int {
			i := strings.Index(s, "${"+n)
			if j := strings.Index(s, "$"+n); i < 0 || (j >= 0 && j < i) {
				i = j
			}
			return i
		}
		sort.Slice(names, func(i, j int) bool {
			if a, b := at(names[i]), at(names[j]); a != b {
				return a < b
			}
			return names[i] < names[j]
		})
		for _, name := range names {
			v := found[name]
			u, ok := byName[name]
			if !ok {
				u = &variableUse{Variable: v}
				byName[name] = u
				order = append(order, u)
			} else {
				// As compose-go combines them: required if any use is.
				u.Required = u.Required || v.Required
				if u.DefaultValue == "" {
					u.DefaultValue = v.DefaultValue
				}
			}
			if !hasString(u.paths, path) {
				u.paths = append(u.paths, path)
			}
		}
	}
	visit = func(n *yaml.Node, path string) {
		switch n.Kind {
		case yaml.DocumentNode, yaml.SequenceNode:
			for _, c := range n.Content {
				visit(c, path)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				visit(v, varPath(path, k.Value))
			}
		case yaml.ScalarNode:
			use(n.Value, path)
		}
	}
	for {
		var d yaml.Node
		err := dec.Decode(&d)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, apierr.Invalid("the compose file is invalid: %v", err)
		}
		visit(&d, "")
	}
	return order, nil
}

func varPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func hasString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// listVariables is the variables op's answer: each variable of the file,
// with the project's .env value where it gives one.
func listVariables(compose []byte, dotEnv map[string]string) (msg.StackVariables, error) {
	uses, err := fileVariables(compose)
	if err != nil {
		return msg.StackVariables{}, err
	}
	if len(uses) > maxVariables {
		return msg.StackVariables{}, apierr.Policy(RuleComposeInterpolation, "the compose file uses %d variables, more than %d", len(uses), maxVariables)
	}
	out := msg.StackVariables{Variables: []msg.StackVariable{}, DotEnv: dotEnv != nil}
	for _, u := range uses {
		v := msg.StackVariable{Name: u.Name, Default: u.DefaultValue, Required: u.Required, Used: u.paths}
		if val, ok := dotEnv[u.Name]; ok {
			v.Value, v.InDotEnv = val, true
		}
		out.Variables = append(out.Variables, v)
	}
	return out, nil
}

// unsetVariables names what the compose file uses without a value: each
// variable env does not set, with no default, and where it is used. A
// required one (${X:?…}) counts when empty too, as compose-go judges it.
func unsetVariables(compose []byte, env map[string]string) []*variableUse {
	uses, err := fileVariables(compose)
	if err != nil {
		return nil
	}
	var out []*variableUse
	for _, u := range uses {
		v, set := env[u.Name]
		switch {
		case u.Required && v == "":
		case set || u.DefaultValue != "":
			continue
		}
		out = append(out, u)
	}
	return out
}

// explainUnset turns compose-go's error about a value that interpolation
// left empty ("invalid spec: :/media/: empty section between colons") into
// one naming the variables behind it: "PLEX_MEDIA_PATH is not set
// (services.plex.volumes)". When the error names the path it failed at,
// only the variables used there are named; otherwise every unset one is.
// With no unset variable, the error is compose-go's own.
func explainUnset(compose []byte, env map[string]string, loadErr error) error {
	unset := unsetVariables(compose, env)
	if len(unset) == 0 {
		return nil
	}
	text := loadErr.Error()
	var named []string
	for _, u := range unset {
		var at []string
		for _, p := range u.paths {
			if namesPath(text, p) {
				at = append(at, p)
			}
		}
		if len(at) > 0 {
			named = append(named, describeUnset(u, at))
		}
	}
	if len(named) == 0 && !pathRE.MatchString(text) {
		// compose-go failed on a value without saying where ("invalid
		// spec: :/media/: empty section between colons"): every unset
		// variable may be the cause. An error naming another path (a
		// schema error) is not theirs.
		for _, u := range unset {
			named = append(named, describeUnset(u, u.paths))
		}
	}
	if len(named) == 0 {
		return nil
	}
	if len(named) > 5 {
		named = append(named[:5], "…")
	}
	return apierr.Invalid("%s: set it in the stack's variables or the project's .env (the compose file is invalid: %v)", strings.Join(named, "; "), loadErr)
}

// pathRE finds a path of the file in an error ("services.web.imagee").
var pathRE = regexp.MustCompile(`\b(services|networks|volumes|secrets|configs)\.[A-Za-z0-9_.-]+`)

// namesPath: text names path p itself, not a longer key ("services.web.image"
// is not named by "services.web.imagee").
func namesPath(text, p string) bool {
	for i := 0; ; {
		j := strings.Index(text[i:], p)
		if j < 0 {
			return false
		}
		end := i + j + len(p)
		if end == len(text) || !isKeyChar(text[end]) {
			return true
		}
		i = end
	}
}

func isKeyChar(c byte) bool {
	return c == '_' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func describeUnset(u *variableUse, paths []string) string {
	if len(paths) > 3 {
		paths = append(paths[:3:3], "…")
	}
	return u.Name + " is not set (" + strings.Join(paths, ", ") + ")"
}
