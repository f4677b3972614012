package policy_test

import (
	"slices"
	"testing"

	"github.com/moby/moby/client"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/services/runner/policy"
)

var (
	builder = identity.Caller{UserID: "u-alice", Username: "alice", Role: identity.RoleUser}
	root    = identity.Caller{UserID: "u-root", Username: "root", Role: identity.RoleAdmin}
)

// TestDockerfileEscapes: every way a Dockerfile can reach past its build
// context is refused by the rule that names it; ordinary Dockerfiles pass
// and report the images they read.
func TestDockerfileEscapes(t *testing.T) {
	cases := []struct {
		name, dockerfile, rule string
	}{
		{"COPY climbing out", "FROM busybox\nCOPY ../../etc/passwd /x\n", policy.RulePath},
		{"COPY a host path", "FROM busybox\nCOPY /etc/passwd /x\n", policy.RulePath},
		{"COPY the socket", "FROM busybox\nCOPY var/run/docker.sock /x\n", policy.RuleDockerSock},
		{"ADD climbing out via an arg", "FROM busybox\nARG SRC=../..\nADD ${SRC}/etc /x\n", policy.RulePath},
		{"ADD a URL", "FROM busybox\nADD http://127.0.0.1:4222/ /x\n", policy.RuleRemoteSource},
		{"ADD a git repository", "FROM busybox\nADD git@github.com:example/app.git /x\n", policy.RuleRemoteSource},
		{"RUN on the host network", "FROM busybox\nRUN --network=host wget http://127.0.0.1/\n", policy.RuleHostNS},
		{"RUN insecure", "FROM busybox\nRUN --security=insecure id\n", policy.RuleEntitlement},
		{"RUN with a secret", "FROM busybox\nRUN --mount=type=secret,id=key cat /run/secrets/key\n", policy.RulePath},
		{"RUN with the ssh agent", "FROM busybox\nRUN --mount=type=ssh ssh-add -l\n", policy.RulePath},
		{"RUN bind-mounting out of the context", "FROM busybox\nRUN --mount=type=bind,source=../..,target=/h ls /h\n", policy.RulePath},
		{"RUN bind-mounting a host path", "FROM busybox\nRUN --mount=type=bind,source=/etc,target=/h ls /h\n", policy.RulePath},
		{"ONBUILD ADD of a URL", "FROM busybox\nONBUILD ADD http://169.254.169.254/ /x\n", policy.RuleRemoteSource},
		{"platform label", "FROM busybox\nLABEL dockeronline.owner=u-bob\n", policy.RuleReservedLabel},
		{"does not parse", "FROM busybox\nFROBNICATE x\n", policy.RuleDockerfile},
		{"no FROM", "RUN true\n", policy.RuleDockerfile},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := policy.CheckDockerfileWith(builder, []byte(c.dockerfile), policy.DockerfileInput{Base: bases})
			if ae := apierr.From(err); ae == nil || ae.Rule != c.rule {
				t.Fatalf("got %v, want rule %s", err, c.rule)
			}
		})
	}
}

func TestDockerfileImages(t *testing.T) {
	df := "ARG BASE=busybox:1\nFROM ${BASE} AS build\nRUN --mount=type=cache,target=/c true\nCOPY . /src\n" +
		"FROM scratch\nCOPY --from=build /src /src\nCOPY --from=alice/tools:2 /bin/tool /bin/tool\n" +
		"RUN --mount=type=bind,from=bob/secret:1,target=/s true\n"
	refs, err := policy.CheckDockerfileWith(builder, []byte(df), policy.DockerfileInput{Args: map[string]string{"BASE": "alpine:3"}, Base: bases})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"alpine:3", "alice/tools:2", "bob/secret:1"}
	if !slices.Equal(refs.Images, want) {
		t.Errorf("images %v, want %v", refs.Images, want)
	}
	if !slices.Equal(refs.Stages, []string{"build", ""}) {
		t.Errorf("stages %v", refs.Stages)
	}
	// Admins are only parsed.
	if _, err := policy.CheckDockerfile(root, []byte("FROM busybox\nADD http://example.com/x /x\n"), nil); err != nil {
		t.Errorf("admin: %v", err)
	}
}

func TestBuildOptions(t *testing.T) {
	e := policy.New(policy.DefaultLimits())
	cases := []struct {
		name         string
		opts         client.ImageBuildOptions
		entitlements []string
		rule         string
	}{
		{"default network", client.ImageBuildOptions{}, nil, ""},
		{"named default", client.ImageBuildOptions{NetworkMode: "default"}, nil, ""},
		{"own default by its Docker name", client.ImageBuildOptions{NetworkMode: "alice--default"}, nil, ""},
		{"no network", client.ImageBuildOptions{NetworkMode: "none"}, nil, ""},
		{"host network", client.ImageBuildOptions{NetworkMode: "host"}, nil, policy.RuleHostNS},
		{"host network in capitals", client.ImageBuildOptions{NetworkMode: "HOST"}, nil, policy.RuleHostNS},
		{"the engine's bridge", client.ImageBuildOptions{NetworkMode: "bridge"}, nil, policy.RuleNetwork},
		{"another user's network", client.ImageBuildOptions{NetworkMode: "bob--default"}, nil, policy.RuleNetwork},
		{"another container's network", client.ImageBuildOptions{NetworkMode: "container:bob--web"}, nil, policy.RuleNetwork},
		{"security options", client.ImageBuildOptions{SecurityOpt: []string{"seccomp=unconfined"}}, nil, policy.RuleSecurityOpt},
		{"cgroup parent", client.ImageBuildOptions{CgroupParent: "/"}, nil, policy.RuleCgroup},
		{"remote context", client.ImageBuildOptions{RemoteContext: "http://127.0.0.1/ctx.tar"}, nil, policy.RuleRemoteSource},
		{"network.host entitlement", client.ImageBuildOptions{}, []string{"network.host"}, policy.RuleEntitlement},
		{"security.insecure entitlement", client.ImageBuildOptions{}, []string{"security.insecure"}, policy.RuleEntitlement},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := c.opts
			e.ApplyBuild(builder, &o)
			if o.Memory != 2048<<20 || o.MemorySwap != o.Memory || o.CPUQuota != 200000 {
				t.Errorf("build limits %d/%d/%d", o.Memory, o.MemorySwap, o.CPUQuota)
			}
			if c.opts.NetworkMode == "" && o.NetworkMode != "alice--default" {
				t.Errorf("build network %q, want the caller's own", o.NetworkMode)
			}
			err := e.AdmitBuild(builder, &o, c.entitlements)
			got := ""
			if ae := apierr.From(err); ae != nil {
				got = ae.Rule
			}
			if got != c.rule {
				t.Fatalf("got %v, want rule %q", err, c.rule)
			}
		})
	}
}
