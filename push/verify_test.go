package push

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cdkpush/cdkpush/login"
)

func TestManifestDigest(t *testing.T) {
	const password = "s3cr3t-token-password"
	tests := []struct {
		name    string
		status  int
		digest  string // Docker-Content-Digest; "" sends none
		want    string
		wantErr string
	}{
		{name: "found", status: http.StatusOK, digest: digestA, want: digestA},
		{name: "not found", status: http.StatusNotFound, want: ""},
		{name: "unauthorized", status: http.StatusUnauthorized, wantErr: "401 Unauthorized"},
		{name: "server error", status: http.StatusBadGateway, wantErr: "502 Bad Gateway"},
		{name: "no digest header", status: http.StatusOK, wantErr: "no Docker-Content-Digest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter,
				r *http.Request) {
				if r.Method != http.MethodHead {
					t.Errorf("registry: method = %s, want HEAD", r.Method)
				}
				if got, want := r.URL.Path, "/v2/team/base/manifests/1"; got != want {
					t.Errorf("registry: path = %s, want %s", got, want)
				}
				accept := r.Header.Get("Accept")
				for _, mt := range []string{
					"application/vnd.docker.distribution.manifest.v2+json",
					"application/vnd.docker.distribution.manifest.list.v2+json",
					"application/vnd.oci.image.manifest.v1+json",
					"application/vnd.oci.image.index.v1+json",
				} {
					if !strings.Contains(accept, mt) {
						t.Errorf("registry: Accept = %q, want it to include %s", accept, mt)
					}
				}
				if user, pass, ok := r.BasicAuth(); !ok || user != "AWS" || pass != password {
					t.Errorf("registry: basic auth = %q, %q, %v, want AWS, %q, true",
						user, pass, ok, password)
				}
				if tt.digest != "" {
					w.Header().Set("Docker-Content-Digest", tt.digest)
				}
				w.WriteHeader(tt.status)
			}))
			defer srv.Close()
			ep := Endpoint{Host: strings.TrimPrefix(srv.URL, "http://"), PlainHTTP: true}
			creds := login.Credentials{Username: "AWS", Password: password}

			got, err := ManifestDigest(context.Background(), srv.Client(), ep, "team/base", "1",
				creds)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ManifestDigest() = %q, %v, want error containing %q",
						got, err, tt.wantErr)
				}
				for _, want := range []string{ep.Host, "team/base:1"} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("ManifestDigest() = %v, want error naming %s", err, want)
					}
				}
				if strings.Contains(err.Error(), password) {
					t.Errorf("ManifestDigest() = %v, which holds the password", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ManifestDigest() = %q, %v, want %q, nil", got, err, tt.want)
			}
		})
	}
}

func TestManifestDigestUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	ep := Endpoint{Host: strings.TrimPrefix(srv.URL, "http://"), PlainHTTP: true}
	srv.Close()
	creds := login.Credentials{Username: "AWS", Password: "s3cr3t"}
	got, err := ManifestDigest(context.Background(), http.DefaultClient, ep, "web-api", "1",
		creds)
	if err == nil || !strings.Contains(err.Error(), ep.Host) {
		t.Fatalf("ManifestDigest() = %q, %v, want an error naming %s", got, err, ep.Host)
	}
	if strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("ManifestDigest() = %v, which holds the password", err)
	}
}

