package push

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/google/go-cmp/cmp"
	"github.com/moby/moby/api/types/image"

	"github.com/cdkpush/cdkpush/login"
)

// testPassword stands for the secret half of an ECR token.
const testPassword = "eyJwYXlsb2FkIjoiVE9QU0VDUkVUIn0=s3cr3t-pa55"

// credentials returns testPassword for any account and region, or err.
func credentials(err error) CredentialsFunc {
	return func(context.Context, string, string) (login.Credentials, error) {
		if err != nil {
			return login.Credentials{}, err
		}
		return login.Credentials{Username: "AWS", Password: testPassword, Registry: ecrHost}, nil
	}
}

// errMissingAuth is what the Engine API client returns when the engine
// answers a push without X-Registry-Auth with HTTP 400.
var errMissingAuth = cerrdefs.ErrInvalidArgument.WithMessage(
	"Bad parameters and missing X-Registry-Auth: EOF")

// fastRetry retries without waiting long, for tests.
var fastRetry = RetryPolicy{Tries: 3, Initial: time.Millisecond, Max: 2 * time.Millisecond}

// webJob pushes web-api:1.2.3 (idWeb) to repository web-api through ep.
func webJob(ep Endpoint, tag string) Job {
	return Job{
		Image:      "web-api:1.2.3",
		ImageID:    idWeb,
		Repository: repoWeb,
		Registry:   ecrHost,
		Endpoint:   ep,
		Tag:        tag,
	}
}

// expand replaces $T with target in each string.
func expand(target string, s []string) []string {
	var out []string
	for _, v := range s {
		out = append(out, strings.ReplaceAll(v, "$T", target))
	}
	return out
}

