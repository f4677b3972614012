package e2e

import (
	"testing"

	"github.com/dockeronline/platform/e2e/stack"
	runnerstack "github.com/dockeronline/platform/services/runner/stack"
)

// TestStackCostRefusals: every compose file of the cost catalogue (alias,
// merge-key and interpolation bombs, nesting, 10,000 services, port
// ranges, extends: chains and files) is refused through the API with its
// rule and a 4xx, and nothing is created.
func TestStackCostRefusals(t *testing.T) {
	s := stack.Start(t)
	a := s.Register(t, stack.UniqueName("spender"))
	for _, c := range runnerstack.CostCases() {
		t.Run(c.Name, func(t *testing.T) {
			pace() // the gateway rate-limits each user (bursts of 60)
			req := map[string]any{"name": "costly", "compose": c.Compose}
			if c.Env != nil {
				req["env"] = c.Env
			}
			r := postStack(t, s, a.Token, req, c.Files)
			e := r.Err(t)
			if r.Status/100 != 4 || e.Rule != c.Rule {
				t.Fatalf("%d %.300s, want a 4xx with rule %s", r.Status, r.Body, c.Rule)
			}
		})
	}
	if left := stackObjects(t, s, a.UserID, ""); len(left) > 0 {
		t.Errorf("refused stacks left %v", left)
	}
}
