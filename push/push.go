package push

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/pkg/authconfig"
	"github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/client"

	"github.com/cdkpush/cdkpush/login"
)

// DefaultConcurrency is how many pushes run at once unless told otherwise.
const DefaultConcurrency = 4

// CredentialsFunc returns credentials for the registry of an account in a
// region.
type CredentialsFunc func(ctx context.Context, account, region string) (login.Credentials, error)

// Pusher runs jobs. Engine and Credentials must be set.
type Pusher struct {
	// Engine is the Docker Engine that holds the local images.
	Engine Engine
	// Credentials supplies registry credentials; it is called once per
	// job, and again after the registry refused them, and is expected to
	// cache.
	Credentials CredentialsFunc
	// Invalidate, if set, makes Credentials forget what it has for a
	// registry, so that the next call fetches new credentials. After a
	// registry refuses a job's credentials, the Pusher calls it, gets new
	// credentials and tries once more. Nil means no such second try.
	Invalidate func(account, region string)
	// HTTPClient is used to ask the registry for manifests; nil means
	// http.DefaultClient.
	HTTPClient *http.Client
	// Concurrency is how many jobs run at once; 0 means
	// DefaultConcurrency.
	Concurrency int
	// Retry bounds the retries of transient failures; the zero value
	// means DefaultRetry.
	Retry RetryPolicy
	// Upload is how images go to the registry; the zero value means
	// UploadDirect.
	Upload Upload
	// OnEvent, if set, is told of every change in every job: each state,
	// and each change in the bytes sent. Calls never overlap, and come in
	// the order of the changes; OnEvent should return quickly.
	OnEvent func(Event)
	// Logger receives debug messages and warnings; nil discards them.
	Logger *slog.Logger
}

// Push runs the jobs in two steps. First it checks every job: the local
// image's platform, and what the registry holds under the tag. A tag that
// already holds the image is up to date and is not pushed; a tag of an
// immutable repository that holds another image is refused. If any check
// fails, nothing is pushed. Then it pushes the other jobs as Upload says,
// retrying transient failures, and confirms each push on the registry.
//
// Push returns one result per job, in job order. It returns when all jobs
// have ended, or soon after ctx is cancelled, in which case unfinished jobs
// are reported as cancelled.
func (p *Pusher) Push(ctx context.Context, jobs []Job) []Result {
	r := &run{
		p:        p,
		jobs:     jobs,
		results:  make([]Result, len(jobs)),
		creds:    make([]login.Credentials, len(jobs)),
		reauthed: make([]bool, len(jobs)),
		images:   &imageCache{engine: p.Engine},
		exports:  &exports{engine: p.Engine},
		log:      p.Logger,
	}
	defer r.exports.cleanup()
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	for _, j := range jobs {
		if j.Local != nil {
			r.images.add(j.Local)
		}
	}

	all := make([]int, len(jobs))
	for i := range jobs {
		all[i] = i
	}
	toPush := make([]bool, len(jobs))
	r.each(ctx, all, func(i int) {
		toPush[i] = r.check(ctx, i)
	})
	refused := 0
	for _, res := range r.results {
		if res.Status == StatusFailed || res.Status == StatusCancelled {
			refused++
		}
	}
	var pushes []int
	for i, push := range toPush {
		switch {
		case !push:
		case ctx.Err() != nil:
			r.end(i, resultFor(jobs[i], StatusCancelled, "", ctx.Err()))
		case refused > 0:
			res := resultFor(jobs[i], StatusSkipped, "", nil)
			res.Reason = fmt.Sprintf("not pushed: %d of %d pushes failed their checks, "+
				"and nothing is pushed until all pass", refused, len(jobs))
			r.end(i, res)
		default:
			pushes = append(pushes, i)
		}
	}
	r.each(ctx, pushes, func(i int) {
		r.end(i, r.push(ctx, i))
	})
	return r.results
}

// run is the state of one call to Push.
type run struct {
	p       *Pusher
	jobs    []Job
	results []Result
	// creds are each job's credentials, fetched by its check.
	creds []login.Credentials
	// reauthed says a job already got new credentials once.
	reauthed []bool
	images   *imageCache
	exports  *exports
	// sameBlobs serializes direct uploads of one image to one repository.
	sameBlobs keyedMutex
	log       *slog.Logger

	emitMu sync.Mutex
}

