// Command planbench times `cdkpush plan --offline --json` on a generated
// assembly of 500 stacks, 2,000 repositories and 200 docker image assets
// (see package synth), and reports the median wall time, the median CPU
// time (user and system) and the largest peak resident memory over a number
// of runs of the binary:
//
//	go run ./bench/planbench -cdkpush bin/cdkpush
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"syscall"
	"time"

	"github.com/cdkpush/cdkpush/bench/synth"
)

func main() {
	cdkpush := flag.String("cdkpush", "bin/cdkpush", "cdkpush binary to time")
	rounds := flag.Int("rounds", 15, "runs of the command")
	flag.Parse()
	if err := run(*cdkpush, *rounds); err != nil {
		fmt.Fprintln(os.Stderr, "planbench:", err)
		os.Exit(1)
	}
}

func run(cdkpush string, rounds int) error {
	dir, err := os.MkdirTemp("", "cdkpush-planbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := synth.WriteAssembly(dir, synth.Plan); err != nil {
		return err
	}
	var wall, cpu []time.Duration
	var maxRSS int64
	for range rounds {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		cmd := exec.CommandContext(ctx, cdkpush, "plan", "--offline", "--json", "--dir", dir)
		cmd.Env = append(os.Environ(), "DOCKER_HOST=unix:///nonexistent.sock",
			"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
			"AWS_REGION=us-east-1")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		start := time.Now()
		err := cmd.Run()
		elapsed := time.Since(start)
		cancel()
		if err != nil {
			return fmt.Errorf("running %s: %w\n%s", cdkpush, err, stderr.String())
		}
		if !bytes.Contains(stdout.Bytes(), []byte(`"repositories"`)) {
			return fmt.Errorf("%s printed no plan", cdkpush)
		}
		wall = append(wall, elapsed)
		cpu = append(cpu, cmd.ProcessState.UserTime()+cmd.ProcessState.SystemTime())
		if u, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			maxRSS = max(maxRSS, u.Maxrss) // KiB on Linux
		}
	}
	fmt.Printf("plan --offline on %d stacks, %d repositories, %d image assets, %d runs:\n",
		synth.Plan.Stacks, synth.Plan.Repositories, synth.Plan.Assets, rounds)
	fmt.Printf("  wall median %v, CPU median %v, peak RSS %.1f MiB\n",
		median(wall).Round(time.Millisecond), median(cpu).Round(time.Millisecond),
		float64(maxRSS)/1024)
	return nil
}

func median(d []time.Duration) time.Duration {
	slices.Sort(d)
	return d[len(d)/2]
}
