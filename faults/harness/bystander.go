package harness

import (
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Bystander is another user going about their business while something
// else is abused: a list call every Interval, each status and latency kept.
type Bystander struct {
	stop chan struct{}
	done chan struct{}

	mu    sync.Mutex
	took  []time.Duration
	fails []string
}

// BystanderInterval paces a bystander well under the per-user rate limit.
const BystanderInterval = 250 * time.Millisecond

// StartBystander starts u's calls; Stop ends them and reports.
func (p *Platform) StartBystander(u User) *Bystander {
	b := &Bystander{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(b.done)
		tick := time.NewTicker(BystanderInterval)
		defer tick.Stop()
		for {
			r := p.Do(u.Token, http.MethodGet, "/api/v1/containers", nil, nil, 0)
			b.mu.Lock()
			if r.Err != nil || r.Status != http.StatusOK {
				b.fails = append(b.fails, r.String())
			} else {
				b.took = append(b.took, r.Took)
			}
			b.mu.Unlock()
			select {
			case <-b.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return b
}

// BystanderReport is what a bystander saw.
type BystanderReport struct {
	OK              int
	Failures        []string
	P50, P95, Worst time.Duration
}

func (r BystanderReport) String() string {
	return fmt.Sprintf("%d calls ok, %d failed; latency p50 %v, p95 %v, worst %v",
		r.OK, len(r.Failures), r.P50.Round(time.Millisecond), r.P95.Round(time.Millisecond), r.Worst.Round(time.Millisecond))
}

// Stop ends the calls and reports.
func (b *Bystander) Stop() BystanderReport {
	close(b.stop)
	<-b.done
	b.mu.Lock()
	defer b.mu.Unlock()
	rep := BystanderReport{OK: len(b.took), Failures: b.fails}
	if len(b.took) > 0 {
		s := slices.Clone(b.took)
		slices.Sort(s)
		rep.P50, rep.P95, rep.Worst = s[len(s)/2], s[len(s)*95/100], s[len(s)-1]
	}
	return rep
}
