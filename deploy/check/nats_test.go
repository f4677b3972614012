package check

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The NATS users of deploy/nats/permissions.conf; admin is for operators.
var natsUsers = []string{"gateway", "auth", "runner", "provisioner", "proxy"}

// pubMatrix says, for one subject of each family of the catalog
// (pkg/subjects), which services may publish it. Everything else is refused;
// admin may publish anything. Keep it in step with permissions.conf and the
// catalog: TestNATSMatrixCoversCatalog fails when a new family appears.
var pubMatrix = []struct {
	subject string
	allowed []string
}{
	{"cmd.runner.container.create", []string{"gateway"}},
	{"cmd.runner.user.purge", []string{"gateway"}},
	{"cmd.auth.session.check", []string{"gateway"}},
	{"cmd.auth.user.list", []string{"gateway"}},
	{"cmd.provisioner.status", []string{"gateway"}},
	{"evt.user.created", []string{"auth"}},
	{"evt.provision.ready", []string{"provisioner"}},
	{"evt.container.start", []string{"runner"}},
	{"evt.image.pulled", []string{"runner"}},
	{"evt.volume.created", []string{"runner"}},
	{"evt.audit.container.create", []string{"gateway"}},
	{"job.j1.progress", []string{"runner"}},
	{"term.s1.in", []string{"gateway"}},
	{"term.s1.out", []string{"runner"}},
	{"stream.x1.out", []string{"runner"}},
	{"stream.x1.ctl", []string{"gateway"}},
	{"$KV.routes.web--alice", []string{"proxy"}},
	{"$KV.routes-state.c1", []string{"proxy"}},
	{"$KV.link-tickets.t1", []string{"proxy"}},
	{"$KV.jobs.j1", []string{"runner"}},
	{"$KV.image-refs.u1.aW1n", []string{"runner"}},
	{"$O.contexts.C.nuid1", []string{"gateway", "runner"}},
	{"$O.contexts.M.bmFtZQ", []string{"gateway", "runner"}},
	{"$JS.API.STREAM.PURGE.OBJ_contexts", natsUsers},
	{"_INBOX.reply1", natsUsers},
	{"$JS.API.INFO", natsUsers},
	{"$JS.API.STREAM.CREATE.EVENTS", natsUsers},
	{"$JS.API.CONSUMER.MSG.NEXT.EVENTS.proxy-routes", natsUsers},
	{"$JS.ACK.EVENTS.proxy-routes.1.1.1.1.0", natsUsers},
	{"$JS.API.STREAM.DELETE.EVENTS", nil},
	{"$JS.API.STREAM.PURGE.EVENTS", nil},
	{"$JS.API.STREAM.PURGE.JOBS", nil},
	{"$JS.API.STREAM.DELETE.KV_routes", nil},
	{"$JS.API.STREAM.DELETE.OBJ_contexts", nil},
	{"$JS.API.STREAM.MSG.DELETE.EVENTS", nil},
	{"$JS.API.META.LEADER.STEPDOWN", nil},
	{"evt.other.thing", nil},
	{"anything.else", nil},
}

// subMatrix: who may subscribe to what.
var subMatrix = []struct {
	subject string
	allowed []string
}{
	{"cmd.runner.>", []string{"runner"}},
	{"cmd.auth.>", []string{"auth"}},
	{"cmd.provisioner.>", []string{"provisioner"}},
	{"cmd.>", nil},
	{"evt.>", []string{"gateway"}},
	{"job.*.progress", []string{"gateway"}},
	{"term.*.in", []string{"runner"}},
	{"term.*.out", []string{"gateway"}},
	{"stream.*.out", []string{"gateway"}},
	{"stream.*.ctl", []string{"runner"}},
	{"_INBOX.>", natsUsers},
	{">", nil},
}

// TestNATSConfigValid: nats-server itself accepts both configurations
// (-t: test the configuration and exit).
func TestNATSConfigValid(t *testing.T) {
	bin := natsServer(t)
	env := natsEnv(t, "nats-check", t.TempDir())
	for _, f := range []string{"nats.conf", "nats-cluster.conf"} {
		r := runIn(t, "", env, time.Minute, bin, "-t", "-c", repoPath(t, "deploy", "nats", f))
		if r.err != nil {
			t.Errorf("nats-server -t -c deploy/nats/%s:\n%s", f, r)
		}
	}
	// Without its passwords the server refuses to start (a secret can't be
	// forgotten silently).
	r := runIn(t, "", nil, time.Minute, bin, "-t", "-c", repoPath(t, "deploy", "nats", "nats.conf"))
	if r.err == nil {
		t.Error("nats-server accepted nats.conf with no passwords in the environment")
	}
}

