package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/moby/moby/client"

	chrome "github.com/dockeronline/platform/e2e/browser"
	"github.com/dockeronline/platform/e2e/stack"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/natstest"
	"github.com/dockeronline/platform/pkg/registrytest"
	"github.com/dockeronline/platform/pkg/subjects"
	"github.com/dockeronline/platform/services/runner/runnertest"
)

// Browser tests: Debian's headless Chromium drives the web UI the way a
// person would, against the whole platform on the real Docker engine.
// Every test saves screenshots under its output folder
// ($TEST_OUTPUT_DIR/<test>/, kept by CI).

const (
	step     = 30 * time.Second // one page action
	liveWait = 45 * time.Second // a change that arrives by itself
)

// ui is one browser session on the platform.
type ui struct {
	t   *testing.T
	w   *stack.Web
	b   *chrome.Browser
	tab context.Context
	dir string
}

func newUI(t *testing.T, w *stack.Web) *ui {
	b := chrome.StartChromium(t)
	u := &ui{t: t, w: w, b: b, tab: b.Tab(), dir: chrome.OutputDir(t)}
	u.do("size the window", chrome.Viewport(1280, 800, false))
	return u
}

func (u *ui) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	u.t.Helper()
	chrome.Do(u.t, u.tab, what, step, steps...)
}

func (u *ui) shot(name string) string {
	u.t.Helper()
	return chrome.Screenshot(u.t, u.tab, u.dir, name, false)
}

// text is the text of the first element matching css, once it is visible.
func text(t *testing.T, tab context.Context, css string) string {
	t.Helper()
	chrome.Do(t, tab, "wait for "+css, step, chromedp.WaitVisible(chromedp.CSS(css)))
	return chrome.Get(t, tab, "read "+css, step, chromedp.Text(chromedp.CSS(css)))
}

// waitJS polls a JavaScript condition in tab until it is true.
func waitJS(t *testing.T, tab context.Context, what, cond string, timeout time.Duration) {
	t.Helper()
	chrome.Do(t, tab, what, timeout, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Poll[bool](cond, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(0))(ctx, tg)
		return err
	}))
}

// signUp registers username through the registration page and lands on
// the dashboard.
func (u *ui) signUp(username string) {
	u.t.Helper()
	gw := u.w.GatewayURL
	u.do("open the registration page", chromedp.Navigate(gw+"/registration"),
		chromedp.WaitVisible(chromedp.CSS(`input[name="traits.username"]`)))
	if got := chrome.Get(u.t, u.tab, "location", step, chromedp.Location()); !strings.HasPrefix(got, gw+"/registration?flow=") {
		u.t.Fatalf("registration page at %s, want a flow on the gateway", got)
	}
	u.do("fill in the registration form",
		chromedp.SendKeys(chromedp.CSS(`input[name="traits.email"]`), username+"@example.test"),
		chromedp.SendKeys(chromedp.CSS(`input[name="traits.username"]`), username),
	)
	u.shot("00-sign-up")
	u.submitFlow()
	if has := chrome.Get(u.t, u.tab, "password step?", step, chromedp.Evaluate[bool](`!!document.querySelector('input[name="password"]')`)); has {
		u.do("choose a password", chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), "correct horse battery "+username))
		u.submitFlow()
	}
	if h := text(u.t, u.tab, "main h1"); h != "Hello, "+username {
		u.t.Fatalf("after sign-up the page says %q, want the dashboard of %s", h, username)
	}
	// Whatever the test leaves behind of this user's is removed at its end.
	id := u.me()
	u.t.Cleanup(func() { runnertest.RemoveOwned(u.t, u.w.Docker, id) })
}

// me is the signed-in user's id.
func (u *ui) me() string {
	u.t.Helper()
	id := chrome.Get(u.t, u.tab, "who am I", step, chromedp.Evaluate[string](`fetch("/api/v1/me").then(r => r.json()).then(j => j.user_id)`, chromedp.EvalAwaitPromise))
	if id == "" {
		u.t.Fatal("the session has no user id")
	}
	return id
}

