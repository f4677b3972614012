package routes

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"

	"github.com/dockeronline/platform/pkg/names"
)

// Route is one entry of the KV bucket "routes", keyed by Label. The feeder
// writes it from container events; every proxy replica reads it.
type Route struct {
	Label       string    `json:"label"`        // "web--alice", "web-8080--alice"
	Target      string    `json:"target"`       // "<ip>:<port>" on the owner's network
	Owner       string    `json:"owner"`        // platform user id
	Username    string    `json:"username"`     // platform username
	Name        string    `json:"name"`         // the container name the user chose
	ContainerID string    `json:"container_id"` // Docker id
	Port        int       `json:"port"`         // container port
	Private     bool      `json:"private"`      // only the owner and admins get through
	Primary     bool      `json:"primary"`      // Label is "<name>--<user>", not a per-port alias
	Updated     time.Time `json:"updated"`      // time of the event that wrote it
}

// Validate checks a route before it may enter a table.
func (r Route) Validate() error {
	if err := ValidLabel(r.Label); err != nil {
		return fmt.Errorf("route %q: label is not <name>[-<port>]--<user>", r.Label)
	}
	if r.Owner == "" {
		return fmt.Errorf("route %q: no owner", r.Label)
	}
	if !strings.HasSuffix(r.Label, names.Separator+r.Username) {
		return fmt.Errorf("route %q: label does not end with its username %q", r.Label, r.Username)
	}
	ap, err := netip.ParseAddrPort(r.Target)
	if err != nil || !ap.Addr().IsValid() || ap.Addr().IsUnspecified() || ap.Port() == 0 {
		return fmt.Errorf("route %q: target %q is not <ip>:<port>", r.Label, r.Target)
	}
	return nil
}

// Table is an immutable route table: built whole, validated, then swapped in.
type Table struct {
	routes   map[string]Route
	revision uint64 // the KV revision it reflects
}

// NewTable builds a table from routes keyed by label, refusing the whole set
// when any route is invalid or filed under another key.
func NewTable(routes map[string]Route, revision uint64) (*Table, error) {
	t := &Table{routes: make(map[string]Route, len(routes)), revision: revision}
	var errs []error
	for key, r := range routes {
		if key != r.Label {
			errs = append(errs, fmt.Errorf("route %q filed under key %q", r.Label, key))
			continue
		}
		if err := r.Validate(); err != nil {
			errs = append(errs, err)
			continue
		}
		t.routes[key] = r
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return t, nil
}

// Lookup finds the route for label.
func (t *Table) Lookup(label string) (Route, bool) {
	r, ok := t.routes[label]
	return r, ok
}

// Len is the number of routes.
func (t *Table) Len() int { return len(t.routes) }

// Revision is the KV revision the table reflects.
func (t *Table) Revision() uint64 { return t.revision }

// Routes is the live table, swapped atomically; readers never lock.
type Routes struct {
	cur atomic.Pointer[Table]
}

// Load returns the current table (never nil: empty before the first load).
func (r *Routes) Load() *Table {
	if t := r.cur.Load(); t != nil {
		return t
	}
	return emptyTable
}

// Loaded reports whether a table from the bucket was ever swapped in.
func (r *Routes) Loaded() bool { return r.cur.Load() != nil }

// Swap installs t.
func (r *Routes) Swap(t *Table) { r.cur.Store(t) }

var emptyTable = &Table{routes: map[string]Route{}}
