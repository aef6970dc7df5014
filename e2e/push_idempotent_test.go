package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/moby/client"
)

// TestPushIdempotent pushes three repositories, one with a slash in its
// name and one with immutable tags; runs again with nothing changed; then
// changes the image under the immutable tag, which must be refused with the
// registry keeping what it had; then changes a mutable one, which must be
// pushed while the others stay up to date.
func TestPushIdempotent(t *testing.T) {
	dir := deployPushStack(t)
	reg := env.rig.Registry.Addr
	buildLayered(t, "push-plain:1.0", 1, "", 4096, 2048)
	buildLayered(t, "team/push-api:2.0", 2, "", 4096)
	frozenID := buildLayered(t, "push-frozen:3.0", 3, "", 4096)
	args := []string{"--stack", "PushStack", "--registry-endpoint", reg, "--json"}
	targets := []string{repoPlain + ":1.0", repoSlash + ":2.0", repoFrozen + ":3.0"}

	// First run: everything is pushed, and the digests are the registry's.
	first := cdkpush(t, dir, args...)
	if first.code != 0 {
		t.Fatalf("first run: exit code %d, want 0", first.code)
	}
	results := byRepository(t, decodeReport(t, first.stdout))
	held := map[string]string{}
	for _, target := range targets {
		r, ok := results[target]
		name, tag, _ := strings.Cut(target, ":")
		held[target] = registryDigest(t, name, tag)
		if !ok || r.Status != "pushed" || r.Digest == "" || r.Digest != held[target] {
			t.Errorf("first run: %s = %+v, want pushed with the registry's digest %s",
				target, r, held[target])
		}
	}
	if len(results) != 3 {
		t.Errorf("first run: %d results, want 3: %+v", len(results), results)
	}
	withoutRegistryTags(t, reg)
	assertNoSecret(t, first)

	// Second run, with a report file: nothing changed, nothing is pushed.
	report := filepath.Join(t.TempDir(), "report.json")
	second := cdkpush(t, dir, append(args, "--report", report)...)
	if second.code != 0 {
		t.Fatalf("second run: exit code %d, want 0", second.code)
	}
	for target, r := range byRepository(t, decodeReport(t, second.stdout)) {
		if r.Status != "up-to-date" || r.Digest != held[target] {
			t.Errorf("second run: %s = %+v, want up-to-date with digest %s", target, r,
				held[target])
		}
	}
	if strings.Contains(second.stderr, ": pushing ") {
		t.Errorf("second run pushed something:\n%s", second.stderr)
	}
	data, err := os.ReadFile(report)
	if err != nil {
		t.Fatalf("reading the --report file: %v", err)
	}
	if !sameJSON(t, data, []byte(second.stdout)) {
		t.Errorf("--report file = %s, want what --json printed:\n%s", data, second.stdout)
	}

	// Third run: the image under the immutable tag changed. Nothing is
	// pushed, and the error names the repository, the tag and both digests.
	newFrozenID := buildLayered(t, "push-frozen:3.0", 33, "", 4096)
	third := cdkpush(t, dir, args...)
	if third.code != 1 {
		t.Errorf("third run: exit code %d, want 1", third.code)
	}
	results = byRepository(t, decodeReport(t, third.stdout))
	frozen := results[repoFrozen+":3.0"]
	if frozen.Status != "failed" {
		t.Errorf("third run: %s = %+v, want failed", repoFrozen, frozen)
	}
	for _, want := range []string{"immutable", repoFrozen + ":3.0", held[repoFrozen+":3.0"],
		newFrozenID} {
		if !strings.Contains(frozen.Error, want) || !strings.Contains(third.stderr, want) {
			t.Errorf("third run: error %q (and stderr) should name %s", frozen.Error, want)
		}
	}
	for _, target := range targets[:2] {
		if r := results[target]; r.Status != "up-to-date" {
			t.Errorf("third run: %s = %+v, want up-to-date", target, r)
		}
	}
	for target, digest := range held {
		name, tag, _ := strings.Cut(target, ":")
		if got := registryDigest(t, name, tag); got != digest {
			t.Errorf("third run: the registry holds %s for %s, want %s still", got, target,
				digest)
		}
	}
	withoutRegistryTags(t, reg)

	// Fourth run: the immutable tag names its old image again, and the
	// mutable repository's image changed: only that one is pushed.
	if _, err := env.rig.Docker.Client.ImageTag(context.Background(), client.ImageTagOptions{
		Source: frozenID, Target: "push-frozen:3.0"}); err != nil {
		t.Fatal(err)
	}
	buildLayered(t, "push-plain:1.0", 11, "", 4096, 2048)
	fourth := cdkpush(t, dir, args...)
	if fourth.code != 0 {
		t.Fatalf("fourth run: exit code %d, want 0", fourth.code)
	}
	results = byRepository(t, decodeReport(t, fourth.stdout))
	plain := results[repoPlain+":1.0"]
	if plain.Status != "pushed" || plain.Digest == held[repoPlain+":1.0"] ||
		plain.Digest != registryDigest(t, repoPlain, "1.0") {
		t.Errorf("fourth run: %s = %+v, want pushed with a new digest", repoPlain, plain)
	}
	for _, target := range targets[1:] {
		if r := results[target]; r.Status != "up-to-date" || r.Digest != held[target] {
			t.Errorf("fourth run: %s = %+v, want up-to-date", target, r)
		}
	}
}