// TestNATSPermissions starts the real nats-server with deploy/nats/nats.conf
// and checks, user by user, every subject of the matrices: allowed ones go
// through, others end in a permissions violation. Then it runs the traffic
// the platform relies on: a gateway request answered by the runner, a
// JetStream event published by its owner, a KV route written by the proxy
// and read by the gateway.
func TestNATSPermissions(t *testing.T) {
	addr := startNATS(t)
	conns := map[string]*natsConn{}
	for _, u := range append(slices.Clone(natsUsers), "admin") {
		conns[u] = dialNATS(t, addr, u, natsPassword(u))
	}

	t.Run("wrong password", func(t *testing.T) {
		c, err := tryDialNATS(addr, "gateway", "not-the-password")
		if err == nil {
			c.close()
			t.Fatal("connected with a wrong password")
		}
		if !strings.Contains(err.Error(), "Authorization Violation") {
			t.Errorf("want an authorization violation, got %v", err)
		}
	})

	t.Run("publish", func(t *testing.T) {
		for _, c := range pubMatrix {
			for _, u := range append(slices.Clone(natsUsers), "admin") {
				want := u == "admin" || slices.Contains(c.allowed, u)
				err := conns[u].pub(c.subject, "", []byte("{}"))
				if want && err != nil {
					t.Errorf("%s may publish %s, but: %v", u, c.subject, err)
				}
				if !want && (err == nil || !strings.Contains(err.Error(), "Permissions Violation")) {
					t.Errorf("%s must not publish %s (got %v)", u, c.subject, err)
				}
			}
		}
	})

	t.Run("subscribe", func(t *testing.T) {
		for _, c := range subMatrix {
			for _, u := range append(slices.Clone(natsUsers), "admin") {
				want := u == "admin" || slices.Contains(c.allowed, u)
				sid, err := conns[u].sub(c.subject, "")
				if err == nil {
					_ = conns[u].unsub(sid)
				}
				if want && err != nil {
					t.Errorf("%s may subscribe to %s, but: %v", u, c.subject, err)
				}
				if !want && (err == nil || !strings.Contains(err.Error(), "Permissions Violation")) {
					t.Errorf("%s must not subscribe to %s (got %v)", u, c.subject, err)
				}
			}
		}
	})

	t.Run("gateway request answered by the runner", func(t *testing.T) {
		runner, gateway := conns["runner"], conns["gateway"]
		if _, err := runner.sub("cmd.runner.>", "runner"); err != nil {
			t.Fatal(err)
		}
		inbox := "_INBOX.check." + strconv.FormatInt(time.Now().UnixNano(), 36)
		if _, err := gateway.sub(inbox, ""); err != nil {
			t.Fatal(err)
		}
		if err := gateway.pub("cmd.runner.container.list", inbox, []byte(`{"q":1}`)); err != nil {
			t.Fatal(err)
		}
		req := runner.next(t, "cmd.runner.container.list", 5*time.Second)
		if req.subject != "cmd.runner.container.list" || req.reply != inbox {
			t.Fatalf("runner got %+v", req)
		}
		if err := runner.pub(req.reply, "", []byte(`{"ok":true}`)); err != nil {
			t.Fatalf("runner cannot reply: %v", err)
		}
		if rep := gateway.next(t, inbox, 5*time.Second); string(rep.data) != `{"ok":true}` {
			t.Fatalf("gateway got %+v", rep)
		}
		// The proxy is refused the same command, whatever the runner does.
		if err := conns["proxy"].pub("cmd.runner.container.list", inbox, nil); err == nil {
			t.Fatal("the proxy published a runner command")
		}
	})

	t.Run("JetStream: EVENTS stream and routes bucket", func(t *testing.T) {
		stream := `{"name":"EVENTS","subjects":["evt.>"],"storage":"file","retention":"limits","max_age":604800000000000,"duplicate_window":600000000000,"num_replicas":1}`
		// Every service may ensure the stream (they all do at start).
		for _, u := range natsUsers {
			if res := conns[u].jsAPI(t, "$JS.API.STREAM.CREATE.EVENTS", stream); res["error"] != nil {
				t.Fatalf("%s cannot create or confirm EVENTS: %v", u, res["error"])
			}
		}
		// auth stores a fact; the stream acknowledges it.
		ack := conns["auth"].jsAPI(t, "evt.user.created", `{"id":"u1"}`)
		if ack["stream"] != "EVENTS" || ack["error"] != nil {
			t.Fatalf("publish evt.user.created as auth: %v", ack)
		}
		// The provisioner reads it through a durable consumer and acks it.
		cons := `{"stream_name":"EVENTS","config":{"durable_name":"provisioner-users","filter_subject":"evt.user.>","ack_policy":"explicit","deliver_policy":"all"}}`
		if res := conns["provisioner"].jsAPI(t, "$JS.API.CONSUMER.CREATE.EVENTS.provisioner-users.evt.user.>", cons); res["error"] != nil {
			t.Fatalf("provisioner consumer: %v", res["error"])
		}
		p := conns["provisioner"]
		inbox := "_INBOX.fetch." + strconv.FormatInt(time.Now().UnixNano(), 36)
		if _, err := p.sub(inbox, ""); err != nil {
			t.Fatal(err)
		}
		if err := p.pub("$JS.API.CONSUMER.MSG.NEXT.EVENTS.provisioner-users", inbox, []byte(`{"batch":1,"expires":2000000000}`)); err != nil {
			t.Fatal(err)
		}
		m := p.next(t, "evt.user.created", 5*time.Second)
		if m.subject != "evt.user.created" || !strings.HasPrefix(m.reply, "$JS.ACK.EVENTS.provisioner-users.") {
			t.Fatalf("fetched %+v", m)
		}
		if err := p.pub(m.reply, "", nil); err != nil {
			t.Fatalf("provisioner cannot ack: %v", err)
		}
		// Nobody but its owner publishes a family, even through JetStream.
		if err := conns["proxy"].pub("evt.user.created", "", []byte(`{}`)); err == nil {
			t.Fatal("the proxy published evt.user.created")
		}
		// No service destroys the stream; an operator can.
		for _, u := range natsUsers {
			if err := conns[u].pub("$JS.API.STREAM.DELETE.EVENTS", "", nil); err == nil {
				t.Fatalf("%s may delete the EVENTS stream", u)
			}
		}

		// The proxy owns the routes bucket; the gateway can read it.
		bucket := `{"name":"KV_routes","subjects":["$KV.routes.>"],"storage":"file","retention":"limits","max_msgs_per_subject":1,"discard":"new","allow_rollup_hdrs":true,"deny_delete":true,"allow_direct":true,"num_replicas":1}`
		if res := conns["proxy"].jsAPI(t, "$JS.API.STREAM.CREATE.KV_routes", bucket); res["error"] != nil {
			t.Fatalf("proxy cannot create the routes bucket: %v", res["error"])
		}
		if ack := conns["proxy"].jsAPI(t, "$KV.routes.web--alice", `{"target":"10.0.0.2:80"}`); ack["stream"] != "KV_routes" {
			t.Fatalf("proxy put: %v", ack)
		}
		if err := conns["runner"].pub("$KV.routes.web--alice", "", []byte(`{}`)); err == nil {
			t.Fatal("the runner wrote a route")
		}
		got := conns["gateway"].jsRaw(t, "$JS.API.DIRECT.GET.KV_routes.$KV.routes.web--alice", "")
		if string(got.data) != `{"target":"10.0.0.2:80"}` {
			t.Fatalf("gateway read %q from the routes bucket", got.data)
		}
		// The operator cleans up: admin may delete streams.
		if res := conns["admin"].jsAPI(t, "$JS.API.STREAM.DELETE.KV_routes", ""); res["error"] != nil {
			t.Fatalf("admin cannot delete a stream: %v", res["error"])
		}
	})
}

