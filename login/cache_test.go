package login

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// countingECR answers every GetAuthorizationToken with a new password,
// testPassword-N for request N, and a token that lives for lifetime from
// clock's now (moto's past expiry when lifetime is 0).
func countingECR(clock *fakeClock, lifetime time.Duration) func(awsRequest) (int, string) {
	var mu sync.Mutex
	n := 0
	return func(req awsRequest) (int, string) {
		mu.Lock()
		n++
		password := testPassword + "-" + strconv.Itoa(n)
		mu.Unlock()
		expires := motoExpiry
		if lifetime != 0 {
			expires = clock.Now().Add(lifetime)
		}
		return http.StatusOK, tokenAnswerAt(b64("AWS:"+password),
			"https://"+testAccount+".dkr.ecr."+req.Region+".amazonaws.com", expires)
	}
}

// newClockedProvider returns a Provider on f with clock as its time.
func newClockedProvider(t *testing.T, f *fakeAWS, clock *fakeClock) *Provider {
	t.Helper()
	cfg := f.start(t)
	return &Provider{
		Clients: &AWSClients{Config: func(context.Context) (aws.Config, error) { return cfg, nil }},
		Now:     clock.Now,
	}
}

// TestProviderRefresh checks when a cached token is handed out again: only
// while at least 15 minutes and a tenth of its lifetime are left.
func TestProviderRefresh(t *testing.T) {
	sandboxAWS(t)
	tests := []struct {
		name      string
		lifetime  time.Duration
		elapsed   time.Duration
		wantFetch bool
	}{
		// ECR's 12 hours: a tenth is 72 minutes, more than 15.
		{name: "12h, fresh", lifetime: 12 * time.Hour, elapsed: time.Hour},
		{name: "12h, 73m left", lifetime: 12 * time.Hour, elapsed: 10*time.Hour + 47*time.Minute},
		{name: "12h, 71m left", lifetime: 12 * time.Hour, elapsed: 10*time.Hour + 49*time.Minute,
			wantFetch: true},
		{name: "12h, expired", lifetime: 12 * time.Hour, elapsed: 13 * time.Hour,
			wantFetch: true},
		// One hour: a tenth is 6 minutes, so 15 minutes rule.
		{name: "1h, 16m left", lifetime: time.Hour, elapsed: 44 * time.Minute},
		{name: "1h, 14m left", lifetime: time.Hour, elapsed: 46 * time.Minute, wantFetch: true},
		// Ten minutes: never reused.
		{name: "10m", lifetime: 10 * time.Minute, elapsed: 0, wantFetch: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock()
			f := &fakeAWS{t: t, ecr: countingECR(clock, tt.lifetime)}
			p := newClockedProvider(t, f, clock)
			start := clock.Now()
			first, err := p.Credentials(context.Background(), testAccount, "us-east-1")
			if err != nil {
				t.Fatalf("first Credentials() error: %v", err)
			}
			clock.Set(start.Add(tt.elapsed))
			second, err := p.Credentials(context.Background(), testAccount, "us-east-1")
			if err != nil {
				t.Fatalf("second Credentials() error: %v", err)
			}
			wantRequests := 1
			if tt.wantFetch {
				wantRequests = 2
			}
			if n := len(f.calls("ecr")); n != wantRequests {
				t.Errorf("ECR got %d requests after %v, want %d", n, tt.elapsed, wantRequests)
			}
			if fetched := first.Password != second.Password; fetched != tt.wantFetch {
				t.Errorf("second Credentials() gave a new token = %v, want %v",
					fetched, tt.wantFetch)
			}
		})
	}
}

