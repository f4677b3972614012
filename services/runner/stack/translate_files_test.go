package stack

import (
	"archive/tar"
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/services/runner/build"
	"github.com/dockeronline/platform/services/runner/policy"
)

// translated is what a compose file became: each service's mounts
// ("volume <docker name> <target>[ ro]", "tmpfs …") and copied files
// ("copy <target> <mode>: <content>"), the seeds ("<key> <from> <files>"),
// and the notes; or the rule that refused it.
type translated struct {
	mounts map[string][]string
	seeds  []string
	notes  []string
	rule   string
	err    error
}

// translateCompose loads, translates, normalizes and judges a compose file
// with files as the upload, for alice's stack "shop"; home stands for the
// runner's home ("~").
func translateCompose(t *testing.T, compose string, files []build.Entry, home string, mutate func(dir string, compose string) string) translated {
	t.Helper()
	base := t.TempDir()
	dir, err := newProjectDir(base, &build.Archive{Entries: files}, []byte(compose))
	if err != nil {
		t.Fatalf("project dir: %v", err)
	}
	defer dir.remove()
	if mutate != nil {
		compose = mutate(dir.path, compose)
	}
	old := userHome
	userHome = func() (string, error) { return home, nil }
	defer func() { userHome = old }()
	tenant := policy.Tenant{UserID: "u-alice", Username: "alice"}
	caller := identity.Caller{UserID: tenant.UserID, Username: tenant.Username, Role: identity.RoleUser}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := loadProject(ctx, dir, "alice--shop", []byte(compose), map[string]string{"MEDIA": "/mnt/media"})
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	tr := &translation{project: p, dir: dir, tenant: tenant, stack: "shop"}
	out := translated{mounts: map[string][]string{}}
	fail := func(err error) translated {
		if strings.Contains(err.Error(), base) {
			t.Errorf("the refusal tells where uploads are unpacked: %v", err)
		}
		out.err = err
		out.rule = apierr.From(err).Rule
		return out
	}
	if err := translate(tr); err != nil {
		return fail(err)
	}
	out.notes = tr.notes
	lim := policy.DefaultLimits()
	if err := normalize(p, tenant, "shop", lim, 10*time.Second); err != nil {
		return fail(err)
	}
	if err := policy.New(lim).Compose(caller, tenant, p, dir.path); err != nil {
		return fail(err)
	}
	for _, name := range p.ServiceNames() {
		s := p.Services[name]
		for _, v := range s.Volumes {
			m := string(v.Type) + " "
			if v.Type == types.VolumeTypeVolume {
				m += p.Volumes[v.Source].Name + " "
			}
			m += v.Target
			if v.ReadOnly {
				m += " ro"
			}
			out.mounts[name] = append(out.mounts[name], m)
		}
		for _, c := range s.Configs {
			mode := "-"
			if c.Mode != nil {
				mode = octal(uint32(*c.Mode))
			}
			if c.UID != "" {
				mode += " " + c.UID + ":" + c.GID
			}
			out.mounts[name] = append(out.mounts[name], "copy "+c.Target+" "+mode+": "+p.Configs[c.Source].Content)
		}
		for _, c := range s.Secrets {
			sec := p.Secrets[c.Source]
			out.mounts[name] = append(out.mounts[name], "secret "+c.Target+": "+p.Environment[sec.Environment])
		}
		sort.Strings(out.mounts[name])
	}
	for _, sd := range tr.seeds {
		s := sd.key + " " + sd.from + " "
		if sd.files == nil {
			s += "empty"
		} else {
			var ns []string
			for _, e := range sd.files.Entries {
				ns = append(ns, e.Header.Name)
			}
			s += "[" + strings.Join(ns, ",") + "]"
			if sd.uid != 0 || sd.gid != 0 {
				s += " " + strconv.Itoa(sd.uid) + ":" + strconv.Itoa(sd.gid)
			}
		}
		out.seeds = append(out.seeds, s)
	}
	return out
}

func octal(m uint32) string {
	const digits = "01234567"
	return "0" + string(digits[m>>6&7]) + string(digits[m>>3&7]) + string(digits[m&7])
}

func file(name, data string, mode int64) build.Entry {
	return build.Entry{Header: &tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: mode, Size: int64(len(data))}, Data: []byte(data)}
}

func folder(name string) build.Entry {
	return build.Entry{Header: &tar.Header{Name: name, Typeflag: tar.TypeDir, Mode: 0o755}}
}

func link(name, to string) build.Entry {
	return build.Entry{Header: &tar.Header{Name: name, Typeflag: tar.TypeSymlink, Linkname: to}}
}

