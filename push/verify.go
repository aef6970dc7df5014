package push

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/cdkpush/cdkpush/login"
)

// manifestTypes are the media types a manifest request accepts. Without
// them a registry may convert the manifest to an older schema, whose digest
// differs from the one the engine pushed.
var manifestTypes = strings.Join([]string{
	"application/vnd.docker.distribution.manifest.v2+json",
	"application/vnd.docker.distribution.manifest.list.v2+json",
	"application/vnd.oci.image.manifest.v1+json",
	"application/vnd.oci.image.index.v1+json",
}, ", ")

// ManifestDigest asks the registry at ep for the digest of the manifest of
// name:tag, with basic authentication. It returns "" and no error when the
// registry has no such manifest.
func ManifestDigest(ctx context.Context, hc *http.Client, ep Endpoint, name, tag string,
	creds login.Credentials) (string, error) {
	url := ep.URL() + "/v2/" + name + "/manifests/" + tag
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, url, nil)
	if err != nil {
		return "", fmt.Errorf("asking registry %s for %s:%s: %w", ep.Host, name, tag, err)
	}
	req.Header.Set("Accept", manifestTypes)
	req.SetBasicAuth(creds.Username, creds.Password)
	resp, err := hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("asking registry %s for %s:%s: %w", ep.Host, name, tag, err)
	}
	resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return "", nil
	case resp.StatusCode != http.StatusOK:
		return "", fmt.Errorf("asking registry %s for %s:%s: %s", ep.Host, name, tag, resp.Status)
	}
	digest := resp.Header.Get("Docker-Content-Digest")
	if digest == "" {
		return "", fmt.Errorf("asking registry %s for %s:%s: the answer has no "+
			"Docker-Content-Digest header", ep.Host, name, tag)
	}
	return digest, nil
}