// each calls f for each index, at most Concurrency at once. An index that
// has not started when ctx ends is reported as cancelled.
func (r *run) each(ctx context.Context, idx []int, f func(i int)) {
	n := r.p.Concurrency
	if n <= 0 {
		n = DefaultConcurrency
	}
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for _, i := range idx {
		// Starting in job order keeps the work, and the progress lines,
		// in the order of the report.
		select {
		case sem <- struct{}{}:
			if ctx.Err() == nil {
				break
			}
			<-sem
			r.end(i, resultFor(r.jobs[i], StatusCancelled, "", ctx.Err()))
			continue
		case <-ctx.Done():
			r.end(i, resultFor(r.jobs[i], StatusCancelled, "", ctx.Err()))
			continue
		}
		wg.Go(func() {
			defer func() { <-sem }()
			f(i)
		})
	}
	wg.Wait()
}

// emit passes an event to OnEvent, one at a time.
func (r *run) emit(e Event) {
	if r.p.OnEvent == nil {
		return
	}
	r.emitMu.Lock()
	defer r.emitMu.Unlock()
	r.p.OnEvent(e)
}

// end records a job's result and tells OnEvent.
func (r *run) end(i int, res Result) {
	r.results[i] = res
	e := Event{Job: i, State: State(res.Status), Digest: res.Digest}
	switch {
	case res.Error != "":
		e.Err = resultError(res.Error)
	case res.Reason != "":
		e.Err = resultError(res.Reason)
	}
	r.emit(e)
}

// resultError carries a result's error text to an event.
type resultError string

func (e resultError) Error() string { return string(e) }

// check runs the checks of job i and reports whether it must be pushed.
// Otherwise it records the job's result: up to date, failed or cancelled.
func (r *run) check(ctx context.Context, i int) bool {
	j := r.jobs[i]
	r.emit(Event{Job: i, State: StateChecking})
	img, err := r.images.get(ctx, j.ImageID, j.Image)
	if err != nil {
		r.end(i, r.failure(ctx, j, err))
		return false
	}
	if !j.Platform.IsZero() && !j.Platform.Matches(img.Platform) {
		r.end(i, r.failure(ctx, j, platformError(j.Image, img, j.Platform)))
		return false
	}
	r.creds[i], err = r.p.Credentials(ctx, j.Repository.Account, j.Repository.Region)
	if err != nil {
		r.end(i, r.failure(ctx, j, err))
		return false
	}
	remote, err := withAuth(ctx, r, i, func(c login.Credentials) (*RemoteManifest, error) {
		return FetchManifest(ctx, r.p.HTTPClient, j.Endpoint, j.Repository.Name, j.Tag, c)
	})
	if err != nil {
		r.end(i, r.failure(ctx, j, fmt.Errorf("checking what tag %q holds: %w", j.Tag, err)))
		return false
	}
	if remote == nil {
		r.log.Debug("tag not in the registry", "repository", j.Repository.URI, "tag", j.Tag)
		r.emit(Event{Job: i, State: StateWaiting})
		return true
	}
	same, err := r.holds(ctx, i, img, remote)
	if err != nil {
		r.end(i, r.failure(ctx, j, fmt.Errorf("checking what tag %q holds: %w", j.Tag, err)))
		return false
	}
	if same {
		r.log.Debug("up to date", "repository", j.Repository.URI, "tag", j.Tag,
			"digest", remote.Digest)
		r.end(i, resultFor(j, StatusUpToDate, remote.Digest, nil))
		return false
	}
	if j.Immutable {
		config := remote.Config
		if config == "" {
			config = "none: " + remote.MediaType
		}
		r.end(i, r.failure(ctx, j, fmt.Errorf("refusing to push %s to %s:%s: the tag is "+
			"immutable and holds manifest %s (image config %s), but the local image is %s; "+
			"push it under a new tag", j.Image, j.Repository.URI, j.Tag, remote.Digest,
			config, img.ID)))
		return false
	}
	r.log.Debug("tag holds another image", "repository", j.Repository.URI, "tag", j.Tag,
		"remote", remote.Digest, "local", img.ID)
	r.emit(Event{Job: i, State: StateWaiting})
	return true
}

