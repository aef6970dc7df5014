package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/moby/client"

	"github.com/cdkpush/cdkpush/internal/rig"
)

// Repositories of testdata/repos's PushStack.
const (
	repoPlain  = "push-plain"
	repoSlash  = "team/push-api"
	repoFrozen = "push-frozen" // IMMUTABLE tags
)

// deployPushStack deploys the PushStack of testdata/repos into a fresh
// moto and returns a copy of the app to run cdkpush in.
func deployPushStack(t *testing.T) string {
	t.Helper()
	dir := copyProject(t, "repos")
	resetAWS(t)
	if _, err := env.rig.Moto.DeployCDKStack(context.Background(), exampleRegion, "PushStack",
		filepath.Join(dir, "cdk.out", "PushStack.template.json"), "e2e"); err != nil {
		t.Fatal(err)
	}
	return dir
}

// buildLayered builds a FROM scratch image of one layer per size, each a
// file of random bytes from seed, for platform ("" for the engine's), and
// tags it. It returns the image id.
func buildLayered(t *testing.T, tag string, seed uint64, platform string, sizes ...int) string {
	t.Helper()
	dir := t.TempDir()
	// COPY comes first: the 20.10 classic builder refuses other steps
	// before a COPY for a foreign platform (see internal/rig).
	var dockerfile strings.Builder
	dockerfile.WriteString("FROM scratch\n")
	rng := rand.NewChaCha8(seedBytes(seed))
	for i, size := range sizes {
		name := fmt.Sprintf("layer%d.bin", i)
		data := make([]byte, size)
		_, _ = rng.Read(data)
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&dockerfile, "COPY %s /%s\n", name, name)
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile.String()),
		0o644); err != nil {
		t.Fatal(err)
	}
	id, err := env.rig.Docker.BuildImage(context.Background(), dir, tag,
		rig.BuildOptions{Platform: platform})
	if err != nil {
		t.Fatalf("building %s: %v", tag, err)
	}
	t.Cleanup(func() {
		_, _ = env.rig.Docker.Client.ImageRemove(context.Background(), id,
			client.ImageRemoveOptions{Force: true, PruneChildren: true})
	})
	return id
}

func seedBytes(seed uint64) [32]byte {
	var b [32]byte
	for i := range 8 {
		b[i] = byte(seed >> (8 * i))
	}
	return b
}

// reportResult is one result of cdkpush --json.
type reportResult struct {
	Image      string `json:"image"`
	Repository string `json:"repository"`
	Path       string `json:"path"`
	Tag        string `json:"tag"`
	Digest     string `json:"digest"`
	Status     string `json:"status"`
	Error      string `json:"error"`
	Reason     string `json:"reason"`
}

// decodeReport reads the JSON report cdkpush printed, refusing unknown
// fields, so that the documented schema is what the binary prints.
func decodeReport(t *testing.T, s string) []reportResult {
	t.Helper()
	var r struct {
		Results []reportResult `json:"results"`
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("decoding the JSON report %q: %v", s, err)
	}
	return r.Results
}

// byRepository indexes results by "NAME:TAG", NAME being the repository
// name without the registry.
func byRepository(t *testing.T, results []reportResult) map[string]reportResult {
	t.Helper()
	out := map[string]reportResult{}
	for _, r := range results {
		_, name, ok := strings.Cut(r.Repository, "/")
		if !ok {
			t.Fatalf("result %+v has no repository URI", r)
		}
		out[name+":"+r.Tag] = r
	}
	return out
}

// registryDigest is the digest the rig's registry holds for name:tag, or
// "" if it holds none.
func registryDigest(t *testing.T, name, tag string) string {
	t.Helper()
	d, err := env.rig.Registry.ManifestDigest(context.Background(), name, tag)
	if err != nil {
		if strings.Contains(err.Error(), "404") {
			return ""
		}
		t.Fatal(err)
	}
	return d
}

// localTags are the engine's tags of an image.
func localTags(t *testing.T, id string) []string {
	t.Helper()
	return inspect(t, id).RepoTags
}

// withoutRegistryTags fails if any local image carries a tag in the
// registry at addr: cdkpush must remove the tags it adds.
func withoutRegistryTags(t *testing.T, addr string) {
	t.Helper()
	res, err := env.rig.Docker.Client.ImageList(context.Background(), client.ImageListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, img := range res.Items {
		for _, tag := range img.RepoTags {
			if strings.HasPrefix(tag, addr+"/") {
				t.Errorf("local tag %s left behind", tag)
			}
		}
	}
}

// sameJSON reports whether two JSON texts hold the same value.
func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("decoding %s: %v", a, err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("decoding %s: %v", b, err)
	}
	ja, _ := json.Marshal(x)
	jb, _ := json.Marshal(y)
	return bytes.Equal(ja, jb)
}
