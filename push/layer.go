package push

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/gzip"
)

// exportedImage reads an image that the engine exported (docker save) at
// path, as an image whose layers are compressed with gzip's fastest level
// by klauspost/compress, several times faster than the standard library's,
// and nearly free on data that does not compress. The config is the
// exported one, byte for byte, so its digest stays the local image id.
func exportedImage(path string) (v1.Image, error) {
	src, err := tarball.ImageFromPath(path, nil)
	if err != nil {
		return nil, err
	}
	rawConfig, err := src.RawConfigFile()
	if err != nil {
		return nil, err
	}
	srcLayers, err := src.Layers()
	if err != nil {
		return nil, err
	}
	img := &fastImage{rawConfig: rawConfig, byDigest: map[v1.Hash]*fastLayer{}}
	errs := make([]error, len(srcLayers))
	img.layers = make([]*fastLayer, len(srcLayers))
	var wg sync.WaitGroup
	for i, l := range srcLayers {
		img.layers[i] = &fastLayer{open: l.Uncompressed}
		wg.Go(func() { errs[i] = img.layers[i].measure() })
	}
	wg.Wait()
	for i, l := range img.layers {
		if errs[i] != nil {
			return nil, fmt.Errorf("compressing layer %d: %w", i+1, errs[i])
		}
		img.byDigest[l.digest] = l
	}
	return partial.CompressedToImage(img)
}

// fastImage is the core partial.CompressedToImage completes into a
// v1.Image: the exported config, and a Docker schema 2 manifest of the
// recompressed layers.
type fastImage struct {
	rawConfig []byte
	layers    []*fastLayer
	byDigest  map[v1.Hash]*fastLayer
}

func (i *fastImage) RawConfigFile() ([]byte, error) { return i.rawConfig, nil }

func (i *fastImage) MediaType() (types.MediaType, error) { return types.DockerManifestSchema2, nil }

func (i *fastImage) RawManifest() ([]byte, error) {
	sum := sha256.Sum256(i.rawConfig)
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.DockerManifestSchema2,
		Config: v1.Descriptor{
			MediaType: types.DockerConfigJSON,
			Size:      int64(len(i.rawConfig)),
			Digest:    v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])},
		},
	}
	for _, l := range i.layers {
		m.Layers = append(m.Layers, v1.Descriptor{
			MediaType: types.DockerLayer, Size: l.size, Digest: l.digest,
		})
	}
	return json.Marshal(m)
}

func (i *fastImage) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	if l, ok := i.byDigest[h]; ok {
		return l, nil
	}
	return nil, fmt.Errorf("the image has no layer %s", h)
}

// fastLayer is a layer of the export, gzip-compressed on the fly. Its
// digest and size need one compression pass, without keeping the output;
// each read of Compressed compresses again, to the same bytes.
type fastLayer struct {
	open   func() (io.ReadCloser, error)
	digest v1.Hash
	size   int64
}

func (l *fastLayer) measure() error {
	h := sha256.New()
	n := &countWriter{w: h}
	if err := l.compress(n); err != nil {
		return err
	}
	l.digest = v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(h.Sum(nil))}
	l.size = n.n
	return nil
}

// compress writes the compressed layer to w.
func (l *fastLayer) compress(w io.Writer) error {
	rc, err := l.open()
	if err != nil {
		return err
	}
	defer rc.Close()
	gz, err := gzip.NewWriterLevel(w, gzip.BestSpeed)
	if err != nil {
		return err
	}
	if _, err := io.Copy(gz, rc); err != nil {
		return err
	}
	return gz.Close()
}

func (l *fastLayer) Digest() (v1.Hash, error) { return l.digest, nil }

func (l *fastLayer) Size() (int64, error) { return l.size, nil }

func (l *fastLayer) MediaType() (types.MediaType, error) { return types.DockerLayer, nil }

func (l *fastLayer) Compressed() (io.ReadCloser, error) {
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(l.compress(pw)) }()
	return pr, nil
}

// countWriter counts what passes through to w.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}
