package login

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// registryAnswer answers GetAuthorizationToken with a password and endpoint
// of the account and region that req asks about, so that a caller who gets
// another registry's credentials is caught.
func registryAnswer(req ecrRequest) (int, string) {
	account := req.account()
	endpoint := fmt.Sprintf("https://%s.dkr.ecr.%s.amazonaws.com", account, req.Region)
	return http.StatusOK, tokenAnswerAt(b64("AWS:"+registryPassword(account, req.Region)),
		endpoint, time.Now().Add(12*time.Hour))
}

// registryPassword is the password registryAnswer gives.
func registryPassword(account, region string) string {
	return testPassword + "-" + account + "-" + region
}

// newProvider returns a Provider whose clients talk to srv, and a function
// that lists the regions it built clients for.
func newProvider(srv *httptest.Server) (*Provider, func() []string) {
	var mu sync.Mutex
	var regions []string
	p := &Provider{Client: func(_ context.Context, region string) (ECRAPI, error) {
		mu.Lock()
		regions = append(regions, region)
		mu.Unlock()
		return newECRClient(srv, region), nil
	}}
	return p, func() []string {
		mu.Lock()
		defer mu.Unlock()
		out := append([]string(nil), regions...)
		sort.Strings(out)
		return out
	}
}

// TestProviderConcurrent makes 20 callers ask for the same registry while
// the one token request is held at the fake: they must all get its answer.
func TestProviderConcurrent(t *testing.T) {
	sandboxAWS(t)
	release := make(chan struct{})
	f := newFakeECR(t, func(_ int, req ecrRequest, _ *http.Request) (int, string) {
		select {
		case <-release:
		case <-time.After(10 * time.Second):
			t.Error("ECR fake: never released")
		}
		return registryAnswer(req)
	})
	p, regions := newProvider(f.start(t))

	const callers = 20
	var started, done sync.WaitGroup
	started.Add(callers)
	done.Add(callers)
	results := make([]Credentials, callers)
	errs := make([]error, callers)
	for i := range callers {
		go func() {
			defer done.Done()
			started.Done()
			results[i], errs[i] = p.Credentials(context.Background(), testAccount, "us-east-1")
		}()
	}
	started.Wait()
	// Give the callers time to reach the Provider, then let the one request
	// through. Were they to fetch each on their own, the fake would count
	// them however long this wait.
	time.Sleep(50 * time.Millisecond)
	close(release)
	done.Wait()

	for i := range callers {
		if errs[i] != nil {
			t.Errorf("caller %d: Credentials() error: %v", i, errs[i])
			continue
		}
		if results[i].Password != registryPassword(testAccount, "us-east-1") ||
			results[i].Registry != testHost {
			t.Errorf("caller %d: Credentials() = %v, want the us-east-1 registry's", i, results[i])
		}
	}
	if n := len(f.calls()); n != 1 {
		t.Errorf("ECR got %d GetAuthorizationToken requests, want 1", n)
	}
	if diff := cmp.Diff([]string{"us-east-1"}, regions()); diff != "" {
		t.Errorf("clients built mismatch (-want +got):\n%s", diff)
	}

	// Later callers get the same answer without asking again.
	if _, err := p.Credentials(context.Background(), testAccount, "us-east-1"); err != nil {
		t.Fatalf("Credentials() error: %v", err)
	}
	if n := len(f.calls()); n != 1 {
		t.Errorf("ECR got %d requests after a later call, want still 1", n)
	}
}

// TestProviderRegistries checks that each account and region is a registry
// of its own, fetched once, with a client for its region.
func TestProviderRegistries(t *testing.T) {
	sandboxAWS(t)
	f := newFakeECR(t, func(_ int, req ecrRequest, _ *http.Request) (int, string) {
		return registryAnswer(req)
	})
	p, regions := newProvider(f.start(t))

	registries := []struct{ account, region string }{
		{testAccount, "us-east-1"},
		{testAccount, "eu-west-1"},
		{"210987654321", "eu-west-1"},
	}
	var wg sync.WaitGroup
	for range 5 {
		for _, reg := range registries {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got, err := p.Credentials(context.Background(), reg.account, reg.region)
				if err != nil {
					t.Errorf("Credentials(%s, %s) error: %v", reg.account, reg.region, err)
					return
				}
				wantHost := reg.account + ".dkr.ecr." + reg.region + ".amazonaws.com"
				if got.Registry != wantHost ||
					got.Password != registryPassword(reg.account, reg.region) {
					t.Errorf("Credentials(%s, %s) = %v, want the credentials of %s",
						reg.account, reg.region, got, wantHost)
				}
			}()
		}
	}
	wg.Wait()

	var got []string
	for _, c := range f.calls() {
		got = append(got, fmt.Sprint(c.Body["registryIds"], " ", c.Region))
	}
	sort.Strings(got)
	want := []string{
		"[123456789012] eu-west-1",
		"[123456789012] us-east-1",
		"[210987654321] eu-west-1",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GetAuthorizationToken requests mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"eu-west-1", "eu-west-1", "us-east-1"}, regions()); diff != "" {
		t.Errorf("clients built mismatch (-want +got):\n%s", diff)
	}
}

func TestProviderErrors(t *testing.T) {
	sandboxAWS(t)
	t.Run("no client", func(t *testing.T) {
		p := &Provider{Client: func(context.Context, string) (ECRAPI, error) {
			return nil, errors.New("no credentials configured")
		}}
		_, err := p.Credentials(context.Background(), testAccount, "us-east-1")
		if err == nil || !strings.Contains(err.Error(), "no credentials configured") {
			t.Errorf("Credentials() error = %v, want the client's error", err)
		}
	})

	t.Run("access denied", func(t *testing.T) {
		f := newFakeECR(t, func(int, ecrRequest, *http.Request) (int, string) {
			return http.StatusBadRequest, errorAnswer("AccessDeniedException", "denied")
		})
		p, _ := newProvider(f.start(t))
		for range 2 {
			_, err := p.Credentials(context.Background(), testAccount, "us-east-1")
			if err == nil || !strings.Contains(err.Error(), "account 123456789012") {
				t.Errorf("Credentials() error = %v, want one naming the account", err)
			}
		}
		// An error is not kept: each call asks again.
		if n := len(f.calls()); n != 2 {
			t.Errorf("ECR got %d requests, want 2", n)
		}
	})

	t.Run("waiter gives up", func(t *testing.T) {
		release := make(chan struct{})
		arrived := make(chan struct{}, 1)
		f := newFakeECR(t, func(_ int, req ecrRequest, _ *http.Request) (int, string) {
			arrived <- struct{}{}
			select {
			case <-release:
			case <-time.After(10 * time.Second):
				t.Error("ECR fake: never released")
			}
			return registryAnswer(req)
		})
		p, _ := newProvider(f.start(t))

		first := make(chan error, 1)
		go func() {
			_, err := p.Credentials(context.Background(), testAccount, "us-east-1")
			first <- err
		}()
		<-arrived
		// A second caller whose context ends while the first one's
		// request is under way returns at once with its context's error.
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		_, err := p.Credentials(ctx, testAccount, "us-east-1")
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("waiting Credentials() error = %v, want context.DeadlineExceeded", err)
		}
		close(release)
		if err := <-first; err != nil {
			t.Errorf("first Credentials() error: %v", err)
		}
	})
}
