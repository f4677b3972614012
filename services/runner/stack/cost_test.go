package stack_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/dockeronline/platform/pkg/apierr"
	"github.com/dockeronline/platform/pkg/bus"
	"github.com/dockeronline/platform/pkg/identity"
	"github.com/dockeronline/platform/pkg/msg"
	"github.com/dockeronline/platform/pkg/subjects"
	"github.com/dockeronline/platform/pkg/testenv"
	"github.com/dockeronline/platform/services/runner/runnertest"
	"github.com/dockeronline/platform/services/runner/stack"
)

const costWeb = "services:\n  web:\n    image: busybox:latest\n"

// TestCostlyComposeFilesAreRefusedWithBoundedMemory: every compose file of
// the cost catalogue (alias and merge-key bombs, deep nesting, 10,000
// services, interpolation bombs, extends: chains and files) sent to the
// runner over NATS is refused by its rule before compose-go expands it,
// while the runner's heap stays within a bound; nothing is created.
func TestCostlyComposeFilesAreRefusedWithBoundedMemory(t *testing.T) {
	// The runner shares the test's process: the 10 MB case's bound holds
	// the test's own copies too (the string, its JSON, both NATS ends).
	const maxGrowth, maxAlloc, maxGrowthBig = 32 << 20, 256 << 20, 128 << 20
	// A max_payload above the bus's own bound, so a 10 MB document
	// reaches the runner.
	h := setupWith(t, func(o *server.Options) { o.MaxPayload = 16 << 20 })
	alice := runnertest.NewUser(t, h.cli, identity.RoleUser)
	cases := stack.CostCases()
	// The bus refuses it at decode, before the stack service sees it.
	cases = append(cases, stack.CostCase{Name: "10 MB document", Compose: costWeb + "x-pad: \"" + strings.Repeat("x", 10<<20) + "\"\n"})
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			req := msg.StackUpRequest{Name: "costly", Compose: c.Compose, Env: c.Env}
			if c.Files != nil {
				req.Context = upload(t, h, alice.UserID, c.Files)
			}
			w := testenv.WatchHeap()
			started, err := call[msg.JobStarted](t, h, alice, subjects.StackUp, req)
			grew, allocated := w.Stop()
			t.Logf("heap grew %d MB, %d MB allocated", grew>>20, allocated>>20)
			ae := apierr.From(err)
			if ae == nil {
				t.Fatalf("accepted (job %s)", started.Job.ID)
			}
			if c.Rule == "" {
				if ae.Code != apierr.CodeInvalid || !strings.Contains(ae.Message, "more than") {
					t.Fatalf("got %v, want the bus's size refusal", ae)
				}
			} else if ae.Rule != c.Rule || ae.Code != apierr.CodePolicy {
				t.Fatalf("refused by %s/%q (%s), want policy rule %q", ae.Code, ae.Rule, ae.Message, c.Rule)
			}
			bound := uint64(maxGrowth)
			if len(c.Compose) > bus.MaxRequestBytes {
				bound = maxGrowthBig
			}
			if grew > bound || allocated > maxAlloc {
				t.Errorf("the runner's heap grew %d MB and allocated %d MB, bounds %d and %d MB", grew>>20, allocated>>20, bound>>20, maxAlloc>>20)
			}
		})
	}
	cs, ns, vs := owned(t, h, alice.UserID, "")
	if len(cs)+len(ns)+len(vs) > 0 {
		t.Errorf("refused stacks left objects: containers %v networks %v volumes %v", cs, ns, vs)
	}
}

// TestUploadOfManyEntriesIsRefused: an upload of 150,000 empty files (a
// few MB gzipped, hundreds of MB unpacked) is refused while streaming it,
// with the runner's heap growing within a bound.
func TestUploadOfManyEntriesIsRefused(t *testing.T) {
	h := setup(t)
	alice := runnertest.NewUser(t, h.cli, identity.RoleUser)
	archive := stack.ManyEntriesUpload(150000)
	ctxName := uploadRaw(t, h, alice.UserID, bytes.NewReader(archive))
	w := testenv.WatchHeap()
	_, err := call[msg.JobStarted](t, h, alice, subjects.StackUp, msg.StackUpRequest{Name: "many", Compose: costWeb, Context: ctxName})
	grew, _ := w.Stop()
	if ae := apierr.From(err); ae == nil || ae.Code != apierr.CodeInvalid || !strings.Contains(ae.Message, "files, folders and links") {
		t.Fatalf("got %v, want the upload refused for its entries", err)
	}
	// The upload itself is held once (fetched from the store); its
	// entries never are.
	if bound := uint64(len(archive)) + 32<<20; grew > bound {
		t.Errorf("the runner's heap grew %d MB, bound %d MB", grew>>20, bound>>20)
	}
}
