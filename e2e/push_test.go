package e2e

import (
	"context"
	"encoding/base64"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/moby/moby/client"

	"github.com/cdkpush/cdkpush/internal/rig"
)

const (
	exampleAccount = "123456789012"
	exampleRegion  = "us-east-1"
	exampleHost    = exampleAccount + ".dkr.ecr." + exampleRegion + ".amazonaws.com"
)

// deployExample deploys the example app's WebApiStack into moto and returns
// the name CloudFormation "generated" for its WorkerRepo.
func deployExample(t *testing.T, dir, suffix string) string {
	t.Helper()
	resetAWS(t)
	names, err := env.rig.Moto.DeployCDKStack(context.Background(), exampleRegion,
		"WebApiStack", filepath.Join(dir, "cdk.out", "WebApiStack.template.json"), suffix)
	if err != nil {
		t.Fatal(err)
	}
	worker := names["WorkerRepoEE566D3E"]
	if worker == "" {
		t.Fatalf("DeployCDKStack() named no WorkerRepo: %v", names)
	}
	return worker
}

// TestPushExample is the main job: the example project's two repositories,
// one named in the template and one whose name only the deployed stack
// knows, each get their local image, and the registry holds exactly what
// the engine pushed.
func TestPushExample(t *testing.T) {
	dir := copyProject(t, "example")
	worker := deployExample(t, dir, "e2e1")
	webID := buildImage(t, "web-api:1.0.0", "web api 1.0.0")
	workerID := buildImage(t, "worker:dev", "worker dev build")
	// The user already has web-api tagged for the registry: cdkpush must
	// leave that tag in place, and the engine records the pushed digest on
	// it. worker has no such tag: cdkpush's own push tag must go again.
	webRegistryRef := env.rig.Registry.Addr + "/web-api:1.0.0"
	if _, err := env.rig.Docker.Client.ImageTag(context.Background(), client.ImageTagOptions{
		Source: webID, Target: webRegistryRef}); err != nil {
		t.Fatal(err)
	}

	// The engine pushes here (--upload engine), so that it records what it
	// pushed; the default, direct upload, is tested in push_*_test.go.
	res := cdkpush(t, dir, "-v", "--upload", "engine", "--registry-endpoint",
		env.rig.Registry.Addr, "--image", "WebApiStack/WorkerRepo=worker:dev")
	if res.code != 0 {
		t.Fatalf("cdkpush exit code = %d, want 0", res.code)
	}

	ctx := context.Background()
	webDigest, err := env.rig.Registry.ManifestDigest(ctx, "web-api", "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	workerDigest, err := env.rig.Registry.ManifestDigest(ctx, worker, "dev")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		exampleHost + "/web-api@" + webDigest,
		exampleHost + "/" + worker + "@" + workerDigest,
	}
	got := strings.Split(strings.TrimSpace(res.stdout), "\n")
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("stdout lines = %q, want %q", got, want)
	}

	// The digests are the ones the engine itself recorded for the pushes:
	// on the image it keeps a tag of, and in its own stream (logged at -v).
	web := inspect(t, webID)
	if ref := env.rig.Registry.Addr + "/web-api@" + webDigest; !slices.Contains(web.RepoDigests,
		ref) {
		t.Errorf("web-api RepoDigests = %q, want it to contain %q", web.RepoDigests, ref)
	}
	if want := []string{webRegistryRef, "web-api:1.0.0"}; !sameSet(web.RepoTags, want) {
		t.Errorf("web-api RepoTags = %q, want %q", web.RepoTags, want)
	}
	if line := "dev: digest: " + workerDigest; !strings.Contains(res.stderr, line) {
		t.Errorf("stderr lacks the engine's own report %q", line)
	}
	if tags := inspect(t, workerID).RepoTags; !slices.Equal(tags, []string{"worker:dev"}) {
		t.Errorf("worker RepoTags = %q, want only [worker:dev]: the push tag must go", tags)
	}

	assertNoSecret(t, res)
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// assertNoSecret fails if moto's ECR password, or the token that carries
// it, appears in anything cdkpush printed.
func assertNoSecret(t *testing.T, res result) {
	t.Helper()
	password := rig.DefaultRegistryPassword
	token := base64.StdEncoding.EncodeToString([]byte("AWS:" + password))
	for _, secret := range []string{password, token} {
		if strings.Contains(res.stdout, secret) || strings.Contains(res.stderr, secret) {
			t.Errorf("cdkpush output contains the secret %q", secret)
		}
	}
}

// TestPushMissingLocalImage: a mapping to an image that does not exist
// locally stops the run before anything is pushed, with one line naming it.
func TestPushMissingLocalImage(t *testing.T) {
	dir := copyProject(t, "example")
	deployExample(t, dir, "e2e2")
	res := cdkpush(t, dir, "--registry-endpoint", env.rig.Registry.Addr,
		"--image", "WebApiStack/WorkerRepo=no-such-image:1")
	if res.code != 1 {
		t.Errorf("cdkpush exit code = %d, want 1", res.code)
	}
	if res.stdout != "" {
		t.Errorf("stdout = %q, want nothing", res.stdout)
	}
	lines := strings.Split(strings.TrimSpace(res.stderr), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], `"no-such-image:1" not found`) {
		t.Errorf("stderr = %q, want one line naming no-such-image:1", res.stderr)
	}
}

// TestPushFailureInStream: the engine answers a failed push with HTTP 200
// and an error line; cdkpush must see it, report the push as failed and
// exit non-zero. The registry (behind a fault proxy) accepts the layers and
// refuses the manifest, so every check before the push passes.
func TestPushFailureInStream(t *testing.T) {
	dir := copyProject(t, "example")
	deployExample(t, dir, "e2e3")
	buildImage(t, "web-api:2.0.0", "web api 2.0.0")
	proxy := newFaultProxy(t)
	proxy.set(func(p *faultProxy) { p.refuse["manifest PUT"] = 400 })
	res := cdkpush(t, dir, "--upload", "engine", "--registry-endpoint", proxy.Addr,
		"--stack", "WebApiStack")
	if res.code != 1 {
		t.Errorf("cdkpush exit code = %d, want 1", res.code)
	}
	if res.stdout != "" {
		t.Errorf("stdout = %q, want no digest", res.stdout)
	}
	if !strings.Contains(res.stderr, "web-api:2.0.0 to "+exampleHost+"/web-api:2.0.0") ||
		!strings.Contains(res.stderr, "the engine reported") ||
		!strings.Contains(res.stderr, "manifest invalid") {
		t.Errorf("stderr = %q, want the failed push and the engine's reason", res.stderr)
	}
	if n := proxy.Seen("manifest PUT"); n != 1 {
		t.Errorf("the registry saw %d manifest PUTs, want 1: a refusal is not retried", n)
	}
}
