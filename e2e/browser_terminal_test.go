package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/dockeronline/platform/e2e/browser"
	"github.com/dockeronline/platform/e2e/stack"
	gwapp "github.com/dockeronline/platform/services/gateway/app"
)

// browserLogin signs u in through Kratos' browser flow on the gateway's
// origin (as the login page's form does) and returns the cookies a browser
// would then hold.
func browserLogin(t *testing.T, s *stack.Stack, u stack.User) []*http.Cookie {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: time.Minute}
	base := s.GatewayURL + gwapp.KratosPrefix
	req, _ := http.NewRequest(http.MethodGet, base+"/self-service/login/browser", nil)
	req.Header.Set("Accept", "application/json")
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var flow struct {
		ID string `json:"id"`
		UI struct {
			Nodes []struct {
				Attributes struct {
					Name  string `json:"name"`
					Value any    `json:"value"`
				} `json:"attributes"`
			} `json:"nodes"`
		} `json:"ui"`
	}
	err = json.NewDecoder(res.Body).Decode(&flow)
	res.Body.Close()
	if err != nil || flow.ID == "" {
		t.Fatalf("login flow: %d %v", res.StatusCode, err)
	}
	var csrf string
	for _, n := range flow.UI.Nodes {
		if n.Attributes.Name == "csrf_token" {
			csrf, _ = n.Attributes.Value.(string)
		}
	}
	body, _ := json.Marshal(map[string]string{"method": "password", "identifier": u.Email,
		"password": "correct horse battery " + u.Username, "csrf_token": csrf})
	req, _ = http.NewRequest(http.MethodPost, base+"/self-service/login?flow="+flow.ID, bytes.NewReader(body))
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/json")
	res, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	gw, _ := url.Parse(s.GatewayURL)
	cookies := jar.Cookies(gw)
	for _, ck := range cookies {
		if ck.Name == "ory_kratos_session" {
			return cookies
		}
	}
	t.Fatalf("browser login: %d, no session cookie (%v)", res.StatusCode, cookies)
	return nil
}

// TestBrowserTerminal types into the terminal page in headless Chromium
// and reads the answer from the screen xterm.js draws; a reload reattaches
// to the same shell and shows the earlier output.
func TestBrowserTerminal(t *testing.T) {
	s := stack.StartAccounts(t)
	u := s.Register(t, stack.UniqueName("alice"))
	runBox(t, s, u.Token, "box")
	cookies := browserLogin(t, s, u)

	b := browser.StartChromium(t)
	tab := b.Tab()
	dir := browser.OutputDir(t)
	browser.Do(t, tab, "set the session cookie", 30*time.Second, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		for _, ck := range cookies {
			httpOnly := ck.HttpOnly
			if _, err := cdp.Call(ctx, tg, network.SetCookie, network.SetCookieParams{
				Name: ck.Name, Value: ck.Value, URL: s.GatewayURL, HTTPOnly: &httpOnly}); err != nil {
				return err
			}
		}
		return nil
	}))
	page := s.GatewayURL + "/containers/box/terminal"
	browser.Do(t, tab, "open the terminal page", time.Minute,
		chromedp.Navigate(page),
		chromedp.WaitVisible(textarea),
		waitText("#term-status", "connected"),
	)

	word := fmt.Sprintf("hello-%d", time.Now().UnixNano()%100000)
	// The shell prints the word once it computes it: "$((…))" is not in what was typed.
	cmd := fmt.Sprintf("echo %s-$((6*7))\n", word)
	browser.Do(t, tab, "type a command", time.Minute,
		chromedp.Focus(textarea),
		chromedp.SendKeys(textarea, cmd),
		waitText(".xterm-rows", word+"-42"),
	)
	browser.Screenshot(t, tab, dir, "terminal-answer", false)

	// A reload reattaches to the same shell: the answer is still on screen,
	// once, and the shell still answers.
	browser.Do(t, tab, "reload and reattach", time.Minute,
		chromedp.Reload(),
		chromedp.WaitVisible(textarea),
		waitText("#term-status", "connected"),
		waitText(".xterm-rows", word+"-42"),
		chromedp.Focus(textarea),
		chromedp.SendKeys(textarea, "echo again-$((1+1))\n"),
		waitText(".xterm-rows", "again-2"),
	)
	rows := browser.Get(t, tab, "read the screen", 30*time.Second, chromedp.Text(chromedp.CSS(".xterm-rows")))
	if n := strings.Count(rows, word+"-42"); n != 1 {
		t.Fatalf("after reload the answer shows %d times:\n%s", n, rows)
	}
	browser.Screenshot(t, tab, dir, "terminal-after-reload", false)
}

// textarea is where xterm.js takes keyboard input.
const textarea = chromedp.CSS(".xterm-helper-textarea")

// waitText polls until the element's text contains want.
func waitText(sel, want string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		for {
			text, err := chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible)(ctx, tg)
			if err != nil {
				return err
			}
			if strings.Contains(text, want) {
				return nil
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("%s never showed %q; it shows %q", sel, want, text)
			case <-time.After(100 * time.Millisecond):
			}
		}
	})
}