// holds reports whether the registry's manifest for job i is the local
// image img. With the classic image store the image id is the digest of
// the image config the manifest names; with the containerd image store it
// is the digest of the manifest or index itself. The engine also records
// the digest of every manifest it pushed or pulled for an image. For an
// index, the entry for the image's platform is read and compared.
func (r *run) holds(ctx context.Context, i int, img *LocalImage,
	m *RemoteManifest) (bool, error) {
	if m.Digest == img.ID || knownDigest(img, m.Digest) {
		return true, nil
	}
	if !m.IsIndex() {
		return m.Config != "" && m.Config == img.ID, nil
	}
	j := r.jobs[i]
	for _, e := range m.Manifests {
		if e.Digest == img.ID || knownDigest(img, e.Digest) {
			return true, nil
		}
		if !e.Platform.IsZero() && !e.Platform.Matches(img.Platform) {
			continue
		}
		child, err := withAuth(ctx, r, i, func(c login.Credentials) (*RemoteManifest, error) {
			return FetchManifest(ctx, r.p.HTTPClient, j.Endpoint, j.Repository.Name, e.Digest, c)
		})
		if err != nil {
			return false, err
		}
		if child != nil && child.Config == img.ID {
			return true, nil
		}
	}
	return false, nil
}

// knownDigest reports whether the engine recorded digest as a manifest of
// the image.
func knownDigest(img *LocalImage, digest string) bool {
	return slices.ContainsFunc(img.RepoDigests, func(rd string) bool {
		return len(rd) > len(digest) && rd[len(rd)-len(digest)-1:] == "@"+digest
	})
}

// push pushes job i and confirms the push on the registry.
func (r *run) push(ctx context.Context, i int) Result {
	j := r.jobs[i]
	r.emit(Event{Job: i, State: StatePushing})
	r.log.Debug("pushing", "image", j.Image, "repository", j.Repository.URI, "tag", j.Tag)
	var digest string
	var err error
	if r.p.Upload == UploadEngine {
		digest, err = r.enginePush(ctx, i)
	} else {
		digest, err = r.directPush(ctx, i)
	}
	if err != nil {
		return r.failure(ctx, j, err)
	}
	r.emit(Event{Job: i, State: StateVerifying, Digest: digest})
	got, err := withAuth(ctx, r, i, func(c login.Credentials) (string, error) {
		return ManifestDigest(ctx, r.p.HTTPClient, j.Endpoint, j.Repository.Name, j.Tag, c)
	})
	if err != nil {
		return r.failure(ctx, j, fmt.Errorf("confirming the push: %w", err))
	}
	if got != digest {
		return r.failure(ctx, j, fmt.Errorf("confirming the push: the registry holds %s "+
			"under tag %q, but the engine pushed %s", orNone(got), j.Tag, digest))
	}
	r.log.Debug("pushed", "repository", j.Repository.URI, "tag", j.Tag, "digest", digest)
	return resultFor(j, StatusPushed, digest, nil)
}

// enginePush tags the local image as the target, pushes that tag, and puts
// the engine's tags back as they were.
func (r *run) enginePush(ctx context.Context, i int) (string, error) {
	j := r.jobs[i]
	target := j.Target()
	before, err := r.p.Engine.ImageInspect(ctx, target)
	switch {
	case cerrdefs.IsNotFound(err):
	case err != nil:
		return "", fmt.Errorf("inspecting local image %q: %w", target, err)
	}
	if _, err := r.p.Engine.ImageTag(ctx, client.ImageTagOptions{
		Source: j.ImageID, Target: target}); err != nil {
		return "", fmt.Errorf("tagging %s as %s: %w", j.Image, target, err)
	}
	defer r.restoreTag(ctx, j, target, before.ID)

	return withAuth(ctx, r, i, func(creds login.Credentials) (string, error) {
		auth, err := authconfig.Encode(registry.AuthConfig{
			Username:      creds.Username,
			Password:      creds.Password,
			ServerAddress: j.Endpoint.Host,
		})
		if err != nil {
			return "", fmt.Errorf("encoding registry credentials for %s: %w",
				j.Endpoint.Host, err)
		}
		resp, err := r.p.Engine.ImagePush(ctx, target, client.ImagePushOptions{
			RegistryAuth: auth})
		if err != nil {
			return "", fmt.Errorf("pushing %s: %w", target, err)
		}
		defer resp.Close()
		var bytes layerProgress
		digest, err := readPushStream(resp, j.Tag, func(m message) {
			r.log.Debug("engine", "status", m.Status, "layer", m.ID)
			if bytes.update(m) {
				r.emit(Event{Job: i, State: StatePushing, Current: bytes.current,
					Total: bytes.total})
			}
		})
		if err != nil {
			return "", fmt.Errorf("pushing %s: %w", target, err)
		}
		return digest, nil
	})
}

