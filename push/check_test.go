package push

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cdkpush/cdkpush/login"
)

// pushCalls are the engine calls that change something.
func pushCalls(e *fakeEngine) []string {
	var out []string
	for _, c := range e.Calls() {
		if strings.HasPrefix(c, "push ") || strings.HasPrefix(c, "tag ") ||
			strings.HasPrefix(c, "remove ") {
			out = append(out, c)
		}
	}
	return out
}

// statuses shows results as "TAG STATUS".
func statuses(results []Result) []string {
	var out []string
	for _, r := range results {
		out = append(out, r.Tag+" "+r.Status)
	}
	return out
}

func TestPusherPushUpToDate(t *testing.T) {
	const manifestDigest = "sha256:abababababababababababababababababababababababababababababababab"
	tests := []struct {
		name string
		// setup stores what the registry holds under web-api:1.2.3 and
		// changes the engine.
		setup      func(reg *fakeRegistry, e *fakeEngine)
		wantStatus string
		wantDigest string
		// wantGets are the registry's GET requests.
		wantGets []string
	}{
		{
			name: "config digest is the image id",
			setup: func(reg *fakeRegistry, _ *fakeEngine) {
				reg.put("web-api", "1.2.3", manifestDigest, idWeb)
			},
			wantStatus: StatusUpToDate,
			wantDigest: manifestDigest,
			wantGets:   []string{"GET web-api:1.2.3"},
		},
		{
			name: "manifest digest is the image id (containerd image store)",
			setup: func(reg *fakeRegistry, _ *fakeEngine) {
				reg.put("web-api", "1.2.3", idWeb, configOther)
			},
			wantStatus: StatusUpToDate,
			wantDigest: idWeb,
			wantGets:   []string{"GET web-api:1.2.3"},
		},
		{
			name: "manifest digest the engine recorded for the image",
			setup: func(reg *fakeRegistry, e *fakeEngine) {
				reg.put("web-api", "1.2.3", manifestDigest, configOther)
				e.repoDigests[idWeb] = []string{"elsewhere.example/web-api@" + manifestDigest}
			},
			wantStatus: StatusUpToDate,
			wantDigest: manifestDigest,
			wantGets:   []string{"GET web-api:1.2.3"},
		},
		{
			name: "index with the image for its platform",
			setup: func(reg *fakeRegistry, _ *fakeEngine) {
				reg.putIndex("web-api", "1.2.3", manifestDigest, []IndexEntry{
					{Digest: digestA, Platform: Platform{OS: "linux", Architecture: "arm64"}},
					{Digest: digestB, Platform: Platform{OS: "linux", Architecture: "amd64"}},
				}, map[string]string{digestA: configOther, digestB: idWeb})
			},
			wantStatus: StatusUpToDate,
			wantDigest: manifestDigest,
			// The arm64 entry is not read.
			wantGets: []string{"GET web-api:1.2.3", "GET web-api@" + digestB},
		},
		{
			name: "index without the image",
			setup: func(reg *fakeRegistry, _ *fakeEngine) {
				reg.putIndex("web-api", "1.2.3", manifestDigest, []IndexEntry{
					{Digest: digestB, Platform: Platform{OS: "linux", Architecture: "amd64"}},
				}, map[string]string{digestB: configOther})
			},
			wantStatus: StatusPushed,
			wantDigest: digestFor(idWeb),
			wantGets:   []string{"GET web-api:1.2.3", "GET web-api@" + digestB},
		},
		{
			name: "another image",
			setup: func(reg *fakeRegistry, _ *fakeEngine) {
				reg.put("web-api", "1.2.3", manifestDigest, configOther)
			},
			wantStatus: StatusPushed,
			wantDigest: digestFor(idWeb),
			wantGets:   []string{"GET web-api:1.2.3"},
		},
		{
			name:       "no such tag",
			setup:      func(*fakeRegistry, *fakeEngine) {},
			wantStatus: StatusPushed,
			wantDigest: digestFor(idWeb),
			wantGets:   []string{"GET web-api:1.2.3"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg, ep := newFakeRegistry(t, testPassword)
			engine := newFakeEngine(summary(idWeb, "web-api:1.2.3"))
			engine.registry = reg
			tt.setup(reg, engine)
			p := &Pusher{Upload: UploadEngine, Engine: engine,
				Credentials: credentials(nil), Retry: fastRetry}

			results := p.Push(context.Background(), []Job{webJob(ep, "1.2.3")})

			got := results[0]
			if got.Status != tt.wantStatus || got.Digest != tt.wantDigest || got.Error != "" {
				t.Errorf("Push() = %+v, want status %s, digest %s", got, tt.wantStatus,
					tt.wantDigest)
			}
			var gets []string
			for _, r := range reg.Requests() {
				if strings.HasPrefix(r, "GET ") {
					gets = append(gets, r)
				}
			}
			if diff := cmp.Diff(tt.wantGets, gets); diff != "" {
				t.Errorf("registry GET requests (-want +got):\n%s", diff)
			}
			if tt.wantStatus == StatusUpToDate {
				if calls := pushCalls(engine); len(calls) != 0 {
					t.Errorf("engine calls %q for an up-to-date tag, want none", calls)
				}
			}
		})
	}
}

