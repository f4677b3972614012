package check

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

const promtoolFix = "apt-get install prometheus (Debian's package ships promtool)"

// TestPrometheusConfig: promtool accepts both Prometheus configurations and
// the alert rules, and each config scrapes the five services.
func TestPrometheusConfig(t *testing.T) {
	promtool := tool(t, "promtool", promtoolFix)
	dir := repoPath(t, "deploy", "prometheus")
	for _, f := range []string{"prometheus.yml", "prometheus-swarm.yml"} {
		// Relative rule_files resolve against the config's directory.
		if r := runIn(t, dir, nil, time.Minute, promtool, "check", "config", f); r.err != nil {
			t.Errorf("promtool check config %s:\n%s", f, r)
		}
		jobs := map[string]bool{}
		for _, sc := range listAt(readYAML(t, filepath.Join(dir, f)), "scrape_configs") {
			jobs[str(mapAt(sc)["job_name"])] = true
		}
		for _, want := range append([]string{"node", "cadvisor", "nats", "otel-collector", "tempo", "loki", "kratos"}, platformServices...) {
			if !jobs[want] {
				t.Errorf("%s: no scrape job %s", f, want)
			}
		}
	}
	rules, _ := filepath.Glob(filepath.Join(dir, "rules", "*.yml"))
	if len(rules) == 0 {
		t.Fatal("no alert rules")
	}
	if r := runIn(t, dir, nil, time.Minute, promtool, append([]string{"check", "rules"}, rules...)...); r.err != nil {
		t.Errorf("promtool check rules:\n%s", r)
	}
	// Compose mounts the directory (config and rules together); the
	// stack's configs put both where the config looks.
	compose := readYAML(t, repoPath(t, "docker-compose.yml"))
	if src := composeMountSource(t, compose, "prometheus", "/etc/prometheus"); src != dir {
		t.Errorf("docker-compose.yml mounts %q at /etc/prometheus, want deploy/prometheus", src)
	}
	targets := stackConfigTargets(t, readYAML(t, repoPath(t, "deploy", "swarm", "stack.yml")), "prometheus")
	for _, r := range rules {
		if want := "/etc/prometheus/rules/" + filepath.Base(r); !targets[want] {
			t.Errorf("deploy/swarm/stack.yml: prometheus has no config at %s", want)
		}
	}
}

// TestDashboardPromQL: every Prometheus query of every dashboard parses.
// promtool parses PromQL when it checks rules, so each query (variables
// replaced by harmless values) becomes a recording rule.
func TestDashboardPromQL(t *testing.T) {
	promtool := tool(t, "promtool", promtoolFix)
	type rule struct {
		Record string `yaml:"record"`
		Expr   string `yaml:"expr"`
	}
	var rules []rule
	where := map[string]string{}
	for _, f := range globRepo(t, "deploy/grafana/dashboards/*.json") {
		var d map[string]any
		if err := json.Unmarshal(readFile(t, f), &d); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, p := range flattenPanels(listAt(d, "panels")) {
			pds := str(mapAt(p, "datasource")["type"])
			for _, tg := range listAt(p, "targets") {
				tm, _ := tg.(map[string]any)
				typ := pds
				if ds := mapAt(tm, "datasource"); ds != nil {
					typ = str(ds["type"])
				}
				if typ != "prometheus" {
					continue
				}
				name := fmt.Sprintf("check:q%d", len(rules))
				rules = append(rules, rule{name, promVars(str(tm["expr"]))})
				where[name] = fmt.Sprintf("%s, panel %q, target %s", filepath.Base(f), p["title"], tm["refId"])
			}
		}
	}
	if len(rules) < 20 {
		t.Fatalf("only %d Prometheus queries found in the dashboards", len(rules))
	}
	doc := map[string]any{"groups": []any{map[string]any{"name": "dashboards", "rules": rules}}}
	b, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "dashboards.rules.yml")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	r := runIn(t, "", nil, time.Minute, promtool, "check", "rules", path)
	if r.err != nil {
		msg := r.stdout + r.stderr
		// promtool names the failing rules ("check:q7"): say which panel.
		for _, m := range regexp.MustCompile(`check:q(\d+)`).FindAllStringSubmatch(msg, -1) {
			var i int
			fmt.Sscan(m[1], &i)
			msg += fmt.Sprintf("\n%s is %s:\n    %s", m[0], where[m[0]], rules[i].Expr)
		}
		t.Fatalf("a dashboard query is not valid PromQL:\n%s", msg)
	}
	t.Logf("%d dashboard queries parse", len(rules))
}

// promVars replaces Grafana's variables with values that keep a query
// valid PromQL: intervals with 5m, label values (always inside =~"...")
// with .*.
func promVars(q string) string {
	q = regexp.MustCompile(`\$\{?__(rate_interval|interval|range|auto)\}?`).ReplaceAllString(q, "5m")
	return varRef.ReplaceAllString(q, ".*")
}
