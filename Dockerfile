# The platform's service images: one file, the service picked by a build arg.
#
#   docker build --build-arg SERVICE=runner -t dockeronline/runner:dev .
#
# scripts/images.sh builds all five (and, on a machine without a registry,
# the Go builder image first); deploy/README.md explains both ways.
#
# Stages (the classic builder and BuildKit both run them; no BuildKit-only
# syntax is used, since this machine's engine has no buildx):
#   modules  go.mod/go.sum only -> go mod download        (cached until a go.sum changes)
#   deplist  the sources -> the third-party packages each service imports
#   deps     compiles exactly those packages                (cached until that list changes)
#   build    compiles the five services + the healthcheck, and lays out each
#            image's filesystem under /rootfs/<service>   (seconds: deps are warm)
#   final    FROM scratch + /rootfs/<SERVICE>: static binary, CA bundle,
#            /etc/passwd, USER 65532 (no RUN: nothing executes here)
# Everything up to `build` is the same for every SERVICE, so five images
# cost one compilation: the other four builds are cache hits but for their
# final COPY. scripts/images.sh builds all five from one snapshot of the
# sources, so they come from the same code even while it is being edited.
#
# GO_IMAGE is the builder base: the official Go image where a registry is
# reachable; scripts/images.sh passes dockeronline/go-builder:<version>, made
# here from the machine's toolchain, where none is. Keep its version equal
# to go.work's `go` line (deploy/check tests it).
ARG GO_IMAGE=golang:1.26.8-bookworm

FROM ${GO_IMAGE} AS modules
# Static binaries, no VCS stamping (.git is not in the context), paths
# trimmed; every module builds alone, as `make test` checks (GOWORK=off).
ENV CGO_ENABLED=0 GOWORK=off GOTOOLCHAIN=local GOFLAGS="-trimpath -buildvcs=false"
ARG GOPROXY=https://proxy.golang.org,direct
ENV GOPROXY=${GOPROXY}
# The gateway serves xterm.js from Debian's node-xterm (XTERM_DIR): the
# local builder carries the host's copy; the official (Debian) image gets it
# from apt.
RUN [ -d /usr/share/nodejs/xterm/lib ] || { apt-get update -q && \
      apt-get install -y -q --no-install-recommends node-xterm && rm -rf /var/lib/apt/lists/*; }
WORKDIR /src
COPY pkg/go.mod pkg/go.sum pkg/
COPY services/gateway/go.* services/gateway/
COPY services/auth/go.* services/auth/
COPY services/runner/go.* services/runner/
COPY services/provisioner/go.* services/provisioner/
COPY services/proxy/go.* services/proxy/
COPY deploy/docker/healthcheck/go.mod deploy/docker/healthcheck/
RUN for m in pkg services/*; do (cd "$m" && go mod download) || exit 1; done

FROM modules AS deplist
COPY pkg pkg
COPY services services
# One list per service, in its own module (its own versions).
RUN mkdir /deps && for s in gateway auth runner provisioner proxy; do \
      [ -f "services/$s/cmd/$s/main.go" ] || continue; \
      (cd "services/$s" && go list -deps -f '{{if not .Standard}}{{.ImportPath}}{{end}}' "./cmd/$s") > /tmp/all || exit 1; \
      grep -v '^github.com/dockeronline/platform/' /tmp/all > "/deps/$s.txt" || true; \
    done; wc -l /deps/* 2>/dev/null || true

FROM modules AS deps
COPY --from=deplist /deps /deps
RUN for f in /deps/*.txt; do \
      [ -s "$f" ] || continue; s=$(basename "$f" .txt); \
      (cd "services/$s" && go build $(cat "$f")) || exit 1; \
    done

FROM deps AS build
COPY pkg pkg
COPY services services
COPY deploy/docker deploy/docker
RUN mkdir -p /out && for s in gateway auth runner provisioner proxy; do \
      if [ -f "services/$s/cmd/$s/main.go" ]; then \
        echo "go build $s"; \
        (cd "services/$s" && go build -ldflags="-s -w" -o "/out/$s" "./cmd/$s") || exit 1; \
      else echo "no services/$s/cmd/$s yet: image $s cannot be built"; fi; \
    done && \
    (cd deploy/docker/healthcheck && go build -ldflags="-s -w" -o /out/healthcheck .)
# Each service's whole filesystem, ready for the final stage to copy:
# /rootfs/<service>/{usr/local/bin/<service>, usr/local/bin/service ->
# <service>, usr/local/bin/healthcheck, etc/passwd, etc/group, the CA
# bundle, a sticky /tmp, /home/nonroot}, plus xterm.js for the gateway.
RUN for s in $(ls /out | grep -v '^healthcheck$'); do \
      r=/rootfs/$s && \
      mkdir -p $r/usr/local/bin $r/etc/ssl/certs $r/tmp $r/home/nonroot && \
      cp "/out/$s" /out/healthcheck $r/usr/local/bin/ && \
      ln -s "$s" $r/usr/local/bin/service && \
      cp /etc/ssl/certs/ca-certificates.crt $r/etc/ssl/certs/ && \
      cp deploy/docker/passwd deploy/docker/group $r/etc/ && \
      chmod 1777 $r/tmp && chown 65532:65532 $r/home/nonroot || exit 1; \
    done && \
    if [ -d /rootfs/gateway ]; then \
      mkdir -p /rootfs/gateway/usr/share/nodejs/xterm /rootfs/gateway/usr/share/doc/node-xterm && \
      cp -RL /usr/share/nodejs/xterm/lib /rootfs/gateway/usr/share/nodejs/xterm/ && \
      { cp /usr/share/doc/node-xterm/copyright /rootfs/gateway/usr/share/doc/node-xterm/ 2>/dev/null || true; }; \
    fi

# The image: one service's filesystem, nothing else. An unknown SERVICE
# stops here with "stat rootfs/<SERVICE>/: file does not exist".
FROM scratch
ARG SERVICE
ARG REVISION=unknown
LABEL org.opencontainers.image.title="dockeronline-${SERVICE}" \
      org.opencontainers.image.source="https://github.com/dockeronline/platform" \
      org.opencontainers.image.revision="${REVISION}" \
      org.dockeronline.service="${SERVICE}"
COPY --from=build /rootfs/${SERVICE}/ /
# Every service serves /healthz, /readyz and /metrics on HTTP_ADDR; in a
# container of its own it listens on every interface of its namespace.
ENV HTTP_ADDR=:8080 HOME=/home/nonroot
USER 65532:65532
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 CMD ["/usr/local/bin/healthcheck"]
ENTRYPOINT ["/usr/local/bin/service"]
