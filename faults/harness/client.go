package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// CallTimeout bounds one API call: longer than the gateway's own 30 s bound
// on a command, so a hang shows as a client timeout, never as a stuck test.
const CallTimeout = 45 * time.Second

// Response is an API answer, or the transport error that replaced it.
type Response struct {
	Status int
	Body   []byte
	Header http.Header
	Took   time.Duration
	Err    error // transport error (refused, reset, timeout): no Status
}

// APIError is the platform's error body.
type APIError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Rule    string `json:"rule"`
	Docker  string `json:"docker"`
}

// APIError decodes the error body; ok is false when the body is not one.
func (r Response) APIError() (APIError, bool) {
	var e struct {
		Error *APIError `json:"error"`
	}
	if json.Unmarshal(r.Body, &e) != nil || e.Error == nil || e.Error.Code == "" || e.Error.Message == "" {
		return APIError{}, false
	}
	return *e.Error, true
}

// JSON decodes the body into v.
func (r Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %q: %v", r.Body, err)
	}
}

func (r Response) String() string {
	if r.Err != nil {
		return fmt.Sprintf("transport error after %v: %v", r.Took.Round(time.Millisecond), r.Err)
	}
	b := r.Body
	if len(b) > 600 {
		b = append(b[:600:600], "…"...)
	}
	return fmt.Sprintf("%d after %v: %s", r.Status, r.Took.Round(time.Millisecond), bytes.TrimSpace(b))
}

// Do makes one API call as token (bearer) with an optional JSON body and
// extra headers, bounded by timeout (CallTimeout when 0). It never fails
// the test: transport errors come back in Response.Err.
func (p *Platform) Do(token, method, path string, body any, hdr http.Header, timeout time.Duration) Response {
	return p.do(p.GatewayURL+path, "", token, method, body, hdr, timeout)
}

func (p *Platform) do(url, host, token, method string, body any, hdr http.Header, timeout time.Duration) Response {
	if timeout == 0 {
		timeout = CallTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return Response{Err: err}
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return Response{Err: err}
	}
	if host != "" {
		req.Host = host
	}
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	start := time.Now()
	res, err := p.http.Do(req)
	if err != nil {
		return Response{Err: err, Took: time.Since(start)}
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	r := Response{Status: res.StatusCode, Body: b, Header: res.Header, Took: time.Since(start)}
	if err != nil {
		r.Err = err
	}
	return r
}

// Call is Do that fails the test on a transport error.
func (p *Platform) Call(t testing.TB, token, method, path string, body any) Response {
	t.Helper()
	r := p.Do(token, method, path, body, nil, 0)
	if r.Err != nil {
		t.Fatalf("%s %s: %v", method, path, r)
	}
	return r
}

// Retryable reports whether a client should try r again: the platform
// could not answer (transport error), failed (5xx), or asked to slow down.
func Retryable(r Response) bool {
	return r.Err != nil || r.Status >= 500 || r.Status == http.StatusTooManyRequests
}

// CreateRetrying creates a container with an Idempotency-Key the way a
// careful client does during an outage: it retries what Retryable says
// with the same key, backing off (and honouring Retry-After), until the
// platform answers something final or ctx ends. It returns the last
// answer and the number of attempts.
func (p *Platform) CreateRetrying(ctx context.Context, token string, spec map[string]any, key string) (Response, int) {
	hdr := http.Header{"Idempotency-Key": {key}}
	backoff := 200 * time.Millisecond
	for attempt := 1; ; attempt++ {
		r := p.Do(token, http.MethodPost, "/api/v1/containers", spec, hdr, 0)
		if !Retryable(r) || ctx.Err() != nil {
			return r, attempt
		}
		wait := backoff
		if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err == nil && r.Status == http.StatusTooManyRequests {
			wait = time.Duration(s) * time.Second
		}
		select {
		case <-ctx.Done():
			return r, attempt
		case <-time.After(wait):
		}
		backoff = min(backoff*2, 2*time.Second)
	}
}

// Link fetches a web link through the proxy: http://<name>--<user>.<apps>/.
func (p *Platform) Link(name, username string) Response {
	host := fmt.Sprintf("%s--%s.%s", name, username, AppsDomain)
	return p.do("http://"+p.ProxyAddr+"/", host, "", http.MethodGet, nil, nil, 5*time.Second)
}
