package terminal

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestBundleJoinsModulesAndExposesTheEntries(t *testing.T) {
	fsys := fstest.MapFS{
		"public/Terminal.js":      {Data: []byte("var core = require(\"../Terminal\");\nexports.Terminal = core.T;\n//# sourceMappingURL=Terminal.js.map")},
		"Terminal.js":             {Data: []byte("exports.T = function () {};")},
		"Terminal.test.js":        {Data: []byte("describe('x')")},
		"addons/fit/fit.js":       {Data: []byte("exports.apply = function () {};")},
		"addons/fit/fit.js.map":   {Data: []byte("{}")},
		"renderer/dom/Row.js":     {Data: []byte("var x = require(\"../../Terminal\");")},
		"xterm.css":               {Data: []byte(".xterm {}")},
		"common/data/Escapes.txt": {Data: []byte("not js")},
	}
	b, err := buildBundle(fsys)
	if err != nil {
		t.Fatal(err)
	}
	js := string(b)
	for _, want := range []string{`defs["public/Terminal"]`, `defs["Terminal"]`, `defs["addons/fit/fit"]`, `defs["renderer/dom/Row"]`,
		`window.Terminal = load("public/Terminal").Terminal;`, `window.XtermFit = load("addons/fit/fit");`} {
		if !strings.Contains(js, want) {
			t.Errorf("bundle lacks %s", want)
		}
	}
	for _, unwanted := range []string{"describe(", "sourceMappingURL", "not js"} {
		if strings.Contains(js, unwanted) {
			t.Errorf("bundle has %q", unwanted)
		}
	}
	delete(fsys, "addons/fit/fit.js")
	if _, err := buildBundle(fsys); err == nil || !strings.Contains(err.Error(), "addons/fit/fit") {
		t.Fatalf("missing entry: %v", err)
	}
}
