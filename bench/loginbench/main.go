// Command loginbench times `cdkpush login --print-password` against
// `aws ecr get-login-password` on one moto_server, side by side: the two
// commands run in turns, a number of rounds, and the medians and their
// ratio are printed. Both must print moto's password and a newline.
//
//	go run ./bench/loginbench -cdkpush bin/cdkpush -aws /usr/bin/aws
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/cdkpush/cdkpush/internal/rig"
)

func main() {
	cdkpush := flag.String("cdkpush", "bin/cdkpush", "cdkpush binary to time")
	awsCLI := flag.String("aws", "/usr/bin/aws", "aws CLI to time (Debian package awscli)")
	rounds := flag.Int("rounds", 15, "runs of each command")
	flag.Parse()
	if err := run(*cdkpush, *awsCLI, *rounds); err != nil {
		fmt.Fprintln(os.Stderr, "loginbench:", err)
		os.Exit(1)
	}
}

func run(cdkpush, awsCLI string, rounds int) error {
	if rounds < 1 {
		return fmt.Errorf("rounds %d: want 1 or more", rounds)
	}
	for _, bin := range []string{cdkpush, awsCLI} {
		if _, err := exec.LookPath(bin); err != nil {
			return fmt.Errorf("finding %s: %w", bin, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	dir, err := os.MkdirTemp("", "loginbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	moto, err := rig.StartMoto(ctx, filepath.Join(dir, "moto"))
	if err != nil {
		return err
	}
	defer func() { _ = moto.Stop() }()

	// Moto's settings, without the developer's AWS_* ones, and without the
	// empty ones, which the aws CLI takes for values (a profile named "").
	var env []string
	for _, kv := range append(os.Environ(), moto.Env()...) {
		if strings.HasPrefix(kv, "AWS_") && !slices.Contains(moto.Env(), kv) ||
			strings.HasSuffix(kv, "=") {
			continue
		}
		env = append(env, kv)
	}
	// The aws CLI must not page, prompt or read the developer's files.
	env = append(env, "AWS_PAGER=", "AWS_CLI_AUTO_PROMPT=off", "HOME="+dir)
	host := rig.DefaultAccount + ".dkr.ecr." + rig.DefaultRegion + ".amazonaws.com"
	commands := []struct {
		name string
		argv []string
	}{
		{"cdkpush login --print-password", []string{cdkpush, "login", "--print-password",
			"--registry", host, "--dir", dir}},
		// aws CLI 2.9 ignores AWS_ENDPOINT_URL, so the endpoint is a flag.
		{"aws ecr get-login-password", []string{awsCLI, "ecr", "get-login-password",
			"--region", rig.DefaultRegion, "--endpoint-url", moto.Endpoint}},
	}
	want := rig.DefaultRegistryPassword + "\n"
	times := make([][]time.Duration, len(commands))
	for round := range rounds + 1 {
		// Alternate the order, so neither command always runs on a warmer
		// machine than the other.
		for k := range commands {
			i := (k + round) % len(commands)
			c := commands[i]
			d, out, err := timeRun(ctx, c.argv, env)
			if err != nil {
				return fmt.Errorf("%s: %w", c.name, err)
			}
			if out != want {
				return fmt.Errorf("%s printed %q, want moto's password and a newline", c.name,
					out)
			}
			// Round 0 warms the page cache and moto; it is not counted.
			if round > 0 {
				times[i] = append(times[i], d)
			}
		}
	}

	version, _ := exec.CommandContext(ctx, awsCLI, "--version").Output()
	fmt.Printf("moto %s, %d runs each, in turns; aws CLI: %s\n", moto.Endpoint, rounds,
		strings.TrimSpace(string(version)))
	fmt.Printf("%-32s %10s %10s %10s\n", "command", "median", "min", "max")
	medians := make([]time.Duration, len(commands))
	for i, c := range commands {
		slices.Sort(times[i])
		medians[i] = median(times[i])
		fmt.Printf("%-32s %10s %10s %10s\n", c.name, ms(medians[i]), ms(times[i][0]),
			ms(times[i][len(times[i])-1]))
	}
	fmt.Printf("ratio (aws / cdkpush, medians): %.1fx\n",
		float64(medians[1])/float64(medians[0]))
	return nil
}

// timeRun runs argv with env and returns how long it took and its stdout.
func timeRun(ctx context.Context, argv, env []string) (time.Duration, string, error) {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if err != nil {
		return 0, "", fmt.Errorf("%w; stderr: %s", err, strings.TrimSpace(stderr.String()))
	}
	return d, stdout.String(), nil
}

// median of sorted durations.
func median(sorted []time.Duration) time.Duration {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
}
