package push

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const ecrHost = "123456789012.dkr.ecr.us-east-1.amazonaws.com"

func TestParseEndpoints(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		// want maps a registry host given to For to the URL of its endpoint.
		want    map[string]string
		wantErr string
	}{
		{
			name:   "none",
			values: nil,
			want:   map[string]string{ecrHost: "https://" + ecrHost},
		},
		{
			name:   "host",
			values: []string{"registry.example.com"},
			want: map[string]string{
				ecrHost:      "https://registry.example.com",
				"other.host": "https://registry.example.com",
			},
		},
		{
			name:   "host and port",
			values: []string{"registry.example.com:5000"},
			want:   map[string]string{ecrHost: "https://registry.example.com:5000"},
		},
		{
			name:   "trailing slash",
			values: []string{"https://registry.example.com:5000/"},
			want:   map[string]string{ecrHost: "https://registry.example.com:5000"},
		},
		{
			name:   "one registry",
			values: []string{ecrHost + "=localhost:5000"},
			want: map[string]string{
				ecrHost:      "http://localhost:5000",
				"other.host": "https://other.host",
			},
		},
		{
			name:   "registry is matched without regard to case",
			values: []string{strings.ToUpper(ecrHost) + "=localhost:5000"},
			want: map[string]string{
				ecrHost:                  "http://localhost:5000",
				strings.ToUpper(ecrHost): "http://localhost:5000",
			},
		},
		{
			name:   "one registry and every other",
			values: []string{"proxy.example.com", ecrHost + "=127.0.0.1:5000"},
			want: map[string]string{
				ecrHost:      "http://127.0.0.1:5000",
				"other.host": "https://proxy.example.com",
			},
		},
		{
			name:   "http scheme",
			values: []string{"http://registry.example.com:5000"},
			want:   map[string]string{ecrHost: "http://registry.example.com:5000"},
		},
		{
			name:   "HTTP scheme in upper case",
			values: []string{"HTTP://registry.example.com"},
			want:   map[string]string{ecrHost: "http://registry.example.com"},
		},
		{
			name:   "https scheme on loopback",
			values: []string{"https://127.0.0.1:5000"},
			want:   map[string]string{ecrHost: "https://127.0.0.1:5000"},
		},
		{
			name:   "loopback IPv4",
			values: []string{"127.0.0.1:5000"},
			want:   map[string]string{ecrHost: "http://127.0.0.1:5000"},
		},
		{
			name:   "loopback IPv4 without port",
			values: []string{"127.0.0.1"},
			want:   map[string]string{ecrHost: "http://127.0.0.1"},
		},
		{
			name:   "other loopback IPv4",
			values: []string{"127.1.2.3:5000"},
			want:   map[string]string{ecrHost: "http://127.1.2.3:5000"},
		},
		{
			name:   "loopback IPv6",
			values: []string{"[::1]:5000"},
			want:   map[string]string{ecrHost: "http://[::1]:5000"},
		},
		{
			name:   "loopback IPv6 without port",
			values: []string{"[::1]"},
			want:   map[string]string{ecrHost: "http://[::1]"},
		},
		{
			name:   "localhost",
			values: []string{"localhost:5000"},
			want:   map[string]string{ecrHost: "http://localhost:5000"},
		},
		{
			name:   "LOCALHOST",
			values: []string{"LOCALHOST"},
			want:   map[string]string{ecrHost: "http://LOCALHOST"},
		},
		{
			name:   "private address is not loopback",
			values: []string{"10.0.0.5:5000"},
			want:   map[string]string{ecrHost: "https://10.0.0.5:5000"},
		},
		{
			name:   "non-loopback IPv6",
			values: []string{"[2001:db8::1]:5000"},
			want:   map[string]string{ecrHost: "https://[2001:db8::1]:5000"},
		},
		{
			name:   "spaces around",
			values: []string{" " + ecrHost + " = localhost:5000 "},
			want:   map[string]string{ecrHost: "http://localhost:5000"},
		},
		{
			name:    "two global endpoints",
			values:  []string{"a.example.com", "b.example.com"},
			wantErr: "only one endpoint",
		},
		{
			name:    "port zero",
			values:  []string{"registry.example.com:0"},
			wantErr: `port "0"`,
		},
		{
			name:    "port too big",
			values:  []string{"registry.example.com:65536"},
			wantErr: `port "65536"`,
		},
		{
			name:    "port not a number",
			values:  []string{"registry.example.com:http"},
			wantErr: `port "http"`,
		},
		{
			name:    "empty port",
			values:  []string{"registry.example.com:"},
			wantErr: `port ""`,
		},
		{
			name:    "empty registry",
			values:  []string{"=localhost:5000"},
			wantErr: "registry before = is empty",
		},
		{
			name:    "empty target",
			values:  []string{ecrHost + "="},
			wantErr: "want HOST or HOST:PORT",
		},
		{
			name:    "empty",
			values:  []string{""},
			wantErr: "want HOST or HOST:PORT",
		},
		{
			name:    "scheme only",
			values:  []string{"https://"},
			wantErr: "want HOST or HOST:PORT",
		},
		{
			name:    "other scheme",
			values:  []string{"ftp://registry.example.com"},
			wantErr: `scheme "ftp"`,
		},
		{
			name:    "path",
			values:  []string{"registry.example.com/v2"},
			wantErr: "want HOST or HOST:PORT",
		},
		{
			name:    "user info",
			values:  []string{"AWS:secret@registry.example.com"},
			wantErr: "want HOST or HOST:PORT",
		},
		{
			name:    "unbracketed IPv6",
			values:  []string{"::1"},
			wantErr: "want HOST or HOST:PORT",
		},
		{
			name:    "two colons",
			values:  []string{"a:1:2"},
			wantErr: "want HOST or HOST:PORT",
		},
		{
			name:    "unclosed bracket",
			values:  []string{"[::1"},
			wantErr: "want HOST or HOST:PORT",
		},
		{
			name:    "brackets around a name",
			values:  []string{"[registry.example.com]"},
			wantErr: "want HOST or HOST:PORT",
		},
		{
			name:    "brackets around a name with a port",
			values:  []string{"[registry.example.com]:5000"},
			wantErr: "want HOST or HOST:PORT",
		},
		{
			name:    "brackets around IPv4",
			values:  []string{"[127.0.0.1]"},
			wantErr: "want HOST or HOST:PORT",
		},
		{
			name:    "bad port after IPv6",
			values:  []string{"[::1]:0"},
			wantErr: `port "0"`,
		},
		{
			name:    "garbage",
			values:  []string{"not a host"},
			wantErr: "want HOST or HOST:PORT",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eps, err := ParseEndpoints(tt.values)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseEndpoints(%q) = %v, want error containing %q",
						tt.values, err, tt.wantErr)
				}
				// The error names the value it refuses.
				if !strings.Contains(err.Error(), tt.values[len(tt.values)-1]) {
					t.Errorf("ParseEndpoints(%q) = %v, want the value in the error",
						tt.values, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseEndpoints(%q) = %v", tt.values, err)
			}
			for registry, want := range tt.want {
				if got := eps.For(registry).URL(); got != want {
					t.Errorf("ParseEndpoints(%q).For(%s).URL() = %s, want %s",
						tt.values, registry, got, want)
				}
			}
		})
	}
}