// TestNATSMatrixCoversCatalog: every subject family named in pkg/subjects
// and every bucket named in pkg/subjects or pkg/msg has a row in the
// matrices above, so a new one cannot ship without its permissions being
// decided (and tested).
func TestNATSMatrixCoversCatalog(t *testing.T) {
	src := string(readFile(t, repoPath(t, "pkg", "subjects", "subjects.go")))
	families := map[string]bool{}
	for _, m := range regexp.MustCompile(`"((?:cmd|evt|job|term|stream)\.[a-z.*>-]*)"`).FindAllStringSubmatch(src, -1) {
		families[family(m[1])] = true
	}
	if len(families) < 5 {
		t.Fatalf("found only %v in pkg/subjects/subjects.go: the pattern no longer matches the catalog", keys(families))
	}
	covered := map[string]bool{}
	for _, c := range pubMatrix {
		covered[family(c.subject)] = true
	}
	for _, c := range subMatrix {
		covered[family(c.subject)] = true
	}
	for _, f := range keys(families) {
		if !covered[f] {
			t.Errorf("pkg/subjects names %q, which deploy/nats/permissions.conf and this test's matrices do not cover: decide who may publish and subscribe, then add it to both", f)
		}
	}

	// Buckets (KV "$KV.<b>.>" or object store "$O.<b>.>").
	files, _ := filepath.Glob(repoPath(t, "pkg", "msg", "*.go"))
	files = append(files, repoPath(t, "pkg", "subjects", "subjects.go"))
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		for _, m := range regexp.MustCompile(`Bucket\s*=\s*"([a-z0-9-]+)"`).FindAllStringSubmatch(string(readFile(t, f)), -1) {
			n++
			if !covered["$KV."+m[1]] && !covered["$O."+m[1]] {
				t.Errorf("%s names the bucket %q, which deploy/nats/permissions.conf and this test's matrices do not cover: decide who writes it ($KV.%s.> or $O.%s.>), then add it to both", filepath.Base(f), m[1], m[1], m[1])
			}
		}
	}
	if n == 0 {
		t.Fatal("no bucket found in pkg/subjects or pkg/msg: the pattern no longer matches")
	}
}

