package e2e

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestPushInterrupted: SIGINT in the middle of a slow push stops it
// promptly with exit code 130, prints what finished, and leaves no tag of
// cdkpush's behind.
func TestPushInterrupted(t *testing.T) {
	for _, upload := range []string{"direct", "engine"} {
		t.Run(upload, func(t *testing.T) { testPushInterrupted(t, upload) })
	}
}

func testPushInterrupted(t *testing.T, upload string) {
	dir := deployPushStack(t)
	proxy := newFaultProxy(t)
	// 90 MB at 2 MB/s would take most of a minute.
	proxy.set(func(p *faultProxy) { p.bytesPerSecond = 2 << 20 })
	const mb = 1 << 20
	seed := uint64(9)
	if upload == "engine" {
		seed = 19
	}
	bigID := buildLayered(t, "push-plain:big-"+upload, seed, "", 30*mb, 30*mb, 30*mb)
	smallID := buildLayered(t, "push-frozen:small-"+upload, seed+1, "", 1024)
	// The small image is pushed first (the plan orders pushes by
	// repository), so one push finishes before the interrupt.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, env.binary, "--stack", "PushStack", "--concurrency", "1",
		"--registry-endpoint", proxy.Addr, "--json", "--upload", upload)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env.rig.Moto.Env()...)
	cmd.Env = append(cmd.Env, "DOCKER_HOST="+env.rig.Docker.Host, "NO_COLOR=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	// Wait until the big image is on its way.
	deadline := time.Now().Add(90 * time.Second)
	for proxy.Sent() < 4*mb {
		select {
		case err := <-done:
			t.Fatalf("cdkpush ended before the interrupt: %v\nstderr:\n%s", err, stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("the push sent %d bytes in 90s\nstderr:\n%s", proxy.Sent(), stderr.String())
		}
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	interrupted := time.Now()
	var err error
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("cdkpush still running 10s after SIGINT\nstderr:\n%s", stderr.String())
	}
	took := time.Since(interrupted)
	t.Logf("exit %v %s after SIGINT\nstdout:\n%s\nstderr:\n%s", err, took, stdout.String(),
		stderr.String())

	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 130 {
		t.Errorf("cdkpush ended with %v, want exit code 130", err)
	}
	if !strings.Contains(stderr.String(), "cdkpush: interrupted") {
		t.Errorf("stderr lacks \"cdkpush: interrupted\"")
	}
	results := byRepository(t, decodeReport(t, stdout.String()))
	if r := results[repoFrozen+":small-"+upload]; r.Status != "pushed" {
		t.Errorf("the push that finished = %+v, want pushed", r)
	}
	if r := results[repoPlain+":big-"+upload]; r.Status != "cancelled" {
		t.Errorf("the interrupted push = %+v, want cancelled", r)
	}
	if d := registryDigest(t, repoPlain, "big-"+upload); d != "" {
		t.Errorf("the registry holds %s for the interrupted push, want nothing", d)
	}
	withoutRegistryTags(t, proxy.Addr)
	for id, want := range map[string]string{bigID: "push-plain:big-" + upload,
		smallID: "push-frozen:small-" + upload} {
		if tags := localTags(t, id); len(tags) != 1 || tags[0] != want {
			t.Errorf("local tags %q, want only %s", tags, want)
		}
	}
}
