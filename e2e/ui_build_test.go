package e2e

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	chrome "github.com/dockeronline/platform/e2e/browser"
	"github.com/dockeronline/platform/e2e/stack"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/natstest"
	"github.com/dockeronline/platform/pkg/subjects"
	"github.com/dockeronline/platform/pkg/testenv"
)

// TestUIBuildAndStack: a user builds an image from a Dockerfile on the
// build page and follows its log to the result, sees a failing build's
// step and Docker's text (on BuildKit, with its steps listed: name, cached
// or how long), deploys a one-service stack from the stacks
// page, sees it running in the list, and takes it down after confirming.
func TestUIBuildAndStack(t *testing.T) {
	w := stack.StartWeb(t, map[string]string{"RUNNER_BUILDKIT_ADDR": testenv.BuildKit(t).Addr, "RUNNER_BUILDKIT_DIR": t.TempDir()})
	natstest.WaitServing(t, w.NATSURL, subjects.RunnerRequestSubject(subjects.StackList), msg.StackListRequest{})
	u := newUI(t, w)
	user := stack.UniqueName("ed")
	u.signUp(user)
	t.Cleanup(func() { removeImages(w.Stack, user+"/tiny:latest", user+"/broken:latest") })

	dockerfile := "FROM " + w.Image + "\nRUN echo built > /built\nCMD [\"sleep\",\"600\"]\n"
	u.do("open the build page", chromedp.Click(chromedp.CSS(`nav.side a[href="/builds"]`)), chromedp.WaitVisible(chromedp.ID("build-name")),
		chromedp.SendKeys(chromedp.ID("build-name"), "tiny"),
		chromedp.SetValue(chromedp.ID("build-dockerfile"), dockerfile))
	u.submit(`form.build-form button[type="submit"]`)
	waitJS(t, u.tab, "the build ends", `["done","failed"].includes(document.querySelector("[data-build-job]").dataset.state)`, 4*liveWait)
	u.shot("01-built")
	if st := text(t, u.tab, "[data-job-status]"); st != "Built "+user+"/tiny:latest." {
		t.Fatalf("build status %q; error: %q", st, chrome.Get(t, u.tab, "error", step, chromedp.Evaluate[string](`document.querySelector("[data-job-error]").innerText`)))
	}
	if log := text(t, u.tab, "[data-job-log]"); !strings.Contains(log, "echo built") {
		t.Errorf("the build log does not show the RUN step:\n%s", log)
	}
	// BuildKit's steps, each with its duration (or "cached").
	steps := text(t, u.tab, "[data-job-steps]")
	if !regexp.MustCompile(`RUN echo built > /built\s+\d+\.\d s`).MatchString(steps) {
		t.Errorf("the build's steps do not list the RUN step with its duration:\n%s", steps)
	}

	// A failing step: Docker's text verbatim, and which step it was.
	u.do("build something that fails", chromedp.Navigate(w.GatewayURL+"/builds"), chromedp.WaitVisible(chromedp.ID("build-name")),
		chromedp.SendKeys(chromedp.ID("build-name"), "broken"),
		chromedp.SetValue(chromedp.ID("build-dockerfile"), "FROM "+w.Image+"\nRUN ls /no/such/dir\n"))
	u.submit(`form.build-form button[type="submit"]`)
	waitJS(t, u.tab, "the build fails", `document.querySelector("[data-build-job]").dataset.state === "failed"`, 4*liveWait)
	u.shot("02-build-failed")
	if e := text(t, u.tab, "[data-job-error]"); !strings.Contains(e, "/no/such/dir") && !strings.Contains(text(t, u.tab, "[data-job-log]"), "/no/such/dir") {
		t.Errorf("the failed build does not show the failing step: %q", e)
	}

	compose := fmt.Sprintf("services:\n  app:\n    image: %s\n    command: [\"sleep\", \"600\"]\n", w.Image)
	u.do("open the stacks page", chromedp.Click(chromedp.CSS(`nav.side a[href="/stacks"]`)), chromedp.WaitVisible(chromedp.ID("stack-name")),
		chromedp.SendKeys(chromedp.ID("stack-name"), "tiny"),
		chromedp.SetValue(chromedp.ID("stack-compose"), compose))
	u.submit(`form.stack-form button[type="submit"]`)
	waitJS(t, u.tab, "the deployment ends", `["done","failed"].includes(document.querySelector("[data-stack-job]").dataset.state)`, 4*liveWait)
	if st := text(t, u.tab, "[data-job-status]"); st != "Stack tiny is up." {
		t.Fatalf("deploy status %q; error: %q", st, chrome.Get(t, u.tab, "error", step, chromedp.Evaluate[string](`document.querySelector("[data-job-error]").innerText`)))
	}
	waitJS(t, u.tab, "the stack is listed as running", `!!document.querySelector('tr[data-stack="tiny"][data-status="running"] [data-service="app"][data-state="running"]')`, liveWait)
	u.do("show the list", chromedp.ScrollIntoView(chromedp.CSS(`tr[data-stack="tiny"]`)))
	u.shot("03-stack-up")

	u.press(`tr[data-stack="tiny"] button`)
	u.submit("#confirm-ok")
	if f := text(t, u.tab, ".flash"); f != "Stack tiny was taken down." {
		t.Errorf("flash %q", f)
	}
	if n := chrome.Get(t, u.tab, "rows", step, chromedp.Evaluate[int](`document.querySelectorAll('tr[data-stack="tiny"]').length`)); n != 0 {
		t.Error("the stack is still listed after down")
	}
	u.shot("04-stack-down")
}
