package check

import (
	"net/url"
	"strings"
	"testing"
)

// TestTelemetryPipeline: the pieces between the services and Grafana are
// wired to each other. There is no collector, Tempo, Loki or Alloy binary
// here, so this checks their files' structure and cross-references (the
// collector's own rule: every component a pipeline names is defined).
func TestTelemetryPipeline(t *testing.T) {
	compose := readYAML(t, repoPath(t, "docker-compose.yml"))
	services := mapAt(compose, "services")

	// The services send OTLP/HTTP to the collector.
	for _, s := range platformServices {
		ep := str(mapAt(services, s, "environment")["OTEL_EXPORTER_OTLP_ENDPOINT"])
		u, err := url.Parse(ep)
		if err != nil || u.Port() != "4318" {
			t.Errorf("%s: OTEL_EXPORTER_OTLP_ENDPOINT=%q: want the collector's OTLP/HTTP port 4318", s, ep)
		}
	}

	col := readYAML(t, repoPath(t, "deploy", "otel", "collector.yaml"))
	pipelines := mapAt(col, "service", "pipelines")
	if mapAt(pipelines, "traces") == nil {
		t.Fatal("collector: no traces pipeline")
	}
	for name, p := range pipelines {
		for _, kind := range []string{"receivers", "processors", "exporters"} {
			for _, c := range listAt(p, kind) {
				if _, ok := mapAt(col, kind)[str(c)]; !ok {
					t.Errorf("collector pipeline %s uses %s %q, which is not defined", name, kind, c)
				}
			}
		}
	}
	for _, e := range listAt(col, "service", "extensions") {
		if _, ok := mapAt(col, "extensions")[str(e)]; !ok {
			t.Errorf("collector: extension %q not defined", e)
		}
	}
	for _, proto := range []string{"grpc", "http"} {
		if !strings.HasSuffix(str(mapAt(col, "receivers", "otlp", "protocols", proto)["endpoint"]), ":"+map[string]string{"grpc": "4317", "http": "4318"}[proto]) {
			t.Errorf("collector: OTLP %s receiver not on its standard port", proto)
		}
	}
	tempoEP := str(mapAt(col, "exporters", "otlp/tempo")["endpoint"])
	if host, _, _ := strings.Cut(tempoEP, ":"); mapAt(services, host) == nil || !strings.HasSuffix(tempoEP, ":4317") {
		t.Errorf("collector exports to %q: want tempo:4317", tempoEP)
	}

	tempo := readYAML(t, repoPath(t, "deploy", "tempo", "tempo.yaml"))
	if mapAt(tempo, "distributor", "receivers", "otlp", "protocols", "grpc") == nil {
		t.Error("tempo: no OTLP gRPC receiver for the collector")
	}
	for _, rw := range listAt(tempo, "metrics_generator", "storage", "remote_write") {
		u, err := url.Parse(str(mapAt(rw)["url"]))
		if err != nil || mapAt(services, u.Hostname()) == nil {
			t.Errorf("tempo remote_write %v: not a compose service", mapAt(rw)["url"])
		}
	}
	if !contains(listAt(services, "prometheus", "command"), "--web.enable-remote-write-receiver") {
		t.Error("prometheus must accept Tempo's remote writes (--web.enable-remote-write-receiver)")
	}
	if p := str(mapAt(tempo, "storage", "trace")["backend"]); p != "local" {
		t.Errorf("tempo storage backend %q", p)
	}

	loki := readYAML(t, repoPath(t, "deploy", "grafana", "loki", "loki.yaml"))
	if mapAt(loki, "limits_config")["allow_structured_metadata"] != true {
		t.Error("loki: allow_structured_metadata must be on (Alloy sends trace_id as structured metadata)")
	}
	if len(listAt(loki, "schema_config", "configs")) == 0 {
		t.Error("loki: no schema_config")
	}

	// Alloy ships to this Loki and leaves users' containers out.
	alloy := string(readFile(t, repoPath(t, "deploy", "grafana", "alloy", "config.alloy")))
	for _, want := range []string{`"http://loki:3100/loki/api/v1/push"`, `__meta_docker_container_label_dockeronline_owner`, `action        = "drop"`, `trace_id`} {
		if !strings.Contains(alloy, want) {
			t.Errorf("alloy config: %s missing", want)
		}
	}
	if strings.Count(alloy, "{") != strings.Count(alloy, "}") {
		t.Error("alloy config: unbalanced braces")
	}
}
