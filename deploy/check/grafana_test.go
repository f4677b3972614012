package check

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// What Grafana 12.0 (the pinned image) writes and accepts.
const (
	minSchemaVersion = 36 // datasource references as {type, uid}; timeseries panels
	maxSchemaVersion = 41 // Grafana 12.0's current dashboard schema
)

// Grafana's core panel types this repo may use (plugins would need installing).
var panelTypes = map[string]bool{
	"row": true, "timeseries": true, "stat": true, "gauge": true, "bargauge": true, "table": true,
	"logs": true, "text": true, "nodeGraph": true, "traces": true, "piechart": true, "state-timeline": true,
	"status-history": true, "heatmap": true, "barchart": true,
}

// Grafana's own rules for a dashboard it saves (pkg/services/dashboards:
// ValidateDashboardBeforeSave, util.IsValidShortUID / IsShortUIDTooLong).
var validUID = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,40}$`)

// Variables Grafana defines itself.
var builtinVars = map[string]bool{
	"__rate_interval": true, "__interval": true, "__interval_ms": true, "__range": true, "__range_s": true,
	"__range_ms": true, "__auto": true, "__from": true, "__to": true, "__dashboard": true, "__user": true,
	"__org": true, "__name": true, "__all": true, "__timeFilter": true, "__tags": true,
}

type datasource struct{ Name, UID, Type, URL string }

// provisionedDatasources reads deploy/grafana/provisioning/datasources/*.
func provisionedDatasources(t testing.TB) map[string]datasource {
	t.Helper()
	files, _ := filepath.Glob(repoPath(t, "deploy", "grafana", "provisioning", "datasources", "*.yaml"))
	if len(files) == 0 {
		t.Fatal("no datasources provisioning file")
	}
	out := map[string]datasource{}
	for _, f := range files {
		doc := readYAML(t, f)
		if v, _ := doc["apiVersion"].(int); v != 1 {
			t.Errorf("%s: apiVersion %v, want 1", f, doc["apiVersion"])
		}
		for i, d := range listAt(doc, "datasources") {
			m, _ := d.(map[string]any)
			ds := datasource{str(m["name"]), str(m["uid"]), str(m["type"]), str(m["url"])}
			if ds.Name == "" || ds.UID == "" || ds.Type == "" || ds.URL == "" {
				t.Errorf("%s: datasource %d lacks name, uid, type or url: %v", f, i, m)
				continue
			}
			if !validUID.MatchString(ds.UID) {
				t.Errorf("%s: datasource uid %q is not a Grafana uid", f, ds.UID)
			}
			if _, dup := out[ds.UID]; dup {
				t.Errorf("%s: datasource uid %q twice", f, ds.UID)
			}
			out[ds.UID] = ds
		}
	}
	return out
}

// TestGrafanaProvisioning: the provisioning files parse, every reference in
// them resolves, and they point at what the compose file and the stack
// really mount and run.
func TestGrafanaProvisioning(t *testing.T) {
	dss := provisionedDatasources(t)
	for _, want := range []struct{ uid, typ string }{{"prometheus", "prometheus"}, {"tempo", "tempo"}, {"loki", "loki"}} {
		if dss[want.uid].Type != want.typ {
			t.Errorf("datasource %s of type %s not provisioned", want.uid, want.typ)
		}
	}
	compose := readYAML(t, repoPath(t, "docker-compose.yml"))
	stack := readYAML(t, repoPath(t, "deploy", "swarm", "stack.yml"))
	for _, ds := range dss {
		u, err := url.Parse(ds.URL)
		if err != nil || u.Hostname() == "" {
			t.Errorf("datasource %s: url %q", ds.UID, ds.URL)
			continue
		}
		for name, doc := range map[string]map[string]any{"docker-compose.yml": compose, "stack.yml": stack} {
			if mapAt(doc, "services", u.Hostname()) == nil {
				t.Errorf("datasource %s points at %s, which is not a service of %s", ds.UID, u.Host, name)
			}
		}
	}

	// Every datasourceUid inside the datasources' jsonData resolves.
	for _, f := range globRepo(t, "deploy/grafana/provisioning/datasources/*.yaml") {
		walk(readYAML(t, f), func(path string, k string, v any) {
			if k == "datasourceUid" {
				if _, ok := dss[str(v)]; !ok {
					t.Errorf("%s: %s = %q is not a provisioned datasource", f, path, v)
				}
			}
		})
	}

	// Grafana expands $VAR and ${VAR} in provisioning files from its
	// environment; this repo uses none, so every literal dollar must be $$.
	for _, f := range globRepo(t, "deploy/grafana/provisioning/*/*.yaml") {
		if strings.Contains(strings.ReplaceAll(withoutComments(string(readFile(t, f))), "$$", ""), "$") {
			t.Errorf("%s: a single $ is an environment variable to Grafana's provisioning: write $$ for a literal dollar", f)
		}
	}

	// The dashboard provider reads a path that compose mounts from
	// deploy/grafana/dashboards, and that the stack fills with every JSON.
	dashDir := repoPath(t, "deploy", "grafana", "dashboards")
	jsonFiles := globRepo(t, "deploy/grafana/dashboards/*.json")
	providers := 0
	for _, f := range globRepo(t, "deploy/grafana/provisioning/dashboards/*.yaml") {
		doc := readYAML(t, f)
		if v, _ := doc["apiVersion"].(int); v != 1 {
			t.Errorf("%s: apiVersion %v, want 1", f, doc["apiVersion"])
		}
		for _, p := range listAt(doc, "providers") {
			providers++
			pm, _ := p.(map[string]any)
			if str(pm["type"]) != "file" || str(pm["name"]) == "" {
				t.Errorf("%s: provider %v: want a named file provider", f, pm)
			}
			path := str(mapAt(pm, "options")["path"])
			src := composeMountSource(t, compose, "grafana", path)
			if src != dashDir {
				t.Errorf("%s: provider path %s: docker-compose.yml mounts %q there, want deploy/grafana/dashboards", f, path, src)
			}
			targets := stackConfigTargets(t, stack, "grafana")
			for _, j := range jsonFiles {
				if want := path + "/" + filepath.Base(j); !targets[want] {
					t.Errorf("deploy/swarm/stack.yml: grafana has no config with target %s (dashboard %s)", want, filepath.Base(j))
				}
			}
		}
	}
	if providers == 0 {
		t.Error("no dashboard provider")
	}
	// Provisioning files are mounted as Grafana expects them.
	if src := composeMountSource(t, compose, "grafana", "/etc/grafana/provisioning"); src != repoPath(t, "deploy", "grafana", "provisioning") {
		t.Errorf("docker-compose.yml: /etc/grafana/provisioning comes from %q", src)
	}
	// The home dashboard setting names a dashboard that exists.
	home := str(mapAt(compose, "services", "grafana", "environment")["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"])
	if _, err := os.Stat(filepath.Join(dashDir, filepath.Base(home))); home == "" || err != nil {
		t.Errorf("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH=%q: no such dashboard", home)
	}
}

// TestDashboards: every dashboard is JSON with what Grafana's dashboard
// model requires and what its provisioning accepts, and every reference in
// it (data sources, variables, layout) holds.
func TestDashboards(t *testing.T) {
	dss := provisionedDatasources(t)
	files := globRepo(t, "deploy/grafana/dashboards/*.json")
	want := map[string]bool{"host.json": false, "docker.json": false, "platform.json": false, "traces-logs.json": false}
	uids, titles := map[string]string{}, map[string]string{}
	for _, f := range files {
		name := filepath.Base(f)
		if _, ok := want[name]; ok {
			want[name] = true
		}
		t.Run(name, func(t *testing.T) {
			var d map[string]any
			dec := json.NewDecoder(strings.NewReader(string(readFile(t, f))))
			dec.UseNumber()
			if err := dec.Decode(&d); err != nil {
				t.Fatalf("not JSON: %v", err)
			}
			uid, title := str(d["uid"]), str(d["title"])
			if !validUID.MatchString(uid) {
				t.Errorf("uid %q: Grafana wants 1-40 characters of [a-zA-Z0-9_-]", uid)
			}
			if other, dup := uids[uid]; dup {
				t.Errorf("uid %q also used by %s: provisioning keeps only one", uid, other)
			}
			uids[uid] = name
			if strings.TrimSpace(title) == "" {
				t.Error("no title: Grafana refuses to save it")
			}
			if other, dup := titles[title]; dup {
				t.Errorf("title %q also used by %s: titles are unique within a folder", title, other)
			}
			titles[title] = name
			if id, ok := d["id"]; ok && id != nil {
				t.Errorf("id %v: provisioned dashboards leave id null (Grafana assigns it)", id)
			}
			sv, err := number(d["schemaVersion"])
			if err != nil || sv < minSchemaVersion || sv > maxSchemaVersion {
				t.Errorf("schemaVersion %v: want %d..%d (Grafana 12.0)", d["schemaVersion"], minSchemaVersion, maxSchemaVersion)
			}
			if tm := mapAt(d, "time"); str(tm["from"]) == "" || str(tm["to"]) == "" {
				t.Error("time.from / time.to missing")
			}
			if r := str(d["refresh"]); r != "" && !refreshOK(r) {
				t.Errorf("refresh %q: Grafana's minimum is 5s", r)
			}
			if !contains(listAt(d, "tags"), "dockeronline") {
				t.Error(`tags must include "dockeronline" (the dashboards' links menu lists that tag)`)
			}

			vars := map[string]bool{}
			for i, v := range listAt(d, "templating", "list") {
				vm, _ := v.(map[string]any)
				n, typ := str(vm["name"]), str(vm["type"])
				if n == "" || typ == "" {
					t.Errorf("variable %d: name and type required", i)
				}
				vars[n] = true
				if typ == "query" {
					checkDatasourceRef(t, fmt.Sprintf("variable %s", n), vm["datasource"], dss)
				}
			}

			panels := flattenPanels(listAt(d, "panels"))
			if len(panels) < 2 {
				t.Fatalf("%d panels", len(panels))
			}
			ids := map[string]bool{}
			var boxes []box
			for _, p := range panels {
				typ, ptitle := str(p["type"]), str(p["title"])
				where := fmt.Sprintf("panel %q", ptitle)
				id := fmt.Sprint(p["id"])
				if _, err := number(p["id"]); err != nil {
					t.Errorf("%s: id %v is not a number", where, p["id"])
				}
				if ids[id] {
					t.Errorf("%s: id %s used twice", where, id)
				}
				ids[id] = true
				if !panelTypes[typ] {
					t.Errorf("%s: type %q is not a core Grafana panel", where, typ)
				}
				if ptitle == "" {
					t.Errorf("panel %s: no title", id)
				}
				g := mapAt(p, "gridPos")
				b, err := gridBox(g)
				if err != nil {
					t.Errorf("%s: gridPos %v: %v", where, g, err)
				} else {
					for _, o := range boxes {
						if b.overlaps(o) {
							t.Errorf("%s overlaps panel %q", where, o.title)
						}
					}
					b.title = ptitle
					boxes = append(boxes, b)
				}
				if typ == "row" || typ == "text" {
					continue
				}
				ds := checkDatasourceRef(t, where, p["datasource"], dss)
				targets := listAt(p, "targets")
				if len(targets) == 0 {
					t.Errorf("%s: no targets", where)
				}
				refs := map[string]bool{}
				for _, tg := range targets {
					tm, _ := tg.(map[string]any)
					ref := str(tm["refId"])
					if ref == "" || refs[ref] {
						t.Errorf("%s: refId %q missing or repeated", where, ref)
					}
					refs[ref] = true
					tds := ds
					if tm["datasource"] != nil {
						tds = checkDatasourceRef(t, where+" target "+ref, tm["datasource"], dss)
					}
					q := ""
					switch tds.Type {
					case "prometheus", "loki":
						q = str(tm["expr"])
						if q == "" {
							t.Errorf("%s target %s: no expr", where, ref)
						}
					case "tempo":
						if str(tm["queryType"]) == "" {
							t.Errorf("%s target %s: no queryType", where, ref)
						}
						q = str(tm["query"])
					}
					for _, v := range referencedVars(q + " " + str(tm["legendFormat"])) {
						if !vars[v] && !builtinVars[v] {
							t.Errorf("%s target %s uses $%s, which the dashboard does not define", where, ref, v)
						}
					}
				}
			}
		})
	}
	for name, found := range want {
		if !found {
			t.Errorf("dashboard %s missing", name)
		}
	}
}

