package push

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/moby/moby/client"

	"github.com/cdkpush/cdkpush/stackinfo"
)

// Mapping sends one local image to the repositories a key names.
type Mapping struct {
	// Key is a repository name or a construct path.
	Key string
	// Image is a local image reference, such as "web-api:1.2.3".
	Image string
}

// ParseMapping reads KEY=LOCALREF.
func ParseMapping(s string) (Mapping, error) {
	key, image, ok := strings.Cut(s, "=")
	key, image = strings.TrimSpace(key), strings.TrimSpace(image)
	if !ok || key == "" || image == "" {
		return Mapping{}, fmt.Errorf("image mapping %q: want KEY=LOCALREF, where KEY is a "+
			"repository name or construct path", s)
	}
	return Mapping{Key: key, Image: image}, nil
}

// Job is one push: a local image to a repository under one tag.
type Job struct {
	// Image is the local reference the image was found by.
	Image string `json:"image"`
	// ImageID is the local image id.
	ImageID string `json:"imageId"`
	// Repository is the target repository.
	Repository stackinfo.Repository `json:"repository"`
	// Registry is the ECR registry host of the repository.
	Registry string `json:"registry"`
	// Endpoint is where the engine sends the image.
	Endpoint Endpoint `json:"-"`
	// Tag is the tag to push.
	Tag string `json:"tag"`
	// Local is the engine's inspection of the local image; nil until
	// MakePlan or the Pusher inspects it.
	Local *LocalImage `json:"-"`
	// Platform is the platform the pushed image must have; the zero value
	// accepts any.
	Platform Platform `json:"-"`
	// Immutable says the repository refuses to move this tag to another
	// image once it exists, as CheckRepositories found.
	Immutable bool `json:"-"`
}

// Target is the reference the engine pushes: ENDPOINT/NAME:TAG.
func (j Job) Target() string {
	return j.Endpoint.Host + "/" + j.Repository.Name + ":" + j.Tag
}

// Skip is a repository that gets no image, and why.
type Skip struct {
	Repository stackinfo.Repository `json:"repository"`
	Reason     string               `json:"reason"`
}

// Plan is the list of pushes to make.
type Plan struct {
	Jobs    []Job
	Skipped []Skip
}

// PlanOptions control how repositories are matched with local images.
type PlanOptions struct {
	// Mappings send named local images to repositories. A repository
	// without one gets the local images whose name equals its own.
	Mappings []Mapping
	// Tags are pushed in addition to each image's own tag.
	Tags []string
	// Endpoints replace registry hosts.
	Endpoints Endpoints
	// Platform, when set, is the platform every pushed image must have;
	// MakePlan refuses local images of another.
	// TODO: take an image asset's own platform from its asset manifest once
	// cdkpush pushes assets; until then one platform applies to the run.
	Platform Platform
}

// MakePlan matches repositories with local images. A mapping that names no
// repository or no local image is an error; a repository with no image is
// skipped.
func MakePlan(ctx context.Context, engine Engine, repos []stackinfo.Repository,
	opts PlanOptions) (*Plan, error) {
	if err := CheckTags(opts.Tags); err != nil {
		return nil, err
	}
	p := &Plan{}
	images := &imageCache{engine: engine}
	mapped := make([]bool, len(repos))
	for _, m := range opts.Mappings {
		idx := reposFor(repos, m.Key)
		if len(idx) == 0 {
			return nil, fmt.Errorf("image mapping %q: no repository has that name or construct "+
				"path (repositories: %s): %w", m.Key+"="+m.Image, describe(repos), ErrUsage)
		}
		img, tag, err := inspectMapped(ctx, engine, m)
		if err != nil {
			return nil, err
		}
		id := img.ID
		images.add(img)
		tags := withExtra(tag, opts.Tags)
		if len(tags) == 0 {
			return nil, fmt.Errorf("image mapping %q: a reference by digest has no tag to "+
				"push; name one with --tag: %w", m.Key+"="+m.Image, ErrUsage)
		}
		for _, i := range idx {
			if mapped[i] {
				return nil, fmt.Errorf("image mapping %q: repository %s is already mapped: %w",
					m.Key+"="+m.Image, label(repos[i]), ErrUsage)
			}
			mapped[i] = true
			if repos[i].URI == "" {
				return nil, fmt.Errorf("image mapping %q: repository %s: %s",
					m.Key+"="+m.Image, label(repos[i]), unknownReason(repos[i]))
			}
			p.add(repos[i], m.Image, id, tags, opts.Endpoints)
		}
	}

	var local []localTag
	for i, r := range repos {
		if mapped[i] {
			continue
		}
		if r.URI == "" {
			p.Skipped = append(p.Skipped, Skip{r, unknownReason(r)})
			continue
		}
		if local == nil {
			var err error
			if local, err = listLocalTags(ctx, engine); err != nil {
				return nil, err
			}
		}
		matches := byConvention(local, r)
		if len(matches) == 0 {
			p.Skipped = append(p.Skipped, Skip{r, fmt.Sprintf("no local image named %q", r.Name)})
			continue
		}
		if len(opts.Tags) > 0 && !sameImage(matches) {
			return nil, fmt.Errorf("repository %s: local images %s are different images, so "+
				"--tag cannot choose one; map one with --image %s=IMAGE",
				label(r), describeTags(matches), r.Name)
		}
		for _, m := range matches {
			p.add(r, m.ref, m.id, []string{m.tag}, opts.Endpoints)
		}
		if len(opts.Tags) > 0 {
			p.add(r, matches[0].ref, matches[0].id, opts.Tags, opts.Endpoints)
		}
	}
	if err := p.check(); err != nil {
		return nil, err
	}
	if err := p.inspect(ctx, images, opts.Platform); err != nil {
		return nil, err
	}
	return p, nil
}

