package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cdkpush/cdkpush/login"
)

// testSecret stands for an ECR password in these tests.
const testSecret = "c2VjcmV0LWVjci1wYXNzd29yZC0xMjM0NTY3ODkw"

var testCreds = login.Credentials{Username: "AWS", Password: testSecret,
	Registry: "123456789012.dkr.ecr.us-east-1.amazonaws.com"}

// readJSON reads the JSON object in path.
func readJSON(t *testing.T, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("%s is not a JSON object: %v\n%s", path, err, data)
	}
	return out
}

func authEntry(user, password string) map[string]any {
	return map[string]any{"auth": base64.StdEncoding.EncodeToString([]byte(user + ":" +
		password))}
}

// TestStoreDockerCredentials stores into an existing config: the new entry
// is there, every other entry and unknown key is kept, and the file has
// mode 0600.
func TestStoreDockerCredentials(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.json")
	writeFile(t, path, `{
	"auths": {
		"ghcr.io": {"auth": "`+base64.StdEncoding.EncodeToString([]byte("me:tok"))+`"},
		"127.0.0.1:5000": {"auth": "`+base64.StdEncoding.EncodeToString([]byte("AWS:old"))+`"}
	},
	"credHelpers": {"gcr.io": "gcloud"},
	"psFormat": "table {{.ID}}",
	"HttpHeaders": {"X-Team": "blue"},
	"someFutureKey": {"nested": [1, 2]},
	"currentContext": "rig"
}`)
	res, err := storeDockerCredentials(context.Background(), dir, "127.0.0.1:5000", testCreds,
		false)
	if err != nil {
		t.Fatalf("storeDockerCredentials() error: %v", err)
	}
	if res.File != path || res.Helper != "" || res.Skipped {
		t.Errorf("storeDockerCredentials() = %+v, want the file store of %s", res, path)
	}
	want := map[string]any{
		"auths": map[string]any{
			"ghcr.io":        authEntry("me", "tok"),
			"127.0.0.1:5000": authEntry("AWS", testSecret),
		},
		"credHelpers":    map[string]any{"gcr.io": "gcloud"},
		"psFormat":       "table {{.ID}}",
		"HttpHeaders":    map[string]any{"X-Team": "blue"},
		"someFutureKey":  map[string]any{"nested": []any{1.0, 2.0}},
		"currentContext": "rig",
	}
	if diff := cmp.Diff(want, readJSON(t, path)); diff != "" {
		t.Errorf("config.json mismatch (-want +got):\n%s", diff)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := fi.Mode().Perm(); mode != 0o600 {
		t.Errorf("config.json mode = %v, want 0600", mode)
	}
	// No temporary file is left behind.
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() != "config.json" && e.Name() != dockerConfigLock {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}

// TestStoreDockerCredentialsFresh: a missing folder and file are created,
// the folder 0700 and the file 0600.
func TestStoreDockerCredentialsFresh(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ci", "docker")
	if _, err := storeDockerCredentials(context.Background(), dir, testCreds.Registry,
		testCreds, false); err != nil {
		t.Fatal(err)
	}
	got := readJSON(t, filepath.Join(dir, "config.json"))
	want := map[string]any{"auths": map[string]any{
		testCreds.Registry: authEntry("AWS", testSecret)}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("config.json mismatch (-want +got):\n%s", diff)
	}
	for path, wantMode := range map[string]os.FileMode{dir: 0o700,
		filepath.Join(dir, "config.json"): 0o600} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if mode := fi.Mode().Perm(); mode != wantMode {
			t.Errorf("%s mode = %v, want %v", path, mode, wantMode)
		}
	}
}

// TestStoreDockerCredentialsLooseMode: a config.json that others could read
// becomes 0600 once it holds a password.
func TestStoreDockerCredentialsLooseMode(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.json")
	writeFile(t, path, `{"auths": {}}`)
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := storeDockerCredentials(context.Background(), dir, "h:1", testCreds,
		false); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := fi.Mode().Perm(); mode != 0o600 {
		t.Errorf("config.json mode = %v, want 0600", mode)
	}
}

// TestStoreDockerCredentialsSymlink: a config.json that is a link is
// written through, and stays a link.
func TestStoreDockerCredentialsSymlink(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(t.TempDir(), "real.json")
	writeFile(t, real, `{"auths": {}, "psFormat": "x"}`)
	if err := os.Symlink(real, filepath.Join(dir, "config.json")); err != nil {
		t.Fatal(err)
	}
	if _, err := storeDockerCredentials(context.Background(), dir, "h:1", testCreds,
		false); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(filepath.Join(dir, "config.json")); err != nil ||
		fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("config.json is no longer a symbolic link")
	}
	if got := readJSON(t, real); got["psFormat"] != "x" || got["auths"] == nil {
		t.Errorf("linked file = %v, want the old keys and the new entry", got)
	}
}

// TestStoreDockerCredentialsMalformed: a config.json that does not parse is
// left alone.
func TestStoreDockerCredentialsMalformed(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.json")
	writeFile(t, path, `{"auths": {`)
	_, err := storeDockerCredentials(context.Background(), dir, "h:1", testCreds, false)
	if err == nil || !strings.Contains(err.Error(), "reading docker config "+path) {
		t.Errorf("storeDockerCredentials() error = %v, want one naming %s", err, path)
	}
	if data, _ := os.ReadFile(path); string(data) != `{"auths": {` {
		t.Errorf("config.json was changed to %q", data)
	}
}

