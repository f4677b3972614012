// Command healthcheck is the Docker HEALTHCHECK of the platform's service
// images, which have no shell and no curl: it asks the service's internal
// listener for /healthz and exits 0 on 200, 1 otherwise (with the reason on
// stderr, which `docker inspect` shows under State.Health).
//
// Usage: healthcheck [URL]
//
// Without URL it reads HTTP_ADDR (the listener every service serves
// /healthz, /readyz and /metrics on; default ":8080") and asks
// http://HTTP_ADDR/healthz, with an unspecified host (":8080",
// "0.0.0.0:8080", "[::]:8080") meaning 127.0.0.1.
package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

func main() {
	url, err := target(os.Args[1:], os.Getenv("HTTP_ADDR"))
	if err == nil {
		err = check(url, 3*time.Second)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "healthcheck:", err)
		os.Exit(1)
	}
}

// target is the URL to ask.
func target(args []string, httpAddr string) (string, error) {
	if len(args) > 1 {
		return "", fmt.Errorf("usage: healthcheck [URL]")
	}
	if len(args) == 1 {
		return args[0], nil
	}
	if httpAddr == "" {
		httpAddr = ":8080"
	}
	host, port, err := net.SplitHostPort(httpAddr)
	if err != nil {
		return "", fmt.Errorf("HTTP_ADDR=%q: %v", httpAddr, err)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/healthz", nil
}

// check GETs url and wants a 200.
func check(url string, timeout time.Duration) error {
	c := &http.Client{Timeout: timeout}
	res, err := c.Get(url)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 512))
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", url, res.Status, body)
	}
	return nil
}