func TestPusherPushImmutable(t *testing.T) {
	const held = "sha256:abababababababababababababababababababababababababababababababab"
	reg, ep := newFakeRegistry(t, testPassword)
	engine := newFakeEngine(summary(idWeb, "web-api:1.2.3"))
	engine.registry = reg
	reg.put("web-api", "1.2.3", held, configOther)
	reg.put("web-api", "same", held, idWeb)
	jobs := []Job{webJob(ep, "1.2.3"), webJob(ep, "new"), webJob(ep, "same")}
	for i := range jobs {
		jobs[i].Immutable = true
	}
	p := &Pusher{Upload: UploadEngine, Engine: engine,
		Credentials: credentials(nil), Retry: fastRetry}

	results := p.Push(context.Background(), jobs)

	want := []string{"1.2.3 " + StatusFailed, "new " + StatusSkipped, "same " + StatusUpToDate}
	if diff := cmp.Diff(want, statuses(results)); diff != "" {
		t.Fatalf("Push() statuses (-want +got):\n%s", diff)
	}
	for _, part := range []string{repoWeb.URI + ":1.2.3", "immutable", held, configOther,
		idWeb} {
		if !strings.Contains(results[0].Error, part) {
			t.Errorf("Push() error = %q, want it to name %s", results[0].Error, part)
		}
	}
	if !strings.Contains(results[1].Reason, "1 of 3 pushes failed their checks") {
		t.Errorf("Push() reason for the skipped push = %q", results[1].Reason)
	}
	if calls := pushCalls(engine); len(calls) != 0 {
		t.Errorf("engine calls %q after a refused check, want none", calls)
	}
	if d, _ := ManifestDigest(context.Background(), nil, ep, "web-api", "1.2.3",
		login.Credentials{Username: "AWS", Password: testPassword}); d != held {
		t.Errorf("registry holds %s under the immutable tag, want %s still", d, held)
	}
}

func TestPusherPushImmutableNewTag(t *testing.T) {
	reg, ep := newFakeRegistry(t, testPassword)
	engine := newFakeEngine(summary(idWeb, "web-api:1.2.3"))
	engine.registry = reg
	job := webJob(ep, "1.2.3")
	job.Immutable = true
	p := &Pusher{Upload: UploadEngine, Engine: engine,
		Credentials: credentials(nil), Retry: fastRetry}

	results := p.Push(context.Background(), []Job{job})

	if results[0].Status != StatusPushed {
		t.Errorf("Push() = %+v, want a new tag of an immutable repository pushed", results[0])
	}
}

