package push

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/cdkpush/cdkpush/login"
)

// Upload says how a push sends an image to the registry.
type Upload string

const (
	// UploadDirect: cdkpush exports the image from the engine (as docker
	// save does, to a temporary file) and uploads its layers, config and
	// manifest to the registry itself, compressing layers with gzip's
	// fastest level (see exportedImage). The engine's own tags are not
	// touched.
	UploadDirect Upload = "direct"
	// UploadEngine: cdkpush tags the image with the target name and has
	// the engine push that tag (as docker push does), then removes the tag.
	UploadEngine Upload = "engine"
)

// ParseUpload reads an --upload value; "" is UploadDirect.
func ParseUpload(s string) (Upload, error) {
	switch Upload(s) {
	case "", UploadDirect:
		return UploadDirect, nil
	case UploadEngine:
		return UploadEngine, nil
	}
	return "", fmt.Errorf("upload %q: want %s or %s", s, UploadDirect, UploadEngine)
}

// exports keeps each local image exported once to a temporary file, for
// all the jobs that push it, until the run ends.
type exports struct {
	engine Engine
	files  onceMap[exportedFile]
}

// exportedFile is an image exported to a temporary file.
type exportedFile struct {
	path string
	img  v1.Image
}

// get exports the image with the given id on first use, and returns it as
// exportedImage reads it. ref names the image in errors. A failed export is
// not kept: a retry exports again.
func (x *exports) get(ctx context.Context, id, ref string) (v1.Image, error) {
	f, err := x.files.get(ctx, id, func() (exportedFile, error) {
		path, err := x.export(ctx, id, ref)
		if err != nil {
			return exportedFile{}, err
		}
		img, err := exportedImage(path)
		if err != nil {
			os.Remove(path)
			return exportedFile{}, fmt.Errorf("reading the export of local image %q: %w",
				ref, err)
		}
		return exportedFile{path: path, img: img}, nil
	})
	return f.img, err
}

// TODO: export with the engine's platform option (API 1.48) for an image of
// the containerd image store that holds several platforms; its export holds
// several images now, and reading it fails, so such an image needs
// --upload engine.
func (x *exports) export(ctx context.Context, id, ref string) (string, error) {
	what := fmt.Sprintf("exporting local image %q (%s) from the engine", ref, shortID(id))
	f, err := os.CreateTemp("", "cdkpush-image-*.tar")
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	rc, err := x.engine.ImageSave(ctx, []string{id})
	if err == nil {
		_, err = io.Copy(f, rc)
		rc.Close()
	}
	if err != nil && strings.Contains(err.Error(), "empty export") {
		// An image without layers (FROM scratch with no COPY) cannot be
		// exported by the engine; the engine can still push it.
		err = fmt.Errorf("%w (the engine cannot export an image without layers: "+
			"push it with --upload engine)", err)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("%s: %w", what, err)
	}
	return f.Name(), nil
}

// cleanup removes the exported files.
func (x *exports) cleanup() {
	for _, f := range x.files.drain() {
		os.Remove(f.path)
	}
}

// directPush uploads job i's image to the registry and returns the digest
// of the manifest it put under the tag.
func (r *run) directPush(ctx context.Context, i int) (string, error) {
	j := r.jobs[i]
	img, err := r.exports.get(ctx, j.ImageID, j.Image)
	if err != nil {
		return "", err
	}
	digest, err := img.Digest()
	if err != nil {
		return "", fmt.Errorf("reading the export of local image %q: %w", j.Image, err)
	}
	var nameOpts []name.Option
	if j.Endpoint.PlainHTTP {
		nameOpts = append(nameOpts, name.Insecure)
	}
	target := j.Target()
	ref, err := name.NewTag(target, nameOpts...)
	if err != nil {
		return "", fmt.Errorf("pushing %s: %w", target, err)
	}
	// Jobs that push one image to one repository under several tags go one
	// after another: the first uploads the blobs, the others find them there
	// and only put the manifest under their tag.
	unlock := r.sameBlobs.lock(j.Repository.URI + "@" + j.ImageID)
	defer unlock()
	return withAuth(ctx, r, i, func(creds login.Credentials) (string, error) {
		updates := make(chan v1.Update, 16)
		done := make(chan struct{})
		var total int64
		go func() {
			defer close(done)
			for u := range updates {
				if u.Error == nil && u.Total > 0 {
					total = u.Total
					r.emit(Event{Job: i, State: StatePushing, Current: u.Complete,
						Total: u.Total})
				}
			}
		}()
		err := remote.Write(ref, img,
			remote.WithContext(ctx),
			remote.WithAuth(&authn.Basic{Username: creds.Username, Password: creds.Password}),
			remote.WithTransport(r.transport(j.Endpoint)),
			remote.WithProgress(updates),
			remote.WithJobs(layerJobs),
			// Retries are the Pusher's, with its policy and events.
			remote.WithRetryPredicate(func(error) bool { return false }),
			remote.WithRetryStatusCodes(),
			remote.WithUserAgent("cdkpush"),
		)
		<-done
		if err != nil {
			return "", fmt.Errorf("pushing %s: %w", target, err)
		}
		if total > 0 {
			// Blobs the registry had already are not counted as sent.
			r.emit(Event{Job: i, State: StatePushing, Current: total, Total: total})
		}
		return digest.String(), nil
	})
}

// keyedMutex holds one lock per key.
type keyedMutex struct {
	mu    sync.Mutex
	locks map[string]*sync.Mutex
}

// lock locks key and returns its unlock.
func (k *keyedMutex) lock(key string) func() {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = map[string]*sync.Mutex{}
	}
	l, ok := k.locks[key]
	if !ok {
		l = &sync.Mutex{}
		k.locks[key] = l
	}
	k.mu.Unlock()
	l.Lock()
	return l.Unlock
}

// layerJobs is how many blobs of one image upload at once.
const layerJobs = 3

// transport is the HTTP transport of uploads to ep: the Pusher's, or
// go-containerregistry's default, kept to HTTPS unless ep is plain HTTP.
func (r *run) transport(ep Endpoint) http.RoundTripper {
	t := http.RoundTripper(defaultTransport)
	if r.p.HTTPClient != nil && r.p.HTTPClient.Transport != nil {
		t = r.p.HTTPClient.Transport
	}
	if ep.PlainHTTP {
		return t
	}
	return httpsOnly{next: t}
}

// defaultTransport is go-containerregistry's transport with a bound on the
// wait for each answer: a registry that takes requests but never answers
// fails the try (and is retried) instead of stalling the run. Uploads
// themselves are not bounded, only the wait after them.
var defaultTransport = func() *http.Transport {
	t := remote.DefaultTransport.(*http.Transport).Clone()
	t.ResponseHeaderTimeout = responseTimeout
	return t
}()

// responseTimeout is how long a registry may take to start answering.
const responseTimeout = 30 * time.Second

// httpsOnly refuses plain HTTP requests. go-containerregistry falls back to
// plain HTTP for loopback and private addresses when HTTPS fails; for an
// endpoint that is HTTPS, credentials must never go out in the clear.
type httpsOnly struct{ next http.RoundTripper }

func (t httpsOnly) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != "https" {
		return nil, fmt.Errorf("refusing plain HTTP to %s, an HTTPS registry endpoint",
			req.URL.Host)
	}
	return t.next.RoundTrip(req)
}
