package push

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cdkpush/cdkpush/login"
)

// Manifest media types.
const (
	mediaDockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
	mediaDockerList     = "application/vnd.docker.distribution.manifest.list.v2+json"
	mediaOCIManifest    = "application/vnd.oci.image.manifest.v1+json"
	mediaOCIIndex       = "application/vnd.oci.image.index.v1+json"
)

// manifestTypes are the media types a manifest request accepts. Without
// them a registry may convert the manifest to an older schema, whose digest
// differs from the one the engine pushed.
var manifestTypes = strings.Join([]string{
	mediaDockerManifest, mediaDockerList, mediaOCIManifest, mediaOCIIndex,
}, ", ")

// maxManifestSize bounds how much of a manifest is read; registries refuse
// manifests larger than 4 MiB.
const maxManifestSize = 4 << 20

// registryTimeout bounds one registry request, so that a registry that
// accepts the connection and never answers cannot stall the run.
const registryTimeout = 30 * time.Second

// StatusError is a registry's answer with an HTTP status other than the
// ones the request expects.
type StatusError struct {
	// Code is the HTTP status code, such as 401.
	Code int
	// Status is the status line, such as "401 Unauthorized".
	Status string
	// RetryAfter is the wait the registry asked for with a 429 or 503, if
	// any.
	RetryAfter time.Duration
}

// Error is the status line.
func (e *StatusError) Error() string { return e.Status }

// ManifestDigest asks the registry at ep for the digest of the manifest of
// name:tag, with basic authentication. It returns "" and no error when the
// registry has no such manifest.
func ManifestDigest(ctx context.Context, hc *http.Client, ep Endpoint, name, tag string,
	creds login.Credentials) (string, error) {
	resp, err := registryRequest(ctx, hc, http.MethodHead, ep, name, tag, creds)
	if err != nil || resp == nil {
		return "", err
	}
	resp.Body.Close()
	digest := resp.Header.Get("Docker-Content-Digest")
	if digest == "" {
		return "", fmt.Errorf("asking registry %s for %s:%s: the answer has no "+
			"Docker-Content-Digest header", ep.Host, name, tag)
	}
	return digest, nil
}

// RemoteManifest is a manifest, or an index of manifests, as a registry
// holds it under a tag.
type RemoteManifest struct {
	// Digest is the digest the registry gives the manifest.
	Digest string
	// MediaType is the manifest's media type.
	MediaType string
	// Config is the digest of the image config of a single-image manifest;
	// with the classic image store it equals the local image id.
	Config string
	// Manifests are the entries of an index.
	Manifests []IndexEntry
}

// IndexEntry is one manifest that an index lists.
type IndexEntry struct {
	Digest   string
	Platform Platform
}

// IsIndex reports whether the manifest is an index of manifests, such as
// a multi-platform image.
func (m *RemoteManifest) IsIndex() bool {
	return m.MediaType == mediaDockerList || m.MediaType == mediaOCIIndex ||
		(m.Config == "" && len(m.Manifests) > 0)
}

// FetchManifest reads the manifest the registry at ep holds for name and
// ref (a tag or a digest), with basic authentication. It returns nil and no
// error when the registry has no such manifest.
func FetchManifest(ctx context.Context, hc *http.Client, ep Endpoint, name, ref string,
	creds login.Credentials) (*RemoteManifest, error) {
	resp, err := registryRequest(ctx, hc, http.MethodGet, ep, name, ref, creds)
	if err != nil || resp == nil {
		return nil, err
	}
	defer resp.Body.Close()
	what := fmt.Sprintf("reading the manifest of %s:%s from registry %s", name, ref, ep.Host)
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxManifestSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if len(body) > maxManifestSize {
		return nil, fmt.Errorf("%s: it is larger than %d bytes", what, maxManifestSize)
	}
	var raw struct {
		MediaType string `json:"mediaType"`
		Config    struct {
			Digest string `json:"digest"`
		} `json:"config"`
		Manifests []struct {
			Digest   string `json:"digest"`
			Platform struct {
				OS           string `json:"os"`
				Architecture string `json:"architecture"`
				Variant      string `json:"variant"`
			} `json:"platform"`
		} `json:"manifests"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	m := &RemoteManifest{
		Digest:    resp.Header.Get("Docker-Content-Digest"),
		MediaType: raw.MediaType,
		Config:    raw.Config.Digest,
	}
	if m.Digest == "" {
		sum := sha256.Sum256(body)
		m.Digest = "sha256:" + hex.EncodeToString(sum[:])
	}
	if m.MediaType == "" {
		m.MediaType, _, _ = strings.Cut(resp.Header.Get("Content-Type"), ";")
	}
	for _, e := range raw.Manifests {
		m.Manifests = append(m.Manifests, IndexEntry{Digest: e.Digest, Platform: Platform{
			OS: e.Platform.OS, Architecture: e.Platform.Architecture,
			Variant: e.Platform.Variant,
		}})
	}
	return m, nil
}

// registryRequest sends an authenticated manifest request. It returns a
// nil response and no error for 404, and a *StatusError for any other
// status but 200.
func registryRequest(ctx context.Context, hc *http.Client, method string, ep Endpoint,
	name, ref string, creds login.Credentials) (*http.Response, error) {
	if hc == nil {
		hc = http.DefaultClient
	}
	what := fmt.Sprintf("asking registry %s for %s:%s", ep.Host, name, ref)
	if strings.Contains(ref, ":") {
		what = fmt.Sprintf("asking registry %s for %s@%s", ep.Host, name, ref)
	}
	ctx, cancel := context.WithTimeout(ctx, registryTimeout)
	url := ep.URL() + "/v2/" + name + "/manifests/" + ref
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	req.Header.Set("Accept", manifestTypes)
	req.SetBasicAuth(creds.Username, creds.Password)
	resp, err := hc.Do(req)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	switch resp.StatusCode {
	case http.StatusOK:
		resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
		return resp, nil
	case http.StatusNotFound:
		resp.Body.Close()
		cancel()
		return nil, nil
	}
	resp.Body.Close()
	cancel()
	return nil, fmt.Errorf("%s: %w", what, &StatusError{
		Code:       resp.StatusCode,
		Status:     resp.Status,
		RetryAfter: retryAfter(resp.Header.Get("Retry-After")),
	})
}

// retryAfter reads a Retry-After header given in seconds; dates and
// nonsense are ignored.
func retryAfter(v string) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 {
		return 0
	}
	return time.Duration(n) * time.Second
}

// cancelOnClose releases a request's context when its body is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}
