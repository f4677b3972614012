# The Go builder image for machines without a container registry:
# `dockeronline/go-builder:<go version>`, made FROM scratch out of the
# machine's own Go toolchain, Debian's static busybox (a shell for RUN) and
# the machine's CA bundle (module downloads over HTTPS).
#
# scripts/images.sh builds it; its context is a tar stream it assembles with
# exactly these paths (nothing is copied to disk):
#   busybox                     the static busybox (Debian: busybox-static)
#   ca-certificates.crt         the CA bundle
#   go/                         GOROOT (its test/ folder left out)
#   share/                      Debian's node-xterm (nodejs/xterm, and the
#                               javascript/xterm its addons link to), which
#                               the gateway image serves (XTERM_DIR)
# Where a registry is available, skip this image altogether and build the
# services with the official one: GO_IMAGE=golang:<version>-bookworm.
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY go /usr/local/go
COPY share /usr/share
RUN mkdir -p /tmp /root /go/bin /usr/bin && chmod 1777 /tmp
ENV PATH=/go/bin:/usr/local/go/bin:/bin \
    GOPATH=/go \
    GOTOOLCHAIN=local \
    HOME=/root \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
WORKDIR /go
# scripts/images.sh rebuilds an existing builder whose label is older.
LABEL org.dockeronline.go-builder="2"
