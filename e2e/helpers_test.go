package e2e

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/cdkpush/cdkpush/internal/rig"
)

// result is what one run of the binary did.
type result struct {
	stdout, stderr string
	code           int
}

// cdkpush runs the binary in dir with the rig's environment: moto for AWS
// (dummy keys, no shared files) and the rig's dockerd.
func cdkpush(t *testing.T, dir string, args ...string) result {
	t.Helper()
	return cdkpushEnv(t, dir, nil, args...)
}

// cdkpushEnv is cdkpush with extra environment variables, which win over
// the rig's.
func cdkpushEnv(t *testing.T, dir string, extra []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, env.binary, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env.rig.Moto.Env()...)
	cmd.Env = append(cmd.Env, "DOCKER_HOST="+env.rig.Docker.Host, "NO_COLOR=1")
	cmd.Env = append(cmd.Env, extra...)
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
	t.Logf("cdkpush %s (extra env: %s): exit %d\nstdout:\n%s\nstderr:\n%s",
		strings.Join(args, " "), strings.Join(extra, " "), res.code, res.stdout, res.stderr)
	return res
}

// copyProject copies a testdata CDK app's cdk.json and cdk.out into a fresh
// folder, so a test can add files (an outputs file, cdkpush.yaml) freely.
func copyProject(t *testing.T, app string) string {
	t.Helper()
	src := filepath.Join("..", "testdata", app)
	dst := t.TempDir()
	for _, name := range []string{"cdk.json", "cdk.out"} {
		err := filepath.WalkDir(filepath.Join(src, name),
			func(path string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				rel, err := filepath.Rel(src, path)
				if err != nil {
					return err
				}
				if d.IsDir() {
					return os.MkdirAll(filepath.Join(dst, rel), 0o755)
				}
				data, err := os.ReadFile(path)
				if err != nil {
					return err
				}
				return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
			})
		if err != nil {
			t.Fatalf("copying %s: %v", src, err)
		}
	}
	return dst
}

// buildImage builds a FROM scratch image holding one file with the given
// content and tags it.
func buildImage(t *testing.T, tag, content string) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"Dockerfile":  "FROM scratch\nCOPY payload.txt /payload.txt\n",
		"payload.txt": content,
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	id, err := env.rig.Docker.BuildImage(context.Background(), dir, tag, rig.BuildOptions{})
	if err != nil {
		t.Fatalf("building %s: %v", tag, err)
	}
	t.Cleanup(func() {
		_, _ = env.rig.Docker.Client.ImageRemove(context.Background(), id,
			client.ImageRemoveOptions{Force: true})
	})
	return id
}

// resetAWS wipes moto's state, so each test deploys what it needs.
func resetAWS(t *testing.T) {
	t.Helper()
	if err := env.rig.Moto.Reset(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// inspect returns the engine's view of a local image.
func inspect(t *testing.T, ref string) client.ImageInspectResult {
	t.Helper()
	info, err := env.rig.Docker.Client.ImageInspect(context.Background(), ref)
	if err != nil {
		t.Fatalf("inspecting %s: %v", ref, err)
	}
	return info
}
