package terminal

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// xterm.js comes from Debian, never from npm. Debian 12's libjs-xterm
// ships a browser file that is only a stub (it still calls require()), but
// node-xterm ships the real library as CommonJS modules. The gateway joins
// those modules into one browser script at first use — a few lines of
// module loader, no build tool — and serves it with xterm.css.
type vendor struct {
	dir  string
	once sync.Once
	js   []byte
	etag string
	err  error
}

// sourceMapLine removes "//# sourceMappingURL=…": the maps are not served.
var sourceMapLine = regexp.MustCompile(`(?m)^//# sourceMappingURL=.*$`)

// bundleEntries are the modules exposed to the page as globals.
var bundleEntries = []struct{ global, module, member string }{
	{"Terminal", "public/Terminal", ".Terminal"}, // the public API class
	{"XtermFit", "addons/fit/fit", ""},           // Terminal.applyAddon(XtermFit); term.fit()
}

const loaderHead = `(function () {
'use strict';
var defs = {}, cache = {};
function resolve(from, req) {
  var parts = from.split('/'); parts.pop();
  req.split('/').forEach(function (p) {
    if (p === '..') parts.pop(); else if (p !== '.') parts.push(p);
  });
  return parts.join('/');
}
function load(name) {
  if (cache[name]) return cache[name].exports;
  if (!defs[name]) throw new Error('xterm bundle: no module ' + name);
  var module = { exports: {} };
  cache[name] = module;
  defs[name].call(module.exports, function (req) { return load(resolve(name, req)); }, module, module.exports);
  return module.exports;
}
`

// bundle builds the script once; a missing XTERM_DIR is reported on every
// request for it (and the page says the terminal cannot start).
func (v *vendor) bundle() ([]byte, string, error) {
	v.once.Do(func() {
		v.js, v.err = buildBundle(os.DirFS(v.dir))
		if v.err != nil {
			v.err = fmt.Errorf("xterm.js from %s (install Debian's node-xterm or set XTERM_DIR): %w", v.dir, v.err)
			return
		}
		sum := sha256.Sum256(v.js)
		v.etag = `"` + hex.EncodeToString(sum[:8]) + `"`
	})
	return v.js, v.etag, v.err
}

func buildBundle(fsys fs.FS) ([]byte, error) {
	files, err := jsFiles(fsys, ".")
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var b bytes.Buffer
	b.WriteString("/* xterm.js from Debian's node-xterm, joined by the Docker Online gateway. MIT licence: see /usr/share/doc/node-xterm/copyright. */\n")
	b.WriteString(loaderHead)
	for _, f := range files {
		src, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		name, _ := json.Marshal(strings.TrimSuffix(f, ".js"))
		fmt.Fprintf(&b, "defs[%s] = function (require, module, exports) {\n%s\n};\n", name, sourceMapLine.ReplaceAll(src, nil))
	}
	for _, e := range bundleEntries {
		if !slices.Contains(files, e.module+".js") {
			return nil, fmt.Errorf("module %s.js missing", e.module)
		}
		fmt.Fprintf(&b, "window.%s = load(%q)%s;\n", e.global, e.module, e.member)
	}
	b.WriteString("})();\n")
	return b.Bytes(), nil
}

// jsFiles lists the library's modules under dir, following symbolic links
// to directories (Debian links node-xterm's addons to libjs-xterm's).
func jsFiles(fsys fs.FS, dir string) ([]string, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		p := path.Join(dir, e.Name())
		isDir := e.IsDir()
		if e.Type()&fs.ModeSymlink != 0 {
			if st, err := fs.Stat(fsys, p); err == nil {
				isDir = st.IsDir()
			}
		}
		switch {
		case isDir:
			sub, err := jsFiles(fsys, p)
			if err != nil {
				return nil, err
			}
			files = append(files, sub...)
		case strings.HasSuffix(p, ".js") && !strings.HasSuffix(p, ".test.js"):
			files = append(files, p)
		}
	}
	return files, nil
}

func (v *vendor) serveJS(w http.ResponseWriter, r *http.Request) {
	js, etag, err := v.bundle()
	if err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("ETag", etag)
	w.Header().Set("Cache-Control", "public, max-age=3600")
	http.ServeContent(w, r, "xterm.js", time.Time{}, bytes.NewReader(js))
}

func (v *vendor) serveCSS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "public, max-age=3600")
	http.ServeFileFS(w, r, os.DirFS(v.dir), "xterm.css")
}