// inspect attaches each job's local image, inspecting every image once,
// and refuses images of another platform than the one asked for.
func (p *Plan) inspect(ctx context.Context, images *imageCache, want Platform) error {
	var wrong []error
	seen := map[string]bool{}
	for i := range p.Jobs {
		j := &p.Jobs[i]
		img, err := images.get(ctx, j.ImageID, j.Image)
		if err != nil {
			return err
		}
		j.Local, j.Platform = img, want
		if want.IsZero() || want.Matches(img.Platform) || seen[j.ImageID] {
			continue
		}
		seen[j.ImageID] = true
		wrong = append(wrong, platformError(j.Image, img, want))
	}
	return errors.Join(wrong...)
}

// platformError says that a local image is not of the wanted platform.
func platformError(ref string, img *LocalImage, want Platform) error {
	return fmt.Errorf("checking the platform of local image %q (%s): it is %s, not %s "+
		"as --platform asks; build it for %s or push another image", ref, shortID(img.ID),
		img.Platform, want, want)
}

func (p *Plan) add(r stackinfo.Repository, image, id string, tags []string, eps Endpoints) {
	registry, _, _ := strings.Cut(r.URI, "/")
	for _, t := range tags {
		p.Jobs = append(p.Jobs, Job{
			Image:      image,
			ImageID:    id,
			Repository: r,
			Registry:   registry,
			Endpoint:   eps.For(registry),
			Tag:        t,
		})
	}
}

// check sorts the jobs and refuses two images for one repository and tag.
func (p *Plan) check() error {
	sort.SliceStable(p.Jobs, func(i, j int) bool {
		a, b := p.Jobs[i], p.Jobs[j]
		if a.Repository.URI != b.Repository.URI {
			return a.Repository.URI < b.Repository.URI
		}
		return a.Tag < b.Tag
	})
	out := p.Jobs[:0]
	for i, j := range p.Jobs {
		if i > 0 {
			prev := p.Jobs[i-1]
			if prev.Repository.URI == j.Repository.URI && prev.Tag == j.Tag {
				if prev.ImageID == j.ImageID {
					continue
				}
				return fmt.Errorf("%s:%s would get two images, %s and %s",
					j.Repository.URI, j.Tag, prev.Image, j.Image)
			}
		}
		out = append(out, j)
	}
	p.Jobs = out
	return nil
}

// CheckTags refuses a tag that docker would refuse.
func CheckTags(tags []string) error {
	for _, t := range tags {
		if !validTag(t) {
			return fmt.Errorf("tag %q is not a valid image tag (letters, digits, _ . -, "+
				"at most 128, not starting with . or -): %w", t, ErrUsage)
		}
	}
	return nil
}

// ErrUsage marks a mistake in what the user asked for: a mapping or tag that
// is malformed or names nothing.
var ErrUsage = errors.New("check the command line")

// unknownReason says which part of a repository's URI is unknown, and what
// would make it known.
func unknownReason(r stackinfo.Repository) string {
	switch {
	case r.Name == "":
		return "its name is unknown: deploy its stack, or pass the outputs file"
	case r.Region == "":
		return "its stack's region is unknown: pass --region or set AWS_REGION"
	case r.Account == "":
		return "its stack's account is unknown: it is asked of STS, which --offline skips"
	}
	return "its URI is unknown"
}