// TestStoreDockerCredentialsECRLogin: a host that uses the ecr-login helper,
// by credHelpers or credsStore, gets nothing, and the file is not touched.
func TestStoreDockerCredentialsECRLogin(t *testing.T) {
	tests := []struct {
		name      string
		config    string
		host      string
		wantWhere string
		wantSkip  bool
	}{
		{name: "credHelpers", host: "h:1",
			config:    `{"credHelpers": {"h:1": "ecr-login"}}`,
			wantWhere: `credHelpers["h:1"]`, wantSkip: true},
		{name: "credsStore", host: "h:1", config: `{"credsStore": "ecr-login"}`,
			wantWhere: "credsStore", wantSkip: true},
		// A helper named for the host comes before credsStore.
		{name: "credHelpers over credsStore", host: "h:1",
			config: `{"credsStore": "ecr-login", "credHelpers": {"h:1": ""}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "config.json")
			writeFile(t, path, tt.config)
			res, err := storeDockerCredentials(context.Background(), dir, tt.host, testCreds,
				false)
			if err != nil {
				t.Fatal(err)
			}
			if res.Skipped != tt.wantSkip || res.Where != tt.wantWhere {
				t.Errorf("storeDockerCredentials() = %+v, want skipped %v by %s",
					res, tt.wantSkip, tt.wantWhere)
			}
			data, _ := os.ReadFile(path)
			if changed := string(data) != tt.config; changed == tt.wantSkip {
				t.Errorf("config.json changed = %v, want %v:\n%s", changed, !tt.wantSkip, data)
			}
		})
	}
}

// TestStoreDockerCredentialsHelper: a credential helper gets the password
// on its standard input; the file gets an entry without it.
func TestStoreDockerCredentialsHelper(t *testing.T) {
	bin := t.TempDir()
	got := filepath.Join(t.TempDir(), "stored")
	// A test stand-in for a real helper such as docker-credential-pass.
	writeFile(t, filepath.Join(bin, "docker-credential-fake"),
		fmt.Sprintf("#!/bin/sh\necho \"$@\" > %q.args\ncat > %q\n", got, got))
	if err := os.Chmod(filepath.Join(bin, "docker-credential-fake"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))

	dir := t.TempDir()
	path := filepath.Join(dir, "config.json")
	writeFile(t, path, `{"credHelpers": {"h:1": "fake"}, "auths": {"other": {}}}`)
	res, err := storeDockerCredentials(context.Background(), dir, "h:1", testCreds, false)
	if err != nil {
		t.Fatal(err)
	}
	if res.Helper != "fake" {
		t.Errorf("storeDockerCredentials() = %+v, want helper fake", res)
	}
	var stored map[string]string
	data, _ := os.ReadFile(got)
	if err := json.Unmarshal(data, &stored); err != nil {
		t.Fatalf("helper got %q: %v", data, err)
	}
	want := map[string]string{"ServerURL": "h:1", "Username": "AWS", "Secret": testSecret}
	if diff := cmp.Diff(want, stored); diff != "" {
		t.Errorf("helper input mismatch (-want +got):\n%s", diff)
	}
	if args, _ := os.ReadFile(got + ".args"); strings.TrimSpace(string(args)) != "store" {
		t.Errorf("helper arguments = %q, want just \"store\"", args)
	}
	if file, _ := os.ReadFile(path); strings.Contains(string(file), testSecret) ||
		strings.Contains(string(file), base64.StdEncoding.EncodeToString([]byte("AWS:"+
			testSecret))) {
		t.Errorf("config.json holds the password:\n%s", file)
	}
}

// TestStoreDockerCredentialsConcurrent: logins that run at once keep each
// other's entries.
func TestStoreDockerCredentialsConcurrent(t *testing.T) {
	dir := t.TempDir()
	const n = 20
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			host := fmt.Sprintf("host-%d:5000", i)
			if _, err := storeDockerCredentials(context.Background(), dir, host, testCreds,
				false); err != nil {
				t.Errorf("storeDockerCredentials(%s) error: %v", host, err)
			}
		})
	}
	wg.Wait()
	auths, _ := readJSON(t, filepath.Join(dir, "config.json"))["auths"].(map[string]any)
	if len(auths) != n {
		t.Errorf("config.json has %d entries, want %d: %v", len(auths), n, auths)
	}
}

func TestKeepUnknownKeys(t *testing.T) {
	tests := []struct {
		name, data, old, want string
	}{
		{name: "none unknown", data: `{"auths":{}}`, old: `{"auths":{"x":{}}}`,
			want: `{"auths":{}}`},
		{name: "empty old", data: `{"auths":{}}`, old: ``, want: `{"auths":{}}`},
		{name: "old not JSON", data: `{"auths":{}}`, old: `{`, want: `{"auths":{}}`},
		{name: "unknown kept", data: `{"auths":{}}`, old: `{"auths":{},"z":[1]}`,
			want: "{\n\t\"auths\": {},\n\t\"z\": [\n\t\t1\n\t]\n}"},
	}
	for _, tt := range tests {
		got, err := keepUnknownKeys([]byte(tt.data), []byte(tt.old))
		if err != nil || string(got) != tt.want {
			t.Errorf("%s: keepUnknownKeys(%s, %s) = %q, %v, want %q",
				tt.name, tt.data, tt.old, got, err, tt.want)
		}
	}
}
