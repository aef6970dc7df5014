package rig

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"
)

// SkipEnv is the environment variable that, set to "1", turns a missing component into a
// skipped test instead of a failed one.
const SkipEnv = "CDKPUSH_SKIP_E2E"

// ForTest starts a whole rig for one test and stops it when the test and its subtests
// end. A missing component fails the test with the install hint, unless CDKPUSH_SKIP_E2E=1
// is set, which skips it instead. Any other start failure fails the test.
func ForTest(tb testing.TB) *Rig {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	r, err := Start(ctx, Options{})
	if err != nil {
		if errors.Is(err, ErrMissingComponent) && os.Getenv(SkipEnv) == "1" {
			tb.Skipf("SKIPPING END-TO-END TEST because %s=1 and a rig component is missing "+
				"(this test did NOT run): %v", SkipEnv, err)
		}
		tb.Fatalf("%v", err)
	}
	tb.Logf("rig started in %v: docker %s, registry %s, moto %s",
		time.Since(start).Round(time.Millisecond), r.Docker.Host, r.Registry.Addr,
		r.Moto.Endpoint)
	tb.Cleanup(func() {
		if err := r.Stop(); err != nil {
			tb.Errorf("stop rig: %v", err)
		}
	})
	return r
}