// family is the part of a subject that says who owns it: cmd.runner,
// evt.user, job, term, stream, $KV.routes, $O.contexts.
func family(s string) string {
	parts := strings.Split(s, ".")
	switch parts[0] {
	case "cmd", "evt", "$KV", "$O":
		if len(parts) > 1 && parts[1] != ">" && parts[1] != "*" {
			return parts[0] + "." + parts[1]
		}
	}
	return parts[0]
}

// ---- a real server -----------------------------------------------------------

func natsServer(t testing.TB) string {
	t.Helper()
	bin := repoPath(t, "bin", "nats-server")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("%s not found: run `make tools` (builds nats-server from deploy/tools/nats)", bin)
	}
	return bin
}

func natsPassword(user string) string { return "pw-" + user + "-0123456789abcdef" }

// natsEnv is what the config needs: the server name, the store and every
// password.
func natsEnv(t testing.TB, name, storeDir string) []string {
	env := append(baseEnv(), "NATS_SERVER_NAME="+name, "NATS_ROUTE_PASSWORD="+natsPassword("route"), "NATS_STORE_DIR="+storeDir)
	for _, u := range append(slices.Clone(natsUsers), "admin") {
		env = append(env, "NATS_"+strings.ToUpper(u)+"_PASSWORD="+natsPassword(u))
	}
	return env
}

// startNATS runs bin/nats-server with deploy/nats/nats.conf on free ports
// and a private store, and returns its client address.
func startNATS(t *testing.T) string { return startNATSWith(t, "nats.conf") }

