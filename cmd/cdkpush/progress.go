package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"

	"github.com/cdkpush/cdkpush/push"
)

// progressMode is how a push shows its progress on stderr.
type progressMode int

const (
	// progressQuiet shows nothing.
	progressQuiet progressMode = iota
	// progressPlain writes one line per change of a job's state.
	progressPlain
	// progressLive keeps one live line per job, with a bar of the bytes
	// sent.
	progressLive
)

// progressStyle is how progress is shown.
type progressStyle struct {
	mode  progressMode
	color bool
}

// chooseProgress picks the progress style: none with --quiet; plain lines
// with --verbose (debug messages would tear live lines), without a terminal
// on stderr, or with TERM=dumb; live lines on a terminal otherwise. Colour
// only on live lines, and never when NO_COLOR is set.
func chooseProgress(opts *options, stderr io.Writer, getenv func(string) string) progressStyle {
	switch {
	case opts.Quiet:
		return progressStyle{mode: progressQuiet}
	case opts.Verbose || getenv("TERM") == "dumb" || !isTerminal(stderr):
		return progressStyle{mode: progressPlain}
	}
	return progressStyle{mode: progressLive, color: getenv("NO_COLOR") == ""}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progress shows the events of a push.
type progress interface {
	// event shows one event; calls never overlap.
	event(e push.Event)
	// writer is where log lines go while progress is shown.
	writer() io.Writer
	// close shows the last state and stops.
	close()
}

// newProgress shows the progress of jobs on w in the given style.
func newProgress(w io.Writer, jobs []push.Job, st progressStyle) progress {
	switch st.mode {
	case progressPlain:
		return newPlainProgress(w, jobs)
	case progressLive:
		return newLiveProgress(w, jobs, st.color)
	}
	return quietProgress{w: w}
}

// quietProgress shows nothing.
type quietProgress struct{ w io.Writer }

func (quietProgress) event(push.Event)    {}
func (q quietProgress) writer() io.Writer { return q.w }
func (quietProgress) close()              {}

// plainProgress writes one line per change of a job's state, such as
//
//	[1/2] 123456789012.dkr.ecr.us-east-1.amazonaws.com/web-api:1.2.3: pushing web-api:1.2.3
type plainProgress struct {
	mu    sync.Mutex
	w     io.Writer
	jobs  []push.Job
	state []push.State
	total []int64
}

func newPlainProgress(w io.Writer, jobs []push.Job) *plainProgress {
	return &plainProgress{w: w, jobs: jobs, state: make([]push.State, len(jobs)),
		total: make([]int64, len(jobs))}
}

func (p *plainProgress) event(e push.Event) {
	if e.Job < 0 || e.Job >= len(p.jobs) {
		return
	}
	if e.Total > 0 {
		p.total[e.Job] = e.Total
	}
	if e.State == p.state[e.Job] && e.State != push.StateRetrying {
		return
	}
	p.state[e.Job] = e.State
	j := p.jobs[e.Job]
	line := fmt.Sprintf("[%d/%d] %s:%s: %s\n", e.Job+1, len(p.jobs), j.Repository.URI, j.Tag,
		describeEvent(e, j, p.total[e.Job]))
	p.mu.Lock()
	defer p.mu.Unlock()
	_, _ = io.WriteString(p.w, line)
}

func (p *plainProgress) writer() io.Writer { return lockedWriter{mu: &p.mu, w: p.w} }

func (p *plainProgress) close() {}

// describeEvent says what a job is doing, in a few words.
func describeEvent(e push.Event, j push.Job, total int64) string {
	switch e.State {
	case push.StateChecking:
		return "checking what the registry holds"
	case push.StateWaiting:
		return "waiting to push " + j.Image
	case push.StatePushing:
		return "pushing " + j.Image
	case push.StateRetrying:
		if e.Wait == 0 {
			return fmt.Sprintf("retrying with new credentials after: %v", e.Err)
		}
		return fmt.Sprintf("retrying (try %d) in %s after: %v", e.Try,
			e.Wait.Round(100*time.Millisecond), e.Err)
	case push.StateVerifying:
		return "confirming " + e.Digest + " on the registry"
	case push.StatePushed:
		if total > 0 {
			return fmt.Sprintf("pushed %s (%s sent)", e.Digest, formatBytes(total))
		}
		return "pushed " + e.Digest
	case push.StateUpToDate:
		return "up-to-date " + e.Digest
	case push.StateSkipped, push.StateFailed:
		return fmt.Sprintf("%s: %v", e.State, e.Err)
	}
	return string(e.State)
}

// lockedWriter serializes writes with the progress lines.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// liveProgress keeps one line per job on a terminal, redrawn in place:
//
//	web-api:1.2.3  [=======>-------]  pushing 12.0 MiB / 24.0 MiB
type liveProgress struct {
	p     *mpb.Progress
	w     io.Writer
	bars  []*mpb.Bar
	color bool

	mu     sync.Mutex
	views  []jobView
	closed bool
	// held are log lines written while the live lines were shown.
	held bytes.Buffer
}

// jobView is what a live line shows of a job.
type jobView struct {
	state          push.State
	current, total int64
	digest         string
	try            int
}

func newLiveProgress(w io.Writer, jobs []push.Job, color bool,
	extra ...mpb.ContainerOption) *liveProgress {
	opts := append([]mpb.ContainerOption{mpb.WithOutput(w),
		mpb.WithRefreshRate(120 * time.Millisecond)}, extra...)
	l := &liveProgress{p: mpb.New(opts...), w: w, color: color,
		views: make([]jobView, len(jobs))}
	labels := jobLabels(jobs)
	for i := range jobs {
		bar := l.p.New(0,
			mpb.BarStyle().Lbound("[").Filler("=").Tip(">").Padding("-").Rbound("]"),
			mpb.BarWidth(24),
			mpb.PrependDecorators(decor.Name(labels[i], decor.WCSyncSpaceR)),
			mpb.AppendDecorators(decor.Any(func(decor.Statistics) string {
				return l.status(i)
			}, decor.WC{C: decor.DindentRight})),
		)
		l.bars = append(l.bars, bar)
	}
	return l
}

// jobLabels names each job by repository name and tag, with the registry
// when the jobs go to more than one.
func jobLabels(jobs []push.Job) []string {
	registries := map[string]bool{}
	for _, j := range jobs {
		registries[j.Registry] = true
	}
	labels := make([]string, len(jobs))
	for i, j := range jobs {
		labels[i] = j.Repository.Name + ":" + j.Tag
		if len(registries) > 1 {
			labels[i] = j.Repository.Account + "/" + j.Repository.Region + " " + labels[i]
		}
	}
	return labels
}

func (l *liveProgress) event(e push.Event) {
	if e.Job < 0 || e.Job >= len(l.bars) {
		return
	}
	l.mu.Lock()
	v := &l.views[e.Job]
	if v.state.Done() {
		l.mu.Unlock()
		return
	}
	v.state = e.State
	if e.Total > 0 {
		v.current, v.total = e.Current, e.Total
	}
	if e.Digest != "" {
		v.digest = e.Digest
	}
	if e.State == push.StateRetrying {
		v.try = e.Try
	}
	cur, tot := v.current, v.total
	l.mu.Unlock()

	bar := l.bars[e.Job]
	switch e.State {
	case push.StatePushing:
		if tot > 0 {
			bar.SetTotal(tot, false)
			bar.SetCurrent(cur)
		}
	case push.StatePushed, push.StateUpToDate:
		if tot == 0 {
			// Nothing was sent: show the bar full all the same.
			bar.SetCurrent(1)
		}
		bar.SetTotal(-1, true)
	case push.StateFailed, push.StateCancelled, push.StateSkipped:
		bar.Abort(false)
	}
}

// status is the text after a job's bar.
func (l *liveProgress) status(i int) string {
	l.mu.Lock()
	v := l.views[i]
	l.mu.Unlock()
	switch v.state {
	case "":
		return "queued"
	case push.StatePushing:
		if v.total > 0 {
			return fmt.Sprintf("pushing %s / %s", formatBytes(v.current), formatBytes(v.total))
		}
		return "pushing"
	case push.StateRetrying:
		return l.paint(yellow, fmt.Sprintf("retrying (try %d)", v.try))
	case push.StatePushed:
		s := "pushed " + shortDigest(v.digest)
		if v.total > 0 {
			s += " " + formatBytes(v.total)
		}
		return l.paint(green, s)
	case push.StateUpToDate:
		return l.paint(green, "up-to-date "+shortDigest(v.digest))
	case push.StateFailed:
		return l.paint(red, "failed")
	case push.StateCancelled, push.StateSkipped:
		return l.paint(yellow, string(v.state))
	}
	return string(v.state)
}

// ANSI colours of the live lines' status words.
const (
	red    = "31"
	green  = "32"
	yellow = "33"
)

func (l *liveProgress) paint(color, s string) string {
	if !l.color {
		return s
	}
	return "\x1b[" + color + "m" + s + "\x1b[0m"
}

// writer holds log lines back while the live lines are shown, so as not to
// tear them, and prints them when the live lines end; afterwards it writes
// straight to the output.
func (l *liveProgress) writer() io.Writer { return liveWriter{l} }

type liveWriter struct{ l *liveProgress }

func (w liveWriter) Write(b []byte) (int, error) {
	w.l.mu.Lock()
	defer w.l.mu.Unlock()
	if w.l.closed {
		return w.l.w.Write(b)
	}
	return w.l.held.Write(b)
}

func (l *liveProgress) close() {
	for i, bar := range l.bars {
		l.mu.Lock()
		done := l.views[i].state.Done()
		l.mu.Unlock()
		if !done {
			bar.Abort(false)
		}
	}
	l.p.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	_, _ = l.held.WriteTo(l.w)
}

// formatBytes writes a byte count in binary units, such as "24.0 MiB".
func formatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// shortDigest cuts a digest to the 12 hex digits docker shows.
func shortDigest(d string) string {
	algo, hex, ok := strings.Cut(d, ":")
	if !ok || len(hex) <= 12 {
		return d
	}
	return algo + ":" + hex[:12]
}
