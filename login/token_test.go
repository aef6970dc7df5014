package login

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// testPassword stands for the secret half of an ECR token in these tests.
// It is long and odd enough that finding it in a text is never a fluke.
const testPassword = "eyJwYXlsb2FkIjoiU0VDUkVULXBhc3N3b3JkLTQyIn0"

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestDecodeToken(t *testing.T) {
	tests := []struct {
		name         string
		token        string
		wantUser     string
		wantPassword string
		wantErr      string // a part of the error text; "" means no error
	}{
		{name: "valid", token: b64("AWS:" + testPassword),
			wantUser: "AWS", wantPassword: testPassword},
		{
			// Only the first colon separates; the password keeps the rest.
			name:     "password with colons",
			token:    b64("AWS:" + testPassword + ":x:"),
			wantUser: "AWS", wantPassword: testPassword + ":x:",
		},
		{name: "empty", token: "", wantErr: "authorization token is empty"},
		{name: "not base64", token: "AWS:" + testPassword, wantErr: "not valid base64"},
		{name: "truncated base64", token: b64("AWS:" + testPassword)[:10] + "=",
			wantErr: "not valid base64"},
		{name: "no colon", token: b64("AWS" + testPassword),
			wantErr: "no user:password separator"},
		{name: "wrong user", token: b64("admin:" + testPassword),
			wantErr: `authorization token is for user "admin", want "AWS"`},
		{name: "lower-case user", token: b64("aws:" + testPassword), wantErr: `user "aws"`},
		{name: "empty user", token: b64(":" + testPassword), wantErr: `user ""`},
		{name: "empty password", token: b64("AWS:"), wantErr: "empty password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			user, password, err := DecodeToken(tt.token)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("DecodeToken(%q) error: %v", tt.token, err)
				}
				if user != tt.wantUser || password != tt.wantPassword {
					t.Errorf("DecodeToken(%q) = %q, %q, want %q, %q",
						tt.token, user, password, tt.wantUser, tt.wantPassword)
				}
				return
			}
			if err == nil {
				t.Fatalf("DecodeToken(%q) = %q, %q, want an error", tt.token, user, password)
			}
			if user != "" || password != "" {
				t.Errorf("DecodeToken(%q) returned %q, %q with its error", tt.token, user, password)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.wantErr) {
				t.Errorf("DecodeToken(%q) error %q does not contain %q", tt.token, msg, tt.wantErr)
			}
			assertNoSecret(t, "DecodeToken error", msg, tt.token)
		})
	}
}

// assertNoSecret fails when text holds the test password, or the token when
// one is given.
func assertNoSecret(t *testing.T, what, text, token string) {
	t.Helper()
	if strings.Contains(text, testPassword) {
		t.Errorf("%s holds the password: %s", what, text)
	}
	// Four characters of base64 could match anything; a real token is long.
	if len(token) > 8 && strings.Contains(text, token) {
		t.Errorf("%s holds the token: %s", what, text)
	}
}

func TestCredentialsRedacted(t *testing.T) {
	const host = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
	c := Credentials{
		Username:  "AWS",
		Password:  testPassword,
		Registry:  host,
		ExpiresAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
	}
	const want = "AWS@" + host + " (password redacted)"
	if got := c.String(); got != want {
		t.Fatalf("String() = %q, want %q", got, want)
	}

	type holder struct {
		Name  string
		Creds Credentials
	}
	fmtCases := []struct {
		name   string
		format string
		arg    any
	}{
		{name: "v", format: "%v", arg: c},
		{name: "plus v", format: "%+v", arg: c},
		{name: "sharp v", format: "%#v", arg: c},
		{name: "s", format: "%s", arg: c},
		{name: "q", format: "%q", arg: c},
		{name: "x", format: "%x", arg: c},
		{name: "d", format: "%d", arg: c},
		{name: "width", format: "%40v", arg: c},
		{name: "pointer", format: "%+v", arg: &c},
		{name: "in a slice", format: "%v", arg: []Credentials{c}},
		{name: "in a map", format: "%v", arg: map[string]Credentials{host: c}},
		{name: "in a struct", format: "%+v", arg: holder{"x", c}},
		{name: "in a struct sharp", format: "%#v", arg: holder{"x", c}},
		{name: "wrapped in an error", format: "%v",
			arg: fmt.Errorf("using %v: %w", c, fmt.Errorf("denied"))},
	}
	for _, tt := range fmtCases {
		t.Run("fmt "+tt.name, func(t *testing.T) {
			got := fmt.Sprintf(tt.format, tt.arg)
			assertNoSecret(t, fmt.Sprintf("Sprintf(%q)", tt.format), got, "")
			if !strings.Contains(got, "AWS@"+host) {
				t.Errorf("Sprintf(%q) = %q, want it to show the user and registry",
					tt.format, got)
			}
		})
	}

	handlers := []struct {
		name string
		new  func(*bytes.Buffer) slog.Handler
	}{
		{"text", func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) }},
		{"json", func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) }},
	}
	attrs := []struct {
		name string
		attr slog.Attr
	}{
		{"value", slog.Any("creds", c)},
		{"pointer", slog.Any("creds", &c)},
		{"slice", slog.Any("creds", []Credentials{c})},
		{"struct", slog.Any("creds", holder{"x", c})},
		{"group", slog.Group("login", slog.Any("creds", c))},
	}
	for _, h := range handlers {
		for _, a := range attrs {
			t.Run("slog "+h.name+" "+a.name, func(t *testing.T) {
				var buf bytes.Buffer
				slog.New(h.new(&buf)).LogAttrs(t.Context(), slog.LevelInfo, "login", a.attr)
				assertNoSecret(t, "log line", buf.String(), "")
				if !strings.Contains(buf.String(), "AWS@"+host) {
					t.Errorf("log line %q does not show the user and registry", buf.String())
				}
			})
		}
	}
}
