package edge

import (
	"testing"
	"time"
)

func TestTicketsRedeemOnce(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	tk := newTickets()
	tk.max = 2
	exp := now.Add(time.Minute)
	steps := []struct {
		id   string
		at   time.Time
		want bool
	}{
		{"a", now, true},
		{"a", now.Add(time.Second), false}, // replay
		{"b", now, true},
		{"c", now, false},                     // full of live ids: refused, not forgotten
		{"a", now.Add(2 * time.Minute), true}, // expired ids are swept (an expired ticket fails Verify anyway)
		{"c", now.Add(2 * time.Minute), true},
		{"c", now.Add(121 * time.Second), false},
	}
	for i, s := range steps {
		if got := tk.redeem(s.id, exp.Add(s.at.Sub(now)), s.at); got != s.want {
			t.Errorf("step %d: redeem(%s) = %v, want %v", i, s.id, got, s.want)
		}
	}
}
