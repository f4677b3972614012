// Package browser drives Debian's headless Chromium from Go tests with
// chromedp, as a user would use the platform: one fresh profile per
// browser, tabs that share its cookies, and a screenshot helper that keeps
// the pictures with the test's output.
package browser

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// DefaultBinary is Debian's Chromium (scripts/deps.sh installs it).
const DefaultBinary = "/usr/bin/chromium"

// Browser is one headless Chromium with its own, empty profile.
type Browser struct {
	alloc context.Context
	// ctx is the first tab; every tab made by NewTab shares its browser.
	ctx context.Context
}

// Binary is CHROMIUM_BIN, else Debian's Chromium.
func Binary() string {
	if b := os.Getenv("CHROMIUM_BIN"); b != "" {
		return b
	}
	return DefaultBinary
}

// StartChromium starts a headless Chromium with a fresh user-data dir
// (flags from RECIPES.md) and closes it when the test ends. A missing
// binary fails the test: `make deps` installs it.
func StartChromium(t testing.TB) *Browser {
	t.Helper()
	bin := Binary()
	if _, err := exec.LookPath(bin); err != nil {
		t.Fatalf("browser: Chromium %s not found: run `make deps` (or set CHROMIUM_BIN): %v", bin, err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.WindowSize(1280, 860),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc, chromedp.WithLogf(t.Logf))
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		cancel()
		cancelAlloc()
		t.Fatalf("browser: start Chromium: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	return &Browser{alloc: alloc, ctx: ctx}
}

// Tab is the browser's first tab.
func (b *Browser) Tab() context.Context { return b.ctx }

// NewTab opens another tab of the same browser (same cookies).
func (b *Browser) NewTab(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		t.Fatalf("browser: new tab: %v", err)
	}
	t.Cleanup(cancel)
	return ctx
}

// Do runs steps in tab ctx with a deadline, failing the test with what
// was being done, and where, when they fail.
func Do(t testing.TB, ctx context.Context, what string, timeout time.Duration, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := do(ctx, timeout, steps...); err != nil {
		t.Fatalf("browser: %s (at %s): %v", what, location(ctx), err)
	}
}

// Get runs one action that returns a value, failing the test if it fails.
func Get[T any](t testing.TB, ctx context.Context, what string, timeout time.Duration, a chromedp.Action[T]) T {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	v, err := chromedp.Run(tctx, a)
	if err != nil {
		t.Fatalf("browser: %s (at %s): %v", what, location(ctx), err)
	}
	return v
}

func do(ctx context.Context, timeout time.Duration, steps ...chromedp.Action[chromedp.Void]) error {
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return chromedp.Do(tctx, steps...)
}

func location(ctx context.Context) string {
	tctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	u, err := chromedp.Run(tctx, chromedp.Location())
	if err != nil {
		return "?"
	}
	return u
}

// OutputDir is where a test's files go: $TEST_OUTPUT_DIR/<test name> when
// that is set (CI keeps it), else a directory of the test's own.
func OutputDir(t testing.TB) string {
	t.Helper()
	base := os.Getenv("TEST_OUTPUT_DIR")
	if base == "" {
		return t.TempDir()
	}
	dir := filepath.Join(base, safeFile(t.Name()))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("browser: %v", err)
	}
	return dir
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func safeFile(s string) string { return unsafeChars.ReplaceAllString(s, "_") }

// Screenshot saves the tab's viewport (or, with full, the whole page) as
// <dir>/<name>.png and returns the file's path.
func Screenshot(t testing.TB, ctx context.Context, dir, name string, full bool) string {
	t.Helper()
	a := chromedp.CaptureScreenshot()
	if full {
		a = chromedp.FullScreenshot(100)
	}
	png := Get(t, ctx, "screenshot "+name, 30*time.Second, a)
	p := filepath.Join(dir, safeFile(name)+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatalf("browser: save screenshot: %v", err)
	}
	t.Logf("screenshot %s", p)
	return p
}

// Viewport sets the tab's viewport, e.g. a phone's 390×844.
func Viewport(width, height int64, mobile bool) chromedp.Action[chromedp.Void] {
	if mobile {
		return chromedp.EmulateViewport(width, height, chromedp.EmulateMobile, chromedp.EmulateTouch)
	}
	return chromedp.EmulateViewport(width, height)
}

// ColorScheme makes the page see prefers-color-scheme: dark or light.
func ColorScheme(scheme string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
		})
		return err
	})
}
