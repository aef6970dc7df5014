package push

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/client"
)

// fakeEngine is an in-memory Docker Engine: images by id, the tags that
// name them, and a push that answers with a canned JSON stream. It records
// every call and is safe for concurrent use.
type fakeEngine struct {
	mu      sync.Mutex
	ids     []string          // image ids, in ImageList order
	tags    map[string]string // familiar "name:tag" → image id
	aliases map[string]string // other references ImageInspect knows, such as by digest
	// platforms and repoDigests are what ImageInspect tells of an image
	// id; an image without a platform is linux/amd64.
	platforms   map[string]Platform
	repoDigests map[string][]string
	// saved are the docker save archives ImageSave answers, by image id.
	saved map[string][]byte

	// listErr and inspectErr, when set, are returned by ImageList and
	// ImageInspect.
	listErr    error
	inspectErr error
	// push answers ImagePush for a reference the engine holds; nil pushes
	// to registry, if set, and answers with a successful stream.
	push     func(ctx context.Context, ref, id string) (string, error)
	registry *fakeRegistry

	calls   []string // "inspect REF", "tag SRC TARGET", "push REF", "remove REF"
	auths   []string // X-Registry-Auth values passed to ImagePush
	active  int      // ImagePush calls running now
	maxSeen int      // most ImagePush calls seen running at once
	opened  int      // push streams handed out
	closed  int      // push streams closed
}

// newFakeEngine holds images as ImageList would list them. A RepoTags entry
// "<none>:<none>" is kept as an untagged image.
func newFakeEngine(images ...image.Summary) *fakeEngine {
	e := &fakeEngine{tags: map[string]string{}, aliases: map[string]string{},
		platforms: map[string]Platform{}, repoDigests: map[string][]string{},
		saved: map[string][]byte{}}
	for _, img := range images {
		e.ids = append(e.ids, img.ID)
		for _, t := range img.RepoTags {
			if t != "<none>:<none>" {
				e.tags[normalize(t)] = img.ID
			}
		}
	}
	return e
}

// normalize turns a reference into the key of fakeEngine.tags, the way the
// engine resolves "web-api" to "web-api:latest".
func normalize(ref string) string {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return ref
	}
	return reference.FamiliarString(reference.TagNameOnly(named))
}

func (e *fakeEngine) record(format string, args ...any) {
	e.calls = append(e.calls, fmt.Sprintf(format, args...))
}

// resolve returns the id of an image id or reference; e.mu must be held.
func (e *fakeEngine) resolve(ref string) (string, bool) {
	if slices.Contains(e.ids, ref) {
		return ref, true
	}
	if id, ok := e.aliases[ref]; ok {
		return id, true
	}
	id, ok := e.tags[normalize(ref)]
	return id, ok
}

// tagsOf returns the sorted tags of an image; e.mu must be held.
func (e *fakeEngine) tagsOf(id string) []string {
	var tags []string
	for t, tid := range e.tags {
		if tid == id {
			tags = append(tags, t)
		}
	}
	slices.Sort(tags)
	return tags
}

// Tags returns a copy of the engine's tags.
func (e *fakeEngine) Tags() map[string]string {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := map[string]string{}
	for k, v := range e.tags {
		out[k] = v
	}
	return out
}

// Calls returns a copy of the recorded calls.
func (e *fakeEngine) Calls() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.calls)
}

