package push

import (
	"bytes"
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/cdkpush/cdkpush/login"
)

// realRegistry is an in-memory Distribution registry with one user. Before
// the registry answers, answer may answer instead (0 goes on).
type realRegistry struct {
	handler  http.Handler
	password string

	mu       sync.Mutex
	answer   func(r *http.Request) int
	requests []string // "METHOD /v2/..."
}

func (r *realRegistry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.requests = append(r.requests, req.Method+" "+req.URL.Path)
	answer := r.answer
	r.mu.Unlock()
	if user, pass, ok := req.BasicAuth(); !ok || user != "AWS" || pass != r.password {
		w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if answer != nil {
		if code := answer(req); code != 0 {
			w.WriteHeader(code)
			return
		}
	}
	r.handler.ServeHTTP(w, req)
}

// count is how many requests of a method went to paths holding part.
func (r *realRegistry) count(method, part string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, q := range r.requests {
		if strings.HasPrefix(q, method+" ") && strings.Contains(q, part) {
			n++
		}
	}
	return n
}

func newRealRegistry(t *testing.T) (*realRegistry, Endpoint) {
	t.Helper()
	r := &realRegistry{handler: registry.New(registry.Logger(log.New(io.Discard, "", 0))),
		password: testPassword}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	eps, err := ParseEndpoints([]string{srv.Listener.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	return r, eps.For("any.registry")
}

// savedImage makes a random image of two layers, as the engine would hold
// it: its id is its config digest, and ImageSave answers its archive.
func savedImage(t *testing.T, e *fakeEngine, tags ...string) (v1.Image, string) {
	t.Helper()
	img, err := random.Image(2048, 2)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.NewTag("web-api:saved")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := tarball.Write(ref, img, &buf); err != nil {
		t.Fatal(err)
	}
	id := cfg.String()
	e.mu.Lock()
	e.ids = append(e.ids, id)
	for _, tag := range tags {
		e.tags[normalize(tag)] = id
	}
	e.saved[id] = buf.Bytes()
	e.mu.Unlock()
	return img, id
}

func directJob(ep Endpoint, id, tag string) Job {
	j := webJob(ep, tag)
	j.ImageID = id
	return j
}

func TestPusherDirect(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	_, ep := newRealRegistry(t)
	engine := newFakeEngine()
	_, id := savedImage(t, engine, "web-api:1.2.3")
	var events []Event
	p := &Pusher{Engine: engine, Credentials: credentials(nil), Retry: fastRetry,
		OnEvent: func(e Event) { events = append(events, e) }}
	jobs := []Job{directJob(ep, id, "1.2.3"), directJob(ep, id, "latest")}

	results := p.Push(context.Background(), jobs)

	// The registry holds under each tag the manifest that was reported,
	// naming the local image's config, unchanged.
	want := ""
	for i, tag := range []string{"1.2.3", "latest"} {
		m, err := FetchManifest(context.Background(), nil, ep, "web-api", tag,
			login.Credentials{Username: "AWS", Password: testPassword})
		if err != nil || m == nil || m.Config != id {
			t.Fatalf("registry holds %+v, %v for %s, want a manifest of config %s", m, err,
				tag, id)
		}
		if r := results[i]; r.Status != StatusPushed || r.Digest != m.Digest {
			t.Errorf("Push() result %+v, want pushed with digest %s", r, m.Digest)
		}
		want = m.Digest
	}
	// The image is inspected and exported once, and no local tag changes.
	wantCalls := []string{"inspect " + id, "save " + id}
	if diff := cmp.Diff(wantCalls, engine.Calls()); diff != "" {
		t.Errorf("engine calls (-want +got):\n%s", diff)
	}
	if entries, _ := os.ReadDir(os.Getenv("TMPDIR")); len(entries) != 0 {
		t.Errorf("temporary files left: %v", entries)
	}
	var last Event
	for _, e := range events {
		if e.Job == 0 && e.State == StatePushing && e.Total > 0 {
			last = e
		}
	}
	if last.Total == 0 || last.Current != last.Total {
		t.Errorf("last byte count of job 0 = %d/%d, want all of it", last.Current, last.Total)
	}

	// Run again: up to date, nothing exported.
	again := p.Push(context.Background(), jobs)
	for _, r := range again {
		if r.Status != StatusUpToDate || r.Digest != want {
			t.Errorf("second Push() result %+v, want up-to-date", r)
		}
	}
}

func TestPusherDirectRetries(t *testing.T) {
	tests := []struct {
		name string
		// fail answers the first request the test picks with status.
		method, part string
		status       int
		wantStatus   string
		// wantTries are the requests of that kind the registry got, at
		// least; the other layers of a try may finish before it fails, or
		// not.
		wantTries, wantMax int
	}{
		{name: "manifest 503", method: http.MethodPut, part: "/manifests/",
			status: http.StatusServiceUnavailable, wantStatus: StatusPushed, wantTries: 2,
			wantMax: 2},
		{name: "blob upload 502", method: http.MethodPatch, part: "/blobs/uploads/",
			status: http.StatusBadGateway, wantStatus: StatusPushed, wantTries: 4,
			wantMax: 6},
		{name: "manifest 400 is not retried", method: http.MethodPut, part: "/manifests/",
			status: http.StatusBadRequest, wantStatus: StatusFailed, wantTries: 1,
			wantMax: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg, ep := newRealRegistry(t)
			var mu sync.Mutex
			failed := false
			reg.answer = func(r *http.Request) int {
				mu.Lock()
				defer mu.Unlock()
				if !failed && r.Method == tt.method && strings.Contains(r.URL.Path, tt.part) {
					failed = true
					return tt.status
				}
				return 0
			}
			engine := newFakeEngine()
			_, id := savedImage(t, engine, "web-api:1.2.3")
			retries := 0
			p := &Pusher{Engine: engine, Credentials: credentials(nil), Retry: fastRetry,
				OnEvent: func(e Event) {
					if e.State == StateRetrying {
						retries++
					}
				}}

			results := p.Push(context.Background(), []Job{directJob(ep, id, "1.2.3")})

			if results[0].Status != tt.wantStatus {
				t.Errorf("Push() = %+v, want status %s", results[0], tt.wantStatus)
			}
			if n := reg.count(tt.method, tt.part); n < tt.wantTries || n > tt.wantMax {
				t.Errorf("registry got %d %s requests to %s, want %d to %d", n, tt.method,
					tt.part, tt.wantTries, tt.wantMax)
			}
			if want := tt.wantTries > 1; (retries > 0) != want {
				t.Errorf("%d retry events, want some: %v", retries, want)
			}
		})
	}
}

func TestPusherDirectNewCredentials(t *testing.T) {
	reg, ep := newRealRegistry(t)
	engine := newFakeEngine()
	_, id := savedImage(t, engine, "web-api:1.2.3")
	// The check passes with the old password, then the registry turns it
	// down: the token expired between the check and the upload.
	password := testPassword
	var mu sync.Mutex
	reg.answer = func(r *http.Request) int {
		mu.Lock()
		defer mu.Unlock()
		if r.Method != http.MethodGet && password == testPassword {
			return http.StatusUnauthorized
		}
		return 0
	}
	invalidated := 0
	p := &Pusher{
		Engine: engine,
		Credentials: func(context.Context, string, string) (login.Credentials, error) {
			return login.Credentials{Username: "AWS", Password: testPassword}, nil
		},
		Invalidate: func(string, string) {
			mu.Lock()
			defer mu.Unlock()
			invalidated++
			password = "renewed"
		},
		Retry: fastRetry,
	}

	results := p.Push(context.Background(), []Job{directJob(ep, id, "1.2.3")})

	if results[0].Status != StatusPushed || invalidated != 1 {
		t.Errorf("Push() = %+v after %d invalidations, want pushed after 1", results[0],
			invalidated)
	}
}

func TestPusherDirectExportFails(t *testing.T) {
	_, ep := newRealRegistry(t)
	engine := newFakeEngine(summary(idWeb, "web-api:1.2.3"))
	p := &Pusher{Engine: engine, Credentials: credentials(nil), Retry: fastRetry}

	results := p.Push(context.Background(), []Job{webJob(ep, "1.2.3")})

	r := results[0]
	for _, want := range []string{`exporting local image "web-api:1.2.3"`, "No such image"} {
		if r.Status != StatusFailed || !strings.Contains(r.Error, want) {
			t.Errorf("Push() = %+v, want failed naming %q", r, want)
		}
	}
}

func TestParseUpload(t *testing.T) {
	for in, want := range map[string]Upload{"": UploadDirect, "direct": UploadDirect,
		"engine": UploadEngine} {
		if got, err := ParseUpload(in); err != nil || got != want {
			t.Errorf("ParseUpload(%q) = %q, %v, want %q", in, got, err, want)
		}
	}
	if _, err := ParseUpload("docker"); err == nil || !strings.Contains(err.Error(), "direct") {
		t.Errorf("ParseUpload(docker) = %v, want an error naming the choices", err)
	}
}

func TestHTTPSOnly(t *testing.T) {
	var reached atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		reached.Add(1)
		w.WriteHeader(http.StatusNotFound)
	}))
	defer srv.Close()
	r := &run{p: &Pusher{}}
	client := &http.Client{Transport: r.transport(Endpoint{Host: "127.0.0.1"})}
	_, err := client.Get(srv.URL + "/v2/")
	if err == nil || !strings.Contains(err.Error(), "refusing plain HTTP") || reached.Load() != 0 {
		t.Errorf("GET %s through an HTTPS endpoint's transport = %v, want refused", srv.URL, err)
	}
	plain := &http.Client{Transport: r.transport(Endpoint{Host: "127.0.0.1", PlainHTTP: true})}
	resp, err := plain.Get(srv.URL + "/v2/")
	if err != nil || reached.Load() != 1 {
		t.Fatalf("GET %s through a plain endpoint's transport = %v", srv.URL, err)
	}
	resp.Body.Close()
}