// submitFlow presses the Kratos form's submit button and waits for the
// next page.
func (u *ui) submitFlow() {
	u.t.Helper()
	u.submit(`form.flow-form button[type="submit"]`)
}

// TestUINewUserRunsAContainer is a new user's first minutes: sign up, run
// a web server from the form, watch it appear in another tab without a
// reload, open its web link through the proxy, open its terminal, stop
// it and delete it, each time confirming in the dialog.
func TestUINewUserRunsAContainer(t *testing.T) {
	w := stack.StartWeb(t)
	u := newUI(t, w)
	user := stack.UniqueName("ada")
	u.signUp(user)
	u.shot("02-dashboard-empty")

	// A second tab shows the list; it must follow what the first does.
	list := u.b.NewTab(t)
	chrome.Do(t, list, "open the list", step, chrome.Viewport(1280, 800, false),
		chromedp.Navigate(w.GatewayURL+"/containers"), chromedp.WaitVisible(chromedp.CSS(".empty")),
		chromedp.Evaluate[chromedp.Void](`window.notReloaded = true`))

	// Run a container from the form.
	u.do("open the run form", chromedp.Navigate(w.GatewayURL+"/run"), chromedp.WaitVisible(chromedp.ID("image")),
		chromedp.SendKeys(chromedp.ID("image"), w.Image),
		chromedp.SendKeys(chromedp.ID("name"), "web"),
		chromedp.SendKeys(chromedp.ID("cmd"), `sh -c 'mkdir -p /www && echo "Hello from web" > /www/index.html && echo "serving /www on port 80" && exec httpd -f -p 80 -h /www'`),
		chromedp.SendKeys(chromedp.ID("ports"), "80"),
		chromedp.SendKeys(chromedp.ID("env"), "GREETING=hello"),
	)
	u.do("scroll up", chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`))
	u.shot("03-run-form")
	u.submit(`form.run-form button[type="submit"]`)
	if h := text(t, u.tab, "main h1"); h != "web" {
		t.Fatalf("after run the page is %q, want the container page of web", h)
	}
	if s := text(t, u.tab, "#container-panel .badge"); s != "Running" {
		t.Fatalf("new container's state is %q, want Running", s)
	}
	if f := text(t, u.tab, ".flash"); f != "Container web is running." {
		t.Errorf("flash %q", f)
	}

	// Its web link is the proxy's host name for it, and answers with the
	// container's page.
	link := chrome.Get(t, u.tab, "read the web link", step, chromedp.Evaluate[string](`document.querySelector("#container-panel a.weblink").href`))
	wantLink := fmt.Sprintf("http://web--%s.%s:%s/", user, w.AppsDomain, strings.TrimPrefix(w.ProxyURL, "http://127.0.0.1:"))
	if link != wantLink {
		t.Fatalf("web link %q, want %q", link, wantLink)
	}
	// Its logs stream into the page.
	waitJS(t, u.tab, "the logs show the container's output", `document.querySelector("pre.logs").textContent.includes("serving /www on port 80")`, liveWait)
	u.shot("04-container")

	// The other tab saw it arrive, without reloading.
	waitJS(t, list, "the list shows web running", `(() => { const r = document.querySelector('tr[data-name="web"]'); return !!r && r.dataset.state === "running"; })()`, liveWait)
	if !chrome.Get(t, list, "reload check", step, chromedp.Evaluate[bool](`window.notReloaded === true`)) {
		t.Fatal("the list page reloaded to show the new container")
	}
	if how := chrome.Get(t, list, "how the list follows", step, chromedp.Evaluate[string](`document.documentElement.dataset.live`)); how != "events" {
		t.Errorf("the list follows changes by %q, want the API's event stream", how)
	}
	if l := chrome.Get(t, list, "read the list's link", step, chromedp.Evaluate[string](`document.querySelector('tr[data-name="web"] a.weblink').href`)); l != wantLink {
		t.Errorf("the list shows link %q, want %q", l, wantLink)
	}
	chrome.Screenshot(t, list, u.dir, "05-list-live", false)

	app := u.b.NewTab(t)
	chrome.Do(t, app, "open the web link", liveWait, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		// The route reaches the proxy through JetStream; retry until it does.
		for {
			if _, err := chromedp.Run(ctx, chromedp.Navigate(link)); err != nil {
				return err
			}
			body, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
			if err != nil {
				return err
			}
			if strings.Contains(body, "Hello from web") {
				return nil
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("the link never showed the container's page; last: %q", body)
			case <-time.After(500 * time.Millisecond):
			}
		}
	}))
	chrome.Screenshot(t, app, u.dir, "06-web-link", false)

	// The dashboard counts it; on a phone, in the dark, nothing overflows.
	u.do("open the dashboard", chromedp.Navigate(w.GatewayURL+"/"), chromedp.WaitVisible(chromedp.CSS(`#container-list tr[data-name="web"]`)))
	if n := text(t, u.tab, "#dashboard-stats .big-number"); !strings.HasPrefix(n, "1") {
		t.Errorf("the dashboard counts %q running", n)
	}
	u.shot("07-dashboard")
	u.do("keyboard: Tab from the top", chromedp.KeyEvent(kb.Tab))
	if a := chrome.Get(t, u.tab, "focused", step, chromedp.Evaluate[string](`document.activeElement.className + " " + document.activeElement.textContent`)); a != "skip Skip to content" {
		t.Errorf("the first Tab focuses %q, want the skip link", a)
	}
	phone := u.b.NewTab(t)
	for _, p := range []string{"/", "/containers/web", "/run"} {
		chrome.Do(t, phone, "open "+p+" on a phone", step, chrome.Viewport(390, 844, true), chrome.ColorScheme("dark"),
			chromedp.Navigate(w.GatewayURL+p), chromedp.WaitVisible(chromedp.CSS("main h1")))
		if over := chrome.Get(t, phone, "overflow", step, chromedp.Evaluate[int](`document.documentElement.scrollWidth - window.innerWidth`)); over > 0 {
			t.Errorf("%s is %dpx wider than a phone", p, over)
		}
		if bg := chrome.Get(t, phone, "theme", step, chromedp.Evaluate[string](`getComputedStyle(document.body).backgroundColor`)); bg != "rgb(14, 17, 22)" {
			t.Errorf("%s in dark mode has background %s", p, bg)
		}
		chrome.Screenshot(t, phone, u.dir, "08-phone-dark"+strings.ReplaceAll(p, "/", "-"), false)
	}

	// The terminal page, from the container page's button.
	u.do("back to the container", chromedp.Navigate(w.GatewayURL+"/containers/web"), chromedp.WaitVisible(chromedp.ID("container-panel")))
	u.submit(`a[href="/containers/web/terminal"]`)
	if p := chrome.Get(t, u.tab, "terminal location", step, chromedp.Evaluate[string](`location.pathname`)); p != "/containers/web/terminal" {
		t.Fatalf("the terminal button led to %s", p)
	}
	// A shell answers in the browser's terminal.
	waitJS(t, u.tab, "the terminal connects", `document.getElementById("term-status").textContent === "connected"`, 2*liveWait)
	u.do("type a command", chromedp.SendKeys(chromedp.CSS(".xterm-helper-textarea"), "echo hi-from-$((6*7))\n"))
	waitJS(t, u.tab, "the shell answers", `document.querySelector(".xterm-rows").innerText.includes("hi-from-42")`, liveWait)
	u.shot("09-terminal")
	u.do("back to the container", chromedp.Navigate(w.GatewayURL+"/containers/web"), chromedp.WaitVisible(chromedp.ID("container-panel")))

	// Stop, confirming in the dialog; the other tab follows.
	u.press(`form[action="/containers/web/stop"] button`)
	if q := text(t, u.tab, "#confirm-text"); !strings.HasPrefix(q, "Stop container web?") {
		t.Errorf("confirmation asks %q", q)
	}
	u.shot("10-confirm-stop")
	u.submit("#confirm-ok")
	if s := text(t, u.tab, "#container-panel .badge"); s != "Stopped" {
		t.Fatalf("after stop the state is %q", s)
	}
	waitJS(t, list, "the list shows web stopped", `(() => { const r = document.querySelector('tr[data-name="web"]'); return !!r && r.dataset.state === "exited"; })()`, liveWait)

	// Delete, confirming; back on the list, which is empty again.
	u.press(`form[action="/containers/web/remove"] button`)
	u.submit("#confirm-ok")
	if f := text(t, u.tab, ".flash"); f != "Container web was deleted." {
		t.Errorf("after delete the flash says %q", f)
	}
	waitJS(t, list, "the list drops web", `!document.querySelector('tr[data-name="web"]') && !!document.querySelector(".empty")`, liveWait)
	if !chrome.Get(t, list, "reload check", step, chromedp.Evaluate[bool](`window.notReloaded === true`)) {
		t.Fatal("the list page reloaded")
	}
	if _, err := w.Docker.ContainerInspect(context.Background(), user+"--web", client.ContainerInspectOptions{}); err == nil {
		t.Error("the container still exists in Docker after delete")
	}
	u.shot("11-deleted")
}

// press clicks a button of a live block (which the page may redraw at
// any moment, so the click happens in the page) and waits for the
// confirmation dialog it opens.
func (u *ui) press(css string) {
	u.t.Helper()
	u.do("press "+css, chromedp.WaitVisible(chromedp.CSS(css)),
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%q).click()`, css)),
		chromedp.WaitVisible(chromedp.ID("confirm-dialog")))
}

// submit clicks css (a submit button or a link) and waits for the page
// it loads.
func (u *ui) submit(css string) {
	u.t.Helper()
	u.do("submit with "+css, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.CSS(css)))(ctx, tg)
		return err
	}))
}

// TestUIShowsErrorsWhereTheyHappen: the browser's own checks mirror the
// naming rules; the server's refusals land next to the field their rule
// concerns, in words; Docker's own text is shown verbatim; and a form
// without the page's CSRF token is refused.
func TestUIShowsErrorsWhereTheyHappen(t *testing.T) {
	w := stack.StartWeb(t)
	u := newUI(t, w)
	u.signUp(stack.UniqueName("bea"))

	// A bad name is caught in the page, next to the field, before any request.
	u.do("fill a bad name", chromedp.Navigate(w.GatewayURL+"/run"), chromedp.WaitVisible(chromedp.ID("name")),
		chromedp.SendKeys(chromedp.ID("image"), w.Image), chromedp.SendKeys(chromedp.ID("name"), "Bad_Name"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('form.run-form button[type="submit"]').click()`))
	if m := text(t, u.tab, "#name-error"); !strings.Contains(m, "lower-case letters, digits and single dashes") {
		t.Errorf("the page's own check says %q next to the name", m)
	}
	if got := chrome.Get(t, u.tab, "focus", step, chromedp.Evaluate[string](`document.activeElement.id + " " + document.getElementById("name").getAttribute("aria-invalid") + " " + location.pathname`)); got != "name true /run" {
		t.Errorf("after the refused submit: focus, aria-invalid, page = %q", got)
	}
	u.shot("01-checked-in-the-page")

	// Past the browser's checks, the server names the rule next to the field.
	u.do("submit without the page's checks", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Evaluate[chromedp.Void](`document.querySelector("form.run-form").submit()`))(ctx, tg)
		return err
	}))
	if m := text(t, u.tab, "#name-error"); !strings.Contains(m, "name-charset") || !strings.Contains(m, "must start and end with a letter or digit") {
		t.Errorf("the server's refusal next to the name says %q, want the rule name-charset in words", m)
	}
	if v := chrome.Get(t, u.tab, "kept value", step, chromedp.Value(chromedp.ID("name"))); v != "Bad_Name" {
		t.Errorf("the refused form lost what was typed: name %q", v)
	}
	u.shot("02-rule-next-to-the-field")

	// A policy refusal from the runner goes next to the field it concerns.
	u.do("ask for a privileged container", chromedp.Navigate(w.GatewayURL+"/run"), chromedp.WaitVisible(chromedp.ID("name")),
		chromedp.SendKeys(chromedp.ID("image"), w.Image), chromedp.SendKeys(chromedp.ID("name"), "priv"),
		chromedp.Click(chromedp.CSS("details.card > summary")),
		chromedp.SendKeys(chromedp.ID("hostconfig"), `{"Privileged": true}`))
	u.submit(`form.run-form button[type="submit"]`)
	if m := text(t, u.tab, "#hostconfig-error"); !strings.Contains(m, "no-privileged") || !strings.Contains(m, "would control the host") {
		t.Errorf("the policy refusal says %q next to the host configuration, want rule no-privileged in words", m)
	}
	u.do("show the refusal", chromedp.ScrollIntoView(chromedp.ID("hostconfig")))
	u.shot("03-policy-rule")

	// An image Docker cannot find: Docker's own words, verbatim, in a block.
	u.do("run an unknown image", chromedp.Navigate(w.GatewayURL+"/run"), chromedp.WaitVisible(chromedp.ID("name")),
		chromedp.SendKeys(chromedp.ID("image"), "no-such-image-dockeronline:1"), chromedp.SendKeys(chromedp.ID("name"), "x1"))
	u.submit(`form.run-form button[type="submit"]`)
	if m := text(t, u.tab, ".alert.bad strong"); !strings.Contains(m, "could not be pulled") {
		t.Errorf("the error says %q", m)
	}
	// The API quotes Docker too: the page must show the same words.
	api := w.Call(t, w.Register(t, stack.UniqueName("cid")).Token, "POST", "/api/v1/containers", map[string]any{"name": "x1", "image": "no-such-image-dockeronline:1"}).Err(t)
	if d := text(t, u.tab, "pre.docker"); api.Docker == "" || d != api.Docker {
		t.Errorf("the page shows Docker's text as %q; the API quotes %q", d, api.Docker)
	}
	if f := chrome.Get(t, u.tab, "focus", step, chromedp.Evaluate[bool](`document.activeElement.matches(".alert.bad")`)); !f {
		t.Error("the error block does not get the focus")
	}
	u.shot("04-docker-text")

	// The same request without the page's token is refused, and says why.
	got := chrome.Get(t, u.tab, "post without a token", step, chromedp.Evaluate[string](`fetch("/run", {method: "POST", body: new URLSearchParams({name: "z", image: "busybox"})}).then(async r => r.status + " " + (await r.text()))`, chromedp.EvalAwaitPromise))
	if !strings.HasPrefix(got, "403 ") || !strings.Contains(got, "did not come from this site") {
		t.Errorf("a form without the CSRF token got %.200q", got)
	}
	csp := chrome.Get(t, u.tab, "read the CSP", step, chromedp.Evaluate[string](`fetch("/containers").then(r => r.headers.get("content-security-policy"))`, chromedp.EvalAwaitPromise))
	for _, want := range []string{"script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
}

