package synth

import (
	"context"
	"testing"

	"github.com/cdkpush/cdkpush/stackinfo"
)

// BenchmarkResolveOffline resolves the generated assembly of the plan
// benchmark with stackinfo alone: what `plan --offline` does before it
// prints.
func BenchmarkResolveOffline(b *testing.B) {
	dir := b.TempDir()
	if err := WriteAssembly(dir, Plan); err != nil {
		b.Fatal(err)
	}
	cfg, err := stackinfo.ReadCDKConfig(dir)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		p, err := stackinfo.Resolve(context.Background(),
			stackinfo.Options{Dir: dir, Config: cfg, Offline: true})
		if err != nil {
			b.Fatal(err)
		}
		if len(p.Stacks) != Plan.Stacks || len(p.Repositories) != Plan.Repositories ||
			len(p.Assets) != Plan.Assets {
			b.Fatalf("Resolve() found %d stacks, %d repositories, %d assets, want %+v",
				len(p.Stacks), len(p.Repositories), len(p.Assets), Plan)
		}
	}
}

// TestWriteAssembly checks that the generated assembly has the shape asked
// for, as stackinfo reads it.
func TestWriteAssembly(t *testing.T) {
	dir := t.TempDir()
	shape := Shape{Stacks: 20, Repositories: 50, Assets: 7, Stages: 3}
	if err := WriteAssembly(dir, shape); err != nil {
		t.Fatal(err)
	}
	p, err := stackinfo.Resolve(context.Background(), stackinfo.Options{Dir: dir,
		Offline: true})
	if err != nil {
		t.Fatalf("Resolve() error: %v", err)
	}
	if len(p.Stacks) != 20 || len(p.Repositories) != 50 || len(p.Assets) != 7 {
		t.Errorf("Resolve() found %d stacks, %d repositories, %d assets, want %+v",
			len(p.Stacks), len(p.Repositories), len(p.Assets), shape)
	}
	for _, a := range p.Assets {
		if d := a.Destinations[0]; d.URI == "" {
			t.Errorf("asset %s destination %+v has no URI", a.ID, d)
		}
	}
}
