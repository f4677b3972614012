package bench

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
	"text/template"
	"time"
)

// nginxConf is the configuration equivalent to the proxy's: route by Host
// through a map, HTTP/1.1 keep-alive to the app, Host kept, X-Forwarded-*
// set by the proxy, no response buffering (the proxy streams), no access log.
var nginxConf = template.Must(template.New("nginx").Parse(`daemon off;
worker_processes auto;
error_log {{.Dir}}/error.log warn;
pid {{.Dir}}/nginx.pid;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path {{.Dir}}/body;
    proxy_temp_path {{.Dir}}/proxy;
    fastcgi_temp_path {{.Dir}}/fastcgi;
    uwsgi_temp_path {{.Dir}}/uwsgi;
    scgi_temp_path {{.Dir}}/scgi;
{{range $i, $u := .Upstreams}}
    upstream app{{$i}} { server {{$u.Target}}; keepalive 64; }{{end}}
    map $host $app {
        default "";{{range $i, $u := .Upstreams}}
        {{$u.Host}} app{{$i}};{{end}}
    }
    server {
        listen {{.Listen}};
        location / {
            if ($app = "") { return 404; }
            proxy_pass http://$app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Host $http_host;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_buffering off;
        }
    }
}
`))

type upstream struct{ Host, Target string }

// startNginx runs Debian's nginx in the foreground on listen, routing each
// host name (without port) to its target; it stops when the benchmark ends.
func startNginx(tb testing.TB, listen string, routes map[string]string) {
	tb.Helper()
	dir := tb.TempDir()
	var ups []upstream
	for h, t := range routes {
		ups = append(ups, upstream{Host: h, Target: t})
	}
	sort.Slice(ups, func(i, j int) bool { return ups[i].Host < ups[j].Host })
	var conf bytes.Buffer
	if err := nginxConf.Execute(&conf, map[string]any{"Dir": dir, "Listen": listen, "Upstreams": ups}); err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, conf.Bytes(), 0o644); err != nil {
		tb.Fatal(err)
	}
	bin, err := exec.LookPath("nginx")
	if err != nil {
		bin = "/usr/sbin/nginx"
	}
	cmd := exec.Command(bin, "-p", dir, "-c", path)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start nginx (apt-get install nginx): %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	tb.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt) // fast shutdown
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	if !waitListening(listen, 10*time.Second) {
		log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
		tb.Fatalf("nginx did not listen on %s: %s %s", listen, out.String(), log)
	}
}
