package stackinfo

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The real `cdk synth` output of the fixture apps. It is read-only: tests
// that need a broken assembly break a copy made by copyAssembly.
var (
	exampleOut = filepath.Join("..", "testdata", "example", "cdk.out")
	complexOut = filepath.Join("..", "testdata", "complex", "cdk.out")
)

// copyAssembly copies the cloud assembly in src (the manifests, templates
// and metadata; not the asset folders) to a new temporary folder and
// returns that folder.
func copyAssembly(t testing.TB, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "cdk.out")
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			if strings.HasPrefix(d.Name(), "asset.") {
				return filepath.SkipDir
			}
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
	return dst
}

// editJSON rewrites the JSON file at path through edit.
func editJSON(t *testing.T, path string, edit func(doc map[string]any)) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("parsing %s: %v", path, err)
	}
	edit(doc)
	writeJSON(t, path, doc)
}

// writeJSON writes v as indented JSON to path.
func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// manifestArtifact returns the manifest artifact id, failing the test when it is
// missing.
func manifestArtifact(t *testing.T, doc map[string]any, id string) map[string]any {
	t.Helper()
	artifacts, _ := doc["artifacts"].(map[string]any)
	a, ok := artifacts[id].(map[string]any)
	if !ok {
		t.Fatalf("manifest has no artifact %q", id)
	}
	return a
}

// properties returns the properties object of artifact a.
func properties(t *testing.T, a map[string]any) map[string]any {
	t.Helper()
	p, ok := a["properties"].(map[string]any)
	if !ok {
		t.Fatalf("artifact has no properties: %v", a)
	}
	return p
}

// testLogger returns a logger that writes text lines to the returned buffer.
func testLogger() (*slog.Logger, *bytes.Buffer) {
	var buf bytes.Buffer
	h := slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})
	return slog.New(h), &buf
}
