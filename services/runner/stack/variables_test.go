package stack

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/services/runner/policy"
)

// TestParseDotEnv: a project's .env is read as compose-go reads it —
// quotes, comments, export, ${VAR} from the request's env then the lines
// above — and bounded: size, count, and what its ${...} copy.
func TestParseDotEnv(t *testing.T) {
	var doubling strings.Builder
	doubling.WriteString("A=" + strings.Repeat("x", 1000) + "\n")
	prev := "A"
	for i := range 30 {
		k := "V" + string(rune('a'+i%26)) + strings.Repeat("z", i/26)
		doubling.WriteString(k + "=${" + prev + "}${" + prev + "}\n")
		prev = k
	}
	var many strings.Builder
	for i := range maxEnv + 1 {
		many.WriteString("K" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + "_" + strings.Repeat("y", i/26) + "=1\n")
	}
	cases := []struct {
		name, env string
		req       map[string]string
		want      map[string]string
		rule      string // refused by this rule ("" with refuse: invalid)
		refuse    bool
	}{
		{name: "plain", env: "TAG=1.2\n# a comment\nexport NAME=web\nQ=\"two words\" # trailing\nS='$NOT'\n",
			want: map[string]string{"TAG": "1.2", "NAME": "web", "Q": "two words", "S": "$NOT"}},
		{name: "expands from lines above", env: "USER=bob\nURL=postgres://${USER}@db/${DB:-app}\n",
			want: map[string]string{"USER": "bob", "URL": "postgres://bob@db/app"}},
		{name: "the request's env first", env: "USER=bob\nURL=${USER}@db\n", req: map[string]string{"USER": "alice"},
			want: map[string]string{"USER": "bob", "URL": "alice@db"}},
		{name: "no command substitution", env: "X=$(id -u)\nY=`id`\n", want: map[string]string{"X": "$(id -u)", "Y": "`id`"}},
		{name: "no host environment", env: "H=${HOME}\n", want: map[string]string{"H": ""}},
		{name: "doubling lines", env: doubling.String(), refuse: true, rule: RuleComposeInterpolation},
		{name: "too large", env: "X=" + strings.Repeat("y", maxDotEnvBytes), refuse: true, rule: RuleComposeInterpolation},
		{name: "too many", env: many.String(), refuse: true, rule: RuleComposeInterpolation},
		{name: "unterminated quote", env: "X=\"open\n", refuse: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseDotEnv([]byte(c.env), c.req)
			if c.refuse {
				ae := apierr.From(err)
				if ae == nil || ae.Rule != c.rule {
					t.Fatalf("got %v, want a refusal by rule %q", err, c.rule)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(c.want) {
				t.Fatalf("got %q, want %q", got, c.want)
			}
			for k, v := range c.want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}

// TestReadDotEnvStaysInProject: the .env is read through the project
// directory's root: a link out of it is not followed, a directory is
// refused, no file is no variables.
func TestReadDotEnvStaysInProject(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "secret.env")
	if err := os.WriteFile(outside, []byte("LEAK=1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		make   func(root string) error
		want   map[string]string
		refuse bool
	}{
		{name: "none", make: func(string) error { return nil }},
		{name: "file", make: func(r string) error { return os.WriteFile(filepath.Join(r, ".env"), []byte("A=1\n"), 0o600) }, want: map[string]string{"A": "1"}},
		{name: "link inside", make: func(r string) error {
			if err := os.WriteFile(filepath.Join(r, "vars.env"), []byte("B=2\n"), 0o600); err != nil {
				return err
			}
			return os.Symlink("vars.env", filepath.Join(r, ".env"))
		}, want: map[string]string{"B": "2"}},
		{name: "absolute link out", make: func(r string) error { return os.Symlink(outside, filepath.Join(r, ".env")) }, refuse: true},
		{name: "relative link out", make: func(r string) error {
			rel, _ := filepath.Rel(r, outside)
			return os.Symlink(rel, filepath.Join(r, ".env"))
		}, refuse: true},
		{name: "directory", make: func(r string) error { return os.Mkdir(filepath.Join(r, ".env"), 0o700) }, refuse: true},
		{name: "device", make: func(r string) error { return os.Symlink("/dev/zero", filepath.Join(r, ".env")) }, refuse: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := writeProject(t, nil)
			if err := c.make(dir.path); err != nil {
				t.Fatal(err)
			}
			got, err := dir.readDotEnv(nil)
			if c.refuse {
				if ae := apierr.From(err); ae == nil || ae.Rule != policy.RuleUploadPaths || got["LEAK"] != "" {
					t.Fatalf("got %v, %v: want a refusal by %s", got, err, policy.RuleUploadPaths)
				}
				return
			}
			if err != nil || len(got) != len(c.want) || (c.want != nil && got[dotEnvKey(c.want)] != c.want[dotEnvKey(c.want)]) {
				t.Fatalf("got %v, %v; want %v", got, err, c.want)
			}
		})
	}
}

func dotEnvKey(m map[string]string) string {
	for k := range m {
		return k
	}
	return ""
}

// TestFileVariables: every variable the file interpolates, with its
// default, whether required, and where it is used; $$ is not one.
func TestFileVariables(t *testing.T) {
	compose := `x-common: &common
  image: ${REGISTRY:-docker.io}/app:${TAG}
services:
  plex:
    <<: *common
    volumes:
      - ${PLEX_MEDIA_PATH}:/media/
    environment:
      PASS: ${DB_PASS:?the database password}
      LITERAL: $$HOME
  web:
    image: ${REGISTRY:-docker.io}/web
    command: ["sh", "-c", "echo $TAG"]
`
	got, err := listVariables([]byte(compose), map[string]string{"TAG": "1.2"})
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		def      string
		required bool
		used     string
		value    string
	}
	exp := map[string]want{
		"REGISTRY":        {def: "docker.io", used: "x-common.image,services.web.image"},
		"TAG":             {used: "x-common.image,services.web.command", value: "1.2"},
		"PLEX_MEDIA_PATH": {used: "services.plex.volumes"},
		"DB_PASS":         {required: true, used: "services.plex.environment.PASS"},
	}
	if len(got.Variables) != len(exp) || !got.DotEnv {
		t.Fatalf("got %+v, want %d variables and dotenv", got, len(exp))
	}
	for _, v := range got.Variables {
		w, ok := exp[v.Name]
		if !ok {
			t.Errorf("unexpected variable %s", v.Name)
			continue
		}
		if v.Default != w.def || v.Required != w.required || strings.Join(v.Used, ",") != w.used || v.Value != w.value || v.InDotEnv != (w.value != "") {
			t.Errorf("%s = %+v, want %+v", v.Name, v, w)
		}
	}
	if got.Variables[0].Name != "REGISTRY" || got.Variables[1].Name != "TAG" {
		t.Errorf("order %+v: want the file's order", got.Variables)
	}
}

// TestUnsetVariableIsNamed: a variable without a value that breaks the
// file is named with where it is used, instead of compose-go's words
// about the blank it left; an error elsewhere stays compose-go's.
func TestUnsetVariableIsNamed(t *testing.T) {
	cases := []struct {
		name, compose string
		env           map[string]string
		says, not     string
	}{
		{name: "volume spec", compose: "services:\n  plex:\n    image: busybox\n    volumes:\n      - ${PLEX_MEDIA_PATH}:/media/\n",
			says: "PLEX_MEDIA_PATH is not set (services.plex.volumes)"},
		{name: "required", compose: "services:\n  web:\n    image: busybox\n    environment:\n      X: ${X:?set X please}\n",
			says: "X is not set (services.web.environment.X)"},
		{name: "required and empty", compose: "services:\n  web:\n    image: busybox\n    environment:\n      X: ${X:?set X please}\n",
			env: map[string]string{"X": ""}, says: "set X please"},
		{name: "a typed value", compose: "services:\n  web:\n    image: busybox\n    cpus: ${CPU}\n    environment: [\"A=${OTHER}\"]\n",
			says: "CPU is not set (services.web.cpus)", not: "OTHER"},
		{name: "a schema error is not the variable's", compose: "services:\n  web:\n    imagee: busybox\n    environment:\n      X: ${Y}\n",
			says: "imagee", not: "Y is not set"},
		{name: "a longer key is not the path", compose: "services:\n  web:\n    image: ${IMG}\n    imagee: x\n",
			says: "imagee", not: "IMG is not set"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := writeProject(t, nil)
			_, err := loadProject(context.Background(), dir, "p", []byte(c.compose), c.env)
			ae := apierr.From(err)
			if ae == nil || ae.Code != apierr.CodeInvalid || !strings.Contains(ae.Message, c.says) || (c.not != "" && strings.Contains(ae.Message, c.not)) {
				t.Fatalf("got %v, want invalid saying %q (not %q)", err, c.says, c.not)
			}
		})
	}
}