// TestPushPlatformMismatch: an arm64 image where --platform asks for amd64
// is refused before anything is pushed.
func TestPushPlatformMismatch(t *testing.T) {
	dir := deployPushStack(t)
	buildLayered(t, "push-plain:arm", 4, "linux/arm64", 1024)
	buildLayered(t, "team/push-api:amd", 5, "linux/amd64", 1024)
	res := cdkpush(t, dir, "--stack", "PushStack", "--registry-endpoint",
		env.rig.Registry.Addr, "--platform", "linux/amd64")
	if res.code != 1 {
		t.Errorf("exit code %d, want 1", res.code)
	}
	for _, want := range []string{`"push-plain:arm"`, "linux/arm64", "not linux/amd64"} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("stderr lacks %q", want)
		}
	}
	if res.stdout != "" {
		t.Errorf("stdout = %q, want nothing", res.stdout)
	}
	for _, target := range [][2]string{{repoPlain, "arm"}, {repoSlash, "amd"}} {
		if d := registryDigest(t, target[0], target[1]); d != "" {
			t.Errorf("the registry holds %s for %s:%s, want nothing pushed", d, target[0],
				target[1])
		}
	}

	// The same image passes with its own platform.
	if _, err := env.rig.Docker.Client.ImageRemove(context.Background(), "team/push-api:amd",
		client.ImageRemoveOptions{}); err != nil {
		t.Fatal(err)
	}
	ok := cdkpush(t, dir, "--stack", "PushStack", "--registry-endpoint",
		env.rig.Registry.Addr, "--platform", "linux/arm64", "--image",
		"PushStack/PlainRepo=push-plain:arm")
	if ok.code != 0 {
		t.Errorf("with --platform linux/arm64: exit code %d, want 0", ok.code)
	}
}

// TestPushMissingRepository: a repository the stack defines but nobody
// deployed is one error with a hint, and nothing is pushed or created.
func TestPushMissingRepository(t *testing.T) {
	dir := copyProject(t, "repos")
	resetAWS(t)
	buildLayered(t, "push-plain:9", 6, "", 1024)
	res := cdkpush(t, dir, "--stack", "PushStack", "--registry-endpoint",
		env.rig.Registry.Addr)
	if res.code != 1 {
		t.Errorf("exit code %d, want 1", res.code)
	}
	lines := strings.Split(strings.TrimSpace(res.stderr), "\n")
	var errLines []string
	for _, l := range lines {
		if strings.HasPrefix(l, "cdkpush: ") {
			errLines = append(errLines, l)
		}
	}
	if len(errLines) != 1 {
		t.Fatalf("stderr has %d error lines, want 1:\n%s", len(errLines), res.stderr)
	}
	for _, want := range []string{`"push-plain"`, "account " + exampleAccount,
		"region " + exampleRegion, "does not exist", "cdk deploy PushStack"} {
		if !strings.Contains(errLines[0], want) {
			t.Errorf("error %q lacks %q", errLines[0], want)
		}
	}
	if d := registryDigest(t, repoPlain, "9"); d != "" {
		t.Errorf("the registry holds %s, want nothing pushed", d)
	}
}
