// Command demo runs cdkpush's main job on the bundled example CDK project
// (testdata/example) against a local rig: a private dockerd, a registry
// standing in for ECR, and moto standing in for AWS. It deploys the example
// stack, builds the example images, runs cdkpush, and shows what the
// registry then holds. `make demo` runs it.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/cdkpush/cdkpush/internal/rig"
)

func main() {
	binary := flag.String("cdkpush", "bin/cdkpush", "the cdkpush binary to run")
	project := flag.String("project", "testdata/example", "the example CDK project")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, *binary, *project)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, binary, project string) error {
	binary, err := filepath.Abs(binary)
	if err != nil {
		return err
	}
	step("starting the local rig (dockerd, registry, moto_server)")
	startCtx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	r, err := rig.Start(startCtx, rig.Options{})
	if err != nil {
		return fmt.Errorf("%w\nRun `make demo` as root: it installs the rig first", err)
	}
	defer func() {
		step("stopping the rig")
		if err := r.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "demo:", err)
		}
	}()
	fmt.Printf("    docker %s\n    registry %s (stands in for ECR)\n    moto %s\n",
		r.Docker.Host, r.Registry.Addr, r.Moto.Endpoint)

	step("deploying WebApiStack from " + project + "/cdk.out into moto")
	generated, err := r.Moto.DeployCDKStack(ctx, "us-east-1", "WebApiStack",
		filepath.Join(project, "cdk.out", "WebApiStack.template.json"), "demo")
	if err != nil {
		return err
	}
	worker := generated["WorkerRepoEE566D3E"]
	fmt.Printf("    CloudFormation named WorkerRepo %q; only the deployed stack knows it\n",
		worker)

	step("building the example images")
	for tag, dir := range map[string]string{"web-api:1.0.0": "image", "worker:1.0.0": "worker"} {
		id, err := r.Docker.BuildImage(ctx, filepath.Join(project, dir), tag, rig.BuildOptions{})
		if err != nil {
			return err
		}
		fmt.Printf("    %s = %s\n", tag, id)
	}

	args := []string{"--dir", project, "--registry-endpoint", r.Registry.Addr,
		"--image", "WebApiStack/WorkerRepo=worker:1.0.0"}
	step("running: cdkpush " + strings.Join(args, " "))
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append(os.Environ(), r.Moto.Env()...)
	cmd.Env = append(cmd.Env, "DOCKER_HOST="+r.Docker.Host)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("cdkpush: %w", err)
	}

	step("asking the registry what it now holds")
	for _, ref := range [][2]string{{"web-api", "1.0.0"}, {worker, "1.0.0"}} {
		digest, err := r.Registry.ManifestDigest(ctx, ref[0], ref[1])
		if err != nil {
			return err
		}
		fmt.Printf("    %s/%s:%s = %s\n", r.Registry.Addr, ref[0], ref[1], digest)
	}
	step("done: both images were pushed and confirmed")
	return nil
}

func step(msg string) { fmt.Printf("==> %s\n", msg) }