// checkDatasourceRef checks a {type, uid} reference against the provisioned
// data sources and returns the one it names.
func checkDatasourceRef(t *testing.T, where string, ref any, dss map[string]datasource) datasource {
	t.Helper()
	m, ok := ref.(map[string]any)
	if !ok {
		t.Errorf("%s: datasource %v: want {\"type\": ..., \"uid\": ...} (a name or null depends on Grafana's default)", where, ref)
		return datasource{}
	}
	ds, ok := dss[str(m["uid"])]
	if !ok {
		t.Errorf("%s: datasource uid %q is not provisioned (have %v)", where, m["uid"], keys(dss))
		return datasource{}
	}
	if str(m["type"]) != ds.Type {
		t.Errorf("%s: datasource %s has type %s, the reference says %q", where, ds.UID, ds.Type, m["type"])
	}
	return ds
}

// flattenPanels lists panels, including those inside collapsed rows.
func flattenPanels(l []any) []map[string]any {
	var out []map[string]any
	for _, p := range l {
		m, ok := p.(map[string]any)
		if !ok {
			continue
		}
		out = append(out, m)
		out = append(out, flattenPanels(listAt(m, "panels"))...)
	}
	return out
}

type box struct {
	x, y, w, h int
	title      string
}

func (a box) overlaps(b box) bool {
	return a.x < b.x+b.w && b.x < a.x+a.w && a.y < b.y+b.h && b.y < a.y+a.h
}

