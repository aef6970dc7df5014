package push

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/validate"
)

func TestExportedImage(t *testing.T) {
	src, err := random.Image(4096, 3)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "save.tar")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := tarball.Write(name.MustParseReference("x:1"), src, f); err != nil {
		t.Fatal(err)
	}
	f.Close()

	img, err := exportedImage(path)
	if err != nil {
		t.Fatalf("exportedImage() = %v", err)
	}
	// A well-formed image: every digest, size and diff id checks out.
	if err := validate.Image(img); err != nil {
		t.Errorf("validate.Image(exportedImage()) = %v", err)
	}
	// The config is the export's, byte for byte, so its digest is the id.
	wantCfg, _ := src.RawConfigFile()
	gotCfg, _ := img.RawConfigFile()
	if !bytes.Equal(wantCfg, gotCfg) {
		t.Errorf("config changed:\n%s\nwant\n%s", gotCfg, wantCfg)
	}
	srcName, _ := src.ConfigName()
	if got, _ := img.ConfigName(); got != srcName {
		t.Errorf("ConfigName() = %s, want %s", got, srcName)
	}
	// The layers hold the same files, and compress to the same bytes again.
	srcLayers, _ := src.Layers()
	layers, _ := img.Layers()
	for i, l := range layers {
		if got, want := uncompressedDigest(t, l), uncompressedDigest(t, srcLayers[i]); got != want {
			t.Errorf("layer %d holds %s, want %s", i, got, want)
		}
		d, _ := l.Digest()
		if got := compressedDigest(t, l); got != d.String() {
			t.Errorf("layer %d compresses to %s, not its digest %s", i, got, d)
		}
	}
	again, err := exportedImage(path)
	if err != nil {
		t.Fatal(err)
	}
	d1, _ := img.Digest()
	d2, _ := again.Digest()
	if d1 != d2 {
		t.Errorf("two reads of one export give manifests %s and %s", d1, d2)
	}
}

func uncompressedDigest(t *testing.T, l v1.Layer) string {
	t.Helper()
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	return digestOf(t, rc)
}

func compressedDigest(t *testing.T, l v1.Layer) string {
	t.Helper()
	rc, err := l.Compressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	return digestOf(t, rc)
}

func digestOf(t *testing.T, r io.Reader) string {
	t.Helper()
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		t.Fatal(err)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}