// TestUIAdminDeletesUser: the bootstrap admin signs up in the browser,
// finds a user in the user list, deletes them after confirming, and the
// user's session and containers are gone; the audit log shows the action.
func TestUIAdminDeletesUser(t *testing.T) {
	w := stack.StartWeb(t)
	victim := w.Register(t, stack.UniqueName("vic"))
	if r := w.Call(t, victim.Token, "POST", "/api/v1/containers", map[string]any{"name": "box", "image": w.Image, "cmd": []string{"sleep", "600"}}); r.Status != 201 {
		t.Fatalf("victim's container: %d %s", r.Status, r.Body)
	}
	u := newUI(t, w)
	u.signUp(w.Admin)
	// The bootstrap admin is an admin once their e-mail is verified.
	if err := w.Kratos.VerifyAddresses(u.me()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond) // the browser stack's session cache (1s)
	u.do("reload as admin", chromedp.Reload())

	u.do("open the user list", chromedp.Click(chromedp.CSS(`nav.side a[href="/admin"]`)),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`tr[data-user=%q]`, victim.Username))))
	u.shot("01-users")
	u.do("everyone's containers", chromedp.Click(chromedp.CSS(`nav.tabs a[href="/admin/containers"]`)),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`tr[data-name="box"][data-owner=%q]`, victim.Username))))
	u.shot("01b-all-containers")
	u.do("back to the users", chromedp.Click(chromedp.CSS(`nav.tabs a[href="/admin"]`)),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`tr[data-user=%q]`, victim.Username))))
	u.press(fmt.Sprintf(`tr[data-user=%q] form[action$="/delete"] button`, victim.Username))
	if q := text(t, u.tab, "#confirm-text"); !strings.HasPrefix(q, "Delete user "+victim.Username+"?") {
		t.Errorf("confirmation asks %q", q)
	}
	u.shot("02-confirm-delete")
	u.submit("#confirm-ok")
	if f := text(t, u.tab, ".flash"); f != "User "+victim.Username+" was deleted." {
		t.Errorf("flash %q", f)
	}
	if n := chrome.Get(t, u.tab, "rows", step, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll('tr[data-user=%q]').length`, victim.Username))); n != 0 {
		t.Error("the deleted user is still listed")
	}
	u.shot("03-user-deleted")

	if r := w.Call(t, victim.Token, "GET", "/api/v1/me", nil); r.Status != 401 {
		t.Errorf("the deleted user's session still works: %d %s", r.Status, r.Body)
	}
	if _, err := w.Docker.ContainerInspect(context.Background(), victim.Username+"--box", client.ContainerInspectOptions{}); err == nil {
		t.Error("the deleted user's container still exists")
	}

	// The action is in the audit log (stored asynchronously: reload until it is).
	u.do("find the deletion in the audit log", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		for {
			if err := chromedp.Do(ctx, chromedp.Navigate(w.GatewayURL+"/admin/audit")); err != nil {
				return err
			}
			body, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("main").innerText`))
			if err != nil {
				return err
			}
			if strings.Contains(body, "POST /admin/users/{id}/{action}") && strings.Contains(body, "action=delete") {
				return nil
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("the audit log never showed the deletion:\n%s", body)
			case <-time.After(time.Second):
			}
		}
	}))
	u.shot("04-audit-log")
}

