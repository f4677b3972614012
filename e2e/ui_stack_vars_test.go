package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	chrome "github.com/dockeronline/platform/e2e/browser"
	"github.com/dockeronline/platform/e2e/stack"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/natstest"
	"github.com/dockeronline/platform/pkg/subjects"
)

// TestUIStackVariables: the stack form lists the variables of a pasted
// compose file, an input each prefilled with the file's default — by the
// "List variables" button (a plain form post, as without script) and as
// the file is typed (the script) — and deploys with what was typed; the
// deployment's notes (here: the platform choosing the file's subnet) are
// shown apart from Compose's events.
func TestUIStackVariables(t *testing.T) {
	w := stack.StartWeb(t)
	natstest.WaitServing(t, w.NATSURL, subjects.RunnerRequestSubject(subjects.StackVariables), msg.StackVariablesRequest{Compose: "services: {}"})
	u := newUI(t, w)
	u.signUp(stack.UniqueName("vi"))

	compose := fmt.Sprintf(`services:
  app:
    image: %s
    command: ["sh", "-c", "echo greeting=${GREETING:-hello} who=${WHO:?who is it for}; sleep 600"]
    networks: [back]
networks:
  back:
    ipam:
      config: [{subnet: 10.123.0.0/16}]
`, w.Image)
	u.do("paste a compose file", chromedp.Click(chromedp.CSS(`nav.side a[href="/stacks"]`)), chromedp.WaitVisible(chromedp.ID("stack-name")),
		chromedp.SetValue(chromedp.ID("stack-compose"), compose))
	// Without the script's help: the button posts the form, the page
	// comes back with an input per variable and the compose file kept.
	u.submit(`button[data-list-vars]`)
	if v := chrome.Get(t, u.tab, "GREETING's input", step, chromedp.Evaluate[string](`document.querySelector('[data-var="GREETING"] input').value`)); v != "hello" {
		t.Errorf("GREETING is prefilled with %q, want its default hello", v)
	}
	if req := chrome.Get(t, u.tab, "WHO required", step, chromedp.Evaluate[bool](`document.querySelector('[data-var="WHO"] input').required`)); !req {
		t.Error("WHO (${WHO:?…}) is not marked required")
	}
	if c := chrome.Get(t, u.tab, "compose kept", step, chromedp.Evaluate[string](`document.getElementById("stack-compose").value`)); !strings.Contains(c, "who is it for") {
		t.Errorf("the compose file was not kept: %q", c)
	}
	u.shot("01-variables-listed")

	// With the script: editing the file lists its variables again, and
	// what was typed in an input stays.
	u.do("type a value, then edit the file",
		chromedp.SendKeys(chromedp.CSS(`[data-var="WHO"] input`), "the-ui"),
		chromedp.Evaluate[chromedp.Void](`(function(){var c=document.getElementById("stack-compose"); c.value = c.value.replace("sleep 600", "echo theme=${THEME:-light}; sleep 600"); c.dispatchEvent(new Event("input", {bubbles: true}));})()`))
	waitJS(t, u.tab, "THEME is listed", `!!document.querySelector('[data-var="THEME"] input')`, liveWait)
	if v := chrome.Get(t, u.tab, "WHO kept", step, chromedp.Evaluate[string](`document.querySelector('[data-var="WHO"] input').value`)); v != "the-ui" {
		t.Errorf("WHO's typed value became %q", v)
	}
	u.do("name the stack", chromedp.SendKeys(chromedp.ID("stack-name"), "greet"))
	u.shot("02-variables-typed")

	u.submit(`form.stack-form button.primary[type="submit"]`)
	waitJS(t, u.tab, "the deployment ends", `["done","failed"].includes(document.querySelector("[data-stack-job]").dataset.state)`, 4*liveWait)
	if st := text(t, u.tab, "[data-job-status]"); st != "Stack greet is up." {
		t.Fatalf("deploy status %q; error: %q", st, chrome.Get(t, u.tab, "error", step, chromedp.Evaluate[string](`document.querySelector("[data-job-error]").innerText`)))
	}
	if n := text(t, u.tab, "[data-job-notes]"); !strings.Contains(n, "the subnet 10.123.0.0/16 is chosen by the platform") {
		t.Errorf("notes %q", n)
	}
	if r := chrome.Get(t, u.tab, "resources hold no note", step, chromedp.Evaluate[string](`document.querySelector("[data-job-resources]").innerText`)); strings.Contains(r, "subnet") {
		t.Errorf("a note is listed among Compose's events: %q", r)
	}
	u.do("show the notes", chromedp.ScrollIntoView(chromedp.CSS("[data-stack-job]")))
	u.shot("03-deployed-with-notes")
	waitJS(t, u.tab, "the app logs what the form gave", `fetch("/api/v1/stacks/greet/logs?service=app&tail=20").then(r => r.text()).then(t => window.greetLogs = t), (window.greetLogs || "").includes("greeting=hello who=the-ui")`, liveWait)
	if l := chrome.Get(t, u.tab, "logs", step, chromedp.Evaluate[string](`window.greetLogs`)); !strings.Contains(l, "theme=light") {
		t.Errorf("logs %q", l)
	}
}