func TestPusherPush(t *testing.T) {
	errStream := func(line string) func(context.Context, string, string) (string, error) {
		return func(context.Context, string, string) (string, error) {
			return `{"status":"The push refers to repository [x/web-api]"}` + "\n" +
				`{"status":"Preparing","progressDetail":{},"id":"b427b67c4db5"}` + "\n" +
				line + "\n", nil
		}
	}
	tests := []struct {
		name string
		// images are the local images; "$T" stands for the job's target.
		images []image.Summary
		push   func(ctx context.Context, ref, id string) (string, error)
		// override is the digest the registry answers instead of the
		// pushed one; registryStatus the status it answers instead.
		override       string
		registryStatus int
		inspectErr     error
		credsErr       error
		// planned says the plan inspected the image already.
		planned bool

		wantStatus string
		wantDigest string
		wantErr    []string
		wantCalls  []string
		// wantTags are the local tags afterwards; nil means as before.
		wantTags map[string]string
	}{
		{
			name:       "temporary tag removed when the image has another tag",
			images:     []image.Summary{summary(idWeb, "web-api:1.2.3")},
			wantStatus: StatusPushed,
			wantDigest: digestFor(idWeb),
			wantCalls: []string{
				"inspect " + idWeb, "inspect $T", "tag " + idWeb + " $T", "push $T",
				"remove $T",
			},
		},
		{
			name:       "temporary tag kept when it is the image's only tag",
			images:     []image.Summary{summary(idWeb, "<none>:<none>")},
			wantStatus: StatusPushed,
			wantDigest: digestFor(idWeb),
			wantCalls: []string{
				"inspect " + idWeb, "inspect $T", "tag " + idWeb + " $T", "push $T",
			},
			wantTags: map[string]string{"$T": idWeb},
		},
		{
			name: "target tag of another image restored",
			images: []image.Summary{
				summary(idWeb, "web-api:1.2.3"),
				summary(idOther, "$T"),
			},
			wantStatus: StatusPushed,
			wantDigest: digestFor(idWeb),
			wantCalls: []string{
				"inspect " + idWeb, "inspect $T", "tag " + idWeb + " $T", "push $T",
				"tag " + idOther + " $T",
			},
		},
		{
			name:       "target tag already names the image",
			images:     []image.Summary{summary(idWeb, "web-api:1.2.3", "$T")},
			wantStatus: StatusPushed,
			wantDigest: digestFor(idWeb),
			wantCalls: []string{
				"inspect " + idWeb, "inspect $T", "tag " + idWeb + " $T", "push $T",
			},
		},
		{
			name:       "error line in an HTTP 200 stream",
			images:     []image.Summary{summary(idWeb, "web-api:1.2.3")},
			push:       errStream(`{"error":"no basic auth credentials"}`),
			wantStatus: StatusFailed,
			wantErr:    []string{"pushing $T", "no basic auth credentials"},
			wantCalls: []string{
				"inspect " + idWeb, "inspect $T", "tag " + idWeb + " $T", "push $T",
				"remove $T",
			},
		},
		{
			name:   "errorDetail in the stream",
			images: []image.Summary{summary(idWeb, "web-api:1.2.3")},
			push: errStream(`{"errorDetail":{"message":"unauthorized: authentication ` +
				`required"},"error":"unauthorized: authentication required"}`),
			wantStatus: StatusFailed,
			wantErr:    []string{"unauthorized: authentication required"},
			wantCalls: []string{
				"inspect " + idWeb, "inspect $T", "tag " + idWeb + " $T", "push $T",
				"remove $T",
			},
		},
		{
			name:   "failure restores the target tag of another image",
			images: []image.Summary{summary(idWeb, "web-api:1.2.3"), summary(idOther, "$T")},
			push:   errStream(`{"error":"denied"}`),
			wantCalls: []string{
				"inspect " + idWeb, "inspect $T", "tag " + idWeb + " $T", "push $T",
				"tag " + idOther + " $T",
			},
			wantStatus: StatusFailed,
			wantErr:    []string{"denied"},
		},
		{
			name:   "stream without a digest",
			images: []image.Summary{summary(idWeb, "web-api:1.2.3")},
			push: func(context.Context, string, string) (string, error) {
				return `{"status":"Pushed","id":"b427b67c4db5"}`, nil
			},
			wantStatus: StatusFailed,
			wantErr:    []string{"without a digest"},
			wantCalls: []string{
				"inspect " + idWeb, "inspect $T", "tag " + idWeb + " $T", "push $T",
				"remove $T",
			},
		},
		{
			name:   "engine refuses the push",
			images: []image.Summary{summary(idWeb, "web-api:1.2.3")},
			push: func(context.Context, string, string) (string, error) {
				return "", errMissingAuth
			},
			wantStatus: StatusFailed,
			wantErr:    []string{"pushing $T", "missing X-Registry-Auth"},
			wantCalls: []string{
				"inspect " + idWeb, "inspect $T", "tag " + idWeb + " $T", "push $T",
				"remove $T",
			},
		},
		{
			name:       "registry holds another digest",
			images:     []image.Summary{summary(idWeb, "web-api:1.2.3")},
			override:   digestB,
			wantStatus: StatusFailed,
			wantErr:    []string{"confirming the push", digestB, digestFor(idWeb)},
			wantCalls: []string{
				"inspect " + idWeb, "inspect $T", "tag " + idWeb + " $T", "push $T",
				"remove $T",
			},
		},
		{
			name:   "registry holds nothing",
			images: []image.Summary{summary(idWeb, "web-api:1.2.3")},
			push: func(_ context.Context, ref, id string) (string, error) {
				return successStream("web-api", "1.2.3", digestFor(id)), nil
			},
			wantStatus: StatusFailed,
			wantErr:    []string{"the registry holds nothing"},
			wantCalls: []string{
				"inspect " + idWeb, "inspect $T", "tag " + idWeb + " $T", "push $T",
				"remove $T",
			},
		},
		{
			name:           "registry refuses the credentials",
			images:         []image.Summary{summary(idWeb, "web-api:1.2.3")},
			registryStatus: http.StatusUnauthorized,
			wantStatus:     StatusFailed,
			wantErr:        []string{`checking what tag "1.2.3" holds`, "401"},
			wantCalls:      []string{"inspect " + idWeb},
		},
		{
			name:       "credentials error",
			images:     []image.Summary{summary(idWeb, "web-api:1.2.3")},
			credsErr:   errors.New("getting an ECR token: AccessDeniedException"),
			wantStatus: StatusFailed,
			wantErr:    []string{"AccessDeniedException"},
			wantCalls:  []string{"inspect " + idWeb},
		},
		{
			name:       "local image gone",
			images:     []image.Summary{summary(idOther, "other:1")},
			wantStatus: StatusFailed,
			wantErr:    []string{`inspecting local image "web-api:1.2.3"`, "No such image"},
			wantCalls:  []string{"inspect " + idWeb},
		},
		{
			name:       "local image gone after planning",
			images:     []image.Summary{summary(idOther, "other:1")},
			planned:    true,
			wantStatus: StatusFailed,
			wantErr:    []string{"tagging web-api:1.2.3 as $T"},
			wantCalls:  []string{"inspect $T", "tag " + idWeb + " $T"},
		},
		{
			name:       "inspecting fails",
			images:     []image.Summary{summary(idWeb, "web-api:1.2.3")},
			inspectErr: errors.New("engine gone"),
			wantStatus: StatusFailed,
			wantErr:    []string{`inspecting local image "web-api:1.2.3"`, "engine gone"},
			wantCalls:  []string{"inspect " + idWeb},
		},
		{
			name:       "inspecting the target fails",
			images:     []image.Summary{summary(idWeb, "web-api:1.2.3")},
			planned:    true,
			inspectErr: errors.New("engine gone"),
			wantStatus: StatusFailed,
			wantErr:    []string{`inspecting local image "$T"`, "engine gone"},
			wantCalls:  []string{"inspect $T"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg, ep := newFakeRegistry(t, testPassword)
			reg.status = tt.registryStatus
			job := webJob(ep, "1.2.3")
			target := job.Target()
			if tt.override != "" {
				reg.override["web-api:1.2.3"] = tt.override
			}
			var images []image.Summary
			for _, img := range tt.images {
				images = append(images, summary(img.ID, expand(target, img.RepoTags)...))
			}
			engine := newFakeEngine(images...)
			engine.registry, engine.push, engine.inspectErr = reg, tt.push, tt.inspectErr
			if tt.planned {
				job.Local = &LocalImage{ID: idWeb, RepoTags: []string{"web-api:1.2.3"},
					Platform: Platform{OS: "linux", Architecture: "amd64"}}
			}
			before := engine.Tags()
			p := &Pusher{Upload: UploadEngine, Engine: engine,
				Credentials: credentials(tt.credsErr),
				Retry:       fastRetry}

			results := p.Push(context.Background(), []Job{job})

			if len(results) != 1 {
				t.Fatalf("Push() = %d results, want 1", len(results))
			}
			got := results[0]
			for _, want := range expand(target, tt.wantErr) {
				if !strings.Contains(got.Error, want) {
					t.Errorf("Push() error = %q, want it to contain %q", got.Error, want)
				}
			}
			if len(tt.wantErr) == 0 && got.Error != "" {
				t.Errorf("Push() error = %q, want none", got.Error)
			}
			got.Error = ""
			want := Result{
				Image:      "web-api:1.2.3",
				Repository: repoWeb.URI,
				Path:       repoWeb.Path,
				Tag:        "1.2.3",
				Digest:     tt.wantDigest,
				Status:     tt.wantStatus,
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Push() result (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(expand(target, tt.wantCalls), engine.Calls()); diff != "" {
				t.Errorf("engine calls (-want +got):\n%s", diff)
			}
			wantTags := before
			if tt.wantTags != nil {
				wantTags = maps.Clone(before)
				for k, v := range tt.wantTags {
					wantTags[normalize(strings.ReplaceAll(k, "$T", target))] = v
				}
			}
			if diff := cmp.Diff(wantTags, engine.Tags()); diff != "" {
				t.Errorf("local tags afterwards (-want +got):\n%s", diff)
			}
			if engine.opened != engine.closed {
				t.Errorf("%d push streams opened, %d closed", engine.opened, engine.closed)
			}
		})
	}
}

func TestPusherPushRegistryAuth(t *testing.T) {
	reg, ep := newFakeRegistry(t, testPassword)
	engine := newFakeEngine(summary(idWeb, "web-api:1.2.3"))
	engine.registry = reg
	type call struct{ account, region string }
	var mu sync.Mutex
	var calls []call
	p := &Pusher{
		Upload: UploadEngine,
		Engine: engine,
		Credentials: func(ctx context.Context, account, region string) (login.Credentials, error) {
			mu.Lock()
			calls = append(calls, call{account, region})
			mu.Unlock()
			return credentials(nil)(ctx, account, region)
		},
	}
	results := p.Push(context.Background(), []Job{webJob(ep, "1.2.3")})
	if results[0].Status != StatusPushed {
		t.Fatalf("Push() = %+v, want status %s", results[0], StatusPushed)
	}
	if diff := cmp.Diff([]call{{"123456789012", "us-east-1"}}, calls,
		cmp.AllowUnexported(call{})); diff != "" {
		t.Errorf("Credentials calls (-want +got):\n%s", diff)
	}
	if len(engine.auths) != 1 {
		t.Fatalf("ImagePush got %d X-Registry-Auth values, want 1", len(engine.auths))
	}
	auth := engine.auths[0]
	if len(auth)%4 != 0 || strings.ContainsAny(auth, "+/") {
		t.Errorf("X-Registry-Auth = %q, want padded base64url", auth)
	}
	raw, err := base64.URLEncoding.DecodeString(auth)
	if err != nil {
		t.Fatalf("base64.URLEncoding.DecodeString(%q) = %v", auth, err)
	}
	var got map[string]string
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("json.Unmarshal(%s) = %v", raw, err)
	}
	want := map[string]string{
		"username":      "AWS",
		"password":      testPassword,
		"serveraddress": ep.Host,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("X-Registry-Auth (-want +got):\n%s", diff)
	}
}

func TestPusherPushConcurrency(t *testing.T) {
	tests := []struct {
		name        string
		concurrency int
		jobs        int
		wantMax     int
	}{
		{name: "two at once", concurrency: 2, jobs: 6, wantMax: 2},
		{name: "one at a time", concurrency: 1, jobs: 3, wantMax: 1},
		{name: "default", concurrency: 0, jobs: 8, wantMax: DefaultConcurrency},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg, ep := newFakeRegistry(t, testPassword)
			engine := newFakeEngine(summary(idWeb, "web-api:1.2.3"))
			engine.registry = reg
			// Later jobs finish first, so results come back out of order.
			engine.push = func(_ context.Context, ref, id string) (string, error) {
				tag := ref[strings.LastIndex(ref, ":")+1:]
				var n int
				fmt.Sscanf(tag, "t%d", &n)
				time.Sleep(time.Duration(tt.jobs-n) * 3 * time.Millisecond)
				return engine.pushToRegistry(ref, id), nil
			}
			var jobs []Job
			for i := range tt.jobs {
				jobs = append(jobs, webJob(ep, fmt.Sprintf("t%d", i)))
			}
			p := &Pusher{Upload: UploadEngine, Engine: engine, Credentials: credentials(nil),
				Concurrency: tt.concurrency}

			results := p.Push(context.Background(), jobs)

			if engine.maxSeen < 1 || engine.maxSeen > tt.wantMax {
				t.Errorf("Push() ran %d pushes at once, want 1 to %d", engine.maxSeen, tt.wantMax)
			}
			var got, want []string
			for i, r := range results {
				got = append(got, r.Tag+" "+r.Status+" "+r.Error)
				want = append(want, jobs[i].Tag+" "+StatusPushed+" ")
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Push() results (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPusherPushCancelled(t *testing.T) {
	t.Run("before the start", func(t *testing.T) {
		reg, ep := newFakeRegistry(t, testPassword)
		engine := newFakeEngine(summary(idWeb, "web-api:1.2.3"))
		engine.registry = reg
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		p := &Pusher{Upload: UploadEngine, Engine: engine,
			Credentials: credentials(nil), Concurrency: 1}
		jobs := []Job{webJob(ep, "a"), webJob(ep, "b"), webJob(ep, "c")}

		results := p.Push(ctx, jobs)

		for i, r := range results {
			if r.Status != StatusCancelled || r.Tag != jobs[i].Tag ||
				!strings.Contains(r.Error, "context canceled") {
				t.Errorf("Push() result %d = %+v, want tag %s cancelled", i, r, jobs[i].Tag)
			}
		}
		for _, c := range engine.Calls() {
			if strings.HasPrefix(c, "push ") || strings.HasPrefix(c, "tag ") {
				t.Errorf("engine call %q after cancellation", c)
			}
		}
	})
	t.Run("during a push", func(t *testing.T) {
		reg, ep := newFakeRegistry(t, testPassword)
		engine := newFakeEngine(summary(idWeb, "web-api:1.2.3"), summary(idOther, "other:1"))
		engine.registry = reg
		before := engine.Tags()
		started := make(chan struct{})
		var once sync.Once
		engine.push = func(ctx context.Context, _, _ string) (string, error) {
			once.Do(func() { close(started) })
			<-ctx.Done()
			return "", ctx.Err()
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			<-started
			cancel()
		}()
		p := &Pusher{Upload: UploadEngine, Engine: engine,
			Credentials: credentials(nil), Concurrency: 1}
		jobs := []Job{webJob(ep, "a"), webJob(ep, "b"), webJob(ep, "c")}

		done := make(chan []Result)
		go func() { done <- p.Push(ctx, jobs) }()
		var results []Result
		select {
		case results = <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("Push() did not return after cancellation")
		}

		for i, r := range results {
			if r.Status != StatusCancelled || r.Tag != jobs[i].Tag {
				t.Errorf("Push() result %d = %+v, want tag %s cancelled", i, r, jobs[i].Tag)
			}
		}
		if !(Report{Results: results}).Failed() {
			t.Errorf("Report.Failed() = false for cancelled pushes, want true")
		}
		// The temporary tag is removed even though the push was cancelled.
		if diff := cmp.Diff(before, engine.Tags()); diff != "" {
			t.Errorf("local tags afterwards (-want +got):\n%s", diff)
		}
	})
}

func TestPusherPushKeepsSecrets(t *testing.T) {
	reg, ep := newFakeRegistry(t, testPassword)
	engine := newFakeEngine(summary(idWeb, "web-api:1.2.3"))
	engine.registry = reg
	reg.override["web-api:mismatch"] = digestB
	engine.push = func(_ context.Context, ref, id string) (string, error) {
		switch ref[strings.LastIndex(ref, ":")+1:] {
		case "denied":
			return `{"errorDetail":{"message":"unauthorized: authentication required"},` +
				`"error":"unauthorized: authentication required"}`, nil
		case "refused":
			return "", errMissingAuth
		}
		return engine.pushToRegistry(ref, id), nil
	}
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	p := &Pusher{Upload: UploadEngine, Engine: engine, Credentials: credentials(nil), Logger: log}
	var jobs []Job
	for _, tag := range []string{"ok", "denied", "refused", "mismatch"} {
		jobs = append(jobs, webJob(ep, tag))
	}
	results := p.Push(context.Background(), jobs)

	// A second run, where the registry refuses the credentials.
	reg.status = http.StatusUnauthorized
	results = append(results, p.Push(context.Background(), []Job{webJob(ep, "ok")})...)
	// A third, where getting credentials fails.
	p.Credentials = func(context.Context, string, string) (login.Credentials, error) {
		return login.Credentials{}, errors.New("getting an ECR token: ExpiredTokenException")
	}
	results = append(results, p.Push(context.Background(), []Job{webJob(ep, "ok")})...)

	statuses := map[string]int{}
	for _, r := range results {
		statuses[r.Status]++
		if strings.Contains(r.Error, testPassword) {
			t.Errorf("Push() result %+v holds the password", r)
		}
		for _, auth := range engine.auths {
			if strings.Contains(r.Error, auth) {
				t.Errorf("Push() result %+v holds the X-Registry-Auth value", r)
			}
		}
	}
	if diff := cmp.Diff(map[string]int{StatusPushed: 1, StatusFailed: 5}, statuses); diff != "" {
		t.Errorf("Push() statuses (-want +got):\n%s", diff)
	}
	text := logs.String()
	for _, want := range []string{"level=DEBUG", "status=Pushed", "error="} {
		if !strings.Contains(text, want) {
			t.Errorf("logs hold no %q, want debug and failure messages:\n%s", want, text)
		}
	}
	if strings.Contains(text, testPassword) {
		t.Errorf("logs hold the password:\n%s", text)
	}
	for _, auth := range engine.auths {
		if strings.Contains(text, auth) {
			t.Errorf("logs hold the X-Registry-Auth value %s", auth)
		}
	}
}

func TestReportFailed(t *testing.T) {
	tests := []struct {
		name     string
		statuses []string
		want     bool
	}{
		{name: "empty", want: false},
		{name: "pushed", statuses: []string{StatusPushed}, want: false},
		{
			name:     "pushed, up to date and skipped",
			statuses: []string{StatusPushed, StatusUpToDate, StatusSkipped},
			want:     false,
		},
		{name: "failed", statuses: []string{StatusPushed, StatusFailed}, want: true},
		{name: "cancelled", statuses: []string{StatusCancelled, StatusSkipped}, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r Report
			for _, s := range tt.statuses {
				r.Results = append(r.Results, Result{Status: s})
			}
			if got := r.Failed(); got != tt.want {
				t.Errorf("Report{%v}.Failed() = %v, want %v", tt.statuses, got, tt.want)
			}
		})
	}
}

func TestSkippedResults(t *testing.T) {
	got := SkippedResults([]Skip{
		{Repository: repoWeb, Reason: `no local image named "web-api"`},
		{Repository: repoNoName, Reason: "name, account or region unknown"},
	})
	want := []Result{
		{
			Repository: repoWeb.URI, Path: repoWeb.Path, Status: StatusSkipped,
			Reason: `no local image named "web-api"`,
		},
		{Path: repoNoName.Path, Status: StatusSkipped, Reason: "name, account or region unknown"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SkippedResults() (-want +got):\n%s", diff)
	}
	if got := SkippedResults(nil); got == nil || len(got) != 0 {
		t.Errorf("SkippedResults(nil) = %#v, want an empty slice", got)
	}
}
