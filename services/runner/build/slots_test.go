package build

import (
	"context"
	"slices"
	"testing"
	"time"
)

// TestSlotsFair: one user queueing more builds than there are slots holds
// only its per-user share; another user's build is granted the next free
// slot before that user's queued ones, and waiting is said exactly once.
func TestSlotsFair(t *testing.T) {
	s := newSlots(2, 1, 8)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var order []string
	grants := make(chan string, 8)
	waited := map[string]int{}
	start := func(name, user string) chan func() {
		rel := make(chan func(), 1)
		queued := make(chan struct{})
		go func() {
			r, err := s.acquire(ctx, user, func() { waited[name]++; close(queued) })
			if err != nil {
				t.Errorf("%s: %v", name, err)
				return
			}
			grants <- name
			rel <- r
		}()
		select { // wait until it is granted or queued, so arrival order is fixed
		case <-queued:
		case r := <-rel:
			rel <- r
		}
		return rel
	}
	a1 := start("a1", "alice")
	if got := <-grants; got != "a1" {
		t.Fatalf("first grant %s", got)
	}
	a2 := start("a2", "alice")
	a3 := start("a3", "alice")
	b1 := start("b1", "bob")
	order = append(order, <-grants) // bob gets the free slot although alice queued first
	(<-b1)()
	(<-a1)()
	order = append(order, <-grants)
	(<-a2)()
	order = append(order, <-grants)
	(<-a3)()
	if !slices.Equal(order, []string{"b1", "a2", "a3"}) {
		t.Errorf("grant order %v, want [b1 a2 a3]", order)
	}
	if waited["a1"] != 0 || waited["b1"] != 0 || waited["a2"] != 1 || waited["a3"] != 1 {
		t.Errorf("waiting said %v", waited)
	}
	if s.free != 2 || len(s.running) != 0 || len(s.queue) != 0 {
		t.Errorf("slots not all back: free %d running %v queue %d", s.free, s.running, len(s.queue))
	}
}

// TestSlotsGiveUp: a build that stops waiting leaves the queue and never
// holds a slot.
func TestSlotsGiveUp(t *testing.T) {
	s := newSlots(1, 1, 8)
	rel, err := s.acquire(context.Background(), "alice", nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := s.acquire(ctx, "bob", cancel) // gives up as soon as it waits
		done <- err
	}()
	if err := <-done; err == nil {
		t.Fatal("a cancelled wait was granted")
	}
	rel()
	if s.free != 1 || len(s.queue) != 0 || len(s.running) != 0 {
		t.Errorf("free %d queue %d running %v", s.free, len(s.queue), s.running)
	}
}

// TestSlotsReserve: one user's builds between start and end are bounded;
// ending one makes room, and other users are not affected.
func TestSlotsReserve(t *testing.T) {
	s := newSlots(1, 1, 2)
	d1, ok1 := s.reserve("alice")
	_, ok2 := s.reserve("alice")
	_, ok3 := s.reserve("alice")
	_, okBob := s.reserve("bob")
	if !ok1 || !ok2 || ok3 || !okBob {
		t.Fatalf("reserve: %v %v %v bob %v, want true true false, bob true", ok1, ok2, ok3, okBob)
	}
	d1()
	d1() // twice is once
	if _, ok := s.reserve("alice"); !ok {
		t.Errorf("no room after a build ended")
	}
	if _, ok := s.reserve("alice"); ok {
		t.Errorf("room beyond the bound: a double done counted twice")
	}
}
