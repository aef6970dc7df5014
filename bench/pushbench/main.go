// Command pushbench times cdkpush against the shell script it replaces
// (bench/push.sh: aws ecr get-login-password piped into docker login, then
// docker tag and docker push one image after another), side by side on one
// rig: a private dockerd, a Distribution registry and moto.
//
// It deploys the BenchStack of testdata/repos (eight repositories, from a
// real `cdk synth`), builds eight local images of three layers of random
// data each, and then, in each run, times on a fresh, empty registry:
//
//   - the first push, by the script and by cdkpush, each on its own registry;
//   - the re-push with nothing changed, by each, on the registry it filled.
//
// It prints the medians, their ratios against the targets, and the
// peak resident memory of cdkpush. It is a benchmark, not a test: it never
// fails on slow figures.
//
//	go run ./bench/pushbench -cdkpush bin/cdkpush -aws /usr/bin/aws
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/moby/moby/client"

	"github.com/cdkpush/cdkpush/internal/rig"
)

// options are the benchmark's flags.
type options struct {
	cdkpush  string
	aws      string
	docker   string
	script   string
	app      string
	runs     int
	images   int
	layers   int
	layerMiB int
}

func main() {
	var o options
	flag.StringVar(&o.cdkpush, "cdkpush", "bin/cdkpush", "cdkpush binary to time")
	flag.StringVar(&o.aws, "aws", "/usr/bin/aws", "aws CLI of the script (Debian's awscli)")
	flag.StringVar(&o.docker, "docker", "", "docker CLI of the script (default: "+
		"/usr/local/bin/docker, else /usr/bin/docker)")
	flag.StringVar(&o.script, "script", "bench/push.sh", "the shell script cdkpush replaces")
	flag.StringVar(&o.app, "app", "testdata/repos", "CDK app with the BenchStack")
	flag.IntVar(&o.runs, "runs", 3, "runs of each measurement")
	flag.IntVar(&o.images, "images", 8, "local images, one per repository (at most 8)")
	flag.IntVar(&o.layers, "layers", 3, "layers per image")
	flag.IntVar(&o.layerMiB, "layer-mib", 8, "MiB of random data per layer")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "pushbench:", err)
		os.Exit(1)
	}
}

// sample is one timed run of a command.
type sample struct {
	wall time.Duration
	// maxRSS is the child's peak resident memory in bytes.
	maxRSS int64
}

func run(o options) error {
	if o.images < 1 || o.images > 8 {
		return fmt.Errorf("-images %d: want 1 to 8, the BenchStack's repositories", o.images)
	}
	if o.docker == "" {
		o.docker = "/usr/bin/docker"
		if _, err := os.Stat("/usr/local/bin/docker"); err == nil {
			o.docker = "/usr/local/bin/docker"
		}
	}
	var err error
	for _, p := range []*string{&o.cdkpush, &o.aws, &o.docker, &o.script, &o.app} {
		if *p, err = filepath.Abs(*p); err != nil {
			return err
		}
		if _, err := os.Stat(*p); err != nil {
			return fmt.Errorf("finding the benchmark's parts: %w", err)
		}
	}

	ctx := context.Background()
	start := time.Now()
	r, err := rig.Start(ctx, rig.Options{})
	if err != nil {
		return err
	}
	defer r.Stop()
	fmt.Fprintf(os.Stderr, "pushbench: rig up in %s\n", time.Since(start).Round(time.Millisecond))

	template := filepath.Join(o.app, "cdk.out", "BenchStack.template.json")
	if _, err := r.Moto.DeployCDKStack(ctx, rig.DefaultRegion, "BenchStack", template,
		"bench"); err != nil {
		return err
	}
	project, err := copyApp(o.app)
	if err != nil {
		return err
	}
	defer os.RemoveAll(project)

	fmt.Fprintf(os.Stderr, "pushbench: building %d images of %d layers of %d MiB\n",
		o.images, o.layers, o.layerMiB)
	var images []string
	for i := range o.images {
		ref := fmt.Sprintf("bench-%d:v1", i)
		if err := buildImage(ctx, r, ref, uint64(i)+1, o.layers, o.layerMiB<<20); err != nil {
			return err
		}
		images = append(images, ref)
	}

	b := &bench{o: o, rig: r, project: project, images: images}
	// An untimed round first, so that neither side pays for a cold engine.
	if _, _, err := b.round(ctx, "cdkpush"); err != nil {
		return err
	}
	var scriptFirst, scriptAgain, pushFirst, pushAgain []sample
	for i := range o.runs {
		order := []string{"script", "cdkpush"}
		if i%2 == 1 {
			slices.Reverse(order)
		}
		for _, who := range order {
			first, again, err := b.round(ctx, who)
			if err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "pushbench: run %d, %s: first push %s, re-push %s\n",
				i+1, who, first.wall.Round(time.Millisecond), again.wall.Round(time.Millisecond))
			if who == "script" {
				scriptFirst, scriptAgain = append(scriptFirst, first), append(scriptAgain, again)
			} else {
				pushFirst, pushAgain = append(pushFirst, first), append(pushAgain, again)
			}
		}
	}
	report(o, scriptFirst, scriptAgain, pushFirst, pushAgain)
	return nil
}

