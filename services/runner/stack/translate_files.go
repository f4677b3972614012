package stack

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/names"
	"github.com/dockeronline/platform/services/runner/build"
	"github.com/dockeronline/platform/services/runner/policy"
)

// LabelBind is, on a volume that stands for a bind mount of the compose
// file, the path the file bound ("./app", "/srv/media"): the stack page
// shows the mapping from it.
const LabelBind = policy.LabelPrefix + "bind"

// seed is a volume a translated bind mount became: created before Compose
// runs, and filled with the project folder's files when it has some.
type seed struct {
	key   string         // the volume's key in the project
	from  string         // the path as the file wrote it
	files *build.Archive // the project folder; nil: the volume starts empty
	// uid and gid own the seeded files: those of the first service binding
	// the folder when its user: is numeric (a bind shows the author's own
	// files, which such a service can write), else root.
	uid, gid int
}

// userHome is where compose-go expands "~" (the runner's home): a path
// there was written "~/…" in the file. A variable, for the tests.
var userHome = os.UserHomeDir

// translateFiles honours what a file's bind mounts and file: sources mean
// inside the sandbox, without ever binding a host path:
//   - a project file bound by path (./nginx.conf) is copied into the
//     container before it starts, as Compose copies a config's content:;
//   - a project folder (./app, .) becomes a per-stack volume seeded with
//     the folder's files from the upload (seed.go): writes persist there;
//   - another absolute path (/srv/x, ~/data, ${MEDIA}) that is not the
//     host's own (policy.HostSystemPath) becomes an empty per-stack volume;
//   - configs and secrets with file: inside the project are delivered from
//     the upload, as content: (configs) or through the project's
//     environment (secrets; Compose copies both in the same way).
//
// What reaches out is left as written for the policy to refuse by rule:
// the Docker socket, the host's system paths, file: sources outside the
// project. A path that leaves the project through the platform's own work
// directory (../x, another upload) is refused here, by paths-in-upload.
func translateFiles(tr *translation) error {
	root, err := os.OpenRoot(tr.dir.path)
	if err != nil {
		return apierr.New(apierr.CodeUnavailable, "could not open the project directory: %v", err)
	}
	defer root.Close()
	home, _ := userHome()
	ft := &fileTranslator{tr: tr, root: root, home: home, volumes: map[string]string{}, taken: takenVolumeNames(tr)}
	if err := ft.fileObjects(); err != nil {
		return err
	}
	p := tr.project
	for _, name := range p.ServiceNames() {
		svc := p.Services[name]
		for i, v := range svc.Volumes {
			if v.Type != types.VolumeTypeBind {
				continue
			}
			if err := ft.bind(&svc, i); err != nil {
				return err
			}
		}
		svc.Volumes = dropped(svc.Volumes)
		p.Services[name] = svc
	}
	return nil
}

type fileTranslator struct {
	tr      *translation
	root    *os.Root
	home    string
	volumes map[string]string // bound path → the volume key it became
	taken   map[string]bool   // short volume names of the project
	files   map[string]string // "config/<key>", "secret/<key>" → its file, as shown
}

// takenVolumeNames are the short names the project's own volumes will get
// (normalize's objectName), so a translated bind never shares one.
func takenVolumeNames(tr *translation) map[string]bool {
	taken := map[string]bool{}
	for k, v := range tr.project.Volumes {
		if v.Name != "" && v.Name != tr.project.Name+"_"+k {
			taken[v.Name] = true
		} else {
			taken[tr.stack+"-"+sanitize(k)] = true
		}
	}
	return taken
}

// bind translates service volume i, a bind mount; a file bind is removed
// from the volumes (marked by an empty Type, see dropped) and delivered as
// a config instead.
func (ft *fileTranslator) bind(svc *types.ServiceConfig, i int) error {
	v := &svc.Volumes[i]
	src := filepath.Clean(v.Source)
	dir := ft.tr.dir.path
	switch {
	case policy.MentionsDockerSocket(v.Source) || !filepath.IsAbs(src):
		return nil // the policy refuses it
	case policy.Inside(dir, src):
		return ft.projectBind(svc, v, src)
	case policy.Inside(filepath.Dir(dir), src):
		// The folder the uploads are unpacked in: ../x, or another
		// stack's upload. (Named relative to the project: where uploads
		// are unpacked is the platform's business.)
		return apierr.Policy(policy.RuleUploadPaths, "service %q: %s is outside the uploaded project, in the folder uploads are unpacked in: bind project files by a path inside it", svc.Name, relShown(dir, src))
	case ft.home != "" && ft.home != "/" && policy.Inside(ft.home, src):
		// "~/…" as compose-go expanded it (or the runner's home written
		// out): a volume either way, the runner's home is never bound.
		rel, _ := filepath.Rel(ft.home, src)
		return ft.hostVolume(svc, v, src, "~/"+filepath.ToSlash(rel))
	case policy.HostSystemPath(src):
		return nil // the host's own: refused by no-bind-mounts
	}
	return ft.hostVolume(svc, v, src, src)
}

