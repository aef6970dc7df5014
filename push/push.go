package push

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"

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
	// job and is expected to cache.
	Credentials CredentialsFunc
	// HTTPClient is used to confirm manifests on the registry; nil means
	// http.DefaultClient.
	HTTPClient *http.Client
	// Concurrency is how many jobs run at once; 0 means
	// DefaultConcurrency.
	Concurrency int
	// Logger receives progress messages; nil discards them.
	Logger *slog.Logger
}

// Push runs every job and returns one result per job, in job order. It
// returns when all jobs have ended, or soon after ctx is cancelled, in which
// case unfinished jobs are reported as cancelled.
func (p *Pusher) Push(ctx context.Context, jobs []Job) []Result {
	n := p.Concurrency
	if n <= 0 {
		n = DefaultConcurrency
	}
	results := make([]Result, len(jobs))
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
				if err := ctx.Err(); err != nil {
					results[i] = resultFor(j, StatusCancelled, "", err)
					return
				}
				results[i] = p.pushOne(ctx, j)
			case <-ctx.Done():
				results[i] = resultFor(j, StatusCancelled, "", ctx.Err())
			}
		}()
	}
	wg.Wait()
	return results
}

func (p *Pusher) logger() *slog.Logger {
	if p.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return p.Logger
}

func (p *Pusher) pushOne(ctx context.Context, j Job) Result {
	log := p.logger().With("image", j.Image, "repository", j.Repository.URI, "tag", j.Tag)
	creds, err := p.Credentials(ctx, j.Repository.Account, j.Repository.Region)
	if err != nil {
		return p.failure(ctx, j, err)
	}
	log.Info("pushing")
	digest, err := p.enginePush(ctx, j, creds, log)
	if err != nil {
		return p.failure(ctx, j, err)
	}
	hc := p.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	got, err := ManifestDigest(ctx, hc, j.Endpoint, j.Repository.Name, j.Tag, creds)
	if err != nil {
		return p.failure(ctx, j, fmt.Errorf("confirming the push: %w", err))
	}
	if got != digest {
		return p.failure(ctx, j, fmt.Errorf("confirming the push: the registry holds %s "+
			"under tag %q, but the engine pushed %s", orNone(got), j.Tag, digest))
	}
	log.Info("pushed", "digest", digest)
	return resultFor(j, StatusPushed, digest, nil)
}

// enginePush tags the local image as the target, pushes that tag, and puts
// the engine's tags back as they were.
func (p *Pusher) enginePush(ctx context.Context, j Job, creds login.Credentials,
	log *slog.Logger) (string, error) {
	target := j.Target()
	before, err := p.Engine.ImageInspect(ctx, target)
	switch {
	case cerrdefs.IsNotFound(err):
	case err != nil:
		return "", fmt.Errorf("inspecting local image %q: %w", target, err)
	}
	if _, err := p.Engine.ImageTag(ctx, client.ImageTagOptions{
		Source: j.ImageID, Target: target}); err != nil {
		return "", fmt.Errorf("tagging %s as %s: %w", j.Image, target, err)
	}
	defer p.restoreTag(j, target, before.ID, log)

	auth, err := authconfig.Encode(registry.AuthConfig{
		Username:      creds.Username,
		Password:      creds.Password,
		ServerAddress: j.Endpoint.Host,
	})
	if err != nil {
		return "", fmt.Errorf("encoding registry credentials for %s: %w", j.Endpoint.Host, err)
	}
	resp, err := p.Engine.ImagePush(ctx, target, client.ImagePushOptions{RegistryAuth: auth})
	if err != nil {
		return "", fmt.Errorf("pushing %s: %w", target, err)
	}
	defer resp.Close()
	digest, err := readPushStream(resp, j.Tag, func(m message) {
		log.Debug("engine", "status", m.Status, "layer", m.ID)
	})
	if err != nil {
		return "", fmt.Errorf("pushing %s: %w", target, err)
	}
	return digest, nil
}

// restoreTag removes the tag cdkpush added, or points it back at the image
// it named before. It never removes an image's last tag, which would delete
// the image. It runs even when the push was cancelled, so it does not use
// the push's context.
func (p *Pusher) restoreTag(j Job, target, previousID string, log *slog.Logger) {
	ctx := context.WithoutCancel(context.Background())
	var err error
	switch previousID {
	case j.ImageID:
		return
	case "":
		var info client.ImageInspectResult
		info, err = p.Engine.ImageInspect(ctx, target)
		if err == nil && len(info.RepoTags) > 1 {
			_, err = p.Engine.ImageRemove(ctx, target, client.ImageRemoveOptions{})
		}
	default:
		_, err = p.Engine.ImageTag(ctx, client.ImageTagOptions{Source: previousID, Target: target})
	}
	if err != nil {
		log.Warn("could not restore the local tag", "tag", target, "error", err)
	}
}

func (p *Pusher) failure(ctx context.Context, j Job, err error) Result {
	status := StatusFailed
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		status = StatusCancelled
	}
	p.logger().Debug("push ended", "image", j.Image, "repository", j.Repository.URI,
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
