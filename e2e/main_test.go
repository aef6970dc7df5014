package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/cdkpush/cdkpush/internal/rig"
)

// env is shared by every test of the package: one rig, one binary.
var env struct {
	rig    *rig.Rig
	binary string
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "cdkpush-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	env.binary = filepath.Join(dir, "cdkpush")
	// Race-built binaries otherwise sleep a second on exit; every run of
	// the binary inherits this.
	os.Setenv("GORACE", "atexit_sleep_ms=0")
	// The binary under test is built with the race detector, like the tests.
	build := exec.Command("go", "build", "-race", "-o", env.binary, "../cmd/cdkpush")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: building cdkpush:", err)
		return 1
	}

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	start := time.Now()
	r, err := rig.Start(ctx, rig.Options{})
	if err != nil {
		if errors.Is(err, rig.ErrMissingComponent) && os.Getenv(rig.SkipEnv) == "1" {
			fmt.Fprintf(os.Stderr, "SKIPPING ALL END-TO-END TESTS (%s=1): %v\n", rig.SkipEnv, err)
			return 0
		}
		fmt.Fprintf(os.Stderr, "e2e: %v\nRun `make test`, which installs the rig.\n", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "e2e: rig up in %v (docker %s, registry %s, moto %s)\n",
		time.Since(start).Round(time.Millisecond), r.Docker.Host, r.Registry.Addr,
		r.Moto.Endpoint)
	env.rig = r
	code := m.Run()
	if err := r.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: stopping the rig:", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}