// TestProviderExpiredToken: a token that has expired when it arrives, as
// moto's always has, is handed to the callers that waited for it, but a
// later caller gets a new one.
func TestProviderExpiredToken(t *testing.T) {
	sandboxAWS(t)
	clock := newFakeClock()
	release := make(chan struct{})
	counting := countingECR(clock, 0)
	f := &fakeAWS{t: t, ecr: func(req awsRequest) (int, string) {
		<-release
		return counting(req)
	}}
	p := newClockedProvider(t, f, clock)

	const callers = 5
	var wg sync.WaitGroup
	got := make([]Credentials, callers)
	for i := range callers {
		wg.Go(func() {
			var err error
			got[i], err = p.Credentials(context.Background(), testAccount, "us-east-1")
			if err != nil {
				t.Errorf("caller %d: Credentials() error: %v", i, err)
			}
		})
	}
	waitFor(t, "every caller waiting", func() bool { return waiters(p) == callers })
	close(release)
	wg.Wait()
	for i := range callers {
		if got[i].Password != testPassword+"-1" || !got[i].ExpiresAt.Equal(motoExpiry) {
			t.Errorf("caller %d: Credentials() = %v (expires %v), want the first token",
				i, got[i], got[i].ExpiresAt)
		}
	}
	later, err := p.Credentials(context.Background(), testAccount, "us-east-1")
	if err != nil {
		t.Fatalf("later Credentials() error: %v", err)
	}
	if later.Password != testPassword+"-2" {
		t.Errorf("later Credentials() reused the expired token")
	}
	if n := len(f.calls("ecr")); n != 2 {
		t.Errorf("ECR got %d requests, want 2", n)
	}
}

// TestProviderNoExpiry: an answer without expiresAt is taken to live for
// ECR's 12 hours.
func TestProviderNoExpiry(t *testing.T) {
	sandboxAWS(t)
	clock := newFakeClock()
	f := &fakeAWS{t: t, ecr: func(awsRequest) (int, string) {
		return http.StatusOK, `{"authorizationData":[{"authorizationToken":"` +
			b64("AWS:"+testPassword) + `","proxyEndpoint":"https://` + testHost + `"}]}`
	}}
	p := newClockedProvider(t, f, clock)
	start := clock.Now()
	for _, elapsed := range []time.Duration{0, 10 * time.Hour, 11 * time.Hour} {
		clock.Set(start.Add(elapsed))
		if _, err := p.Credentials(context.Background(), testAccount, "us-east-1"); err != nil {
			t.Fatalf("Credentials() after %v error: %v", elapsed, err)
		}
	}
	// Fetched at 0 and again at 11h, when 60 of its 720 minutes were left.
	if n := len(f.calls("ecr")); n != 2 {
		t.Errorf("ECR got %d requests, want 2", n)
	}
}

