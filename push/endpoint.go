package push

import (
	"fmt"
	"net"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Endpoint is where a registry's traffic goes: the registry's own host, or a
// stand-in such as a proxy, a VPC endpoint or a local emulator.
type Endpoint struct {
	// Host is HOST or HOST:PORT, without a scheme.
	Host string
	// PlainHTTP is set for a loopback host given without a scheme, and for
	// an explicit http:// one. Like docker, cdkpush otherwise uses HTTPS.
	PlainHTTP bool
}

// URL returns the base URL of the endpoint's registry API.
func (e Endpoint) URL() string {
	if e.PlainHTTP {
		return "http://" + e.Host
	}
	return "https://" + e.Host
}

// Endpoints maps registry hosts to the endpoints that replace them. The zero
// value replaces nothing.
type Endpoints struct {
	all        *Endpoint
	byRegistry map[string]Endpoint
}

// ParseEndpoints reads --registry-endpoint values: HOST[:PORT] replaces
// every registry host, REGISTRY=HOST[:PORT] replaces one. HOST may start with
// http:// or https://.
func ParseEndpoints(values []string) (Endpoints, error) {
	var e Endpoints
	for _, v := range values {
		registry, target, found := strings.Cut(v, "=")
		if !found {
			target, registry = registry, ""
		}
		ep, err := parseEndpoint(target)
		if err != nil {
			return Endpoints{}, fmt.Errorf("registry endpoint %q: %w", v, err)
		}
		if !found {
			if e.all != nil {
				return Endpoints{}, fmt.Errorf("registry endpoint %q: only one endpoint may "+
					"replace every registry; name the registry as REGISTRY=HOST[:PORT]", v)
			}
			e.all = &ep
			continue
		}
		registry = strings.ToLower(strings.TrimSpace(registry))
		if registry == "" {
			return Endpoints{}, fmt.Errorf("registry endpoint %q: the registry before = is "+
				"empty", v)
		}
		if e.byRegistry == nil {
			e.byRegistry = map[string]Endpoint{}
		}
		e.byRegistry[registry] = ep
	}
	return e, nil
}

// For returns the endpoint for the registry host: its own replacement, else
// the one for every registry, else the registry itself over HTTPS.
func (e Endpoints) For(registry string) Endpoint {
	if ep, ok := e.byRegistry[strings.ToLower(registry)]; ok {
		return ep
	}
	if e.all != nil {
		return *e.all
	}
	return Endpoint{Host: registry}
}

func parseEndpoint(s string) (Endpoint, error) {
	s = strings.TrimSpace(s)
	scheme := ""
	if i := strings.Index(s, "://"); i >= 0 {
		scheme, s = strings.ToLower(s[:i]), s[i+3:]
		if scheme != "http" && scheme != "https" {
			return Endpoint{}, fmt.Errorf("scheme %q is not http or https", scheme)
		}
	}
	s = strings.TrimSuffix(s, "/")
	if s == "" || strings.ContainsAny(s, "/?#@ ") {
		return Endpoint{}, fmt.Errorf("want HOST or HOST:PORT")
	}
	host := s
	if h, port, err := net.SplitHostPort(s); err == nil {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return Endpoint{}, fmt.Errorf("port %q is not a number from 1 to 65535", port)
		}
		host = h
	} else if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		host = s[1 : len(s)-1]
	} else if strings.ContainsAny(s, ":[]") {
		return Endpoint{}, fmt.Errorf("want HOST or HOST:PORT")
	}
	// Brackets enclose an IPv6 address and nothing else.
	if strings.HasPrefix(s, "[") && (net.ParseIP(host) == nil || !strings.Contains(host, ":")) {
		return Endpoint{}, fmt.Errorf("want HOST or HOST:PORT, with an IPv6 address in brackets")
	}
	if net.ParseIP(host) == nil && !hostnamePattern.MatchString(host) {
		return Endpoint{}, fmt.Errorf("%q is not a host name or IP address", host)
	}
	plain := scheme == "http" || (scheme == "" && isLoopback(host))
	return Endpoint{Host: s, PlainHTTP: plain}, nil
}

// hostnamePattern is a DNS host name: dot-separated labels of letters,
// digits and inner hyphens.
var hostnamePattern = regexp.MustCompile(
	`^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$`)

// Unused returns the registries named by REGISTRY=HOST[:PORT] values that
// are not among registries, sorted: most likely typing mistakes.
func (e Endpoints) Unused(registries []string) []string {
	seen := map[string]bool{}
	for _, r := range registries {
		seen[strings.ToLower(r)] = true
	}
	var unused []string
	for r := range e.byRegistry {
		if !seen[r] {
			unused = append(unused, r)
		}
	}
	sort.Strings(unused)
	return unused
}

func isLoopback(host string) bool {
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