// TestTranslateFiles: bind mounts and file: sources are honoured inside
// the sandbox — project files copied, project folders and plain host
// paths as per-stack volumes, file: secrets and configs from the upload —
// and whatever reaches the host or leaves the project is refused by rule.
func TestTranslateFiles(t *testing.T) {
	web := "services:\n  web:\n    image: busybox:latest\n"
	project := []build.Entry{
		file("nginx.conf", "server {}\n", 0o644), file("run.sh", "#!/bin/sh\n", 0o755),
		folder("app"), file("app/index.html", "hello\n", 0o644), folder("app/sub"), file("app/sub/x", "x", 0o600),
		link("conf", "app/sub"), link("current", "app"),
		folder("db"), file("db/password.txt", "s3cret\n", 0o600),
	}
	cases := []struct {
		name   string
		extra  string
		mutate func(dir, compose string) string
		// want: the service's mounts; seeds; a note that must be there.
		mounts []string
		seeds  []string
		note   string
		rule   string
		says   string // in the refusal
	}{
		{name: "a project file", extra: "    volumes: [\"./nginx.conf:/etc/nginx/conf.d/default.conf:ro\"]\n",
			mounts: []string{"copy /etc/nginx/conf.d/default.conf 0444: server {}\n"},
			note:   "web: ./nginx.conf → copied to /etc/nginx/conf.d/default.conf"},
		{name: "an executable project file keeps its mode", extra: "    volumes: [\"./run.sh:/run.sh\"]\n",
			mounts: []string{"copy /run.sh 0755: #!/bin/sh\n"}},
		{name: "a project folder", extra: "    volumes: [\"./app:/code\"]\n",
			mounts: []string{"volume alice--shop-app /code"}, seeds: []string{"shop-app ./app [index.html,sub,sub/x]"},
			note: "web: ./app → volume alice--shop-app, seeded from the project (writes persist there"},
		{name: "a numeric user's copies stay root's, readable", extra: "    user: \"1000:1001\"\n    volumes: [\"./nginx.conf:/etc/n.conf\"]\n",
			mounts: []string{"copy /etc/n.conf 0644: server {}\n"}},
		{name: "a numeric user owns its seeded folder", extra: "    user: \"1000\"\n    volumes: [\"./app:/code\"]\n",
			mounts: []string{"volume alice--shop-app /code"}, seeds: []string{"shop-app ./app [index.html,sub,sub/x] 1000:0"}},
		{name: "a named user leaves root the owner", extra: "    user: node\n    volumes: [\"./nginx.conf:/etc/n.conf\", \"./app:/code\"]\n",
			mounts: []string{"copy /etc/n.conf 0644: server {}\n", "volume alice--shop-app /code"}, seeds: []string{"shop-app ./app [index.html,sub,sub/x]"}},
		{name: "the project itself", extra: "    volumes: [\".:/src:ro\"]\n",
			mounts: []string{"volume alice--shop-project /src ro"}},
		{name: "a folder through a link in the upload", extra: "    volumes: [\"./current:/code\"]\n",
			mounts: []string{"volume alice--shop-current /code"}, seeds: []string{"shop-current ./current [index.html,sub,sub/x]"}},
		{name: "a file through a link in the upload", extra: "    volumes: [\"./conf/x:/x\"]\n",
			mounts: []string{"copy /x 0600: x"}},
		{name: "a project folder the upload lacks", extra: "    volumes: [\"./data:/var/lib/mysql\"]\n",
			mounts: []string{"volume alice--shop-data /var/lib/mysql"}, seeds: []string{"shop-data ./data []"}, note: "not in the upload: it starts empty"},
		{name: "long syntax bind", extra: "    volumes:\n      - type: bind\n        source: ./app\n        target: /code\n        read_only: true\n",
			mounts: []string{"volume alice--shop-app /code ro"}},
		{name: "the same folder in two services is one volume",
			extra:  "    volumes: [\"./app:/code\"]\n  worker:\n    image: busybox:latest\n    volumes: [\"./app:/app\"]\n",
			mounts: []string{"volume alice--shop-app /code"}, seeds: []string{"shop-app ./app [index.html,sub,sub/x]"}},
		{name: "a name taken by a declared volume", extra: "    volumes: [\"./app:/code\", \"app:/data\"]\nvolumes:\n  app: {}\n",
			mounts: []string{"volume alice--shop-app /data", "volume alice--shop-app-c7fdaa /code"}},
		{name: "a host path", extra: "    volumes: [\"/srv/x:/x\"]\n",
			mounts: []string{"volume alice--shop-srv-x /x"}, seeds: []string{"shop-srv-x /srv/x empty"},
			note: "web: /srv/x is a host path: the service gets volume alice--shop-srv-x instead"},
		{name: "a host path from a variable", extra: "    volumes: [\"${MEDIA}:/media/\"]\n",
			mounts: []string{"volume alice--shop-mnt-media /media"}},
		{name: "a path in the home folder", extra: "    volumes: [\"~/data:/data\"]\n",
			mounts: []string{"volume alice--shop-data /data"}, note: "~/data is a host path"},
		{name: "a long host path", extra: "    volumes: [\"/mnt/some/very/long/path/to/media:/m\"]\n",
			mounts: []string{"volume alice--shop-mnt-some-ver-905841 /m"}},
		{name: "a host path with odd case of a system path", extra: "    volumes: [\"/ETC:/e\"]\n", rule: policy.RuleBindMounts},
		{name: "a system path", extra: "    volumes: [\"/etc:/e\"]\n", rule: policy.RuleBindMounts},
		{name: "a system path, cleaned", extra: "    volumes: [\"//etc/../etc/:/e\"]\n", rule: policy.RuleBindMounts},
		{name: "the host's root", extra: "    volumes: [\"/:/host\"]\n", rule: policy.RuleBindMounts},
		{name: "the docker state", extra: "    volumes: [\"/var/lib/docker:/d\"]\n", rule: policy.RuleBindMounts},
		{name: "the docker socket", extra: "    volumes: [\"/var/run/docker.sock:/s\"]\n", rule: policy.RuleDockerSock},
		{name: "a project path naming the socket", extra: "    volumes: [\"./docker.sock:/s\"]\n", rule: policy.RuleDockerSock},
		{name: "../ out of the project", extra: "    volumes: [\"../:/up\"]\n", rule: policy.RuleUploadPaths},
		{name: "../ to another upload", extra: "    volumes: [\"../stack-other/app:/up\"]\n", rule: policy.RuleUploadPaths, says: "../stack-other/app is outside the uploaded project"},
		{name: "the project's own absolute path", extra: "    volumes: [\"PROJECT/app:/code\"]\n",
			mutate: func(dir, c string) string { return strings.ReplaceAll(c, "PROJECT", dir) },
			mounts: []string{"volume alice--shop-app /code"}},
		{name: "a sibling upload's absolute path", extra: "    volumes: [\"PROJECT/../stack-x:/code\"]\n",
			mutate: func(dir, c string) string { return strings.ReplaceAll(c, "PROJECT", dir) }, rule: policy.RuleUploadPaths},
		{name: "a file copied onto /proc", extra: "    volumes: [\"./nginx.conf:/proc/sysrq-trigger\"]\n", rule: policy.RuleVolumeTarget},
		{name: "a folder mounted onto /sys", extra: "    volumes: [\"./app:/sys/fs\"]\n", rule: policy.RuleVolumeTarget},
		{name: "a secret from the project", extra: "    secrets: [db-password]\nsecrets:\n  db-password:\n    file: db/password.txt\n",
			mounts: []string{"secret /run/secrets/db-password: s3cret\n"}, note: "secret db-password (db/password.txt) → copied to /run/secrets/db-password"},
		{name: "a secret with a relative target", extra: "    secrets:\n      - source: pw\n        target: db.txt\n        mode: 0400\nsecrets:\n  pw:\n    file: ./db/password.txt\n",
			mounts: []string{"secret /run/secrets/db.txt: s3cret\n"}},
		{name: "a config from the project", extra: "    configs:\n      - source: nginx\n        target: /etc/nginx/nginx.conf\nconfigs:\n  nginx:\n    file: ./nginx.conf\n",
			mounts: []string{"copy /etc/nginx/nginx.conf -: server {}\n"}},
		{name: "a config without target", extra: "    configs: [nginx]\nconfigs:\n  nginx:\n    file: ./nginx.conf\n",
			mounts: []string{"copy /nginx -: server {}\n"}},
		{name: "a secret from outside the project", extra: "    secrets: [k]\nsecrets:\n  k:\n    file: ../x\n", rule: policy.RuleUploadPaths, says: "file ../x is outside the uploaded project"},
		{name: "a secret from a host file", extra: "    secrets: [k]\nsecrets:\n  k:\n    file: /etc/shadow\n", rule: policy.RuleUploadPaths, says: "file /etc/shadow is outside"},
		{name: "a secret from the socket", extra: "    secrets: [k]\nsecrets:\n  k:\n    file: /var/run/docker.sock\n", rule: policy.RuleDockerSock},
		{name: "a config from a folder", extra: "    configs: [c]\nconfigs:\n  c:\n    file: ./app\n", rule: ""},
		{name: "a config copied onto /proc", extra: "    configs:\n      - source: c\n        target: /proc/x\nconfigs:\n  c:\n    content: x\n", rule: policy.RuleVolumeTarget},
		{name: "a secret target with ..", extra: "    secrets:\n      - source: c\n        target: ../../etc/x\nsecrets:\n  c:\n    environment: HOME\n", rule: policy.RuleVolumeTarget},
	}
	// compose-go expands "~" with the runner's home.
	home, err := os.UserHomeDir()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := translateCompose(t, web+c.extra, project, home, c.mutate)
			if c.name == "a config from a folder" {
				if got.err == nil || apierr.From(got.err).Code != apierr.CodeInvalid {
					t.Fatalf("a folder as a config: %v, want invalid_argument", got.err)
				}
				return
			}
			if c.rule != "" || got.err != nil {
				if got.rule != c.rule || !strings.Contains(fmt.Sprint(got.err), c.says) {
					t.Fatalf("refused by %q (%v), want %q saying %q", got.rule, got.err, c.rule, c.says)
				}
				return
			}
			if strings.Join(got.mounts["web"], "|") != strings.Join(c.mounts, "|") {
				t.Errorf("web's mounts\n got %q\nwant %q", got.mounts["web"], c.mounts)
			}
			if c.seeds != nil && strings.Join(got.seeds, "|") != strings.Join(c.seeds, "|") {
				t.Errorf("seeds\n got %q\nwant %q", got.seeds, c.seeds)
			}
			if c.note != "" && !containsNote(got.notes, c.note) {
				t.Errorf("no note says %q: %q", c.note, got.notes)
			}
		})
	}
}

