package web

import (
	"net/url"
	"reflect"
	"testing"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/msg"
)

func TestSplitArgs(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr bool
	}{
		{"", nil, false},
		{"httpd -f -p 80", []string{"httpd", "-f", "-p", "80"}, false},
		{"  sleep   10 ", []string{"sleep", "10"}, false},
		{`sh -c 'echo "hi there" > /www/index.html'`, []string{"sh", "-c", `echo "hi there" > /www/index.html`}, false},
		{`echo "a \"quoted\" \\ word"`, []string{"echo", `a "quoted" \ word`}, false},
		{`echo a\ b`, []string{"echo", "a b"}, false},
		{`echo ''`, []string{"echo", ""}, false},
		{`echo 'it'"'"'s'`, []string{"echo", "it's"}, false},
		{`echo 'open`, nil, true},
		{`echo "open`, nil, true},
	}
	for _, tt := range tests {
		got, err := splitArgs(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("splitArgs(%q) error %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("splitArgs(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	// What the page shows of a command reads back the same.
	for _, args := range [][]string{{"sh", "-c", "echo 'x' && ls $HOME"}, {"a b", ""}} {
		back, err := splitArgs(cmdline(args))
		if err != nil || !reflect.DeepEqual(back, args) {
			t.Errorf("cmdline(%q) = %q reads back as %q (%v)", args, cmdline(args), back, err)
		}
	}
}

func TestParsePorts(t *testing.T) {
	tests := []struct {
		in      string
		want    []msg.PortSpec
		wantErr bool
	}{
		{"", nil, false},
		{"80", []msg.PortSpec{{Container: 80}}, false},
		{"80, 443 53/udp", []msg.PortSpec{{Container: 80}, {Container: 443}, {Container: 53, Protocol: "udp"}}, false},
		{"8081:80/tcp", []msg.PortSpec{{Container: 80, Protocol: "tcp", Publish: 8081}}, false},
		{"0", nil, true},
		{"70000", nil, true},
		{"http", nil, true},
		{"80/sctp", nil, true},
		{"x:80", nil, true},
	}
	for _, tt := range tests {
		got, err := parsePorts(tt.in)
		if (err != nil) != tt.wantErr || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parsePorts(%q) = %+v, %v; want %+v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestParseVolumesEnvLabels(t *testing.T) {
	vols, err := parseVolumes("data:/var/lib/data\n\n  cache:/cache:ro \r\n")
	if err != nil || !reflect.DeepEqual(vols, []msg.VolumeMount{{Volume: "data", Target: "/var/lib/data"}, {Volume: "cache", Target: "/cache", ReadOnly: true}}) {
		t.Errorf("volumes = %+v, %v", vols, err)
	}
	for _, bad := range []string{"data", ":/x", "data:/x:rx", "a:b:c:d"} {
		if _, err := parseVolumes(bad); err == nil {
			t.Errorf("parseVolumes(%q) accepted", bad)
		}
	}
	env, err := parseEnv("A=1\nB=two words\nC=")
	if err != nil || !reflect.DeepEqual(env, []string{"A=1", "B=two words", "C="}) {
		t.Errorf("env = %q, %v", env, err)
	}
	for _, bad := range []string{"NOEQUALS", "=value", "MY KEY=1"} {
		if _, err := parseEnv(bad); err == nil {
			t.Errorf("parseEnv(%q) accepted", bad)
		}
	}
	labels, err := parseLabels("team = blue\nx=")
	if err != nil || !reflect.DeepEqual(labels, map[string]string{"team": "blue", "x": ""}) {
		t.Errorf("labels = %v, %v", labels, err)
	}
}

// TestRunFormSpec: the form becomes the spec the API takes; what the form
// can judge alone is reported on the field it concerns, with the rule.
func TestRunFormSpec(t *testing.T) {
	form := url.Values{
		"name": {"web"}, "image": {"busybox:latest"}, "cmd": {"httpd -f -p 80"}, "ports": {"80"},
		"env": {"A=1"}, "volumes": {"data:/data"}, "network": {"default"}, "restart": {"unless-stopped"},
		"memory": {"128"}, "cpus": {"0.5"}, "labels": {"team=blue"}, "private_link": {"on"}, "workdir": {"/srv"},
	}
	spec, errs := runValuesFrom(form).spec()
	if len(errs) != 0 {
		t.Fatalf("errors %+v", errs)
	}
	want := msg.ContainerSpec{Name: "web", Image: "busybox:latest", Cmd: []string{"httpd", "-f", "-p", "80"},
		Ports: []msg.PortSpec{{Container: 80}}, Env: []string{"A=1"}, Volumes: []msg.VolumeMount{{Volume: "data", Target: "/data"}},
		RestartPolicy: "unless-stopped", MemoryMB: 128, CPUs: 0.5, Labels: map[string]string{"team": "blue"}, PrivateLink: true, WorkingDir: "/srv"}
	if !reflect.DeepEqual(spec, want) {
		t.Errorf("spec\n got %+v\nwant %+v", spec, want)
	}

	tests := []struct {
		field, value, errField, rule string
	}{
		{"name", "Bad_Name", "name", "name-charset"},
		{"name", "web--x", "name", "name-separator"},
		{"name", "", "name", "name-required"},
		{"image", "", "image", ""},
		{"ports", "eighty", "ports", ""},
		{"memory", "lots", "memory", ""},
		{"cpus", "-1", "cpus", ""},
		{"workdir", "srv", "workdir", ""},
		{"cmd", "echo 'unclosed", "cmd", ""},
		{"hostconfig", "[1]", "hostconfig", ""},
	}
	for _, tt := range tests {
		f := url.Values{"name": {"web"}, "image": {"busybox"}}
		f.Set(tt.field, tt.value)
		_, errs := runValuesFrom(f).spec()
		e, ok := errs[tt.errField]
		if !ok || len(errs) != 1 {
			t.Errorf("%s=%q: errors %+v, want one on %s", tt.field, tt.value, errs, tt.errField)
			continue
		}
		if e.Rule != tt.rule || (tt.rule != "" && e.Words == "") {
			t.Errorf("%s=%q: rule %q (%q), want %q in words", tt.field, tt.value, e.Rule, e.Words, tt.rule)
		}
	}
}

// TestServerErrorsGoToTheirField: a refusal from the runner lands next to
// the field its rule concerns; one without a rule goes above the form.
func TestServerErrorsGoToTheirField(t *testing.T) {
	tests := []struct {
		rule, code, want string
	}{
		{"name", "invalid_argument", "name"},
		{"image-reference", "invalid_argument", "image"},
		{"no-privileged", "policy_violation", "hostconfig"},
		{"no-bind-mounts", "policy_violation", "volumes"},
		{"memory-limit", "invalid_argument", "memory"},
		{"", "conflict", "name"},
		{"", "invalid_argument", ""},
		{"some-future-rule", "policy_violation", ""},
	}
	for _, tt := range tests {
		if got := errorField(&apierr.Error{Code: apierr.Code(tt.code), Rule: tt.rule}); got != tt.want {
			t.Errorf("rule %q (%s) goes to %q, want %q", tt.rule, tt.code, got, tt.want)
		}
	}
	for rule, ri := range rules {
		if ri.words == "" {
			t.Errorf("rule %s has no words", rule)
		}
	}
}
