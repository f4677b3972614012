# Docker Online: the entry points. Real work lives in scripts/; this file
# only orders it. Targets:
#   make deps   Debian packages (only the missing ones)
#   make tools  bin/kratos, bin/nats-server, bin/registry, bin/buildkitd, built from deploy/tools/*
#   make build  the five services into bin/
#   make run    everything above, then the whole platform in the background
#   make stop   stop what make run started (data stays in var/)
#   make test   gofmt, build+vet each module alone, every test
#   make bench  every benchmark in one run; rewrites docs/BENCHMARKS.md
#   make images the five services' container images (docker build)
#   make test-faults  the whole fault suite, abuse and scale tests (docs/FAULTS.md)
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := build
# The Go toolchain is installed in /usr/local/go; CI may not have it on PATH.
export PATH := $(PATH):/usr/local/go/bin

SERVICES := gateway auth runner provisioner proxy

.PHONY: deps tools build run stop test clean

deps:
	scripts/deps.sh

tools: bin/kratos bin/nats-server bin/registry bin/buildkitd

# The tool modules are not in go.work: their dependency graphs are theirs.
# `touch` because go build leaves an up-to-date binary's mtime alone, and
# make would then rebuild it every time.
bin/kratos: deploy/tools/kratos/go.mod deploy/tools/kratos/go.sum
	cd deploy/tools/kratos && GOWORK=off go build -o $(CURDIR)/$@ \
		-ldflags "-X github.com/ory/kratos/driver/config.Version=$$(awk '$$1 == "github.com/ory/kratos" {print $$2}' go.mod)" \
		github.com/ory/kratos
	touch $@

bin/nats-server: deploy/tools/nats/go.mod deploy/tools/nats/go.sum
	cd deploy/tools/nats && GOWORK=off go build -o $(CURDIR)/$@ github.com/nats-io/nats-server/v2
	touch $@

# The Distribution registry: tests push images to it and pull them through
# the platform (pkg/registrytest); this machine has no other registry.
bin/registry: deploy/tools/registry/go.mod deploy/tools/registry/go.sum
	cd deploy/tools/registry && GOWORK=off go build -o $(CURDIR)/$@ github.com/distribution/distribution/v3/cmd/registry
	touch $@

# Standalone BuildKit, the runner's builder when RUNNER_BUILDKIT_ADDR is set
# (docs/ARCHITECTURE.md): buildkitd and, for debugging by hand, buildctl.
bin/buildkitd: deploy/tools/buildkit/go.mod deploy/tools/buildkit/go.sum
	cd deploy/tools/buildkit && GOWORK=off go build -o $(CURDIR)/bin/ \
		github.com/moby/buildkit/cmd/buildkitd github.com/moby/buildkit/cmd/buildctl
	touch $@ bin/buildctl

# Always handed to go build, whose cache makes an unchanged service cheap.
build:
	@for svc in $(SERVICES); do \
		echo "go build -o bin/$$svc ./services/$$svc/cmd/$$svc"; \
		go build -o bin/$$svc ./services/$$svc/cmd/$$svc; \
	done

run: deps tools build
	scripts/run.sh

stop:
	scripts/stop.sh

test: deps tools
	scripts/test.sh

# Build outputs only; var/ (databases, secrets) is kept on purpose.
clean:
	rm -rf bin test-output

# Every benchmark side by side in one run (about five minutes; it needs the
# machine's cores to itself), then docs/BENCHMARKS.md from the results.
.PHONY: bench
bench: deps tools
	scripts/bench.sh

# The whole fault suite, the abuse tests and the 1,000-container scale test
# (docs/FAULTS.md): each service killed with SIGKILL mid-work, NATS and
# Postgres restarted, the runner cut off from Docker. About 16 minutes on
# 2 cores; `make test` runs a bounded form (FAULTS unset). Service logs are
# kept in test-output/faults/, measurements end test-output/faults-full.log.
.PHONY: test-faults
test-faults: deps tools
	mkdir -p test-output/faults
	cd faults && FAULTS=full FAULTS_LOG_DIR=$(CURDIR)/test-output/faults KRATOS_BIN=$(CURDIR)/bin/kratos \
		go test -count=1 -timeout 90m -v ./... 2>&1 | tee $(CURDIR)/test-output/faults-full.log

# The services' images, built with this machine's engine from the repo's
# Dockerfile (see deploy/README.md for the builder image).
.PHONY: images
images:
	scripts/images.sh
