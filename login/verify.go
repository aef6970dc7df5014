package login

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// ErrRefused is wrapped by Verify's error when the registry answers that
// the credentials do not work.
var ErrRefused = errors.New("the registry refused the credentials")

// maxDrain bounds how much of an answer's body Verify reads.
const maxDrain = 64 << 10

// Verify checks that a registry accepts c, as docker login does: GET
// baseURL/v2/ with basic auth must answer 200. A registry that answers 401
// with a Bearer challenge gets the token request the challenge asks for,
// with the same basic auth; its realm must be HTTPS or on baseURL's host,
// so the credentials go nowhere else. baseURL is "http://HOST[:PORT]" or
// "https://HOST[:PORT]"; hc nil means http.DefaultClient. The error says
// which request failed, and wraps ErrRefused when the registry turned the
// credentials down.
func Verify(ctx context.Context, hc *http.Client, baseURL string, c Credentials) error {
	if hc == nil {
		hc = http.DefaultClient
	}
	base, err := url.Parse(strings.TrimSuffix(baseURL, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return fmt.Errorf("checking the credentials: registry URL %q is not http(s)://HOST",
			baseURL)
	}
	ping := base.String() + "/v2/"
	status, challenge, err := get(ctx, hc, ping, c)
	if err != nil {
		return fmt.Errorf("checking the credentials with GET %s: %w", ping, err)
	}
	switch {
	case status == http.StatusOK:
		return nil
	case status != http.StatusUnauthorized:
		return fmt.Errorf("checking the credentials with GET %s: HTTP %d, want 200 or 401; "+
			"is this a registry?", ping, status)
	}
	realm, ok := bearerRealm(challenge)
	if !ok {
		return fmt.Errorf("checking the credentials with GET %s: HTTP 401: %w", ping, ErrRefused)
	}
	if realm.Scheme != "https" && !(realm.Scheme == "http" && realm.Host == base.Host) {
		return fmt.Errorf("checking the credentials with GET %s: the registry wants a token "+
			"from %s, which is neither HTTPS nor on the registry's host; not sending the "+
			"credentials there", ping, realm.Redacted())
	}
	status, _, err = get(ctx, hc, realm.String(), c)
	if err != nil {
		return fmt.Errorf("checking the credentials with GET %s: %w", realm.Redacted(), err)
	}
	switch status {
	case http.StatusOK:
		return nil
	case http.StatusUnauthorized, http.StatusForbidden:
		return fmt.Errorf("checking the credentials with GET %s: HTTP %d: %w",
			realm.Redacted(), status, ErrRefused)
	}
	return fmt.Errorf("checking the credentials with GET %s: HTTP %d, want 200",
		realm.Redacted(), status)
}

// get sends GET u with c as basic auth and returns the status and the
// WWW-Authenticate header.
func get(ctx context.Context, hc *http.Client, u string, c Credentials) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, "", err
	}
	req.SetBasicAuth(c.Username, c.Password)
	resp, err := hc.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrain))
	return resp.StatusCode, resp.Header.Get("WWW-Authenticate"), nil
}

// bearerRealm returns the token URL of a Bearer challenge,
// `Bearer realm="…",service="…",scope="…"`: the realm, with service and
// scope as query parameters.
func bearerRealm(challenge string) (*url.URL, bool) {
	scheme, params, ok := strings.Cut(strings.TrimSpace(challenge), " ")
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return nil, false
	}
	values := map[string]string{}
	for _, p := range splitParams(params) {
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			continue
		}
		values[strings.ToLower(strings.TrimSpace(k))] = strings.Trim(strings.TrimSpace(v), `"`)
	}
	realm, err := url.Parse(values["realm"])
	if err != nil || realm.Host == "" {
		return nil, false
	}
	q := realm.Query()
	for _, k := range []string{"service", "scope"} {
		if v := values[k]; v != "" {
			q.Set(k, v)
		}
	}
	realm.RawQuery = q.Encode()
	return realm, true
}

// splitParams splits auth-params at commas outside double quotes.
func splitParams(s string) []string {
	var out []string
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			quoted = !quoted
		case ',':
			if !quoted {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}