// startNATSWith is startNATS with another file of deploy/nats.
func startNATSWith(t *testing.T, file string) string {
	t.Helper()
	bin := natsServer(t)
	port, mport := freePort(t), freePort(t)
	// Command-line flags override the file's listen and monitoring
	// addresses; everything else (users, permissions, JetStream) is the file's.
	cmd := exec.Command(bin, "-c", repoPath(t, "deploy", "nats", file),
		"-a", "127.0.0.1", "-p", strconv.Itoa(port), "-m", strconv.Itoa(mport))
	cmd.Env = natsEnv(t, "nats-check", t.TempDir())
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
		if t.Failed() {
			t.Logf("nats-server output:\n%s", out.String())
		}
	})
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case <-done:
			t.Fatalf("nats-server exited:\n%s", out.String())
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("nats-server not listening on %s after 20s:\n%s", addr, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// ---- a minimal NATS client (the text protocol), so this module needs no
// NATS library: CONNECT, PUB, SUB, UNSUB, PING/PONG; reads MSG and HMSG.

type natsConn struct {
	c    net.Conn
	r    *bufio.Reader
	sid  int
	msgs []natsMsg // delivered while waiting for a PONG
}

type natsMsg struct {
	subject, reply string
	header, data   []byte
}

func dialNATS(t testing.TB, addr, user, pass string) *natsConn {
	t.Helper()
	c, err := tryDialNATS(addr, user, pass)
	if err != nil {
		t.Fatalf("connect as %s: %v", user, err)
	}
	t.Cleanup(c.close)
	return c
}

func tryDialNATS(addr, user, pass string) (*natsConn, error) {
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	c := &natsConn{c: nc, r: bufio.NewReader(nc)}
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	line, err := c.r.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "INFO ") {
		nc.Close()
		return nil, fmt.Errorf("no INFO from the server: %q %v", line, err)
	}
	connect, _ := json.Marshal(map[string]any{"verbose": false, "pedantic": false, "user": user, "pass": pass,
		"name": "deploy-check-" + user, "lang": "go", "version": "0", "protocol": 1, "headers": true, "no_responders": true})
	if _, err := fmt.Fprintf(nc, "CONNECT %s\r\nPING\r\n", connect); err != nil {
		nc.Close()
		return nil, err
	}
	if err := c.waitPong(); err != nil {
		nc.Close()
		return nil, err
	}
	return c, nil
}

func (c *natsConn) close() { c.c.Close() }

// waitPong reads until PONG; an -ERR on the way is the result, messages are
// queued for next().
func (c *natsConn) waitPong() error {
	_ = c.c.SetDeadline(time.Now().Add(10 * time.Second))
	var errs []string
	for {
		line, err := c.r.ReadString('\n')
		if err != nil {
			if len(errs) > 0 {
				return fmt.Errorf("%s", strings.Join(errs, "; "))
			}
			return err
		}
		line = strings.TrimRight(line, "\r\n")
		switch {
		case line == "PONG":
			if len(errs) > 0 {
				return fmt.Errorf("%s", strings.Join(errs, "; "))
			}
			return nil
		case line == "PING":
			fmt.Fprint(c.c, "PONG\r\n")
		case strings.HasPrefix(line, "-ERR"):
			errs = append(errs, line)
		case strings.HasPrefix(line, "MSG ") || strings.HasPrefix(line, "HMSG "):
			m, err := c.readMsg(line)
			if err != nil {
				return err
			}
			c.msgs = append(c.msgs, m)
		}
	}
}

// readMsg reads the payload of a MSG/HMSG whose control line is line.
func (c *natsConn) readMsg(line string) (natsMsg, error) {
	f := strings.Fields(line)
	var m natsMsg
	hdr, total := 0, 0
	var err error
	switch {
	case f[0] == "MSG" && len(f) == 4:
		m.subject = f[1]
		total, err = strconv.Atoi(f[3])
	case f[0] == "MSG" && len(f) == 5:
		m.subject, m.reply = f[1], f[3]
		total, err = strconv.Atoi(f[4])
	case f[0] == "HMSG" && len(f) == 5:
		m.subject = f[1]
		hdr, _ = strconv.Atoi(f[3])
		total, err = strconv.Atoi(f[4])
	case f[0] == "HMSG" && len(f) == 6:
		m.subject, m.reply = f[1], f[3]
		hdr, _ = strconv.Atoi(f[4])
		total, err = strconv.Atoi(f[5])
	default:
		return m, fmt.Errorf("bad message line %q", line)
	}
	if err != nil {
		return m, fmt.Errorf("bad message line %q", line)
	}
	buf := make([]byte, total+2)
	if _, err := io.ReadFull(c.r, buf); err != nil {
		return m, err
	}
	m.header, m.data = buf[:hdr], buf[hdr:total]
	return m, nil
}