// relShown names a path outside the project as the file wrote it.
func relShown(dir, p string) string {
	if rel, err := filepath.Rel(dir, p); err == nil {
		return filepath.ToSlash(rel)
	}
	return p
}

// projectBind translates a bind of a path inside the project: a file is
// copied in, a folder (or a path the upload lacks, which Docker would
// have created empty) becomes a seeded volume.
func (ft *fileTranslator) projectBind(svc *types.ServiceConfig, v *types.ServiceVolumeConfig, src string) error {
	dir := ft.tr.dir.path
	rel, _ := filepath.Rel(dir, src)
	shown := "./" + filepath.ToSlash(rel)
	if rel == "." {
		shown = "."
	}
	// The root resolves links, and refuses any that leads out of it.
	info, err := ft.root.Stat(rel)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return ft.volume(svc, v, src, shown, build.NewArchive(), "not in the upload: it starts empty, writes persist there")
	case err != nil:
		return apierr.Policy(policy.RuleUploadPaths, "service %q: %s leads outside the uploaded project", svc.Name, shown)
	case info.Mode().IsRegular():
		return ft.fileBind(svc, v, rel, shown, info.Mode().Perm())
	case !info.IsDir():
		return apierr.Invalid("service %q: %s is neither a file nor a folder", svc.Name, shown)
	}
	real, err := filepath.EvalSymlinks(src)
	if err != nil || !policy.Inside(dir, real) {
		return apierr.Policy(policy.RuleUploadPaths, "service %q: %s leads outside the uploaded project", svc.Name, shown)
	}
	realRel, _ := filepath.Rel(dir, real)
	return ft.volume(svc, v, src, shown, ft.tr.dir.archive.Sub(filepath.ToSlash(realRel)),
		"seeded from the project (writes persist there; a redeploy copies the project's files again, over them)")
}

// fileBind delivers a project file as a config with content:, copied to
// the target before the container starts, with the file's mode (without
// write bits when the bind was read-only).
func (ft *fileTranslator) fileBind(svc *types.ServiceConfig, v *types.ServiceVolumeConfig, rel, shown string, perm fs.FileMode) error {
	data, err := ft.root.ReadFile(rel)
	if err != nil {
		return apierr.Policy(policy.RuleUploadPaths, "service %q: %s could not be read from the upload: %v", svc.Name, shown, err)
	}
	if len(data) == 0 {
		// Compose copies no empty content; the target is left as the image has it.
		ft.tr.note("%s: %s is empty: nothing is copied to %s", svc.Name, shown, v.Target)
		v.Type = ""
		return nil
	}
	if v.ReadOnly {
		perm &^= 0o222
	}
	mode := types.FileMode(perm)
	key := objectKey("file-"+sanitize(path.Base(filepath.ToSlash(rel))), string(data))
	p := ft.tr.project
	if p.Configs == nil {
		p.Configs = types.Configs{}
	}
	p.Configs[key] = types.ConfigObjConfig{Content: string(data)}
	// Owned by root: Compose copies with a uid only by asking the engine
	// to resolve the service's user:, which fails for a numeric one the
	// image does not list. The mode lets every user read it.
	svc.Configs = append(svc.Configs, types.ServiceConfigObjConfig{Source: key, Target: v.Target, Mode: &mode})
	v.Type = ""
	ft.tr.note("%s: %s → copied to %s before the container starts (a copy: changes made in the container are not kept)", svc.Name, shown, v.Target)
	return nil
}

// hostVolume gives a host path that is not the host's own an empty
// per-stack volume.
func (ft *fileTranslator) hostVolume(svc *types.ServiceConfig, v *types.ServiceVolumeConfig, src, shown string) error {
	return ft.volume(svc, v, src, shown, nil, "")
}

