package loginlimit

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fakeKratos accepts the password "right" and answers like Kratos: JSON
// clients get 200/400, form posts 303 with or without a session cookie.
func fakeKratos(calls *int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		*calls++
		_ = r.ParseForm()
		ok := r.PostForm.Get("password") == "right" || strings.Contains(readBody(r), `"password":"right"`)
		if r.Header.Get("Content-Type") == "application/x-www-form-urlencoded" {
			if ok {
				http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "s"})
			}
			w.Header().Set("Location", "/")
			w.WriteHeader(http.StatusSeeOther)
			return
		}
		if ok {
			w.WriteHeader(http.StatusOK)
			return
		}
		w.WriteHeader(http.StatusBadRequest)
	})
}

func readBody(r *http.Request) string {
	if r.Body == nil {
		return ""
	}
	b := make([]byte, 1024)
	n, _ := r.Body.Read(b)
	return string(b[:n])
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func login(t *testing.T, h http.Handler, form bool, ip, id, pw string) *httptest.ResponseRecorder {
	t.Helper()
	var req *http.Request
	if form {
		req = httptest.NewRequest(http.MethodPost, "/self-service/login?flow=f", strings.NewReader("identifier="+id+"&password="+pw))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(http.MethodPost, "/self-service/login?flow=f", strings.NewReader(`{"method":"password","identifier":"`+id+`","password":"`+pw+`"}`))
		req.Header.Set("Content-Type", "application/json")
	}
	req.RemoteAddr = ip + ":1234"
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestLockoutAndBackoff(t *testing.T) {
	for _, form := range []bool{false, true} {
		t.Run(map[bool]string{false: "json", true: "form"}[form], func(t *testing.T) {
			c := &clock{t: time.Unix(1_000_000, 0)}
			calls := 0
			h := New(Options{MaxFailures: 3, BaseLockout: time.Minute, MaxLockout: 5 * time.Minute, Now: c.now}).Wrap(fakeKratos(&calls))

			for i := 0; i < 3; i++ {
				if rec := login(t, h, form, "10.0.0.1", "Alice", "wrong"); rec.Code == http.StatusTooManyRequests {
					t.Fatalf("attempt %d refused before the limit", i+1)
				}
			}
			// Locked: even the right password does not reach Kratos.
			before := calls
			rec := login(t, h, form, "10.0.0.1", "alice", "right")
			if rec.Code != http.StatusTooManyRequests || calls != before {
				t.Fatalf("locked attempt: %d, kratos called %d times", rec.Code, calls-before)
			}
			if ra, _ := strconv.Atoi(rec.Header().Get("Retry-After")); ra != 60 {
				t.Errorf("Retry-After %q, want 60", rec.Header().Get("Retry-After"))
			}
			if !strings.Contains(rec.Body.String(), "too_many_attempts") {
				t.Errorf("body %s", rec.Body)
			}
			// Another address, or another identifier, is not locked.
			if rec := login(t, h, form, "10.0.0.2", "alice", "wrong"); rec.Code == http.StatusTooManyRequests {
				t.Error("another address is locked out")
			}
			if rec := login(t, h, form, "10.0.0.1", "bob", "wrong"); rec.Code == http.StatusTooManyRequests {
				t.Error("another identifier is locked out")
			}
			// After the lockout, one more failure locks for twice as long.
			c.t = c.t.Add(61 * time.Second)
			login(t, h, form, "10.0.0.1", "alice", "wrong")
			rec = login(t, h, form, "10.0.0.1", "alice", "right")
			if ra, _ := strconv.Atoi(rec.Header().Get("Retry-After")); rec.Code != http.StatusTooManyRequests || ra != 120 {
				t.Fatalf("second lockout: %d Retry-After %q, want 429 and 120", rec.Code, rec.Header().Get("Retry-After"))
			}
			// Capped at MaxLockout.
			for i := 0; i < 5; i++ {
				c.t = c.t.Add(10 * time.Minute)
				login(t, h, form, "10.0.0.1", "alice", "wrong")
			}
			rec = login(t, h, form, "10.0.0.1", "alice", "right")
			if ra, _ := strconv.Atoi(rec.Header().Get("Retry-After")); ra != 300 {
				t.Fatalf("capped lockout Retry-After %q, want 300", rec.Header().Get("Retry-After"))
			}
			// Once it has passed, the right password works and clears the count.
			c.t = c.t.Add(6 * time.Minute)
			if rec := login(t, h, form, "10.0.0.1", "alice", "right"); rec.Code == http.StatusTooManyRequests {
				t.Fatal("still locked after the lockout")
			}
			for i := 0; i < 2; i++ {
				login(t, h, form, "10.0.0.1", "alice", "wrong")
			}
			if rec := login(t, h, form, "10.0.0.1", "alice", "right"); rec.Code == http.StatusTooManyRequests {
				t.Fatal("a success did not clear the failures")
			}
		})
	}
}

func TestOtherRequestsPassThrough(t *testing.T) {
	calls := 0
	h := New(Options{MaxFailures: 1}).Wrap(fakeKratos(&calls))
	for _, r := range []*http.Request{
		httptest.NewRequest(http.MethodGet, "/self-service/login/browser", nil),
		httptest.NewRequest(http.MethodPost, "/self-service/registration?flow=x", strings.NewReader(`{}`)),
		httptest.NewRequest(http.MethodPost, "/self-service/registration?flow=x", strings.NewReader(`{}`)),
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code == http.StatusTooManyRequests {
			t.Errorf("%s %s limited", r.Method, r.URL)
		}
	}
	if calls != 3 {
		t.Errorf("kratos got %d calls, want 3", calls)
	}
}
