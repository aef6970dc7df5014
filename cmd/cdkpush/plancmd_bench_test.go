package main

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/cdkpush/cdkpush/bench/synth"
)

// BenchmarkPlanOffline runs `cdkpush plan --offline --json` on a generated
// assembly of 500 stacks (most in 10 Stages), 2,000 repositories and 200
// docker image assets: the whole command, from flags to the JSON on stdout,
// without a Docker Engine. `make bench-plan` runs it and measures the peak
// memory of the built binary on the same assembly.
func BenchmarkPlanOffline(b *testing.B) {
	dir := b.TempDir()
	if err := synth.WriteAssembly(dir, synth.Plan); err != nil {
		b.Fatal(err)
	}
	b.Setenv("DOCKER_HOST", "unix:///nonexistent.sock")
	b.Setenv("AWS_CONFIG_FILE", "/dev/null")
	b.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	b.Setenv("AWS_REGION", "us-east-1")
	args := []string{"plan", "--offline", "--json", "--dir", dir}
	b.ReportAllocs()
	for b.Loop() {
		var stderr strings.Builder
		code := Main(context.Background(), args, Streams{
			In: strings.NewReader(""), Out: io.Discard, Err: &stderr,
		})
		if code != exitOK {
			b.Fatalf("Main(%q) = %d; stderr:\n%s", args, code, stderr.String())
		}
	}
}