// volume turns bind v into a mount of the per-stack volume standing for
// src (one per path, shared by the services binding it).
func (ft *fileTranslator) volume(svc *types.ServiceConfig, v *types.ServiceVolumeConfig, src, shown string, files *build.Archive, how string) error {
	p, service := ft.tr.project, svc.Name
	key, ok := ft.volumes[src]
	if !ok {
		short := ft.volumeName(shown)
		key = short
		for n := 2; hasKey(p.Volumes, key); n++ {
			key = short + "-" + strconv.Itoa(n)
		}
		if p.Volumes == nil {
			p.Volumes = types.Volumes{}
		}
		p.Volumes[key] = types.VolumeConfig{Name: short}
		ft.volumes[src] = key
		sd := seed{key: key, from: shown, files: files}
		if files != nil {
			sd.uid, sd.gid, _ = numericUser(svc.User)
		}
		ft.tr.seeds = append(ft.tr.seeds, sd)
	}
	docker := names.Docker(ft.tr.tenant.Username, p.Volumes[key].Name)
	if files == nil {
		ft.tr.note("%s: %s is a host path: the service gets volume %s instead (it starts empty, writes persist there)", service, shown, docker)
	} else {
		ft.tr.note("%s: %s → volume %s, %s", service, shown, docker, how)
	}
	*v = types.ServiceVolumeConfig{Type: types.VolumeTypeVolume, Source: key, Target: v.Target, ReadOnly: v.ReadOnly, Consistency: v.Consistency}
	return nil
}

func hasKey(m types.Volumes, k string) bool { _, ok := m[k]; return ok }

// volumeName is the short name of the volume standing for a bound path:
// "<stack>-<path as a name>" ("shop-app", "plex-srv-media"), shortened
// with a digest of the path when it does not fit or is taken, so the same
// path gets the same name on every deploy.
func (ft *fileTranslator) volumeName(shown string) string {
	slug := slugOf(shown)
	name := ft.tr.stack + "-" + slug
	if names.ValidateObject("volume", name) == nil && !ft.taken[name] {
		ft.taken[name] = true
		return name
	}
	sum := sha256.Sum256([]byte(shown))
	digest := hex.EncodeToString(sum[:])[:6]
	stack := ft.tr.stack
	if room := names.ObjectMax - len(digest) - 1; len(stack) > room {
		stack = strings.TrimRight(stack[:room], "-")
	}
	if room := names.ObjectMax - len(stack) - len(digest) - 2; room > 0 {
		if len(slug) > room {
			slug = strings.TrimRight(slug[:room], "-")
		}
		if slug != "" {
			stack += "-" + slug
		}
	}
	name = stack + "-" + digest
	ft.taken[name] = true
	return name
}

// slugOf is a bound path as a name: "./app" → "app", "." → "project",
// "/srv/my media" → "srv-my-media".
func slugOf(shown string) string {
	s := strings.TrimPrefix(strings.TrimPrefix(shown, "~/"), "./")
	var b strings.Builder
	dash := true
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	out := strings.TrimRight(b.String(), "-")
	if out == "" {
		return "project"
	}
	return out
}

// objectKey is the key of a config or secret holding content: its name
// and a digest of the content, so a changed file changes the service's
// configuration and Compose recreates the container (it hashes the
// service, not the content).
func objectKey(name, content string) string {
	sum := sha256.Sum256([]byte(content))
	return "dockeronline-" + name + "-" + hex.EncodeToString(sum[:])[:12]
}