func (e *fakeEngine) ImageList(ctx context.Context,
	_ client.ImageListOptions) (client.ImageListResult, error) {
	if err := ctx.Err(); err != nil {
		return client.ImageListResult{}, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.listErr != nil {
		return client.ImageListResult{}, e.listErr
	}
	var res client.ImageListResult
	for _, id := range e.ids {
		tags := e.tagsOf(id)
		if len(tags) == 0 {
			tags = []string{"<none>:<none>"}
		}
		res.Items = append(res.Items, image.Summary{ID: id, RepoTags: tags})
	}
	return res, nil
}

func (e *fakeEngine) ImageInspect(ctx context.Context, ref string,
	_ ...client.ImageInspectOption) (client.ImageInspectResult, error) {
	if err := ctx.Err(); err != nil {
		return client.ImageInspectResult{}, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.record("inspect %s", ref)
	if e.inspectErr != nil {
		return client.ImageInspectResult{}, e.inspectErr
	}
	id, ok := e.resolve(ref)
	if !ok {
		return client.ImageInspectResult{},
			cerrdefs.ErrNotFound.WithMessage("No such image: " + ref)
	}
	plat, ok := e.platforms[id]
	if !ok {
		plat = Platform{OS: "linux", Architecture: "amd64"}
	}
	return client.ImageInspectResult{
		InspectResponse: image.InspectResponse{
			ID: id, RepoTags: e.tagsOf(id), RepoDigests: e.repoDigests[id],
			Os: plat.OS, Architecture: plat.Architecture, Variant: plat.Variant,
		},
	}, nil
}

func (e *fakeEngine) ImageTag(ctx context.Context,
	opts client.ImageTagOptions) (client.ImageTagResult, error) {
	if err := ctx.Err(); err != nil {
		return client.ImageTagResult{}, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.record("tag %s %s", opts.Source, opts.Target)
	id, ok := e.resolve(opts.Source)
	if !ok {
		return client.ImageTagResult{},
			cerrdefs.ErrNotFound.WithMessage("No such image: " + opts.Source)
	}
	e.tags[normalize(opts.Target)] = id
	return client.ImageTagResult{}, nil
}

func (e *fakeEngine) ImageRemove(ctx context.Context, ref string,
	_ client.ImageRemoveOptions) (client.ImageRemoveResult, error) {
	if err := ctx.Err(); err != nil {
		return client.ImageRemoveResult{}, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.record("remove %s", ref)
	key := normalize(ref)
	if _, ok := e.tags[key]; !ok {
		return client.ImageRemoveResult{},
			cerrdefs.ErrNotFound.WithMessage("No such image: " + ref)
	}
	delete(e.tags, key)
	return client.ImageRemoveResult{}, nil
}

func (e *fakeEngine) ImageSave(ctx context.Context, images []string,
	_ ...client.ImageSaveOption) (client.ImageSaveResult, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.record("save %s", strings.Join(images, " "))
	if len(images) != 1 {
		return nil, fmt.Errorf("fake engine saves one image at a time, not %q", images)
	}
	data, ok := e.saved[images[0]]
	if !ok {
		return nil, cerrdefs.ErrNotFound.WithMessage("No such image: " + images[0])
	}
	return io.NopCloser(bytes.NewReader(data)), nil
}

func (e *fakeEngine) ImagePush(ctx context.Context, ref string,
	opts client.ImagePushOptions) (client.ImagePushResponse, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	e.mu.Lock()
	e.record("push %s", ref)
	e.auths = append(e.auths, opts.RegistryAuth)
	e.active++
	e.maxSeen = max(e.maxSeen, e.active)
	id, ok := e.resolve(ref)
	push := e.push
	e.mu.Unlock()

	defer func() {
		e.mu.Lock()
		e.active--
		e.mu.Unlock()
	}()
	var stream string
	var err error
	switch {
	case !ok:
		// What a real engine answers, with HTTP 200.
		stream = `{"error":"tag does not exist: ` + ref + `"}` + "\n"
	case push != nil:
		stream, err = push(ctx, ref, id)
	default:
		stream = e.pushToRegistry(ref, id)
	}
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	e.opened++
	e.mu.Unlock()
	return &pushResponse{ReadCloser: io.NopCloser(strings.NewReader(stream)), engine: e}, nil
}

// pushToRegistry stores the image under ref in e.registry and returns the
// engine's stream for a successful push.
func (e *fakeEngine) pushToRegistry(ref, id string) string {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return `{"error":"invalid reference"}`
	}
	tagged := reference.TagNameOnly(named).(reference.NamedTagged)
	digest := digestFor(id)
	if e.registry != nil {
		e.registry.put(reference.Path(named), tagged.Tag(), digest, id)
	}
	return successStream(reference.Path(named), tagged.Tag(), digest)
}

// digestFor makes up the manifest digest of an image id.
func digestFor(id string) string {
	return "sha256:" + strings.Repeat(strings.TrimPrefix(id, "sha256:")[:1], 64)
}

// successStream is what an engine answers for a successful push.
func successStream(name, tag, digest string) string {
	return `{"status":"The push refers to repository [registry/` + name + `]"}
{"status":"Preparing","progressDetail":{},"id":"b427b67c4db5"}
{"status":"Pushing","progressDetail":{"current":512,"total":731},"id":"b427b67c4db5"}
{"status":"Pushed","progressDetail":{},"id":"b427b67c4db5"}
{"status":"` + tag + `: digest: ` + digest + ` size: 731"}
{"progressDetail":{},"aux":{"Tag":"` + tag + `","Digest":"` + digest + `","Size":731}}
`
}

// pushResponse is a client.ImagePushResponse over a canned stream.
type pushResponse struct {
	io.ReadCloser
	engine *fakeEngine
	once   sync.Once
}

func (r *pushResponse) Close() error {
	r.once.Do(func() {
		r.engine.mu.Lock()
		r.engine.closed++
		r.engine.mu.Unlock()
	})
	return r.ReadCloser.Close()
}

func (r *pushResponse) JSONMessages(context.Context) iter.Seq2[jsonstream.Message, error] {
	return func(func(jsonstream.Message, error) bool) {}
}

func (r *pushResponse) Wait(context.Context) error { return nil }

// fakeRegistry answers GET and HEAD /v2/NAME/manifests/REF like a
// Distribution registry with one user. Every manifest it holds is a
// single-image manifest naming an image config, unless set as an index.
type fakeRegistry struct {
	t        *testing.T
	password string

	mu        sync.Mutex
	manifests map[string]fakeManifest // "name:tag" or "name@digest" → manifest
	override  map[string]string       // "name:tag" → digest answered instead
	status    int                     // answered instead of the manifest, when set
	// answer, when set, may answer a request instead of the registry: it
	// returns the status to answer, or 0 to go on.
	answer   func(method, ref, password string) int
	requests []string // "METHOD name:tag"
}

// fakeManifest is a manifest the fake registry holds.
type fakeManifest struct {
	digest string
	config string
	// index, when set, makes the manifest an index of these entries.
	index []IndexEntry
}

// put stores a manifest of the image config under name:tag.
func (r *fakeRegistry) put(name, tag, digest, config string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.manifests[name+":"+tag] = fakeManifest{digest: digest, config: config}
}

// putIndex stores an index under name:tag and its entries' manifests by
// digest; configs maps each entry's digest to its image config.
func (r *fakeRegistry) putIndex(name, tag, digest string, entries []IndexEntry,
	configs map[string]string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.manifests[name+":"+tag] = fakeManifest{digest: digest, index: entries}
	for _, e := range entries {
		r.manifests[name+"@"+e.Digest] = fakeManifest{digest: e.Digest, config: configs[e.Digest]}
	}
}

// Requests returns a copy of the requests so far.
func (r *fakeRegistry) Requests() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.requests)
}

func (r *fakeRegistry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodHead && req.Method != http.MethodGet {
		r.t.Errorf("registry: method = %s, want HEAD or GET", req.Method)
	}
	rest, ok := strings.CutPrefix(req.URL.Path, "/v2/")
	name, ref, ok2 := strings.Cut(rest, "/manifests/")
	if !ok || !ok2 {
		r.t.Errorf("registry: unexpected path %s", req.URL.Path)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	key := name + ":" + ref
	if strings.Contains(ref, ":") {
		key = name + "@" + ref
	}
	_, pass, _ := req.BasicAuth()
	r.mu.Lock()
	r.requests = append(r.requests, req.Method+" "+key)
	answer := r.answer
	r.mu.Unlock()
	if answer != nil {
		if code := answer(req.Method, key, pass); code != 0 {
			w.WriteHeader(code)
			return
		}
	}
	if user, pass, ok := req.BasicAuth(); !ok || user != "AWS" || pass != r.password {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	r.mu.Lock()
	status := r.status
	m, found := r.manifests[key]
	if d, ok := r.override[key]; ok {
		m, found = fakeManifest{digest: d, config: configOther}, true
	}
	r.mu.Unlock()
	switch {
	case status != 0:
		w.WriteHeader(status)
		return
	case !found:
		w.WriteHeader(http.StatusNotFound)
		return
	}
	body := `{"schemaVersion":2,"mediaType":"` + mediaDockerManifest + `",` +
		`"config":{"mediaType":"application/vnd.docker.container.image.v1+json",` +
		`"digest":"` + m.config + `","size":1}}`
	if m.index != nil {
		var entries []string
		for _, e := range m.index {
			entries = append(entries, `{"mediaType":"`+mediaOCIManifest+`","digest":"`+
				e.Digest+`","size":1,"platform":{"os":"`+e.Platform.OS+
				`","architecture":"`+e.Platform.Architecture+`"}}`)
		}
		body = `{"schemaVersion":2,"mediaType":"` + mediaOCIIndex + `","manifests":[` +
			strings.Join(entries, ",") + `]}`
	}
	w.Header().Set("Docker-Content-Digest", m.digest)
	w.Header().Set("Content-Type", mediaDockerManifest)
	w.WriteHeader(http.StatusOK)
	if req.Method == http.MethodGet {
		_, _ = io.WriteString(w, body)
	}
}

// configOther is the image config of manifests the fake registry holds
// for no local image.
const configOther = "sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"

// newFakeRegistry starts a registry and returns it with its endpoint.
func newFakeRegistry(t *testing.T, password string) (*fakeRegistry, Endpoint) {
	t.Helper()
	r := &fakeRegistry{t: t, password: password, manifests: map[string]fakeManifest{},
		override: map[string]string{}}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	eps, err := ParseEndpoints([]string{srv.Listener.Addr().String()})
	if err != nil {
		t.Fatalf("ParseEndpoints(%s) = %v", srv.Listener.Addr(), err)
	}
	ep := eps.For("any.registry")
	if ep.URL() != srv.URL {
		t.Fatalf("endpoint URL = %s, want %s", ep.URL(), srv.URL)
	}
	return r, ep
}