// TestUIPullsAnImageWithProgress: an image pushed to a real registry is
// pulled from the images page; the bar follows the job's layers to 100%,
// the image appears in the list without a reload, and a pull that fails
// shows Docker's own words.
func TestUIPullsAnImageWithProgress(t *testing.T) {
	w := stack.StartWeb(t)
	reg := registrytest.Start(t)
	natstest.WaitServing(t, w.NATSURL, subjects.RunnerRequestSubject(subjects.ImageList), msg.ImageListRequest{})
	src := registrytest.BuildLayered(t, w.Docker, "dockeronline-test/ui-src-"+stack.UniqueName("")+":1", 3, 2<<20)
	ref := reg.Push(t, w.Docker, src, "ui/app-"+stack.UniqueName("")+":1")
	registrytest.RemoveLocal(t, w.Docker, ref)
	registrytest.RemoveLocal(t, w.Docker, src)
	t.Cleanup(func() { registrytest.RemoveLocal(t, w.Docker, ref) })

	u := newUI(t, w)
	u.signUp(stack.UniqueName("cy"))
	u.do("open the images page", chromedp.Click(chromedp.CSS(`nav.side a[href="/images"]`)), chromedp.WaitVisible(chromedp.ID("pull-image")),
		chromedp.Evaluate[chromedp.Void](`window.notReloaded = true`),
		chromedp.SendKeys(chromedp.ID("pull-image"), ref))
	u.submit(`form.pull-form button[type="submit"]`)
	waitJS(t, u.tab, "the pull finishes", `document.querySelector("[data-job]").classList.contains("done")`, 2*liveWait)
	if v := chrome.Get(t, u.tab, "bar", step, chromedp.Evaluate[int](`document.querySelector("[data-pull-bar]").value`)); v != 100 {
		t.Errorf("the finished pull's bar is at %d%%", v)
	}
	if n := chrome.Get(t, u.tab, "layers", step, chromedp.Evaluate[int](`document.querySelectorAll("[data-layers] li").length`)); n < 3 {
		t.Errorf("the page shows %d layers, want the image's 3 new ones at least", n)
	}
	if s := text(t, u.tab, "[data-pull-status]"); s != "Pulled "+ref+"." {
		t.Errorf("status %q", s)
	}
	waitJS(t, u.tab, "the image is listed", fmt.Sprintf(`!!document.querySelector('tr[data-image=%q]')`, ref), liveWait)
	u.shot("01-pulled")

	// A tag the registry does not have: the pull fails with Docker's text.
	missing := reg.Ref("ui/none:404")
	u.do("pull a missing tag", chromedp.Navigate(w.GatewayURL+"/images"), chromedp.WaitVisible(chromedp.ID("pull-image")),
		chromedp.SendKeys(chromedp.ID("pull-image"), missing))
	u.submit(`form.pull-form button[type="submit"]`)
	waitJS(t, u.tab, "the pull fails", `document.querySelector("[data-job]").classList.contains("failed")`, 2*liveWait)
	if d := text(t, u.tab, "[data-pull-error] pre.docker"); !strings.Contains(d, "not found") && !strings.Contains(d, "unknown") {
		t.Errorf("Docker's text for a missing tag: %q", d)
	}
	u.shot("02-pull-failed")
}