// dropped removes the volumes a file bind turned into a config.
func dropped(vs []types.ServiceVolumeConfig) []types.ServiceVolumeConfig {
	out := vs[:0]
	for _, v := range vs {
		if v.Type != "" {
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// fileObjects delivers configs and secrets whose file: lies in the
// project from the upload; the others keep their file: for the policy.
func (ft *fileTranslator) fileObjects() error {
	p := ft.tr.project
	configs := map[string]string{}
	for _, k := range sortedNames(p.Configs) {
		c := p.Configs[k]
		data, ok, err := ft.objectFile("config", k, c.File)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		nk := objectKey(sanitize(k), data)
		delete(p.Configs, k)
		p.Configs[nk] = types.ConfigObjConfig{Name: c.Name, Content: data, Labels: c.Labels}
		configs[k] = nk
	}
	secrets := map[string]string{}
	for _, k := range sortedNames(p.Secrets) {
		c := p.Secrets[k]
		data, ok, err := ft.objectFile("secret", k, c.File)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		// Compose copies a secret's value from the project's environment
		// (a secret has no content: in the specification).
		nk := objectKey(sanitize(k), data)
		env := "DOCKERONLINE_SECRET_" + strings.ToUpper(strings.ReplaceAll(strings.TrimPrefix(nk, "dockeronline-"), "-", "_"))
		if p.Environment == nil {
			p.Environment = types.Mapping{}
		}
		p.Environment[env] = data
		delete(p.Secrets, k)
		p.Secrets[nk] = types.SecretConfig{Name: c.Name, Environment: env, Labels: c.Labels}
		secrets[k] = nk
	}
	if len(configs)+len(secrets) == 0 {
		return nil
	}
	for _, name := range p.ServiceNames() {
		svc := p.Services[name]
		for i, r := range svc.Configs {
			if nk, ok := configs[r.Source]; ok {
				svc.Configs[i].Target, svc.Configs[i].Source = policy.ConfigTarget(r.Source, r.Target), nk
				ft.tr.note("%s: config %s (%s) → copied to %s before the container starts", name, r.Source, ft.files["config/"+r.Source], svc.Configs[i].Target)
			}
		}
		for i, r := range svc.Secrets {
			if nk, ok := secrets[r.Source]; ok {
				svc.Secrets[i].Target, svc.Secrets[i].Source = policy.SecretTarget(r.Source, r.Target), nk
				ft.tr.note("%s: secret %s (%s) → copied to %s before the container starts", name, r.Source, ft.files["secret/"+r.Source], svc.Secrets[i].Target)
			}
		}
		if svc.Build != nil {
			// A build reads the secret by its id: the name the file gave it
			// (or its target), whatever the platform renamed the key to.
			for i, r := range svc.Build.Secrets {
				if nk, ok := secrets[r.Source]; ok {
					if r.Target == "" {
						svc.Build.Secrets[i].Target = r.Source
					}
					svc.Build.Secrets[i].Source = nk
				}
			}
		}
		p.Services[name] = svc
	}
	return nil
}

// objectFile reads a config's or secret's file: when it lies in the
// project; ok is false when it has none, or one the policy refuses.
func (ft *fileTranslator) objectFile(kind, key, file string) (string, bool, error) {
	dir := ft.tr.dir.path
	if file == "" || policy.MentionsDockerSocket(file) || !filepath.IsAbs(file) || !policy.Inside(dir, filepath.Clean(file)) {
		return "", false, nil
	}
	rel, _ := filepath.Rel(dir, filepath.Clean(file))
	shown := filepath.ToSlash(rel)
	info, err := ft.root.Stat(rel)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", false, apierr.Invalid("%s %q: file %s is not in the upload", kind, key, shown)
	case err != nil:
		return "", false, apierr.Policy(policy.RuleUploadPaths, "%s %q: file %s leads outside the uploaded project", kind, key, shown)
	case !info.Mode().IsRegular():
		return "", false, apierr.Invalid("%s %q: file %s is not a file", kind, key, shown)
	}
	data, err := ft.root.ReadFile(rel)
	if err != nil {
		return "", false, apierr.Policy(policy.RuleUploadPaths, "%s %q: file %s could not be read from the upload: %v", kind, key, shown, err)
	}
	if ft.files == nil {
		ft.files = map[string]string{}
	}
	ft.files[kind+"/"+key] = shown
	return string(data), true, nil
}

// sortedNames are a map's keys in order, for a stable translation.
func sortedNames[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// numericUser reads a service's user: "uid" or "uid:gid", in numbers (a
// name needs the image's /etc/passwd); the group is 0 when not given, as
// Docker runs such a user.
func numericUser(u string) (uid, gid int, ok bool) {
	us, gs, _ := strings.Cut(u, ":")
	uid, err := strconv.Atoi(us)
	if err != nil || uid < 0 {
		return 0, 0, false
	}
	if gs != "" {
		if gid, err = strconv.Atoi(gs); err != nil || gid < 0 {
			return 0, 0, false
		}
	}
	return uid, gid, true
}

// boundCopies refuses a translation that would copy more than max bytes
// into the stack's containers and volumes: nested folders bound one by
// one copy the same files again, so the upload's own bound is applied to
// the total.
func boundCopies(tr *translation, max int64) error {
	var total int64
	for _, sd := range tr.seeds {
		if sd.files != nil {
			total += sd.files.Size()
		}
	}
	for _, c := range tr.project.Configs {
		total += int64(len(c.Content))
	}
	for _, c := range tr.project.Secrets {
		total += int64(len(tr.project.Environment[c.Environment]))
	}
	if total > max {
		return apierr.Policy(policy.RuleSize, "the project's files bound into the stack add up to %d MB, more than the %d MB an upload may hold: bind fewer or smaller folders", total>>20, max>>20)
	}
	return nil
}
