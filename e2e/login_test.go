package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cdkpush/cdkpush/internal/rig"
)

// dockerCLI returns the docker CLI the login tests push with: the one in
// /usr/local/bin, else docker on PATH (Debian's docker.io has one).
func dockerCLI(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat("/usr/local/bin/docker"); err == nil {
		return "/usr/local/bin/docker"
	}
	path, err := exec.LookPath("docker")
	if err != nil {
		t.Fatalf("no docker CLI: %v (install the Debian package docker.io)", err)
	}
	return path
}

// loginSecrets are the password moto's token carries, and the token.
var loginSecrets = []string{
	rig.DefaultRegistryPassword,
	base64.StdEncoding.EncodeToString([]byte("AWS:" + rig.DefaultRegistryPassword)),
}

// runLogin runs cdkpush in dir with the rig's environment and DOCKER_CONFIG
// set to dockerConfig. It fails the test if the password is in the
// arguments or the environment it passes, or in any output.
func runLogin(t *testing.T, dir, dockerConfig string, args ...string) result {
	t.Helper()
	vars := append(os.Environ(), env.rig.Moto.Env()...)
	vars = append(vars, "DOCKER_HOST="+env.rig.Docker.Host, "DOCKER_CONFIG="+dockerConfig,
		"NO_COLOR=1")
	for _, secret := range loginSecrets {
		for _, s := range append(append([]string(nil), args...), vars...) {
			if strings.Contains(s, secret) {
				t.Fatalf("the test would pass the password to cdkpush in %q", s)
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, env.binary, args...)
	cmd.Dir, cmd.Env = dir, vars
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start).Round(time.Millisecond)
	res := result{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		res.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("running cdkpush %s: %v", strings.Join(args, " "), err)
	}
	t.Logf("cdkpush %s: exit %d in %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "),
		res.code, took, res.stdout, res.stderr)
	// Only --print-password may show the password, and only on stdout.
	shown := res
	if slices.Contains(args, "--print-password") {
		shown.stdout = ""
	}
	assertNoSecret(t, shown)
	return res
}

// readConfig parses config.json in dir as a generic JSON object.
func readConfig(t *testing.T, dir string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(data, &cfg); err != nil {
		t.Fatalf("config.json is not valid JSON: %v\n%s", err, data)
	}
	return cfg
}

func authOf(cfg map[string]any, host string) string {
	auths, _ := cfg["auths"].(map[string]any)
	entry, _ := auths[host].(map[string]any)
	auth, _ := entry["auth"].(string)
	return auth
}

var wantAuth = base64.StdEncoding.EncodeToString([]byte("AWS:" + rig.DefaultRegistryPassword))

// TestLoginPrintPassword: --print-password prints moto's password and a
// newline, nothing else, for a named registry and for the project's one.
func TestLoginPrintPassword(t *testing.T) {
	dockerConfig := t.TempDir()
	res := runLogin(t, t.TempDir(), dockerConfig, "login", "-v", "--print-password",
		"--registry", exampleHost)
	if res.code != 0 || res.stdout != rig.DefaultRegistryPassword+"\n" {
		t.Errorf("login --print-password = exit %d, stdout %q; want 0, %q", res.code,
			res.stdout, rig.DefaultRegistryPassword+"\n")
	}

	dir := copyProject(t, "example")
	deployExample(t, dir, "login1")
	res = runLogin(t, dir, dockerConfig, "login", "--print-password")
	if res.code != 0 || res.stdout != rig.DefaultRegistryPassword+"\n" {
		t.Errorf("login --print-password in the project = exit %d, stdout %q", res.code,
			res.stdout)
	}

	// A role, assumed through STS: moto issues it keys of the same account.
	role := "arn:aws:iam::123456789012:role/cdk-image-publishing-role"
	res = runLogin(t, dir, dockerConfig, "-v", "login", "--print-password", "--registry",
		exampleHost, "--assume-role-arn", role, "--assume-role-external-id", "e2e")
	if res.code != 0 || res.stdout != rig.DefaultRegistryPassword+"\n" {
		t.Errorf("login --print-password with a role = exit %d, stdout %q", res.code,
			res.stdout)
	}
	if !strings.Contains(res.stderr, "as role "+role+" (with an external ID)") {
		t.Errorf("stderr does not show the token asked for as the role")
	}
	if entries, _ := os.ReadDir(dockerConfig); len(entries) != 0 {
		t.Errorf("--print-password wrote into the docker config folder: %v", entries)
	}
}