// bench holds what the runs share.
type bench struct {
	o       options
	rig     *rig.Rig
	project string
	images  []string
}

// round gives who ("script" or "cdkpush") a fresh, empty registry, and
// times a first push to it and a re-push with nothing changed.
func (b *bench) round(ctx context.Context, who string) (first, again sample, err error) {
	dir, err := os.MkdirTemp("", "pushbench-registry-")
	if err != nil {
		return first, again, err
	}
	defer os.RemoveAll(dir)
	reg, err := rig.StartRegistry(ctx, dir, "")
	if err != nil {
		return first, again, err
	}
	defer reg.Stop()
	defer b.untag(ctx, reg.Addr)

	do := b.cdkpush
	if who == "script" {
		do = b.script
	}
	if first, err = do(ctx, reg.Addr); err != nil {
		return first, again, fmt.Errorf("first push by %s: %w", who, err)
	}
	if again, err = do(ctx, reg.Addr); err != nil {
		return first, again, fmt.Errorf("re-push by %s: %w", who, err)
	}
	return first, again, b.check(ctx, reg)
}

// check makes sure every image reached the registry.
func (b *bench) check(ctx context.Context, reg *rig.Registry) error {
	for _, img := range b.images {
		name, tag, _ := strings.Cut(img, ":")
		if _, err := reg.ManifestDigest(ctx, name, tag); err != nil {
			return err
		}
	}
	return nil
}

// untag removes the registry tags the script left on the local images.
func (b *bench) untag(ctx context.Context, addr string) {
	for _, img := range b.images {
		_, _ = b.rig.Docker.Client.ImageRemove(ctx, addr+"/"+img, client.ImageRemoveOptions{})
	}
}

func (b *bench) cdkpush(ctx context.Context, addr string) (sample, error) {
	return b.time(ctx, exec.CommandContext(ctx, b.o.cdkpush, "--stack", "BenchStack",
		"--registry-endpoint", addr, "--quiet"), nil)
}

func (b *bench) script(ctx context.Context, addr string) (sample, error) {
	config, err := os.MkdirTemp("", "pushbench-docker-")
	if err != nil {
		return sample{}, err
	}
	defer os.RemoveAll(config)
	cmd := exec.CommandContext(ctx, "bash", append([]string{b.o.script, addr}, b.images...)...)
	path := filepath.Dir(b.o.aws) + string(os.PathListSeparator) + filepath.Dir(b.o.docker) +
		string(os.PathListSeparator) + os.Getenv("PATH")
	return b.time(ctx, cmd, []string{"DOCKER_CONFIG=" + config, "PATH=" + path})
}

// time runs cmd in the project with the rig's environment and extra
// variables, and measures its wall time and peak memory.
func (b *bench) time(_ context.Context, cmd *exec.Cmd, extra []string) (sample, error) {
	cmd.Dir = b.project
	env := append(os.Environ(), b.rig.Moto.Env()...)
	env = append(env, "DOCKER_HOST="+b.rig.Docker.Host, "DOCKER_CONTEXT=", "NO_COLOR=1")
	cmd.Env = environ(append(env, extra...))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		return sample{}, fmt.Errorf("%s: %w\n%s", strings.Join(cmd.Args, " "), err,
			out.String())
	}
	s := sample{wall: wall}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		s.maxRSS = ru.Maxrss << 10 // KiB on Linux
	}
	return s, nil
}