// idPattern is a local image id, full ("sha256:" and 64 hex digits) or
// short (12 or more hex digits).
var idPattern = regexp.MustCompile(`^(sha256:[0-9a-f]{64}|[0-9a-f]{12,64})$`)

// isImageID reports whether a mapped reference is an image id. A full id
// looks like a name and tag to the reference parser ("sha256" tagged with
// the digits); an id has no tag of its own, so the default tag applies.
func isImageID(ref string) bool { return idPattern.MatchString(ref) }

// inspectMapped finds a mapped local image and the tag it is pushed under.
func inspectMapped(ctx context.Context, engine Engine,
	m Mapping) (img *LocalImage, tag string, err error) {
	ref, err := reference.ParseNormalizedNamed(m.Image)
	if err != nil {
		return nil, "", fmt.Errorf("image mapping %q: %q is not an image reference (%w): %w",
			m.Key+"="+m.Image, m.Image, err, ErrUsage)
	}
	if _, digested := ref.(reference.Digested); !digested {
		ref = reference.TagNameOnly(ref)
	}
	if tagged, ok := ref.(reference.Tagged); ok {
		tag = tagged.Tag()
	}
	if isImageID(m.Image) {
		tag = "latest"
	}
	info, err := engine.ImageInspect(ctx, m.Image)
	if cerrdefs.IsNotFound(err) {
		return nil, "", fmt.Errorf("image mapping %q: local image %q not found",
			m.Key+"="+m.Image, m.Image)
	}
	if err != nil {
		return nil, "", fmt.Errorf("inspecting local image %q: %w", m.Image, err)
	}
	return localImage(info), tag, nil
}

func withExtra(tag string, extra []string) []string {
	var tags []string
	if tag != "" {
		tags = append(tags, tag)
	}
	return append(tags, extra...)
}

// localTag is one tag of a local image.
type localTag struct {
	ref  string // as the engine lists it, e.g. "web-api:1.2.3"
	name reference.Named
	tag  string
	id   string
}

func listLocalTags(ctx context.Context, engine Engine) ([]localTag, error) {
	res, err := engine.ImageList(ctx, client.ImageListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing local images: %w", err)
	}
	tags := []localTag{}
	for _, img := range res.Items {
		for _, rt := range img.RepoTags {
			ref, err := reference.ParseNormalizedNamed(rt)
			if err != nil {
				continue // "<none>:<none>" and the like
			}
			tagged, ok := ref.(reference.NamedTagged)
			if !ok {
				continue
			}
			tags = append(tags, localTag{ref: rt, name: ref, tag: tagged.Tag(), id: img.ID})
		}
	}
	sort.Slice(tags, func(i, j int) bool { return tags[i].ref < tags[j].ref })
	return tags, nil
}

// byConvention returns the local tags whose repository equals the
// repository's name: a plain local name ("web-api:1.2.3"), or the
// repository's own ECR URI.
func byConvention(local []localTag, r stackinfo.Repository) []localTag {
	registry, _, _ := strings.Cut(r.URI, "/")
	var out []localTag
	for _, l := range local {
		domain := reference.Domain(l.name)
		plain := domain == "docker.io" && reference.FamiliarName(l.name) == r.Name
		own := strings.EqualFold(domain, registry) && reference.Path(l.name) == r.Name
		if plain || own {
			out = append(out, l)
		}
	}
	return out
}

func sameImage(tags []localTag) bool {
	for _, t := range tags[1:] {
		if t.id != tags[0].id {
			return false
		}
	}
	return true
}

// reposFor returns the indexes of the repositories a mapping key names.
func reposFor(repos []stackinfo.Repository, key string) []int {
	var idx []int
	for i, r := range repos {
		if (r.Name != "" && r.Name == key) || (r.Path != "" && r.Path == key) {
			idx = append(idx, i)
		}
	}
	return idx
}

func label(r stackinfo.Repository) string {
	if r.Name != "" {
		return fmt.Sprintf("%q (%s)", r.Name, r.Path)
	}
	return r.Path
}

func describe(repos []stackinfo.Repository) string {
	if len(repos) == 0 {
		return "none"
	}
	parts := make([]string, len(repos))
	for i, r := range repos {
		parts[i] = label(r)
	}
	return strings.Join(parts, ", ")
}

func describeTags(tags []localTag) string {
	parts := make([]string, len(tags))
	for i, t := range tags {
		parts[i] = t.ref
	}
	return strings.Join(parts, ", ")
}

// tagPattern is the docker tag grammar.
var tagPattern = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)

func validTag(t string) bool { return tagPattern.MatchString(t) }
