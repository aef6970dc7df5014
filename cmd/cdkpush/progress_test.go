package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vbauerster/mpb/v8"

	"github.com/cdkpush/cdkpush/push"
	"github.com/cdkpush/cdkpush/stackinfo"
)

const (
	digestWeb  = "sha256:ad2b46b8f9f45b9005dc5b0ea5246b3b138e15c3a5e16faeb6d3987c50753c01"
	digestBase = "sha256:bb8238cb00000000000000000000000000000000000000000000000000000000"
)

func progressJobs() []push.Job {
	return []push.Job{
		{
			Image: "web-api:1.2.3", Tag: "1.2.3", Registry: registry,
			Repository: stackinfo.Repository{Name: "web-api", URI: registry + "/web-api",
				Account: "123456789012", Region: "us-east-1"},
		},
		{
			Image: "team/base:7", Tag: "7", Registry: registry,
			Repository: stackinfo.Repository{Name: "team/base", URI: registry + "/team/base",
				Account: "123456789012", Region: "us-east-1"},
		},
	}
}

// progressEvents is a push of job 0 with a retry, and an up-to-date job 1.
func progressEvents() []push.Event {
	return []push.Event{
		{Job: 0, State: push.StateChecking},
		{Job: 1, State: push.StateChecking},
		{Job: 0, State: push.StateWaiting},
		{Job: 1, State: push.StateUpToDate, Digest: digestBase},
		{Job: 0, State: push.StatePushing},
		{Job: 0, State: push.StatePushing, Current: 1 << 20, Total: 24 << 20},
		{Job: 0, State: push.StateRetrying, Try: 2, Wait: 740 * time.Millisecond,
			Err: errors.New("pushing x: the engine reported: EOF")},
		{Job: 0, State: push.StatePushing, Current: 12 << 20, Total: 24 << 20},
		{Job: 0, State: push.StatePushing, Current: 24 << 20, Total: 24 << 20},
		{Job: 0, State: push.StateVerifying, Digest: digestWeb},
		{Job: 0, State: push.StatePushed, Digest: digestWeb},
	}
}

func TestPlainProgress(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf, progressJobs(), progressStyle{mode: progressPlain})
	for _, e := range progressEvents() {
		p.event(e)
	}
	fmt.Fprintln(p.writer(), "a log line")
	p.close()

	web, base := "[1/2] "+registry+"/web-api:1.2.3: ", "[2/2] "+registry+"/team/base:7: "
	want := []string{
		web + "checking what the registry holds",
		base + "checking what the registry holds",
		web + "waiting to push web-api:1.2.3",
		base + "up-to-date " + digestBase,
		web + "pushing web-api:1.2.3",
		web + "retrying (try 2) in 700ms after: pushing x: the engine reported: EOF",
		web + "pushing web-api:1.2.3",
		web + "confirming " + digestWeb + " on the registry",
		web + "pushed " + digestWeb + " (24.0 MiB sent)",
		"a log line",
	}
	got := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("plain progress (-want +got):\n%s", diff)
	}
	if strings.Contains(buf.String(), "\x1b[") {
		t.Errorf("plain progress holds escape sequences:\n%q", buf.String())
	}
}

func TestPlainProgressEndings(t *testing.T) {
	tests := []struct {
		e    push.Event
		want string
	}{
		{push.Event{State: push.StateFailed, Err: errors.New("denied: no")}, "failed: denied: no"},
		{push.Event{State: push.StateSkipped, Err: errors.New("not pushed: 1 of 2")},
			"skipped: not pushed: 1 of 2"},
		{push.Event{State: push.StateCancelled}, "cancelled"},
		{push.Event{State: push.StateRetrying, Try: 2, Err: errors.New("401 Unauthorized")},
			"retrying with new credentials after: 401 Unauthorized"},
		{push.Event{State: push.StatePushed, Digest: digestWeb}, "pushed " + digestWeb},
	}
	for _, tt := range tests {
		t.Run(string(tt.e.State), func(t *testing.T) {
			var buf bytes.Buffer
			p := newPlainProgress(&buf, progressJobs()[:1])
			p.event(tt.e)
			want := "[1/1] " + registry + "/web-api:1.2.3: " + tt.want + "\n"
			if buf.String() != want {
				t.Errorf("plain line = %q, want %q", buf.String(), want)
			}
		})
	}
}

func TestLiveProgress(t *testing.T) {
	for _, color := range []bool{false, true} {
		t.Run(fmt.Sprintf("color %v", color), func(t *testing.T) {
			var buf bytes.Buffer
			p := newLiveProgress(&buf, progressJobs(), color, mpb.ForceTTY(),
				mpb.WithAutoRefresh(), mpb.WithRefreshRate(time.Millisecond))
			for _, e := range progressEvents() {
				p.event(e)
				time.Sleep(2 * time.Millisecond)
			}
			fmt.Fprintln(p.writer(), "a log line")
			p.close()
			fmt.Fprintln(p.writer(), "after")

			out := buf.String()
			for _, want := range []string{"web-api:1.2.3", "team/base:7",
				"pushed sha256:ad2b46b8f9f4 24.0 MiB", "up-to-date sha256:bb8238cb0000",
				"a log line", "after\n"} {
				if !strings.Contains(out, want) {
					t.Errorf("live progress lacks %q:\n%s", want, out)
				}
			}
			if got := strings.Contains(out, "\x1b[32m"); got != color {
				t.Errorf("live progress with color %v has green: %v:\n%q", color, got, out)
			}
		})
	}
}

func TestLiveProgressUnfinished(t *testing.T) {
	var buf bytes.Buffer
	p := newLiveProgress(&buf, progressJobs(), false, mpb.ForceTTY(), mpb.WithAutoRefresh())
	p.event(push.Event{Job: 0, State: push.StatePushing, Current: 5, Total: 10})
	p.event(push.Event{Job: 1, State: push.StateFailed, Err: errors.New("x")})
	p.event(push.Event{Job: 1, State: push.StatePushing})
	p.event(push.Event{Job: 7, State: push.StatePushing})
	done := make(chan struct{})
	go func() {
		p.close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("close() did not return with an unfinished job")
	}
	if !strings.Contains(buf.String(), "failed") {
		t.Errorf("live progress lacks the failure:\n%s", buf.String())
	}
}

func TestChooseProgress(t *testing.T) {
	tty, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer tty.Close()
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	tests := []struct {
		name   string
		opts   options
		w      any
		getenv func(string) string
		want   progressStyle
	}{
		{"quiet", options{Quiet: true}, &bytes.Buffer{}, env(), progressStyle{}},
		{"not a terminal", options{}, &bytes.Buffer{}, env(),
			progressStyle{mode: progressPlain}},
		{"a file that is no terminal", options{}, tty, env(),
			progressStyle{mode: progressPlain}},
		{"verbose", options{Verbose: true}, &bytes.Buffer{}, env(),
			progressStyle{mode: progressPlain}},
		{"dumb terminal", options{}, &bytes.Buffer{}, env("TERM", "dumb"),
			progressStyle{mode: progressPlain}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := tt.w.(interface{ Write([]byte) (int, error) })
			if got := chooseProgress(&tt.opts, w, tt.getenv); got != tt.want {
				t.Errorf("chooseProgress() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestFormatBytes(t *testing.T) {
	tests := map[int64]string{
		0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB",
		24 << 20: "24.0 MiB", 3 << 30: "3.0 GiB",
	}
	for n, want := range tests {
		if got := formatBytes(n); got != want {
			t.Errorf("formatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
