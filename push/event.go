package push

import (
	"strings"
	"time"
)

// State is where a job stands.
type State string

// Job states, in the order a job goes through them. A job ends in one of
// StatePushed, StateUpToDate, StateSkipped, StateFailed or StateCancelled.
const (
	// StateChecking: asking the registry what the tag holds now.
	StateChecking State = "checking"
	// StateWaiting: checked, waiting for a free push slot.
	StateWaiting State = "waiting"
	// StatePushing: the engine is sending the image; Event.Current and
	// Event.Total count its bytes.
	StatePushing State = "pushing"
	// StateRetrying: a step failed for a reason that may pass, and is
	// tried again after Event.Wait.
	StateRetrying State = "retrying"
	// StateVerifying: confirming on the registry what the tag holds.
	StateVerifying State = "verifying"
	// StatePushed: pushed and confirmed.
	StatePushed State = "pushed"
	// StateUpToDate: the registry already holds the image under the tag.
	StateUpToDate State = "up-to-date"
	// StateSkipped: not pushed because another job failed its check.
	StateSkipped State = "skipped"
	// StateFailed: the job failed; Event.Err says why.
	StateFailed State = "failed"
	// StateCancelled: the run was cancelled before the job ended.
	StateCancelled State = "cancelled"
)

// Done reports whether s ends a job.
func (s State) Done() bool {
	switch s {
	case StatePushed, StateUpToDate, StateSkipped, StateFailed, StateCancelled:
		return true
	}
	return false
}

// Event is a change in one job: a new state, or more bytes sent.
type Event struct {
	// Job is the job's index in the slice given to Pusher.Push.
	Job int
	// State is the job's state.
	State State
	// Current and Total are the bytes the engine has sent and has to send
	// in all, summed over the image's layers, while pushing; Total grows
	// as the engine reports layers. Layers the registry already has count
	// for nothing.
	Current, Total int64
	// Digest is the manifest digest the registry holds, once known.
	Digest string
	// Err says why a job failed or was skipped, or why a step is retried.
	Err error
	// Try is the number of the coming try, when retrying.
	Try int
	// Wait is the pause before that try, when retrying.
	Wait time.Duration
}

// layerProgress adds up the engine's per-layer progress into the bytes of
// a whole image.
type layerProgress struct {
	layers  map[string]*layerBytes
	order   []string
	current int64
	total   int64
}

type layerBytes struct {
	current, total int64
	done           bool
}

// update takes one line of the engine's push stream and reports whether
// the image's totals changed.
func (p *layerProgress) update(m message) bool {
	if m.ID == "" {
		return false
	}
	if p.layers == nil {
		p.layers = map[string]*layerBytes{}
	}
	l, ok := p.layers[m.ID]
	if !ok {
		l = &layerBytes{}
		p.layers[m.ID] = l
		p.order = append(p.order, m.ID)
	}
	switch {
	case m.Status == "Pushing" && m.Progress != nil:
		if m.Progress.Total > 0 {
			l.total = m.Progress.Total
		}
		l.current = m.Progress.Current
	case m.Status == "Pushed":
		l.current, l.done = l.total, true
	case m.Status == "Layer already exists" || strings.HasPrefix(m.Status, "Mounted from "):
		// Nothing to send: the registry has it.
		l.current, l.total, l.done = 0, 0, true
	}
	var cur, tot int64
	for _, id := range p.order {
		cur += p.layers[id].current
		tot += p.layers[id].total
	}
	changed := cur != p.current || tot != p.total
	p.current, p.total = cur, tot
	return changed
}