// environ keeps the last value of each variable and drops the empty ones:
// the aws CLI takes an empty AWS_PROFILE for a profile named "".
func environ(kvs []string) []string {
	last := map[string]string{}
	var keys []string
	for _, kv := range kvs {
		k, v, _ := strings.Cut(kv, "=")
		if _, ok := last[k]; !ok {
			keys = append(keys, k)
		}
		last[k] = v
	}
	var out []string
	for _, k := range keys {
		if last[k] != "" {
			out = append(out, k+"="+last[k])
		}
	}
	return out
}

// report prints the medians and ratios, with the targets.
func report(o options, scriptFirst, scriptAgain, pushFirst, pushAgain []sample) {
	sf, sa := median(scriptFirst), median(scriptAgain)
	pf, pa := median(pushFirst), median(pushAgain)
	var rss int64
	for _, s := range append(slices.Clone(pushFirst), pushAgain...) {
		rss = max(rss, s.maxRSS)
	}
	fmt.Printf("\npushbench: %d images x %d layers x %d MiB of random data, %d runs, "+
		"%d CPUs (%s)\n", o.images, o.layers, o.layerMiB, o.runs, runtime.NumCPU(), cpuModel())
	fmt.Printf("%-24s %10s %10s %8s %10s\n", "median wall time", "script", "cdkpush", "ratio",
		"target")
	row := func(name string, s, p time.Duration, target float64) {
		ratio := p.Seconds() / s.Seconds()
		verdict := "met"
		if ratio > target {
			verdict = "MISSED"
		}
		fmt.Printf("%-24s %9.2fs %9.2fs %8.3f %7s %s\n", name, s.Seconds(), p.Seconds(), ratio,
			fmt.Sprintf("<=%.2f", target), verdict)
	}
	row("first push", sf, pf, 0.6)
	row("re-push, nothing new", sa, pa, 0.15)
	verdict := "met"
	if rss >= 100<<20 {
		verdict = "MISSED"
	}
	fmt.Printf("%-24s %10s %6.1f MiB %8s %7s %s\n", "cdkpush peak RSS", "",
		float64(rss)/(1<<20), "", "<100MiB", verdict)
	fmt.Printf("all runs: first push script %s, cdkpush %s; re-push script %s, cdkpush %s\n",
		walls(scriptFirst), walls(pushFirst), walls(scriptAgain), walls(pushAgain))
}

func median(s []sample) time.Duration {
	w := make([]time.Duration, len(s))
	for i, x := range s {
		w[i] = x.wall
	}
	slices.Sort(w)
	if len(w) == 0 {
		return 0
	}
	if len(w)%2 == 1 {
		return w[len(w)/2]
	}
	return (w[len(w)/2-1] + w[len(w)/2]) / 2
}

func walls(s []sample) string {
	var parts []string
	for _, x := range s {
		parts = append(parts, fmt.Sprintf("%.2fs", x.wall.Seconds()))
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

// copyApp copies the app's cdk.json and cdk.out to a new folder.
func copyApp(app string) (string, error) {
	dst, err := os.MkdirTemp("", "pushbench-app-")
	if err != nil {
		return "", err
	}
	if err := os.CopyFS(filepath.Join(dst, "cdk.out"),
		os.DirFS(filepath.Join(app, "cdk.out"))); err != nil {
		return "", fmt.Errorf("copying %s: %w", app, err)
	}
	data, err := os.ReadFile(filepath.Join(app, "cdk.json"))
	if err != nil {
		return "", err
	}
	return dst, os.WriteFile(filepath.Join(dst, "cdk.json"), data, 0o644)
}

// buildImage builds a FROM scratch image of layers files of random data
// and tags it ref.
func buildImage(ctx context.Context, r *rig.Rig, ref string, seed uint64, layers,
	size int) error {
	dir, err := os.MkdirTemp("", "pushbench-image-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var key [32]byte
	key[0], key[1] = byte(seed), byte(seed>>8)
	rng := rand.NewChaCha8(key)
	dockerfile := "FROM scratch\n"
	for i := range layers {
		name := fmt.Sprintf("layer%d.bin", i)
		data := make([]byte, size)
		_, _ = rng.Read(data)
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
		dockerfile += fmt.Sprintf("COPY %s /%s\n", name, name)
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile),
		0o644); err != nil {
		return err
	}
	if _, err := r.Docker.BuildImage(ctx, dir, ref, rig.BuildOptions{}); err != nil {
		return err
	}
	return nil
}
