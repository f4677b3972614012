package testenv

import (
	"runtime"
	"sync"
	"time"
)

// HeapWatch samples the test process's heap while a test attacks code
// running in it (an in-process service): the peak in use above where it
// started, and what was allocated meanwhile. Memory-bound tests assert on
// it instead of on wall-clock time.
type HeapWatch struct {
	base, peak, allocBase uint64
	stop                  chan struct{}
	wg                    sync.WaitGroup
}

// WatchHeap collects garbage, notes the heap and samples it every 2 ms
// until Stop.
func WatchHeap() *HeapWatch {
	var m runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m)
	w := &HeapWatch{base: m.HeapInuse, peak: m.HeapInuse, allocBase: m.TotalAlloc, stop: make(chan struct{})}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-w.stop:
				return
			case <-tick.C:
				var m runtime.MemStats
				runtime.ReadMemStats(&m)
				w.peak = max(w.peak, m.HeapInuse)
			}
		}
	}()
	return w
}

// Stop ends sampling: how far the heap in use rose above its start, and
// how many bytes were allocated in all.
func (w *HeapWatch) Stop() (grew, allocated uint64) {
	close(w.stop)
	w.wg.Wait()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	w.peak = max(w.peak, m.HeapInuse)
	return w.peak - w.base, m.TotalAlloc - w.allocBase
}