func gridBox(g map[string]any) (box, error) {
	var v [4]int
	for i, k := range []string{"x", "y", "w", "h"} {
		n, err := number(g[k])
		if err != nil {
			return box{}, fmt.Errorf("%s: %v", k, err)
		}
		v[i] = n
	}
	b := box{x: v[0], y: v[1], w: v[2], h: v[3]}
	if b.w < 1 || b.h < 1 || b.x < 0 || b.y < 0 || b.x+b.w > 24 {
		return b, fmt.Errorf("outside the 24-column grid")
	}
	return b, nil
}

func number(v any) (int, error) {
	switch n := v.(type) {
	case json.Number:
		i, err := n.Int64()
		return int(i), err
	case float64:
		return int(n), nil
	case int:
		return n, nil
	}
	return 0, fmt.Errorf("%v is not a number", v)
}

var varRef = regexp.MustCompile(`\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::[a-z]+)?\}|([A-Za-z_][A-Za-z0-9_]*))`)

// referencedVars lists the dashboard variables a query uses ($x, ${x},
// ${x:format}).
func referencedVars(q string) []string {
	var out []string
	for _, m := range varRef.FindAllStringSubmatch(q, -1) {
		out = append(out, m[1]+m[2])
	}
	return out
}

func refreshOK(r string) bool {
	var n int
	var unit string
	if _, err := fmt.Sscanf(r, "%d%s", &n, &unit); err != nil {
		return false
	}
	switch unit {
	case "s":
		return n >= 5
	case "m", "h", "d":
		return n >= 1
	}
	return false
}

