// The HEALTHCHECK binary baked into every service image (see the repo's
// Dockerfile). Standard library only; not in go.work: the image build
// compiles it alone and deploy/check vets it.
module github.com/dockeronline/platform/deploy/docker/healthcheck

go 1.26.8