// restoreTag removes the tag cdkpush added, or points it back at the image
// it named before. It never removes an image's last tag, which would delete
// the image: an image that had no tag when it was inspected keeps the new
// one. It runs even when the push was cancelled, so it does not use the
// push's context.
func (r *run) restoreTag(ctx context.Context, j Job, target, previousID string) {
	ctx = context.WithoutCancel(ctx)
	var err error
	switch previousID {
	case j.ImageID:
		return
	case "":
		img, ierr := r.images.get(ctx, j.ImageID, j.Image)
		if ierr != nil || !slices.ContainsFunc(img.RepoTags, func(t string) bool {
			return t != target
		}) {
			return
		}
		_, err = r.p.Engine.ImageRemove(ctx, target, client.ImageRemoveOptions{})
	default:
		_, err = r.p.Engine.ImageTag(ctx, client.ImageTagOptions{
			Source: previousID, Target: target})
	}
	if err != nil {
		r.log.Warn("could not restore the local tag", "ref", target, "error", err)
	}
}

// withAuth runs op with job i's credentials, retrying transient failures.
// If the registry refuses the credentials, it gets new ones and runs op
// once more, once per job.
func withAuth[T any](ctx context.Context, r *run, i int,
	op func(login.Credentials) (T, error)) (T, error) {
	call := func() (T, error) { return op(r.creds[i]) }
	v, err := retryTransient(ctx, r.p.Retry, call, r.retryNotice(i))
	if err == nil || ctx.Err() != nil || classify(err) != unauthorized ||
		r.p.Invalidate == nil || r.reauthed[i] {
		return v, err
	}
	r.reauthed[i] = true
	j := r.jobs[i]
	acct, region := j.Repository.Account, j.Repository.Region
	r.log.Debug("registry refused the credentials; getting new ones", "account", acct,
		"region", region, "error", err)
	fresh, cerr := r.p.Credentials(ctx, acct, region)
	// Another job may have renewed them already; if not, renew them here.
	if cerr == nil && fresh.Password == r.creds[i].Password {
		r.p.Invalidate(acct, region)
		fresh, cerr = r.p.Credentials(ctx, acct, region)
	}
	if cerr != nil {
		return v, fmt.Errorf("getting new credentials after the registry refused the "+
			"old ones (%v): %w", err, cerr)
	}
	r.creds[i] = fresh
	r.emit(Event{Job: i, State: StateRetrying, Err: err, Try: 2})
	return retryTransient(ctx, r.p.Retry, call, r.retryNotice(i))
}

// retryNotice tells OnEvent and the log that job i tries a step again.
func (r *run) retryNotice(i int) retryNotice {
	return func(err error, wait time.Duration, try int) {
		j := r.jobs[i]
		r.log.Debug("retrying", "repository", j.Repository.URI, "tag", j.Tag, "try", try,
			"wait", wait, "error", err)
		r.emit(Event{Job: i, State: StateRetrying, Err: err, Try: try, Wait: wait})
	}
}

func (r *run) failure(ctx context.Context, j Job, err error) Result {
	status := StatusFailed
	if ctx.Err() != nil {
		status = StatusCancelled
	}
	r.log.Debug("push ended", "image", j.Image, "repository", j.Repository.URI,
		"tag", j.Tag, "status", status, "error", err)
	return resultFor(j, status, "", err)
}

func resultFor(j Job, status, digest string, err error) Result {
	r := Result{
		Image:      j.Image,
		Repository: j.Repository.URI,
		Path:       j.Repository.Path,
		Tag:        j.Tag,
		Digest:     digest,
		Status:     status,
	}
	if err != nil {
		r.Error = err.Error()
	}
	return r
}

func orNone(digest string) string {
	if digest == "" {
		return "nothing"
	}
	return digest
}