// TestUIVolumes: a user creates a named volume, mounts it from the run
// form, sees which container uses it, is told why it cannot be deleted
// while in use, and deletes it once the container is gone.
func TestUIVolumes(t *testing.T) {
	w := stack.StartWeb(t)
	natstest.WaitServing(t, w.NATSURL, subjects.RunnerRequestSubject(subjects.VolumeList), msg.VolumeListRequest{})
	u := newUI(t, w)
	u.signUp(stack.UniqueName("dee"))

	u.do("open the volumes page", chromedp.Click(chromedp.CSS(`nav.side a[href="/volumes"]`)), chromedp.WaitVisible(chromedp.ID("volume-name")),
		chromedp.SendKeys(chromedp.ID("volume-name"), "data"))
	u.submit(`form[action="/volumes"] button[type="submit"]`)
	if f := text(t, u.tab, ".flash"); f != "Volume data was created." {
		t.Errorf("flash %q", f)
	}

	u.do("run a container with the volume", chromedp.Navigate(w.GatewayURL+"/run"), chromedp.WaitVisible(chromedp.ID("image")),
		chromedp.SendKeys(chromedp.ID("image"), w.Image), chromedp.SendKeys(chromedp.ID("name"), "keeper"),
		chromedp.SendKeys(chromedp.ID("cmd"), "sleep 600"), chromedp.SendKeys(chromedp.ID("volumes"), "data:/data"))
	u.submit(`form.run-form button[type="submit"]`)
	if s := text(t, u.tab, "#container-panel .badge"); s != "Running" {
		t.Fatalf("keeper is %q", s)
	}

	u.do("see who uses it", chromedp.Navigate(w.GatewayURL+"/volumes"), chromedp.WaitVisible(chromedp.CSS(`tr[data-volume="data"]`)))
	if used := text(t, u.tab, `tr[data-volume="data"] td[data-label="Used by"]`); used != "keeper" {
		t.Errorf("data is used by %q, want keeper", used)
	}
	u.shot("01-volumes")
	u.press(`tr[data-volume="data"] button`)
	u.submit("#confirm-ok")
	if m := text(t, u.tab, ".alert.bad strong"); !strings.Contains(m, "keeper") && !strings.Contains(strings.ToLower(m), "in use") {
		t.Errorf("deleting a volume in use says %q", m)
	}
	u.shot("02-in-use")

	u.do("delete the container", chromedp.Navigate(w.GatewayURL+"/containers/keeper"), chromedp.WaitVisible(chromedp.ID("container-panel")))
	u.press(`form[action="/containers/keeper/remove"] button`)
	u.submit("#confirm-ok")
	u.do("back to the volumes", chromedp.Navigate(w.GatewayURL+"/volumes"), chromedp.WaitVisible(chromedp.CSS(`tr[data-volume="data"]`)))
	u.press(`tr[data-volume="data"] button`)
	u.submit("#confirm-ok")
	if f := text(t, u.tab, ".flash"); f != "Volume data was deleted." {
		t.Errorf("flash %q", f)
	}
	if n := chrome.Get(t, u.tab, "rows", step, chromedp.Evaluate[int](`document.querySelectorAll('tr[data-volume="data"]').length`)); n != 0 {
		t.Error("the deleted volume is still listed")
	}
}

