package e2e

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dockerctx "github.com/docker/cli/cli/context/docker"
	"github.com/docker/cli/cli/context/store"
)

// cdkpushWith runs the binary like cdkpush does, with extra environment
// variables that win over the usual ones.
func cdkpushWith(t *testing.T, dir string, extraEnv []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, env.binary, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env.rig.Moto.Env()...)
	cmd.Env = append(cmd.Env, "DOCKER_HOST="+env.rig.Docker.Host, "NO_COLOR=1")
	cmd.Env = append(cmd.Env, extraEnv...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := result{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		res.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("running cdkpush %s: %v", strings.Join(args, " "), err)
	}
	t.Logf("cdkpush %s (%s): exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "),
		strings.Join(extraEnv, " "), res.code, res.stdout, res.stderr)
	return res
}

// dockerContexts writes a docker CLI configuration folder, as `docker
// context create` and `docker context use` would: contexts by name, each
// with its engine address, and the current one.
func dockerContexts(t *testing.T, current string, contexts map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	if current != "" {
		if err := os.WriteFile(filepath.Join(dir, "config.json"),
			[]byte(`{"currentContext": "`+current+`"}`), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg := store.NewConfig(func() any { return &map[string]any{} },
		store.EndpointTypeGetter(dockerctx.DockerEndpoint,
			func() any { return &dockerctx.EndpointMeta{} }))
	s := store.New(filepath.Join(dir, "contexts"), cfg)
	for name, host := range contexts {
		if err := s.CreateOrUpdate(store.Metadata{
			Name:      name,
			Metadata:  map[string]any{"Description": "e2e"},
			Endpoints: map[string]any{dockerctx.DockerEndpoint: dockerctx.EndpointMeta{Host: host}},
		}); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestPushDockerContext: without DOCKER_HOST, cdkpush finds the engine
// through the docker CLI's contexts, DOCKER_CONTEXT before the current
// context; and when the chosen engine does not answer, the error names it.
func TestPushDockerContext(t *testing.T) {
	dir := deployPushStack(t)
	buildLayered(t, "push-plain:ctx", 12, "", 1024)
	nowhere := "unix://" + filepath.Join(t.TempDir(), "gone.sock")
	config := dockerContexts(t, "broken", map[string]string{
		"rig":    env.rig.Docker.Host,
		"broken": nowhere,
	})
	args := []string{"--stack", "PushStack", "--registry-endpoint", env.rig.Registry.Addr}

	t.Run("current context", func(t *testing.T) {
		res := cdkpushWith(t, dir, []string{"DOCKER_HOST=", "DOCKER_CONTEXT=",
			"DOCKER_CONFIG=" + config}, args...)
		if res.code != 1 {
			t.Errorf("exit code %d, want 1", res.code)
		}
		for _, want := range []string{nowhere, `docker context "broken"`, "currentContext"} {
			if !strings.Contains(res.stderr, want) {
				t.Errorf("stderr lacks %q", want)
			}
		}
	})
	t.Run("DOCKER_CONTEXT", func(t *testing.T) {
		res := cdkpushWith(t, dir, []string{"DOCKER_HOST=", "DOCKER_CONTEXT=rig",
			"DOCKER_CONFIG=" + config}, args...)
		if res.code != 0 {
			t.Errorf("exit code %d, want 0", res.code)
		}
		if want := exampleHost + "/" + repoPlain + "@" + registryDigest(t, repoPlain,
			"ctx"); strings.TrimSpace(res.stdout) != want {
			t.Errorf("stdout = %q, want %q", res.stdout, want)
		}
	})
	t.Run("DOCKER_HOST before contexts", func(t *testing.T) {
		res := cdkpushWith(t, dir, []string{"DOCKER_CONTEXT=broken",
			"DOCKER_CONFIG=" + config}, args...)
		if res.code != 0 {
			t.Errorf("exit code %d, want 0", res.code)
		}
	})
}