func TestManifestDigestCancelled(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	ep := Endpoint{Host: strings.TrimPrefix(srv.URL, "http://"), PlainHTTP: true}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := ManifestDigest(ctx, srv.Client(), ep, "web-api", "1", login.Credentials{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("ManifestDigest() = %v, want context.Canceled", err)
	}
}

func TestFetchManifest(t *testing.T) {
	const password = "s3cr3t-token-password"
	const index = `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",
"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"` + digestA +
		`","size":1,"platform":{"os":"linux","architecture":"arm64","variant":"v8"}}]}`
	tests := []struct {
		name        string
		status      int
		contentType string
		digest      string
		body        string
		want        *RemoteManifest
		wantErr     string
	}{
		{
			name:   "docker manifest",
			status: http.StatusOK, digest: digestB,
			body: `{"schemaVersion":2,"mediaType":"` + mediaDockerManifest +
				`","config":{"digest":"` + digestA + `"}}`,
			want: &RemoteManifest{Digest: digestB, MediaType: mediaDockerManifest,
				Config: digestA},
		},
		{
			name:   "OCI manifest without a media type in the body",
			status: http.StatusOK, contentType: mediaOCIManifest + "; charset=utf-8",
			body: `{"schemaVersion":2,"config":{"digest":"` + digestA + `"}}`,
			// Without Docker-Content-Digest, the digest is the body's.
			want: &RemoteManifest{
				Digest: "sha256:" + sha256Hex(`{"schemaVersion":2,"config":{"digest":"`+
					digestA+`"}}`),
				MediaType: mediaOCIManifest, Config: digestA,
			},
		},
		{
			name:   "index",
			status: http.StatusOK, digest: digestB, body: index,
			want: &RemoteManifest{Digest: digestB, MediaType: mediaOCIIndex,
				Manifests: []IndexEntry{{Digest: digestA, Platform: Platform{
					OS: "linux", Architecture: "arm64", Variant: "v8"}}}},
		},
		{name: "not found", status: http.StatusNotFound, want: nil},
		{name: "unauthorized", status: http.StatusUnauthorized, wantErr: "401 Unauthorized"},
		{name: "not JSON", status: http.StatusOK, body: "<html>", wantErr: "reading the manifest"},
		{
			name: "too large", status: http.StatusOK,
			body:    `{"x":"` + strings.Repeat("a", maxManifestSize) + `"}`,
			wantErr: "larger than",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter,
				r *http.Request) {
				if r.Method != http.MethodGet || r.URL.Path != "/v2/team/base/manifests/1" {
					t.Errorf("registry: %s %s, want GET /v2/team/base/manifests/1",
						r.Method, r.URL.Path)
				}
				if !strings.Contains(r.Header.Get("Accept"), mediaOCIIndex) {
					t.Errorf("registry: Accept = %q", r.Header.Get("Accept"))
				}
				if user, pass, ok := r.BasicAuth(); !ok || user != "AWS" || pass != password {
					t.Errorf("registry: basic auth = %q, %q, %v", user, pass, ok)
				}
				if tt.digest != "" {
					w.Header().Set("Docker-Content-Digest", tt.digest)
				}
				if tt.contentType != "" {
					w.Header().Set("Content-Type", tt.contentType)
				}
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			ep := Endpoint{Host: strings.TrimPrefix(srv.URL, "http://"), PlainHTTP: true}
			creds := login.Credentials{Username: "AWS", Password: password}

			got, err := FetchManifest(context.Background(), srv.Client(), ep, "team/base", "1",
				creds)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("FetchManifest() = %+v, %v, want error containing %q", got, err,
						tt.wantErr)
				}
				if !strings.Contains(err.Error(), ep.Host) ||
					strings.Contains(err.Error(), password) {
					t.Errorf("FetchManifest() = %v, want the registry named, no password", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("FetchManifest() = %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("FetchManifest() (-want +got):\n%s", diff)
			}
			if got != nil && got.IsIndex() != (tt.name == "index") {
				t.Errorf("IsIndex() = %v", got.IsIndex())
			}
		})
	}
}

func TestRegistryStatusError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "7")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	ep := Endpoint{Host: strings.TrimPrefix(srv.URL, "http://"), PlainHTTP: true}
	_, err := FetchManifest(context.Background(), srv.Client(), ep, "x", "1", login.Credentials{})
	var se *StatusError
	if !errors.As(err, &se) || se.Code != 429 || se.RetryAfter != 7*time.Second {
		t.Fatalf("FetchManifest() = %v, want a 429 StatusError asking for 7s", err)
	}
	if classify(err) != transient {
		t.Errorf("classify(%v) = %s, want transient", err, classify(err))
	}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
