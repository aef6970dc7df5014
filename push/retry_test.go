package push

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"syscall"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
)

func TestClassify(t *testing.T) {
	stream := func(s string) error { return fmt.Errorf("pushing x: %w", &StreamError{s}) }
	status := func(code int, text string) error {
		return fmt.Errorf("asking registry r for x:1: %w",
			&StatusError{Code: code, Status: fmt.Sprintf("%d %s", code, text)})
	}
	tests := []struct {
		name string
		err  error
		want failureKind
	}{
		// The engine's words, inside its stream.
		{"connection reset", stream(`Put "http://r/v2/x/manifests/1": read tcp ` +
			`127.0.0.1:1->127.0.0.1:2: read: connection reset by peer`), transient},
		{"EOF", stream(`Patch "http://r/v2/x/blobs/uploads/abc": EOF`), transient},
		{"unexpected EOF", stream("unexpected EOF"), transient},
		{"broken pipe", stream("write tcp 1->2: write: broken pipe"), transient},
		{"i/o timeout", stream("dial tcp 10.0.0.1:443: i/o timeout"), transient},
		{"TLS handshake timeout", stream("net/http: TLS handshake timeout"), transient},
		{"500", stream("received unexpected HTTP status: 500 Internal Server Error"), transient},
		{"502", stream("received unexpected HTTP status: 502 Bad Gateway"), transient},
		{"503", stream("unknown: 503 Service Unavailable"), transient},
		{"504", stream("504 Gateway Timeout"), transient},
		{"429", stream("toomanyrequests: Rate exceeded"), transient},
		{"unauthorized", stream("unauthorized: authentication required"), unauthorized},
		{"no basic auth", stream("no basic auth credentials"), unauthorized},
		{"ECR expired token", stream("denied: Your authorization token has expired. " +
			"Reauthenticate and try again."), unauthorized},
		{"denied", stream("denied: requested access to the resource is denied"), permanent},
		{"immutable tag", stream("tag invalid: The image tag '1' already exists in the 'x' " +
			"repository and cannot be overwritten because the repository is immutable."),
			permanent},
		{"name unknown", stream("name unknown: The repository with name 'x' does not exist"),
			permanent},
		{"connection refused", stream(`Get "http://127.0.0.1:1/v2/": dial tcp ` +
			`127.0.0.1:1: connect: connection refused`), permanent},
		{"tag does not exist", stream("tag does not exist: r/x:1"), permanent},
		{"a digest is no status code", stream("manifest invalid: sha256:503aaa" +
			"5020000000000000000000000000000000000000000000000000000000000000"), permanent},
		{"eof inside a word", stream("layer geofence missing"), permanent},
		// The registry's own answers to cdkpush.
		{"registry 401", status(401, "Unauthorized"), unauthorized},
		{"registry 403", status(403, "Forbidden"), permanent},
		{"registry 404", status(404, "Not Found"), permanent},
		{"registry 408", status(408, "Request Timeout"), transient},
		{"registry 429", status(429, "Too Many Requests"), transient},
		{"registry 500", status(500, "Internal Server Error"), transient},
		{"registry 503", status(503, "Service Unavailable"), transient},
		// Transport errors.
		{"reset", &url.Error{Op: "Get", URL: "http://r", Err: syscall.ECONNRESET}, transient},
		{"EOF error", &url.Error{Op: "Get", URL: "http://r", Err: io.EOF}, transient},
		// What the HTTP client says when the server resets the connection
		// while the request body is still being sent.
		{"closed while sending", &url.Error{Op: "Patch", URL: "http://r", Err: &net.OpError{
			Op: "write", Err: net.ErrClosed}}, transient},
		{"closed, as text", stream("readfrom tcp 1->2: write tcp 1->2: use of closed " +
			"network connection"), transient},
		{"timeout", &url.Error{Op: "Get", URL: "http://r", Err: timeoutError{}}, transient},
		{"deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), transient},
		{"refused", &url.Error{Op: "Get", URL: "http://r",
			Err: &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}}, permanent},
		{"cancelled", fmt.Errorf("x: %w", context.Canceled), permanent},
		// The engine's refusals, typed by the client.
		{"engine 400", cerrdefs.ErrInvalidArgument.WithMessage(
			"Bad parameters and missing X-Registry-Auth: EOF"), permanent},
		{"engine 404", cerrdefs.ErrNotFound.WithMessage("No such image: x"), permanent},
		{"engine 503", cerrdefs.ErrUnavailable.WithMessage("busy"), transient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := classify(tt.err); got != tt.want {
				t.Errorf("classify(%q) = %s, want %s", tt.err, got, tt.want)
			}
		})
	}
}