func containsNote(notes []string, s string) bool {
	for _, n := range notes {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

// TestTranslatedNamesAreStable: the same path gets the same volume on
// every deploy, and a changed file a new config (so Compose recreates the
// container: it hashes the service, not the content).
func TestTranslatedNamesAreStable(t *testing.T) {
	compose := "services:\n  web:\n    image: busybox:latest\n    volumes: [\"./a.conf:/a.conf\", \"/mnt/some/very/long/path/to/media:/m\"]\n"
	a := translateCompose(t, compose, []build.Entry{file("a.conf", "one", 0o644)}, "/nonexistent", nil)
	b := translateCompose(t, compose, []build.Entry{file("a.conf", "one", 0o644)}, "/nonexistent", nil)
	c := translateCompose(t, compose, []build.Entry{file("a.conf", "two", 0o644)}, "/nonexistent", nil)
	if strings.Join(a.seeds, "|") != strings.Join(b.seeds, "|") || len(a.seeds) != 1 {
		t.Errorf("seeds differ between deploys: %q, %q", a.seeds, b.seeds)
	}
	if objectKey("a", "one") != objectKey("a", "one") || objectKey("a", "one") == objectKey("a", "two") {
		t.Error("config keys do not follow the content")
	}
	if a.mounts["web"][0] == c.mounts["web"][0] {
		t.Errorf("a changed file kept its copy: %q", c.mounts["web"])
	}
}

// TestBoundCopies: folders bound one inside another copy the same files
// again; the total is held to the upload's own bound.
func TestBoundCopies(t *testing.T) {
	kb := strings.Repeat("x", 1<<10)
	files := []build.Entry{folder("a"), folder("a/b"), folder("a/b/c"), file("a/b/c/f", kb, 0o644), file("g", kb, 0o644)}
	compose := "services:\n  web:\n    image: busybox:latest\n    volumes: [\"./a:/1\", \"./a/b:/2\", \"./a/b/c:/3\", \"./g:/g\"]\n"
	base := t.TempDir()
	dir, err := newProjectDir(base, &build.Archive{Entries: files}, []byte(compose))
	if err != nil {
		t.Fatal(err)
	}
	defer dir.remove()
	p, err := loadProject(context.Background(), dir, "alice--shop", []byte(compose), nil)
	if err != nil {
		t.Fatal(err)
	}
	tr := &translation{project: p, dir: dir, tenant: policy.Tenant{UserID: "u-alice", Username: "alice"}, stack: "shop"}
	if err := translate(tr); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		max  int64
		fail bool
	}{{4 << 10, false}, {4<<10 - 1, true}} {
		err := boundCopies(tr, c.max)
		if c.fail != (err != nil) || err != nil && apierr.From(err).Rule != policy.RuleSize {
			t.Errorf("bound %d: %v, want refused=%v by %s", c.max, err, c.fail, policy.RuleSize)
		}
	}
}
