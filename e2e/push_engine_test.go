package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	dockerctx "github.com/docker/cli/cli/context/docker"
	"github.com/docker/cli/cli/context/store"
)

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
		res := cdkpushEnv(t, dir, []string{"DOCKER_HOST=", "DOCKER_CONTEXT=",
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
		res := cdkpushEnv(t, dir, []string{"DOCKER_HOST=", "DOCKER_CONTEXT=rig",
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
		res := cdkpushEnv(t, dir, []string{"DOCKER_CONTEXT=broken",
			"DOCKER_CONFIG=" + config}, args...)
		if res.code != 0 {
			t.Errorf("exit code %d, want 0", res.code)
		}
	})
}