func TestPusherPushPlatform(t *testing.T) {
	reg, ep := newFakeRegistry(t, testPassword)
	engine := newFakeEngine(summary(idWeb, "web-api:1.2.3"), summary(idOther, "other:1"))
	engine.registry = reg
	engine.platforms[idWeb] = Platform{OS: "linux", Architecture: "arm64"}
	web := webJob(ep, "1.2.3")
	web.Platform = Platform{OS: "linux", Architecture: "amd64"}
	other := webJob(ep, "other")
	other.Image, other.ImageID = "other:1", idOther
	other.Platform = web.Platform
	p := &Pusher{Upload: UploadEngine, Engine: engine,
		Credentials: credentials(nil), Retry: fastRetry}

	results := p.Push(context.Background(), []Job{web, other})

	want := []string{"1.2.3 " + StatusFailed, "other " + StatusSkipped}
	if diff := cmp.Diff(want, statuses(results)); diff != "" {
		t.Fatalf("Push() statuses (-want +got):\n%s", diff)
	}
	for _, part := range []string{`"web-api:1.2.3"`, "linux/arm64", "not linux/amd64"} {
		if !strings.Contains(results[0].Error, part) {
			t.Errorf("Push() error = %q, want it to contain %q", results[0].Error, part)
		}
	}
	if calls := pushCalls(engine); len(calls) != 0 {
		t.Errorf("engine calls %q after a platform mismatch, want none", calls)
	}
}

func TestPusherPushInspectsEachImageOnce(t *testing.T) {
	reg, ep := newFakeRegistry(t, testPassword)
	engine := newFakeEngine(summary(idWeb, "web-api:1.2.3"), summary(idOther, "other:1"))
	engine.registry = reg
	var jobs []Job
	for i := range 6 {
		j := webJob(ep, fmt.Sprintf("t%d", i))
		if i%2 == 1 {
			j.Image, j.ImageID = "other:1", idOther
		}
		jobs = append(jobs, j)
	}
	p := &Pusher{Upload: UploadEngine, Engine: engine,
		Credentials: credentials(nil), Concurrency: 6,
		Retry: fastRetry}

	results := p.Push(context.Background(), jobs)

	for _, r := range results {
		if r.Status != StatusPushed {
			t.Errorf("Push() result %+v, want pushed", r)
		}
	}
	counts := map[string]int{}
	for _, c := range engine.Calls() {
		if id, ok := strings.CutPrefix(c, "inspect sha256:"); ok {
			counts["sha256:"+id]++
		}
	}
	want := map[string]int{idWeb: 1, idOther: 1}
	if diff := cmp.Diff(want, counts); diff != "" {
		t.Errorf("image inspections by id (-want +got):\n%s", diff)
	}
}

