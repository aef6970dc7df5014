package rig

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// DefaultRegistryUser is the registry user name, the one ECR tokens carry.
const DefaultRegistryUser = "AWS"

// DefaultRegistryPassword is the registry password that matches moto's ECR token for the
// default account: moto's GetAuthorizationToken returns base64("AWS:123456789012-auth-token"),
// so cdkpush logging in "to ECR" against moto gets credentials this registry accepts.
const DefaultRegistryPassword = "123456789012-auth-token"

// manifestAccept is the Accept header for manifest requests. Without the Docker v2 type,
// Distribution 2.8 converts the manifest to schema1 and answers a different digest.
const manifestAccept = "application/vnd.docker.distribution.manifest.v2+json, " +
	"application/vnd.docker.distribution.manifest.list.v2+json, " +
	"application/vnd.oci.image.manifest.v1+json, " +
	"application/vnd.oci.image.index.v1+json"

// Registry is a Distribution 2.8 registry (Debian's docker-registry) on 127.0.0.1 over
// plain HTTP, with htpasswd basic auth for one user and filesystem storage.
type Registry struct {
	// Addr is "127.0.0.1:PORT", the registry host in image names.
	Addr string
	// User and Password are the only credentials the registry accepts.
	User, Password string
	// Dir holds the config, the htpasswd file, the storage and registry.log.
	Dir string

	proc *proc
	http *http.Client
}

// StartRegistry starts a registry in dir (created if needed) on a free port, accepting
// user DefaultRegistryUser with password (DefaultRegistryPassword if empty), and waits
// until GET /v2/ answers 401.
func StartRegistry(ctx context.Context, dir, password string) (*Registry, error) {
	bin, err := lookBin("docker-registry")
	if err != nil {
		return nil, err
	}
	htpasswdBin, err := lookBin("htpasswd")
	if err != nil {
		return nil, err
	}
	if password == "" {
		password = DefaultRegistryPassword
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("resolve registry dir %q: %w", dir, err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "storage"), 0o755); err != nil {
		return nil, fmt.Errorf("create registry dir %q: %w", dir, err)
	}
	// The password on argv is test data only.
	out, err := exec.CommandContext(ctx, htpasswdBin, "-Bbn", DefaultRegistryUser, password).
		Output()
	if err != nil {
		return nil, fmt.Errorf("make htpasswd entry for user %s with %s: %w",
			DefaultRegistryUser, htpasswdBin, err)
	}
	htpasswdFile := filepath.Join(dir, "htpasswd")
	if err := os.WriteFile(htpasswdFile, out, 0o600); err != nil {
		return nil, fmt.Errorf("write %s: %w", htpasswdFile, err)
	}
	r := &Registry{
		User: DefaultRegistryUser, Password: password, Dir: dir,
		http: &http.Client{Timeout: 30 * time.Second},
	}
	// The port is free when picked but may be taken before the registry binds it: retry.
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		r.Addr = fmt.Sprintf("127.0.0.1:%d", port)
		cfg := filepath.Join(dir, "config.yml")
		if err := os.WriteFile(cfg, []byte(registryConfig(r.Addr, dir, htpasswdFile)),
			0o644); err != nil {
			return nil, fmt.Errorf("write registry config %s: %w", cfg, err)
		}
		r.proc, err = startProc("docker-registry", filepath.Join(dir, "registry.log"), nil, bin,
			"serve", cfg)
		if err != nil {
			return nil, err
		}
		lastErr = r.waitReady(ctx)
		if lastErr == nil {
			return r, nil
		}
		_ = r.proc.stop()
		if ctx.Err() != nil || !strings.Contains(r.proc.logTail(), "address already in use") {
			return nil, lastErr
		}
	}
	return nil, fmt.Errorf("start registry: no free port after 5 tries: %w", lastErr)
}

// registryConfig is the Distribution configuration for one rig registry.
func registryConfig(addr, dir, htpasswdFile string) string {
	secret := make([]byte, 16)
	_, _ = rand.Read(secret)
	return fmt.Sprintf(`version: 0.1
log:
  level: info
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %q
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: %q
  secret: %q
auth:
  htpasswd:
    realm: cdkpush-rig
    path: %q
`, filepath.Join(dir, "storage"), addr, hex.EncodeToString(secret), htpasswdFile)
}

// waitReady polls GET /v2/ until it answers 401, the process dies, or ctx ends.
func (r *Registry) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(30 * time.Second)
	url := "http://" + r.Addr + "/v2/"
	var last string
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return fmt.Errorf("make request GET %s: %w", url, err)
		}
		resp, err := r.http.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusUnauthorized {
				return nil
			}
			last = "HTTP " + resp.Status
		} else {
			last = err.Error()
		}
		switch {
		case r.proc.exited():
			return r.proc.failure("start registry on %s", r.Addr)
		case ctx.Err() != nil:
			return r.proc.failure("wait for registry on %s: %v (last: %s)", r.Addr, ctx.Err(), last)
		case time.Now().After(deadline):
			return r.proc.failure("wait for registry on %s: GET /v2/ did not answer 401 "+
				"within 30s (last: %s)", r.Addr, last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop stops the registry (SIGTERM, then SIGKILL). It leaves Dir in place.
func (r *Registry) Stop() error {
	if r == nil {
		return nil
	}
	return r.proc.stop()
}

// do sends an authenticated request to the registry and returns the response, which
// the caller must close; any status but 200 is an error that names the request.
func (r *Registry) do(ctx context.Context, method, path, accept string) (*http.Response, error) {
	url := "http://" + r.Addr + path
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		return nil, fmt.Errorf("make request %s %s: %w", method, url, err)
	}
	req.SetBasicAuth(r.User, r.Password)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := r.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, url, err)
	}
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 2000))
		resp.Body.Close()
		return nil, fmt.Errorf("%s %s: HTTP %s: %s", method, url, resp.Status,
			strings.TrimSpace(string(body)))
	}
	return resp, nil
}

// ManifestDigest returns the Docker-Content-Digest of repo:tag, asking for Docker v2 and
// OCI manifests and indexes (HEAD /v2/<repo>/manifests/<tag>). A missing tag is an error.
func (r *Registry) ManifestDigest(ctx context.Context, repo, tag string) (string, error) {
	resp, err := r.do(ctx, http.MethodHead, "/v2/"+repo+"/manifests/"+tag, manifestAccept)
	if err != nil {
		return "", fmt.Errorf("get manifest digest of %s:%s: %w", repo, tag, err)
	}
	resp.Body.Close()
	d := resp.Header.Get("Docker-Content-Digest")
	if d == "" {
		return "", fmt.Errorf("get manifest digest of %s:%s: no Docker-Content-Digest header "+
			"(Content-Type %q)", repo, tag, resp.Header.Get("Content-Type"))
	}
	return d, nil
}

// Tags returns the tags of repo (GET /v2/<repo>/tags/list), in the registry's order.
func (r *Registry) Tags(ctx context.Context, repo string) ([]string, error) {
	resp, err := r.do(ctx, http.MethodGet, "/v2/"+repo+"/tags/list", "")
	if err != nil {
		return nil, fmt.Errorf("list tags of %s: %w", repo, err)
	}
	defer resp.Body.Close()
	var body struct {
		Tags []string `json:"tags"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, fmt.Errorf("list tags of %s: decode answer: %w", repo, err)
	}
	return body.Tags, nil
}