func (c *natsConn) pub(subject, reply string, data []byte) error {
	if reply != "" {
		reply += " "
	}
	if _, err := fmt.Fprintf(c.c, "PUB %s %s%d\r\n%s\r\nPING\r\n", subject, reply, len(data), data); err != nil {
		return err
	}
	return c.waitPong()
}

func (c *natsConn) sub(subject, queue string) (int, error) {
	c.sid++
	if queue != "" {
		queue += " "
	}
	if _, err := fmt.Fprintf(c.c, "SUB %s %s%d\r\nPING\r\n", subject, queue, c.sid); err != nil {
		return 0, err
	}
	return c.sid, c.waitPong()
}

func (c *natsConn) unsub(sid int) error {
	if _, err := fmt.Fprintf(c.c, "UNSUB %d\r\nPING\r\n", sid); err != nil {
		return err
	}
	return c.waitPong()
}

// next returns the next message delivered to this connection on subject
// ("" for any); others stay queued.
func (c *natsConn) next(t testing.TB, subject string, timeout time.Duration) natsMsg {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		for i, m := range c.msgs {
			if subject == "" || m.subject == subject {
				c.msgs = append(c.msgs[:i], c.msgs[i+1:]...)
				return m
			}
		}
		_ = c.c.SetDeadline(deadline)
		line, err := c.r.ReadString('\n')
		if err != nil {
			t.Fatalf("no message on %q within %s: %v", subject, timeout, err)
		}
		line = strings.TrimRight(line, "\r\n")
		switch {
		case line == "PING":
			fmt.Fprint(c.c, "PONG\r\n")
		case strings.HasPrefix(line, "-ERR"):
			t.Fatalf("server error while waiting for a message: %s", line)
		case strings.HasPrefix(line, "MSG ") || strings.HasPrefix(line, "HMSG "):
			m, err := c.readMsg(line)
			if err != nil {
				t.Fatal(err)
			}
			c.msgs = append(c.msgs, m)
		}
	}
}

// jsRaw sends a request (JetStream API or a publish into a stream) and
// returns the answer.
func (c *natsConn) jsRaw(t testing.TB, subject, body string) natsMsg {
	t.Helper()
	inbox := "_INBOX.js." + strconv.FormatInt(time.Now().UnixNano(), 36)
	sid, err := c.sub(inbox, "")
	if err != nil {
		t.Fatalf("subscribe %s: %v", inbox, err)
	}
	defer func() { _ = c.unsub(sid) }()
	if err := c.pub(subject, inbox, []byte(body)); err != nil {
		t.Fatalf("request %s: %v", subject, err)
	}
	return c.next(t, inbox, 10*time.Second)
}

// jsAPI is jsRaw decoding a JSON answer.
func (c *natsConn) jsAPI(t testing.TB, subject, body string) map[string]any {
	t.Helper()
	m := c.jsRaw(t, subject, body)
	var res map[string]any
	if err := json.Unmarshal(m.data, &res); err != nil {
		t.Fatalf("%s answered %q (header %q): %v", subject, m.data, m.header, err)
	}
	return res
}

// Keep the config's users and this test's in step.
func TestNATSUsersMatchConfig(t *testing.T) {
	conf := string(readFile(t, repoPath(t, "deploy", "nats", "permissions.conf")))
	got := regexp.MustCompile(`(?m)^\s*user:\s*([a-z]+)\s*$`).FindAllStringSubmatch(conf, -1)
	var users []string
	for _, m := range got {
		users = append(users, m[1])
	}
	want := append(slices.Clone(natsUsers), "admin")
	slices.Sort(users)
	slices.Sort(want)
	if !slices.Equal(users, want) {
		t.Errorf("permissions.conf users %v, want %v", users, want)
	}
	// Every password variable the config reads is given to the nats
	// service(s) by the compose file and the stack.
	vars := regexp.MustCompile(`password:\s*\$([A-Z_]+)`).FindAllStringSubmatch(conf, -1)
	for _, f := range []string{"docker-compose.yml", "deploy/swarm/stack.yml"} {
		text := string(readFile(t, repoPath(t, f)))
		for _, v := range vars {
			if !strings.Contains(text, v[1]+":") {
				t.Errorf("%s does not pass %s to NATS", f, v[1])
			}
		}
	}
}
