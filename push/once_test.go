package push

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

func TestOnceMap(t *testing.T) {
	var m onceMap[int]
	var loads atomic.Int32
	release := make(chan struct{})
	var wg sync.WaitGroup
	got := make([]int, 10)
	for i := range got {
		wg.Go(func() {
			got[i], _ = m.get(context.Background(), "k", func() (int, error) {
				loads.Add(1)
				<-release
				return 7, nil
			})
		})
	}
	close(release)
	wg.Wait()
	if n := loads.Load(); n != 1 {
		t.Errorf("get() loaded %d times for one key, want 1", n)
	}
	for i, v := range got {
		if v != 7 {
			t.Errorf("get() caller %d = %d, want 7", i, v)
		}
	}

	boom := errors.New("boom")
	if _, err := m.get(context.Background(), "bad", func() (int, error) {
		return 0, boom
	}); !errors.Is(err, boom) {
		t.Errorf("get() error = %v, want %v", err, boom)
	}
	v, err := m.get(context.Background(), "bad", func() (int, error) { return 3, nil })
	if err != nil || v != 3 {
		t.Errorf("get() after a failure = %d, %v, want 3 and a new load", v, err)
	}

	m.put("k", 99) // k has a value already: kept
	if drained := m.drain(); len(drained) != 2 {
		t.Errorf("drain() = %v, want the two loaded values", drained)
	}
	if v, _ := m.get(context.Background(), "k", func() (int, error) { return 1, nil }); v != 1 {
		t.Errorf("get() after drain = %d, want a new load", v)
	}
}