// composeMountSource is the host path compose mounts at target in service.
func composeMountSource(t testing.TB, compose map[string]any, service, target string) string {
	t.Helper()
	for _, v := range listAt(compose, "services", service, "volumes") {
		s, ok := v.(string)
		if !ok {
			continue
		}
		parts := strings.Split(s, ":")
		if len(parts) >= 2 && parts[1] == target {
			src := parts[0]
			if strings.HasPrefix(src, ".") {
				src = filepath.Join(root(t), src)
			}
			return filepath.Clean(src)
		}
	}
	return ""
}

// stackConfigTargets are the paths the stack puts configs at in service.
func stackConfigTargets(t testing.TB, stack map[string]any, service string) map[string]bool {
	out := map[string]bool{}
	for _, c := range listAt(stack, "services", service, "configs") {
		if m, ok := c.(map[string]any); ok {
			out[str(m["target"])] = true
		}
	}
	return out
}

func globRepo(t testing.TB, pattern string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root(t), filepath.FromSlash(pattern)))
	if err != nil || len(files) == 0 {
		t.Fatalf("nothing matches %s", pattern)
	}
	sort.Strings(files)
	return files
}

// walk calls fn for every key of a YAML/JSON tree.
func walk(v any, fn func(path, key string, val any)) {
	var rec func(path string, v any)
	rec = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, c := range v {
				fn(path+"."+k, k, c)
				rec(path+"."+k, c)
			}
		case []any:
			for i, c := range v {
				rec(fmt.Sprintf("%s[%d]", path, i), c)
			}
		}
	}
	rec("", v)
}
