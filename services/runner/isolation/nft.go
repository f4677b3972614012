package isolation

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
)

// nft runs the nft binary with a script on stdin, or with args; table is
// the table it keeps (Table; tests use their own).
type nft struct{ bin, table string }

func (n nft) apply(ctx context.Context, script string) error {
	_, err := n.run(ctx, script, "-f", "-")
	return err
}

func (n nft) run(ctx context.Context, stdin string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, n.bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("nft %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
	}
	return out.Bytes(), nil
}

// listed is what the table holds now, from `nft -j list table`.
type listed struct {
	// handle is the table's; it changes only when the table is made anew.
	handle int
	chains map[string]listedChain
	// rules maps a rule's comment to its packet counter.
	rules map[string]uint64
}

type listedChain struct {
	Hook   string `json:"hook"`
	Prio   int    `json:"prio"`
	Policy string `json:"policy"`
}

// list reads the table; found is false when it does not exist.
func (n nft) list(ctx context.Context) (l listed, found bool, err error) {
	out, err := n.run(ctx, "", "-j", "list", "table", "inet", n.table)
	if err != nil {
		if strings.Contains(err.Error(), "No such file or directory") {
			return l, false, nil
		}
		return l, false, err
	}
	var doc struct {
		Nftables []struct {
			Table *struct {
				Handle int `json:"handle"`
			} `json:"table"`
			Chain *struct {
				Name string `json:"name"`
				listedChain
			} `json:"chain"`
			Rule *struct {
				Comment string            `json:"comment"`
				Expr    []json.RawMessage `json:"expr"`
			} `json:"rule"`
		} `json:"nftables"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		return l, false, fmt.Errorf("nft -j list: %w", err)
	}
	l = listed{chains: map[string]listedChain{}, rules: map[string]uint64{}}
	for _, o := range doc.Nftables {
		switch {
		case o.Table != nil:
			l.handle = o.Table.Handle
		case o.Chain != nil:
			l.chains[o.Chain.Name] = o.Chain.listedChain
		case o.Rule != nil:
			l.rules[o.Rule.Comment] += packets(o.Rule.Expr)
		}
	}
	return l, true, nil
}

func packets(expr []json.RawMessage) uint64 {
	for _, e := range expr {
		var c struct {
			Counter *struct {
				Packets uint64 `json:"packets"`
			} `json:"counter"`
		}
		if json.Unmarshal(e, &c) == nil && c.Counter != nil {
			return c.Counter.Packets
		}
	}
	return 0
}

// complete reports whether l holds every chain and rule of the ruleset,
// and nothing else (a rule added by hand could accept what we drop only in
// a chain of ours, so an extra rule is a difference too).
func (l listed) complete() bool {
	if len(l.chains) != len(chains) || len(l.rules) != len(rules) {
		return false
	}
	for _, c := range chains {
		got, ok := l.chains[c]
		if !ok || got.Hook != c || got.Prio != -1 || got.Policy != "accept" {
			return false
		}
	}
	for _, r := range rules {
		if _, ok := l.rules[comment(r)]; !ok {
			return false
		}
	}
	return true
}
