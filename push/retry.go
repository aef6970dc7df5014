package push

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"regexp"
	"syscall"
	"time"

	"github.com/cenkalti/backoff/v5"
	cerrdefs "github.com/containerd/errdefs"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// RetryPolicy bounds the retries of a step that failed for a reason that
// may pass, such as a dropped connection or a registry that is briefly
// overloaded. The wait before each new try doubles, with jitter.
type RetryPolicy struct {
	// Tries is the most tries of one step, the first included; 0 means
	// DefaultRetry's.
	Tries int
	// Initial is the wait before the second try; 0 means DefaultRetry's.
	Initial time.Duration
	// Max caps the wait between two tries; 0 means DefaultRetry's.
	Max time.Duration
}

// DefaultRetry is the retry policy of a Pusher whose Retry is the zero
// value: five tries, about 0.5 s, 1 s, 2 s and 4 s apart.
var DefaultRetry = RetryPolicy{Tries: 5, Initial: 500 * time.Millisecond, Max: 10 * time.Second}

func (r RetryPolicy) orDefault() RetryPolicy {
	if r.Tries <= 0 {
		r.Tries = DefaultRetry.Tries
	}
	if r.Initial <= 0 {
		r.Initial = DefaultRetry.Initial
	}
	if r.Max <= 0 {
		r.Max = DefaultRetry.Max
	}
	return r
}

// failureKind says whether trying again may help.
type failureKind int

const (
	// permanent failures stay the same however often they are retried:
	// a refused request, a missing image, a cancelled run.
	permanent failureKind = iota
	// transient failures may pass: a dropped connection, a timeout, a 5xx
	// or 429 answer.
	transient
	// unauthorized failures may pass with new credentials.
	unauthorized
)

func (k failureKind) String() string {
	switch k {
	case transient:
		return "transient"
	case unauthorized:
		return "unauthorized"
	}
	return "permanent"
}

// classify tells what kind of failure err is. It looks at typed errors
// first (registry status codes, network errors) and then at the text, since
// the engine reports a failed push as a line of text inside its stream.
func classify(err error) failureKind {
	if err == nil || errors.Is(err, context.Canceled) {
		return permanent
	}
	code := 0
	var se *StatusError
	var te *transport.Error
	switch {
	case errors.As(err, &se):
		code = se.Code
	case errors.As(err, &te):
		code = te.StatusCode
	}
	if code != 0 {
		switch {
		case code == http.StatusUnauthorized:
			return unauthorized
		case code == http.StatusTooManyRequests, code == http.StatusRequestTimeout,
			code >= 500:
			return transient
		}
		return permanent
	}
	// The engine's own refusals, typed by the Engine API client.
	switch {
	case cerrdefs.IsInvalidArgument(err), cerrdefs.IsNotFound(err),
		cerrdefs.IsPermissionDenied(err), cerrdefs.IsConflict(err),
		cerrdefs.IsAlreadyExists(err), cerrdefs.IsNotImplemented(err),
		cerrdefs.IsFailedPrecondition(err), cerrdefs.IsUnauthorized(err):
		return permanent
	case cerrdefs.IsUnavailable(err):
		return transient
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, net.ErrClosed) {
		return transient
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return transient
	}
	return classifyText(err.Error())
}

var (
	// unauthorizedText marks a registry refusing the credentials. ECR
	// answers an expired token with 403 "denied: Your authorization token
	// has expired", which new credentials cure too.
	unauthorizedText = regexp.MustCompile(`(?i)unauthorized|authentication required|` +
		`no basic auth credentials|authorization token has expired|` +
		`status(?: code)?:? 401\b`)
	// transientText marks failures that may pass: dropped or timed out
	// connections, and 5xx and 429 answers as the engine words them.
	transientText = regexp.MustCompile(`(?i)connection reset|broken pipe|` +
		`use of closed network connection|` +
		`\b(?:unexpected )?eof\b|i/o timeout|tls handshake timeout|` +
		`timeout awaiting response headers|connection timed out|server closed idle connection|` +
		`http2: server sent goaway|toomanyrequests|too many requests|rate exceeded|` +
		`internal server error|bad gateway|service unavailable|gateway timeout|` +
		`status(?: code)?:? (?:5\d\d|429)\b`)
)

func classifyText(s string) failureKind {
	switch {
	case unauthorizedText.MatchString(s):
		return unauthorized
	case transientText.MatchString(s):
		return transient
	}
	return permanent
}

// retryNotice is told about each retry before its wait begins.
type retryNotice func(err error, wait time.Duration, next int)

// retryTransient runs op until it succeeds, fails for a reason that is not
// transient, the policy's tries are used up, or ctx ends.
func retryTransient[T any](ctx context.Context, policy RetryPolicy, op func() (T, error),
	notice retryNotice) (T, error) {
	policy = policy.orDefault()
	b := &backoff.ExponentialBackOff{
		InitialInterval:     policy.Initial,
		RandomizationFactor: 0.5,
		Multiplier:          2,
		MaxInterval:         policy.Max,
	}
	tries := 1
	v, err := backoff.Retry(ctx, func() (T, error) {
		v, err := op()
		if err == nil {
			return v, nil
		}
		if ctx.Err() != nil || classify(err) != transient {
			return v, backoff.Permanent(err)
		}
		var se *StatusError
		if errors.As(err, &se) && se.RetryAfter > 0 {
			return v, &waitThenRetry{err: err,
				after: &backoff.RetryAfterError{Duration: min(se.RetryAfter, policy.Max)}}
		}
		return v, err
	}, backoff.WithBackOff(b), backoff.WithMaxTries(uint(policy.Tries)),
		backoff.WithMaxElapsedTime(0), backoff.WithNotify(func(err error, wait time.Duration) {
			tries++
			if notice != nil {
				notice(err, wait, tries)
			}
		}))
	var perm *backoff.PermanentError
	if errors.As(err, &perm) {
		err = perm.Unwrap()
	}
	var w *waitThenRetry
	if errors.As(err, &w) {
		err = w.err
	}
	return v, err
}

// waitThenRetry is a transient failure whose answer said how long to wait
// before the next try.
type waitThenRetry struct {
	err   error
	after *backoff.RetryAfterError
}

func (e *waitThenRetry) Error() string   { return e.err.Error() }
func (e *waitThenRetry) Unwrap() []error { return []error{e.err, e.after} }