type timeoutError struct{}

func (timeoutError) Error() string   { return "timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

func TestRetryTransient(t *testing.T) {
	errReset := errors.New("read: connection reset by peer")
	errDenied := errors.New("denied: requested access to the resource is denied")
	tests := []struct {
		name      string
		errs      []error // one per try; past the end, success
		policy    RetryPolicy
		wantTries int
		wantErr   error
	}{
		{name: "success", wantTries: 1},
		{name: "transient then success", errs: []error{errReset, errReset}, wantTries: 3},
		{name: "bounded", errs: []error{errReset, errReset, errReset, errReset},
			wantTries: 3, wantErr: errReset},
		{name: "permanent", errs: []error{errDenied, nil}, wantTries: 1, wantErr: errDenied},
		{name: "429 with Retry-After", errs: []error{&StatusError{Code: 429,
			Status: "429 Too Many Requests", RetryAfter: time.Hour}}, wantTries: 2},
		{name: "Retry-After on the last try", wantTries: 3,
			errs: []error{errReset, errReset, &StatusError{Code: 503,
				Status: "503 Service Unavailable", RetryAfter: time.Hour}},
			wantErr: &StatusError{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tries := 0
			var waits []time.Duration
			_, err := retryTransient(context.Background(), fastRetry, func() (int, error) {
				tries++
				if tries <= len(tt.errs) && tt.errs[tries-1] != nil {
					return 0, tt.errs[tries-1]
				}
				return 1, nil
			}, func(_ error, wait time.Duration, next int) {
				waits = append(waits, wait)
				if next != len(waits)+1 {
					t.Errorf("retry notice for try %d after %d waits", next, len(waits))
				}
			})
			if tries != tt.wantTries {
				t.Errorf("retryTransient() tried %d times, want %d", tries, tt.wantTries)
			}
			var se *StatusError
			switch {
			case tt.wantErr == nil && err != nil:
				t.Errorf("retryTransient() = %v, want success", err)
			case errors.As(tt.wantErr, &se):
				if !errors.As(err, &se) {
					t.Errorf("retryTransient() = %v, want the registry's status", err)
				}
			case tt.wantErr != nil && err != tt.wantErr:
				t.Errorf("retryTransient() = %v, want %v", err, tt.wantErr)
			}
			for _, w := range waits {
				if w > fastRetry.Max*2 {
					t.Errorf("waited %v, want at most about %v", w, fastRetry.Max)
				}
			}
		})
	}
}

func TestRetryTransientCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	slow := RetryPolicy{Tries: 5, Initial: time.Hour, Max: time.Hour}
	tries := 0
	done := make(chan error)
	go func() {
		_, err := retryTransient(ctx, slow, func() (int, error) {
			tries++
			return 0, errors.New("connection reset by peer")
		}, func(error, time.Duration, int) { cancel() })
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) || tries != 1 {
			t.Errorf("retryTransient() = %v after %d tries, want context.Canceled after 1",
				err, tries)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("retryTransient() kept waiting after cancellation")
	}
}

func TestRetryPolicyDefaults(t *testing.T) {
	if got := (RetryPolicy{}).orDefault(); got != DefaultRetry {
		t.Errorf("RetryPolicy{}.orDefault() = %+v, want %+v", got, DefaultRetry)
	}
	p := RetryPolicy{Tries: 2}
	if got := p.orDefault(); got.Tries != 2 || got.Initial != DefaultRetry.Initial {
		t.Errorf("%+v.orDefault() = %+v", p, got)
	}
}
