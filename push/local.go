package push

import (
	"context"
	"fmt"
	"strings"

	"github.com/moby/moby/client"
)

// LocalImage is what the engine says about a local image: the parts push
// needs to check the platform and to tell whether a registry already holds
// the image.
type LocalImage struct {
	// ID is the image id. With the classic image store it is the digest of
	// the image's config; with the containerd image store it is the digest
	// of its manifest or index.
	ID string `json:"id"`
	// Platform is the image's operating system and architecture.
	Platform Platform `json:"-"`
	// RepoTags are the image's tags when it was inspected.
	RepoTags []string `json:"repoTags"`
	// RepoDigests are the manifests the image is known by, as
	// NAME@DIGEST, recorded by the engine after a pull or a push.
	RepoDigests []string `json:"repoDigests"`
}

func localImage(res client.ImageInspectResult) *LocalImage {
	return &LocalImage{
		ID: res.ID,
		Platform: Platform{
			OS: res.Os, Architecture: res.Architecture, Variant: res.Variant,
		},
		RepoTags:    res.RepoTags,
		RepoDigests: res.RepoDigests,
	}
}

// imageCache inspects each local image once, however many jobs push it,
// and shares the answer between concurrent callers. A cancelled or failed
// inspection is not kept: the next caller tries again.
type imageCache struct {
	engine Engine
	images onceMap[*LocalImage]
}

// add records an inspection made elsewhere, such as by MakePlan.
func (c *imageCache) add(img *LocalImage) { c.images.put(img.ID, img) }

// get returns the inspection of the image with the given id, inspecting it
// on first use. ref names the image in errors.
func (c *imageCache) get(ctx context.Context, id, ref string) (*LocalImage, error) {
	return c.images.get(ctx, id, func() (*LocalImage, error) {
		res, err := c.engine.ImageInspect(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("inspecting local image %q (%s): %w", ref, shortID(id), err)
		}
		return localImage(res), nil
	})
}

// shortID is an image id or digest cut to its first 12 hex digits, as
// docker shows them.
func shortID(id string) string {
	algo, hex, ok := strings.Cut(id, ":")
	if !ok || len(hex) <= 12 {
		return id
	}
	return algo + ":" + hex[:12]
}