// TestLoginDockerPush: the entry cdkpush login writes for the project's
// registry, under the endpoint docker is pointed at, is what lets the real
// docker CLI push; every other entry of the config stays.
func TestLoginDockerPush(t *testing.T) {
	cli := dockerCLI(t)
	dir := copyProject(t, "example")
	deployExample(t, dir, "login2")
	reg := env.rig.Registry.Addr
	dockerConfig := t.TempDir()
	otherAuth := base64.StdEncoding.EncodeToString([]byte("me:ghcr-token"))
	before := `{
	"auths": {"ghcr.io": {"auth": "` + otherAuth + `"}},
	"credHelpers": {"gcr.io": "gcloud"},
	"psFormat": "table {{.ID}}",
	"aFutureSetting": {"keep": true}
}`
	if err := os.WriteFile(filepath.Join(dockerConfig, "config.json"), []byte(before),
		0o644); err != nil {
		t.Fatal(err)
	}

	buildImage(t, "login-e2e:1", "pushed by the docker CLI")
	target := reg + "/web-api:docker-cli"
	docker := func(args ...string) (string, error) {
		cmd := exec.Command(cli, args...)
		cmd.Env = append(os.Environ(), "DOCKER_HOST="+env.rig.Docker.Host,
			"DOCKER_CONFIG="+dockerConfig)
		out, err := cmd.CombinedOutput()
		t.Logf("docker %s:\n%s", strings.Join(args, " "), out)
		return string(out), err
	}
	if _, err := docker("tag", "login-e2e:1", target); err != nil {
		t.Fatal(err)
	}
	// Before the login, docker has no credentials for the registry.
	if out, err := docker("push", target); err == nil ||
		!strings.Contains(out, "no basic auth credentials") {
		t.Fatalf("docker push before login: %v, want no basic auth credentials", err)
	}

	res := runLogin(t, dir, dockerConfig, "-v", "login", "--registry-endpoint", reg)
	if res.code != 0 || res.stdout != "" {
		t.Fatalf("login = exit %d, stdout %q; want 0 and nothing", res.code, res.stdout)
	}
	if !strings.Contains(res.stderr, `msg="logged in" registry=`+reg) {
		t.Errorf("stderr does not report the login to %s", reg)
	}

	cfg := readConfig(t, dockerConfig)
	if got := authOf(cfg, reg); got != wantAuth {
		t.Errorf("auths[%s] = %q, want the AWS login", reg, got)
	}
	if authOf(cfg, exampleHost) != "" {
		t.Errorf("an entry was stored under %s, which docker is not pointed at", exampleHost)
	}
	if authOf(cfg, "ghcr.io") != otherAuth || cfg["psFormat"] != "table {{.ID}}" ||
		cfg["aFutureSetting"] == nil {
		t.Errorf("other entries were not kept: %v", cfg)
	}
	if helpers, _ := cfg["credHelpers"].(map[string]any); helpers["gcr.io"] != "gcloud" {
		t.Errorf("credHelpers were not kept: %v", cfg["credHelpers"])
	}
	fi, err := os.Stat(filepath.Join(dockerConfig, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if mode := fi.Mode().Perm(); mode != 0o600 {
		t.Errorf("config.json mode = %v, want 0600", mode)
	}

	if _, err := docker("push", target); err != nil {
		t.Fatalf("docker push after login: %v", err)
	}
	if _, err := env.rig.Registry.ManifestDigest(context.Background(), "web-api",
		"docker-cli"); err != nil {
		t.Errorf("the registry lacks the docker CLI's push: %v", err)
	}
}

// TestLoginRefused: a registry that answers 401 to the new credentials
// gets no entry.
func TestLoginRefused(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	other, err := rig.StartRegistry(ctx, t.TempDir(), "other")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = other.Stop() })
	dockerConfig := t.TempDir()
	res := runLogin(t, t.TempDir(), dockerConfig, "-v", "login", "--registry", exampleHost,
		"--registry-endpoint", other.Addr)
	if res.code != 1 {
		t.Errorf("login = exit %d, want 1", res.code)
	}
	for _, want := range []string{"logging in to " + other.Addr + ", nothing stored",
		"GET http://" + other.Addr + "/v2/: HTTP 401"} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("stderr lacks %q", want)
		}
	}
	if _, err := os.Stat(filepath.Join(dockerConfig, "config.json")); !os.IsNotExist(err) {
		t.Errorf("config.json was written: %v", err)
	}
}

// TestLoginECRLoginHelper: a registry that uses the ecr-login helper gets
// nothing, and the config is left as it was.
func TestLoginECRLoginHelper(t *testing.T) {
	dockerConfig := t.TempDir()
	before := `{"credHelpers": {"` + env.rig.Registry.Addr + `": "ecr-login"}}`
	path := filepath.Join(dockerConfig, "config.json")
	if err := os.WriteFile(path, []byte(before), 0o600); err != nil {
		t.Fatal(err)
	}
	res := runLogin(t, t.TempDir(), dockerConfig, "login", "--registry", exampleHost,
		"--registry-endpoint", env.rig.Registry.Addr)
	if res.code != 0 || !strings.Contains(res.stderr, "nothing stored: docker gets these "+
		"credentials from the ecr-login credential helper") {
		t.Errorf("login = exit %d, want 0 and a note that nothing was stored", res.code)
	}
	if data, _ := os.ReadFile(path); string(data) != before {
		t.Errorf("config.json = %s, want it unchanged", data)
	}
}

// TestLoginConcurrent: two logins at once, to two names of the registry,
// leave a valid config that holds both entries and the older one, round
// after round.
func TestLoginConcurrent(t *testing.T) {
	port := env.rig.Registry.Addr[strings.LastIndex(env.rig.Registry.Addr, ":")+1:]
	hosts := []string{"127.0.0.1:" + port, "localhost:" + port}
	const rounds = 8
	for round := range rounds {
		dockerConfig := t.TempDir()
		before := `{"auths": {"ghcr.io": {"auth": "` +
			base64.StdEncoding.EncodeToString([]byte("me:tok")) + `"}}}`
		if err := os.WriteFile(filepath.Join(dockerConfig, "config.json"), []byte(before),
			0o600); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		codes := make([]int, len(hosts))
		for i, host := range hosts {
			wg.Go(func() {
				codes[i] = runLogin(t, t.TempDir(), dockerConfig, "login", "--registry",
					exampleHost, "--registry-endpoint", host).code
			})
		}
		wg.Wait()
		cfg := readConfig(t, dockerConfig)
		for i, host := range hosts {
			if codes[i] != 0 || authOf(cfg, host) != wantAuth {
				t.Errorf("round %d: login to %s = exit %d, entry %q", round, host, codes[i],
					authOf(cfg, host))
			}
		}
		if authOf(cfg, "ghcr.io") == "" {
			t.Errorf("round %d: the older entry was lost", round)
		}
	}
}