func TestEndpointsFor(t *testing.T) {
	eps, err := ParseEndpoints([]string{"localhost:5000"})
	if err != nil {
		t.Fatalf("ParseEndpoints() = %v", err)
	}
	tests := []struct {
		name     string
		eps      Endpoints
		registry string
		want     Endpoint
	}{
		{
			name:     "zero value",
			registry: ecrHost,
			want:     Endpoint{Host: ecrHost},
		},
		{
			name:     "global",
			eps:      eps,
			registry: ecrHost,
			want:     Endpoint{Host: "localhost:5000", PlainHTTP: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.eps.For(tt.registry); got != tt.want {
				t.Errorf("For(%s) = %+v, want %+v", tt.registry, got, tt.want)
			}
		})
	}
}

func TestEndpointURL(t *testing.T) {
	tests := []struct {
		name string
		ep   Endpoint
		want string
	}{
		{"https", Endpoint{Host: ecrHost}, "https://" + ecrHost},
		{"plain", Endpoint{Host: "127.0.0.1:5000", PlainHTTP: true}, "http://127.0.0.1:5000"},
		{"IPv6", Endpoint{Host: "[::1]:5000", PlainHTTP: true}, "http://[::1]:5000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.ep.URL(); got != tt.want {
				t.Errorf("%+v.URL() = %s, want %s", tt.ep, got, tt.want)
			}
		})
	}
}

// TestParseEndpointsHostNames: a host must be a host name or an IP address;
// anything else would only fail later, in a confusing image reference.
func TestParseEndpointsHostNames(t *testing.T) {
	for _, v := range []string{"garbage!!", "under_score.example", "-lead.example:5000",
		"a..b", "x=bad host"} {
		if _, err := ParseEndpoints([]string{v}); err == nil {
			t.Errorf("ParseEndpoints(%q) = nil error, want one", v)
		}
	}
	for _, v := range []string{"registry.example.com", "proxy-1.internal:8443", "10.0.0.7:5000"} {
		if _, err := ParseEndpoints([]string{v}); err != nil {
			t.Errorf("ParseEndpoints(%q) = %v, want no error", v, err)
		}
	}
}

// TestEndpointsUnused names the per-registry endpoints no registry uses.
func TestEndpointsUnused(t *testing.T) {
	eps, err := ParseEndpoints([]string{
		"111111111111.dkr.ecr.eu-west-1.amazonaws.com=127.0.0.1:5000",
		"222222222222.dkr.ecr.us-west-2.amazonaws.com=127.0.0.1:5001",
	})
	if err != nil {
		t.Fatal(err)
	}
	got := eps.Unused([]string{"111111111111.dkr.ecr.eu-west-1.amazonaws.com"})
	want := []string{"222222222222.dkr.ecr.us-west-2.amazonaws.com"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Unused() (-want +got):\n%s", diff)
	}
}
