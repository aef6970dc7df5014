package e2e

import (
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// faultProxy stands between the engine and the rig's registry. It can drop
// the connection in the middle of a request body, the way a registry or a
// load balancer that fails does, and it can slow request bodies down.
// cdkpush is pointed at it with --registry-endpoint; the engine treats
// 127.0.0.0/8 as an insecure registry, so plain HTTP works.
type faultProxy struct {
	// Addr is the proxy's HOST:PORT.
	Addr string

	mu sync.Mutex
	// drop says which requests to drop after a part of their body, by
	// kind ("manifest PUT", "blob upload"), and how many more of each.
	drop map[string]int
	// refuse answers requests of a kind with a registry error of this
	// HTTP status, as a registry that rejects the upload does.
	refuse map[string]int
	// bytesPerSecond, when above 0, slows every request body down.
	bytesPerSecond int
	// seen counts requests by kind.
	seen map[string]int
	// sent counts request body bytes passed to the registry.
	sent int64
}

// newFaultProxy starts a proxy in front of the rig's registry, stopped when
// the test ends.
func newFaultProxy(t *testing.T) *faultProxy {
	t.Helper()
	p := &faultProxy{drop: map[string]int{}, refuse: map[string]int{}, seen: map[string]int{}}
	target := &url.URL{Scheme: "http", Host: env.rig.Registry.Addr}
	rp := httputil.NewSingleHostReverseProxy(target)
	// The registry builds upload URLs from the Host header, which stays
	// the proxy's, so that every later request comes here too.
	rp.Director = func(r *http.Request) {
		r.URL.Scheme, r.URL.Host = target.Scheme, target.Host
	}
	rp.ErrorLog = log.New(io.Discard, "", 0)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		kind := requestKind(r)
		p.mu.Lock()
		p.seen[kind]++
		drop := p.drop[kind] > 0
		if drop {
			p.drop[kind]--
		}
		rate := p.bytesPerSecond
		status := p.refuse[kind]
		p.mu.Unlock()
		if status != 0 {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = io.WriteString(w, `{"errors":[{"code":"MANIFEST_INVALID",`+
				`"message":"manifest invalid","detail":"refused by the fault proxy"}]}`)
			return
		}
		if drop {
			// Read a part of the body, so the client is mid-upload, then
			// reset the connection.
			_, _ = io.CopyN(io.Discard, r.Body, 512)
			resetConnection(t, w)
			return
		}
		if r.Body != nil {
			r.Body = &countingBody{ReadCloser: r.Body, p: p, rate: rate}
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.Addr = srv.Listener.Addr().String()
	return p
}

// requestKind sorts registry requests for dropping and counting.
func requestKind(r *http.Request) string {
	switch {
	case r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/manifests/"):
		return "manifest PUT"
	case (r.Method == http.MethodPatch || r.Method == http.MethodPut) &&
		strings.Contains(r.URL.Path, "/blobs/uploads/"):
		return "blob upload"
	}
	return r.Method
}

// resetConnection ends the request's connection with a TCP reset.
func resetConnection(t *testing.T, w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		t.Errorf("fault proxy: the response cannot be hijacked")
		return
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		t.Errorf("fault proxy: hijacking: %v", err)
		return
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
}

// set changes the proxy's faults under its lock: its handler runs in
// other goroutines.
func (p *faultProxy) set(change func(p *faultProxy)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	change(p)
}

// Seen is how many requests of a kind the proxy got.
func (p *faultProxy) Seen(kind string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.seen[kind]
}

// Sent is how many body bytes went to the registry.
func (p *faultProxy) Sent() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sent
}

// countingBody counts a request body, and slows it to rate bytes a second.
type countingBody struct {
	io.ReadCloser
	p    *faultProxy
	rate int
}

func (b *countingBody) Read(buf []byte) (int, error) {
	if b.rate > 0 && len(buf) > b.rate/20 {
		buf = buf[:b.rate/20]
	}
	n, err := b.ReadCloser.Read(buf)
	b.p.mu.Lock()
	b.p.sent += int64(n)
	b.p.mu.Unlock()
	if b.rate > 0 && n > 0 {
		time.Sleep(time.Duration(n) * time.Second / time.Duration(b.rate))
	}
	return n, err
}

// TestPushRetriesDroppedConnection: the registry drops the connection in
// the middle of the manifest upload, which the engine does not retry on its
// own; cdkpush must try again and end with the image pushed and confirmed.
func TestPushRetriesDroppedConnection(t *testing.T) {
	dir := deployPushStack(t)
	proxy := newFaultProxy(t)
	proxy.set(func(p *faultProxy) { p.drop["manifest PUT"] = 1 })
	id := buildLayered(t, "team/push-api:retry", 7, "", 64<<10, 32<<10)

	res := cdkpush(t, dir, "--stack", "PushStack", "--registry-endpoint", proxy.Addr,
		"--json")

	if res.code != 0 {
		t.Fatalf("exit code %d, want 0", res.code)
	}
	r := byRepository(t, decodeReport(t, res.stdout))[repoSlash+":retry"]
	if r.Status != "pushed" || r.Digest == "" || r.Digest != registryDigest(t, repoSlash,
		"retry") {
		t.Errorf("result %+v, want pushed with the registry's digest", r)
	}
	if n := proxy.Seen("manifest PUT"); n != 2 {
		t.Errorf("the registry saw %d manifest uploads, want 2: one dropped, one retried", n)
	}
	if !strings.Contains(res.stderr, "retrying (try 2)") {
		t.Errorf("stderr shows no retry:\n%s", res.stderr)
	}
	withoutRegistryTags(t, proxy.Addr)
	if tags := localTags(t, id); len(tags) != 1 {
		t.Errorf("local tags %q, want only the image's own", tags)
	}
}

// TestPushRetriesDroppedBlobUpload: the registry drops the connection in
// the middle of a layer upload; cdkpush uploads the layers itself, and must
// try again and end with the image pushed and confirmed.
func TestPushRetriesDroppedBlobUpload(t *testing.T) {
	dir := deployPushStack(t)
	proxy := newFaultProxy(t)
	proxy.set(func(p *faultProxy) { p.drop["blob upload"] = 1 })
	buildLayered(t, "push-plain:retry", 8, "", 256<<10)

	res := cdkpush(t, dir, "--stack", "PushStack", "--registry-endpoint", proxy.Addr,
		"--json")

	if res.code != 0 {
		t.Fatalf("exit code %d, want 0", res.code)
	}
	r := byRepository(t, decodeReport(t, res.stdout))[repoPlain+":retry"]
	if r.Status != "pushed" || r.Digest != registryDigest(t, repoPlain, "retry") {
		t.Errorf("result %+v, want pushed with the registry's digest", r)
	}
	if n := proxy.Seen("blob upload"); n < 2 {
		t.Errorf("the registry saw %d blob uploads, want the dropped one and more", n)
	}
	if !strings.Contains(res.stderr, "retrying (try 2)") {
		t.Errorf("stderr shows no retry:\n%s", res.stderr)
	}
}