func TestProviderInvalidate(t *testing.T) {
	sandboxAWS(t)
	clock := newFakeClock()
	f := &fakeAWS{t: t, ecr: countingECR(clock, 12*time.Hour)}
	p := newClockedProvider(t, f, clock)
	ctx := context.Background()

	first, err := p.Credentials(ctx, testAccount, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	// Another registry's invalidation changes nothing here.
	p.Invalidate(testAccount, "eu-west-1")
	p.InvalidateFor(Target{AccountID: testAccount, Region: "us-east-1",
		Role: Role{ARN: "arn:aws:iam::123456789012:role/other"}})
	again, err := p.Credentials(ctx, testAccount, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	if again.Password != first.Password {
		t.Fatalf("Credentials() fetched a new token after another registry's Invalidate")
	}

	p.Invalidate(testAccount, "us-east-1")
	renewed, err := p.Credentials(ctx, testAccount, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	if renewed.Password == first.Password {
		t.Errorf("Credentials() after Invalidate() returned the refused token")
	}
	if n := len(f.calls("ecr")); n != 2 {
		t.Errorf("ECR got %d requests, want 2", n)
	}
}

// TestProviderInvalidateDuringRequest: a request under way is newer than
// the token a registry refused, so Invalidate leaves it alone.
func TestProviderInvalidateDuringRequest(t *testing.T) {
	sandboxAWS(t)
	clock := newFakeClock()
	release := make(chan struct{})
	counting := countingECR(clock, 12*time.Hour)
	f := &fakeAWS{t: t, ecr: func(req awsRequest) (int, string) {
		<-release
		return counting(req)
	}}
	p := newClockedProvider(t, f, clock)
	done := make(chan error, 1)
	go func() {
		_, err := p.Credentials(context.Background(), testAccount, "us-east-1")
		done <- err
	}()
	waitFor(t, "the request", func() bool { return len(f.calls("ecr")) == 1 })
	p.Invalidate(testAccount, "us-east-1")
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := p.Credentials(context.Background(), testAccount, "us-east-1"); err != nil {
		t.Fatal(err)
	}
	if n := len(f.calls("ecr")); n != 1 {
		t.Errorf("ECR got %d requests, want 1", n)
	}
}

// TestProviderFirstCallerCancelled: the caller that started the request
// gives up; the others still get its answer, from that one request.
func TestProviderFirstCallerCancelled(t *testing.T) {
	sandboxAWS(t)
	clock := newFakeClock()
	release := make(chan struct{})
	counting := countingECR(clock, 12*time.Hour)
	f := &fakeAWS{t: t, ecr: func(req awsRequest) (int, string) {
		select {
		case <-release:
		case <-req.Context.Done():
			t.Error("ECR fake: the request was cancelled with the first caller")
		}
		return counting(req)
	}}
	p := newClockedProvider(t, f, clock)

	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() {
		_, err := p.Credentials(ctx, testAccount, "us-east-1")
		first <- err
	}()
	waitFor(t, "the request", func() bool { return len(f.calls("ecr")) == 1 })
	second := make(chan error, 1)
	go func() {
		c, err := p.Credentials(context.Background(), testAccount, "us-east-1")
		if err == nil && c.Password != testPassword+"-1" {
			err = errors.New("got another token")
		}
		second <- err
	}()
	waitFor(t, "the second caller", func() bool { return waiters(p) == 2 })

	cancel()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Errorf("first Credentials() error = %v, want context.Canceled", err)
	}
	close(release)
	if err := <-second; err != nil {
		t.Errorf("second Credentials() error: %v", err)
	}
	if n := len(f.calls("ecr")); n != 1 {
		t.Errorf("ECR got %d requests, want 1", n)
	}
}

// TestProviderAllCallersGone: when every caller has given up, the request
// is cancelled and forgotten; the next caller starts a new one.
func TestProviderAllCallersGone(t *testing.T) {
	sandboxAWS(t)
	clock := newFakeClock()
	counting := countingECR(clock, 12*time.Hour)
	cancelled := make(chan struct{})
	f := &fakeAWS{t: t}
	f.ecr = func(req awsRequest) (int, string) {
		if len(f.calls("ecr")) == 1 {
			select {
			case <-req.Context.Done():
				close(cancelled)
			case <-time.After(10 * time.Second):
				t.Error("ECR fake: the abandoned request was never cancelled")
			}
		}
		return counting(req)
	}
	p := newClockedProvider(t, f, clock)

	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() {
		_, err := p.Credentials(ctx, testAccount, "us-east-1")
		first <- err
	}()
	waitFor(t, "the request", func() bool { return len(f.calls("ecr")) == 1 })
	cancel()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Errorf("Credentials() error = %v, want context.Canceled", err)
	}
	<-cancelled

	c, err := p.Credentials(context.Background(), testAccount, "us-east-1")
	if err != nil {
		t.Fatalf("next Credentials() error: %v", err)
	}
	if c.Password == "" || len(f.calls("ecr")) != 2 {
		t.Errorf("next Credentials() = %v after %d requests, want a new request's token",
			c, len(f.calls("ecr")))
	}
}

// TestProviderErrorShared: callers waiting on one request share its error,
// and the error is not kept for later callers.
func TestProviderErrorShared(t *testing.T) {
	sandboxAWS(t)
	clock := newFakeClock()
	release := make(chan struct{})
	f := &fakeAWS{t: t, sts: stsFake}
	f.ecr = func(req awsRequest) (int, string) {
		if len(f.calls("ecr")) == 1 {
			<-release
			return http.StatusBadRequest, errorAnswer("AccessDeniedException", "denied")
		}
		return countingECR(clock, 12*time.Hour)(req)
	}
	p := newClockedProvider(t, f, clock)

	const callers = 3
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			_, errs[i] = p.Credentials(context.Background(), testAccount, "us-east-1")
		})
	}
	waitFor(t, "every caller waiting", func() bool { return waiters(p) == callers })
	close(release)
	wg.Wait()
	for i, err := range errs {
		if err == nil || !strings.Contains(err.Error(), "access denied") {
			t.Errorf("caller %d: Credentials() error = %v, want access denied", i, err)
		}
	}
	if _, err := p.Credentials(context.Background(), testAccount, "us-east-1"); err != nil {
		t.Errorf("later Credentials() error = %v, want a new request's token", err)
	}
	if n := len(f.calls("ecr")); n != 2 {
		t.Errorf("ECR got %d requests, want 2", n)
	}
}

// waiters counts the callers waiting on any request of p.
func waiters(p *Provider) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, e := range p.entries {
		n += e.waiters
	}
	return n
}

// waitFor polls cond for up to ten seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