func TestPusherPushRetries(t *testing.T) {
	resetLine := `{"errorDetail":{"message":"Put \"http://r/v2/web-api/manifests/1.2.3\": ` +
		`read tcp 127.0.0.1:1->127.0.0.1:2: read: connection reset by peer"},` +
		`"error":"Put \"http://r/v2/web-api/manifests/1.2.3\": read tcp 127.0.0.1:1->` +
		`127.0.0.1:2: read: connection reset by peer"}`
	tests := []struct {
		name string
		// failures is how many pushes fail before one succeeds.
		failures   int
		line       string
		wantStatus string
		wantPushes int
	}{
		{name: "reset twice, then pushed", failures: 2, line: resetLine,
			wantStatus: StatusPushed, wantPushes: 3},
		{name: "reset more often than the tries", failures: 5, line: resetLine,
			wantStatus: StatusFailed, wantPushes: 3},
		{name: "EOF", failures: 1, line: `{"error":"Patch \"http://r/v2/x/blobs/uploads/1\": EOF"}`,
			wantStatus: StatusPushed, wantPushes: 2},
		{name: "503", failures: 1,
			line:       `{"error":"received unexpected HTTP status: 503 Service Unavailable"}`,
			wantStatus: StatusPushed, wantPushes: 2},
		{name: "429", failures: 1,
			line:       `{"error":"toomanyrequests: Rate exceeded"}`,
			wantStatus: StatusPushed, wantPushes: 2},
		{name: "denied is not retried", failures: 1,
			line:       `{"error":"denied: requested access to the resource is denied"}`,
			wantStatus: StatusFailed, wantPushes: 1},
		{name: "unknown blob is not retried", failures: 1,
			line:       `{"error":"blob upload unknown"}`,
			wantStatus: StatusFailed, wantPushes: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg, ep := newFakeRegistry(t, testPassword)
			engine := newFakeEngine(summary(idWeb, "web-api:1.2.3"))
			engine.registry = reg
			var mu sync.Mutex
			pushes := 0
			engine.push = func(_ context.Context, ref, id string) (string, error) {
				mu.Lock()
				defer mu.Unlock()
				pushes++
				if pushes <= tt.failures {
					return tt.line + "\n", nil
				}
				return engine.pushToRegistry(ref, id), nil
			}
			var events []Event
			p := &Pusher{Upload: UploadEngine, Engine: engine,
				Credentials: credentials(nil), Retry: fastRetry,
				OnEvent: func(e Event) { events = append(events, e) }}

			results := p.Push(context.Background(), []Job{webJob(ep, "1.2.3")})

			if results[0].Status != tt.wantStatus {
				t.Errorf("Push() = %+v, want status %s", results[0], tt.wantStatus)
			}
			if pushes != tt.wantPushes {
				t.Errorf("engine pushed %d times, want %d", pushes, tt.wantPushes)
			}
			retries := 0
			for _, e := range events {
				if e.State == StateRetrying {
					retries++
					if e.Err == nil || e.Try < 2 {
						t.Errorf("retry event %+v, want the error and the coming try", e)
					}
				}
			}
			if retries != tt.wantPushes-1 {
				t.Errorf("%d retry events, want %d", retries, tt.wantPushes-1)
			}
			// The temporary tag is added once and removed once, however
			// many tries.
			var tags []string
			for _, c := range pushCalls(engine) {
				if !strings.HasPrefix(c, "push ") {
					tags = append(tags, strings.Fields(c)[0])
				}
			}
			if diff := cmp.Diff([]string{"tag", "remove"}, tags); diff != "" {
				t.Errorf("tag calls (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPusherPushRetriesRegistry(t *testing.T) {
	reg, ep := newFakeRegistry(t, testPassword)
	engine := newFakeEngine(summary(idWeb, "web-api:1.2.3"))
	engine.registry = reg
	var mu sync.Mutex
	seen := map[string]int{}
	reg.answer = func(method, ref, _ string) int {
		mu.Lock()
		defer mu.Unlock()
		seen[method]++
		if seen[method] == 1 {
			return http.StatusServiceUnavailable
		}
		return 0
	}
	p := &Pusher{Upload: UploadEngine, Engine: engine,
		Credentials: credentials(nil), Retry: fastRetry}

	results := p.Push(context.Background(), []Job{webJob(ep, "1.2.3")})

	if results[0].Status != StatusPushed {
		t.Errorf("Push() = %+v, want pushed after the registry's 503s", results[0])
	}
	want := []string{"GET web-api:1.2.3", "GET web-api:1.2.3", "HEAD web-api:1.2.3",
		"HEAD web-api:1.2.3"}
	if diff := cmp.Diff(want, reg.Requests()); diff != "" {
		t.Errorf("registry requests (-want +got):\n%s", diff)
	}
}

func TestPusherPushNewCredentials(t *testing.T) {
	const oldPassword = "expired-password"
	tests := []struct {
		name string
		// stream answers the push with the old password; "" pushes.
		stream string
		// renewed says whether new credentials fix it.
		renewed        bool
		wantStatus     string
		wantInvalidate int
	}{
		{name: "registry refuses the old credentials", renewed: true,
			wantStatus: StatusPushed, wantInvalidate: 1},
		{name: "new credentials refused too", renewed: false,
			wantStatus: StatusFailed, wantInvalidate: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg, ep := newFakeRegistry(t, testPassword)
			engine := newFakeEngine(summary(idWeb, "web-api:1.2.3"))
			engine.registry = reg
			var mu sync.Mutex
			password := oldPassword
			invalidated := 0
			p := &Pusher{
				Upload: UploadEngine,
				Engine: engine,
				Credentials: func(context.Context, string, string) (login.Credentials, error) {
					mu.Lock()
					defer mu.Unlock()
					return login.Credentials{Username: "AWS", Password: password}, nil
				},
				Invalidate: func(account, region string) {
					mu.Lock()
					defer mu.Unlock()
					if account != repoWeb.Account || region != repoWeb.Region {
						t.Errorf("Invalidate(%s, %s), want the job's registry", account, region)
					}
					invalidated++
					if tt.renewed {
						password = testPassword
					}
				},
				Retry: fastRetry,
			}

			results := p.Push(context.Background(), []Job{webJob(ep, "1.2.3")})

			if results[0].Status != tt.wantStatus {
				t.Errorf("Push() = %+v, want status %s", results[0], tt.wantStatus)
			}
			if invalidated != tt.wantInvalidate {
				t.Errorf("Invalidate called %d times, want %d", invalidated, tt.wantInvalidate)
			}
			if strings.Contains(results[0].Error, oldPassword) ||
				strings.Contains(results[0].Error, testPassword) {
				t.Errorf("Push() error %q holds a password", results[0].Error)
			}
			// A 401 is not retried as if it were transient: one request
			// with the old password, at most one with the new.
			var gets int
			for _, r := range reg.Requests() {
				if strings.HasPrefix(r, "GET ") {
					gets++
				}
			}
			if gets != 2 {
				t.Errorf("registry got %d GET requests, want 2", gets)
			}
		})
	}
}

func TestPusherPushNewCredentialsForTheEngine(t *testing.T) {
	reg, ep := newFakeRegistry(t, testPassword)
	engine := newFakeEngine(summary(idWeb, "web-api:1.2.3"))
	engine.registry = reg
	pushes := 0
	engine.push = func(_ context.Context, ref, id string) (string, error) {
		pushes++
		if pushes == 1 {
			return `{"error":"denied: Your authorization token has expired. ` +
				`Reauthenticate and try again."}` + "\n", nil
		}
		return engine.pushToRegistry(ref, id), nil
	}
	fetched, invalidated := 0, 0
	p := &Pusher{
		Upload: UploadEngine,
		Engine: engine,
		Credentials: func(ctx context.Context, a, r string) (login.Credentials, error) {
			fetched++
			return credentials(nil)(ctx, a, r)
		},
		Invalidate: func(string, string) { invalidated++ },
		Retry:      fastRetry,
	}

	results := p.Push(context.Background(), []Job{webJob(ep, "1.2.3")})

	if results[0].Status != StatusPushed || pushes != 2 || invalidated != 1 {
		t.Errorf("Push() = %+v after %d pushes and %d invalidations, want pushed, 2, 1",
			results[0], pushes, invalidated)
	}
	// Once for the check, and twice more: to see whether another job renewed
	// them already, and after the invalidation.
	if fetched != 3 {
		t.Errorf("Credentials called %d times, want 3", fetched)
	}
}

func TestPusherPushEvents(t *testing.T) {
	reg, ep := newFakeRegistry(t, testPassword)
	engine := newFakeEngine(summary(idWeb, "web-api:1.2.3"))
	engine.registry = reg
	reg.put("web-api", "old", digestA, idWeb)
	engine.push = func(_ context.Context, ref, id string) (string, error) {
		return `{"status":"Preparing","progressDetail":{},"id":"aaa"}
{"status":"Preparing","progressDetail":{},"id":"bbb"}
{"status":"Layer already exists","progressDetail":{},"id":"ccc"}
{"status":"Pushing","progressDetail":{"current":100,"total":1000},"id":"aaa"}
{"status":"Pushing","progressDetail":{"current":50,"total":500},"id":"bbb"}
{"status":"Pushing","progressDetail":{"current":1000,"total":1000},"id":"aaa"}
{"status":"Pushed","progressDetail":{},"id":"aaa"}
{"status":"Pushed","progressDetail":{},"id":"bbb"}
` + engine.pushToRegistry(ref, id), nil
	}
	var events []string
	p := &Pusher{Upload: UploadEngine, Engine: engine,
		Credentials: credentials(nil), Retry: fastRetry,
		Concurrency: 1, OnEvent: func(e Event) {
			s := fmt.Sprintf("%d %s", e.Job, e.State)
			if e.Total > 0 {
				s += fmt.Sprintf(" %d/%d", e.Current, e.Total)
			}
			if e.Digest != "" {
				s += " " + e.Digest[:11]
			}
			events = append(events, s)
		}}

	p.Push(context.Background(), []Job{webJob(ep, "new"), webJob(ep, "old")})

	want := []string{
		"0 checking", "0 waiting",
		"1 checking", "1 up-to-date " + digestA[:11],
		"0 pushing",
		"0 pushing 100/1000", "0 pushing 150/1500", "0 pushing 1050/1500",
		"0 pushing 1500/1500", "0 pushing 2012/2231", "0 pushing 2231/2231",
		"0 verifying " + digestFor(idWeb)[:11], "0 pushed " + digestFor(idWeb)[:11],
	}
	if diff := cmp.Diff(want, events); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

func TestPusherPushChecksBeforePushing(t *testing.T) {
	reg, ep := newFakeRegistry(t, testPassword)
	engine := newFakeEngine(summary(idWeb, "web-api:1.2.3"))
	engine.registry = reg
	var order []string
	var mu sync.Mutex
	reg.answer = func(method, ref, _ string) int {
		mu.Lock()
		order = append(order, method)
		mu.Unlock()
		return 0
	}
	engine.push = func(_ context.Context, ref, id string) (string, error) {
		mu.Lock()
		order = append(order, "push")
		mu.Unlock()
		return engine.pushToRegistry(ref, id), nil
	}
	p := &Pusher{Upload: UploadEngine, Engine: engine,
		Credentials: credentials(nil), Retry: fastRetry,
		Concurrency: 1}

	p.Push(context.Background(), []Job{webJob(ep, "a"), webJob(ep, "b"), webJob(ep, "c")})

	first := slices.Index(order, "push")
	if first < 0 || slices.Contains(order[first:], "GET") {
		t.Errorf("registry requests and pushes %q, want every GET before the first push",
			order)
	}
}

func TestPusherPushCancelledDuringChecks(t *testing.T) {
	reg, ep := newFakeRegistry(t, testPassword)
	engine := newFakeEngine(summary(idWeb, "web-api:1.2.3"))
	engine.registry = reg
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := &Pusher{
		Upload: UploadEngine,
		Engine: engine,
		Credentials: func(ctx context.Context, a, r string) (login.Credentials, error) {
			cancel()
			return login.Credentials{}, ctx.Err()
		},
		Retry: fastRetry,
	}

	results := p.Push(ctx, []Job{webJob(ep, "a"), webJob(ep, "b")})

	for _, r := range results {
		if r.Status != StatusCancelled {
			t.Errorf("Push() result %+v, want cancelled", r)
		}
	}
	if calls := pushCalls(engine); len(calls) != 0 {
		t.Errorf("engine calls %q after cancellation, want none", calls)
	}
	if !errors.Is(ctx.Err(), context.Canceled) {
		t.Fatal("context not cancelled")
	}
}

func TestPusherPushEmpty(t *testing.T) {
	p := &Pusher{Upload: UploadEngine, Engine: newFakeEngine(), Credentials: credentials(nil)}
	if got := p.Push(context.Background(), nil); len(got) != 0 {
		t.Errorf("Push(nil) = %v, want no results", got)
	}
}
