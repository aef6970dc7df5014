package login

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// registryFake is a registry's /v2/ that accepts user AWS with
// testPassword, by basic auth or, with bearer set, through a token endpoint
// at /token on the same server.
func registryFake(t *testing.T, bearer bool) *httptest.Server {
	t.Helper()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, password, ok := r.BasicAuth()
		good := ok && user == "AWS" && password == testPassword
		switch {
		case r.URL.Path == "/v2/" && bearer:
			w.Header().Set("WWW-Authenticate",
				`Bearer realm="`+srv.URL+`/token",service="fake, registry",scope="x"`)
			w.WriteHeader(http.StatusUnauthorized)
		case r.URL.Path == "/v2/" && good:
			w.WriteHeader(http.StatusOK)
		case r.URL.Path == "/v2/":
			w.Header().Set("WWW-Authenticate", `Basic realm="fake"`)
			w.WriteHeader(http.StatusUnauthorized)
		case r.URL.Path == "/token" && r.URL.Query().Get("service") != "fake, registry":
			t.Errorf("token request %s lacks the challenge's service", r.URL)
			w.WriteHeader(http.StatusBadRequest)
		case r.URL.Path == "/token" && good:
			_, _ = w.Write([]byte(`{"token":"t"}`))
		case r.URL.Path == "/token":
			w.WriteHeader(http.StatusUnauthorized)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestVerify(t *testing.T) {
	good := Credentials{Username: "AWS", Password: testPassword}
	bad := Credentials{Username: "AWS", Password: testPassword + "-old"}
	basic := registryFake(t, false)
	bearer := registryFake(t, true)
	tests := []struct {
		name        string
		url         string
		creds       Credentials
		wantErr     string // "" for success
		wantRefused bool
	}{
		{name: "basic", url: basic.URL, creds: good},
		{name: "basic with a slash", url: basic.URL + "/", creds: good},
		{name: "basic refused", url: basic.URL, creds: bad,
			wantErr:     "checking the credentials with GET " + basic.URL + "/v2/: HTTP 401",
			wantRefused: true},
		{name: "bearer", url: bearer.URL, creds: good},
		{name: "bearer refused", url: bearer.URL, creds: bad,
			wantErr: "/token?scope=x&service=fake%2C+registry: HTTP 401", wantRefused: true},
		{name: "not a registry", url: basic.URL + "/nothing", creds: good,
			wantErr: "HTTP 404, want 200 or 401"},
		{name: "not http", url: "ftp://" + strings.TrimPrefix(basic.URL, "http://"),
			creds: good, wantErr: "is not http(s)://HOST"},
		{name: "nothing listening", url: "http://127.0.0.1:1", creds: good,
			wantErr: "GET http://127.0.0.1:1/v2/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Verify(context.Background(), nil, tt.url, tt.creds)
			if tt.wantErr == "" {
				if err != nil {
					t.Errorf("Verify(%q) error: %v", tt.url, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Verify(%q) error = %v, want one containing %q", tt.url, err, tt.wantErr)
			}
			if got := errors.Is(err, ErrRefused); got != tt.wantRefused {
				t.Errorf("Verify(%q) error is ErrRefused = %v, want %v",
					tt.url, got, tt.wantRefused)
			}
			assertNoSecret(t, "Verify error", err.Error(), "")
		})
	}
}

// TestVerifyForeignRealm: a challenge that points at another plain-HTTP
// host gets no credentials.
func TestVerifyForeignRealm(t *testing.T) {
	var asked atomic.Bool
	other := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		asked.Store(true)
	}))
	defer other.Close()
	reg := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="`+other.URL+`/token"`)
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer reg.Close()
	err := Verify(context.Background(), nil, reg.URL,
		Credentials{Username: "AWS", Password: testPassword})
	if err == nil || !strings.Contains(err.Error(), "not sending the credentials there") {
		t.Errorf("Verify() error = %v, want a refusal to send the credentials", err)
	}
	if asked.Load() {
		t.Errorf("Verify() sent the credentials to the foreign realm")
	}
}

func TestBearerRealm(t *testing.T) {
	tests := []struct {
		challenge string
		want      string // "" for none
	}{
		{`Bearer realm="https://auth.example/token",service="reg",scope="repository:a:pull"`,
			"https://auth.example/token?scope=repository%3Aa%3Apull&service=reg"},
		{`bearer realm="https://auth.example/token?x=1"`, "https://auth.example/token?x=1"},
		{`Basic realm="x"`, ""},
		{`Bearer service="reg"`, ""},
		{`Bearer`, ""},
		{``, ""},
	}
	for _, tt := range tests {
		got, ok := bearerRealm(tt.challenge)
		if (tt.want == "") == ok || ok && got.String() != tt.want {
			t.Errorf("bearerRealm(%q) = %v, %v, want %q", tt.challenge, got, ok, tt.want)
		}
	}
}
