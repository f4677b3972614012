package stack

import (
	"sort"
	"strings"

	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/names"
	"github.com/dockeronline/platform/services/runner/policy"
)

// labelFileName carries, on an object whose platform name is not
// "<stack>-<key>" as the file spells it (shortened to fit, or its key
// mapped to the name alphabet), the name the compose file gives it: the
// stack view rebuilds the mapping from it, without state.
const labelFileName = policy.LabelPrefix + "compose-name"

// namer derives the platform names of one kind of a stack's objects
// (services, networks or volumes) from their keys. A key already in the
// name alphabet gives "<stack>-<key>" when that fits; one with other
// characters ("db_data") gives its mapped form ("<stack>-db-data") when
// that fits and no other key of the kind maps to it; every other one
// gives names.Fit of "<stack>-<key>" (a readable prefix and a hash of the
// whole). The result depends only on the stack's name and the file's
// keys, so a redeploy finds the same objects, and two keys never share an
// object.
type namer struct {
	stack string
	uses  map[string]int // mapped name → keys mapping to it
}

func newNamer(stack string, keys []string) namer {
	n := namer{stack: stack, uses: map[string]int{}}
	for _, k := range keys {
		n.uses[stack+"-"+sanitize(k)]++
	}
	return n
}

// name is key's platform name; renamed is set when it is not
// "<stack>-<key>" as written.
func (n namer) name(key string) (name string, renamed bool) {
	literal := n.stack + "-" + key
	mapped := n.stack + "-" + sanitize(key)
	switch {
	case names.ValidateObject("", literal) == nil:
		return literal, false
	case names.ValidateObject("", mapped) == nil && n.uses[mapped] == 1:
		return mapped, true
	}
	return names.Fit(literal), true
}

// renamedContainer reports whether a container of service svc named name
// (its platform name) is not "<stack>-<svc>", nor Compose's replica
// "<stack>-<svc>-<n>": then the stack page shows the mapping.
func renamedContainer(stack, svc, name string) bool {
	if svc == "" || name == stack+"-"+svc {
		return false
	}
	n, ok := strings.CutPrefix(name, stack+"-"+svc+"-")
	if !ok || n == "" {
		return true
	}
	for _, c := range n {
		if c < '0' || c > '9' {
			return true
		}
	}
	return false
}

// fitGiven is the platform name of a name the file gives (container_name:,
// a network's or volume's name:): as written when it is a valid name,
// else names.Fit of it.
func fitGiven(name string) (string, bool) {
	fit := names.Fit(name)
	return fit, fit != name
}

// keysOf is a map's keys, sorted.
func keysOf[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// renames collects the mapping the view shows, once per (kind, from).
type renames struct {
	seen map[msg.StackRename]bool
	list []msg.StackRename
}

func (r *renames) add(kind string, labels map[string]string) {
	r.pair(kind, labels[labelFileName], labels[policy.LabelName])
}

// pair records that the file's from is the platform's to.
func (r *renames) pair(kind, from, to string) {
	if from == "" || to == "" {
		return
	}
	x := msg.StackRename{Kind: kind, From: from, To: to}
	if r.seen == nil {
		r.seen = map[msg.StackRename]bool{}
	}
	if !r.seen[x] {
		r.seen[x] = true
		r.list = append(r.list, x)
	}
}

func (r *renames) sorted() []msg.StackRename {
	sort.Slice(r.list, func(i, j int) bool {
		a, b := r.list[i], r.list[j]
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.From < b.From
	})
	return r.list
}
