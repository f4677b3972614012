// Command backend is the benchmark's keep-alive app: a static Go HTTP server
// answering every request with the same small page, run in a container
// built FROM scratch (busybox httpd closes every connection, which hides
// what a proxy's connection reuse is worth).
package main

import (
	"bytes"
	"log"
	"net/http"
	"strconv"
)

func main() {
	body := append([]byte("<!doctype html><title>bench</title><p>"), bytes.Repeat([]byte("x"), 512)...)
	size := strconv.Itoa(len(body))
	log.Fatal(http.ListenAndServe(":8080", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Content-Length", size)
		_, _ = w.Write(body)
	})))
}
