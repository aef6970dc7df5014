package push

import (
	"context"
	"sync"
)

// onceMap loads a value once per key and shares it between concurrent
// callers. A failed load is not kept: the next caller loads again. Its zero
// value is ready to use.
type onceMap[V any] struct {
	mu      sync.Mutex
	entries map[string]*onceEntry[V]
}

type onceEntry[V any] struct {
	done  chan struct{}
	value V
	err   error
}

// get returns the value for key, calling load on first use. A caller that
// waits for another's load stops waiting when ctx ends.
func (m *onceMap[V]) get(ctx context.Context, key string, load func() (V, error)) (V, error) {
	m.mu.Lock()
	if m.entries == nil {
		m.entries = map[string]*onceEntry[V]{}
	}
	e, ok := m.entries[key]
	if !ok {
		e = &onceEntry[V]{done: make(chan struct{})}
		m.entries[key] = e
	}
	m.mu.Unlock()
	if !ok {
		e.value, e.err = load()
		if e.err != nil {
			m.mu.Lock()
			delete(m.entries, key)
			m.mu.Unlock()
		}
		close(e.done)
	}
	select {
	case <-e.done:
		return e.value, e.err
	case <-ctx.Done():
		var zero V
		return zero, ctx.Err()
	}
}

// put records a value loaded elsewhere, unless key has one already.
func (m *onceMap[V]) put(key string, value V) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.entries == nil {
		m.entries = map[string]*onceEntry[V]{}
	}
	if _, ok := m.entries[key]; ok {
		return
	}
	e := &onceEntry[V]{done: make(chan struct{}), value: value}
	close(e.done)
	m.entries[key] = e
}

// drain removes every finished entry and returns its value; entries still
// loading are left alone.
func (m *onceMap[V]) drain() []V {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []V
	for key, e := range m.entries {
		select {
		case <-e.done:
			if e.err == nil {
				out = append(out, e.value)
			}
			delete(m.entries, key)
		default:
		}
	}
	return out
}