// TestUIAccountPages: Kratos' flows rendered by the gateway: sign out,
// a wrong password is refused with Kratos' message on the form, sign in,
// change the password in the settings, and the recovery page asks for
// the e-mail address.
func TestUIAccountPages(t *testing.T) {
	w := stack.StartWeb(t)
	u := newUI(t, w)
	user := stack.UniqueName("eve")
	u.signUp(user)

	u.submit(`form[action="/logout"] button`)
	u.do("the sign-in page", chromedp.WaitVisible(chromedp.CSS(`input[name="identifier"]`)))
	if p := chrome.Get(t, u.tab, "where", step, chromedp.Location()); !strings.HasPrefix(p, w.GatewayURL+"/login?flow=") {
		t.Fatalf("after sign-out the browser is at %s", p)
	}
	if r := chrome.Get(t, u.tab, "signed out?", step, chromedp.Evaluate[int](`fetch("/api/v1/me").then(r => r.status)`, chromedp.EvalAwaitPromise)); r != 401 {
		t.Errorf("after sign-out the API answers %d", r)
	}

	u.do("a wrong password", chromedp.SendKeys(chromedp.CSS(`input[name="identifier"]`), user),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), "not the password"))
	u.submitFlow()
	if m := text(t, u.tab, "section.auth .alert"); !strings.Contains(m, "credentials are invalid") {
		t.Errorf("a wrong password says %q", m)
	}
	u.shot("01-sign-in-refused")

	u.do("the right password", chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), "correct horse battery "+user))
	u.submitFlow()
	if h := text(t, u.tab, "main h1"); h != "Hello, "+user {
		t.Fatalf("after sign-in the page says %q", h)
	}

	u.do("open the settings", chromedp.Click(chromedp.CSS("a.user")), chromedp.WaitVisible(chromedp.CSS(`form[data-group="password"] input[name="password"]`)))
	u.shot("02-settings")
	u.do("change the password", chromedp.SendKeys(chromedp.CSS(`form[data-group="password"] input[name="password"]`), "a brand new passphrase "+user))
	u.submit(`form[data-group="password"] button[type="submit"]`)
	if m := text(t, u.tab, "section.auth .alert"); !strings.Contains(m, "saved") {
		t.Errorf("after the change the settings say %q", m)
	}

	u.submit(`form[action="/logout"] button`)
	u.do("open the recovery page", chromedp.Navigate(w.GatewayURL+"/recovery"), chromedp.WaitVisible(chromedp.CSS(`input[name="email"]`)))
	if h := text(t, u.tab, "main h1"); h != "Recover your account" {
		t.Errorf("recovery page title %q", h)
	}
	u.shot("03-recovery")

	// The theme switch: automatic, then dark, kept across pages.
	u.do("switch to dark", chromedp.Click(chromedp.CSS("[data-theme-toggle]")))
	u.do("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`input[name="email"]`)))
	if th := chrome.Get(t, u.tab, "theme", step, chromedp.Evaluate[string](`document.documentElement.dataset.theme + " " + document.querySelector(".theme-label").textContent`)); th != "dark Dark" {
		t.Errorf("after switching and reloading the theme is %q", th)
	}
	u.shot("04-recovery-dark")
}
