package stackinfo

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
)

// Sources a Project can be resolved from, in Project.Sources, besides
// ConfigFile, ContextFile, SourceOutputsFile and SourceCloudFormation.
const (
	// SourceAssembly: the cloud assembly (cdk.out).
	SourceAssembly = "assembly"
	// SourceSTS: STS GetCallerIdentity, for the caller's account.
	SourceSTS = "sts"
)

// defaultConcurrency is how many stacks are looked up in CloudFormation at
// once when Options.Concurrency is not set.
const defaultConcurrency = 8

// Options says where to look and what to select. The zero value reads
// cdk.out in the current folder with no AWS calls.
type Options struct {
	// Dir is the project folder; empty means the current folder.
	Dir string
	// Config is the project's cdk.json, as ReadCDKConfig returns it.
	Config CDKConfig
	// CDKOut overrides the assembly folder named by cdk.json.
	CDKOut string
	// OutputsFile overrides the outputs file named by cdk.json.
	OutputsFile string
	// Stacks are glob patterns on stack names and display paths, where *
	// stays within one path segment and ** crosses them ("Prod/**"); none
	// selects every stack.
	Stacks []string
	// Region is used for environment-agnostic stacks.
	Region string
	// RegionSource says where Region came from (such as "--region" or
	// "profile"), for Stack.RegionSource; empty means "option".
	RegionSource string
	// Offline forbids every AWS call: Account and CloudFormation are not
	// used, and what only AWS knows stays unknown.
	Offline bool
	// Account returns the caller's account. It gives environment-agnostic
	// stacks their account, and keeps CloudFormation from being asked
	// about a stack of another account with the caller's credentials. Nil
	// leaves agnostic stacks' account unknown and skips that check.
	Account func(ctx context.Context) (string, error)
	// CloudFormation returns a client for a region, used to read the
	// deployed stacks. Nil means no such lookups.
	CloudFormation func(ctx context.Context, region string) (CloudFormationAPI, error)
	// Concurrency is how many stacks are looked up at once; 0 means 8.
	Concurrency int
	// Logger receives warnings and debug messages; nil discards them.
	Logger *slog.Logger
}

// Project is what Resolve found.
type Project struct {
	// AssemblyDir is the cloud assembly folder that was read.
	AssemblyDir string
	// OutputsFile is the outputs file that was read, if any.
	OutputsFile string
	// Sources are what the answer was resolved from, in this order when
	// used: ConfigFile, ContextFile, SourceAssembly, SourceOutputsFile,
	// SourceSTS, SourceCloudFormation.
	Sources []string
	// Context holds the project's context values (see CDKConfig.Context).
	Context map[string]any
	// Stacks are the selected stacks, ordered by display path.
	Stacks []Stack
	// Repositories are the selected stacks' ECR repositories: first those
	// the stacks define, in stack order, then by logical id; then those
	// the stacks' outputs name, in stack order, then by output key, unless
	// listed already.
	Repositories []Repository
	// Assets are the docker image assets of the selected stacks, ordered
	// by stack, then asset id.
	Assets []ImageAsset
	// Warnings are the warnings that were logged, one sentence each:
	// sources that disagree, stacks that are not deployed or failed,
	// values that stay unknown.
	Warnings []string
}

// Resolve reads the project's assembly, selects stacks, and finds the
// account and region of each, the name and URI of every ECR repository they
// define or name in an output, and their docker image assets.
//
// A repository name comes from the deployed stack, else the outputs file,
// else the assembly; when two of them disagree the first wins and a warning
// names both values. Unless Options.Offline is set, every selected stack
// is described in CloudFormation (and its resources listed when it defines
// repositories). A value that stays unknown (a stack that is not deployed,
// say) is a warning, not an error; a CloudFormation call that fails is an
// error.
func Resolve(ctx context.Context, opts Options) (*Project, error) {
	r := &resolver{opts: opts, log: opts.Logger, templates: map[int]*stackTemplate{}}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.opts.RegionSource == "" {
		r.opts.RegionSource = "option"
	}
	dir := opts.Dir
	if dir == "" {
		dir = "."
	}
	p := &Project{
		AssemblyDir:  pick(opts.CDKOut, opts.Config.Output, DefaultOutput),
		Sources:      append([]string{}, opts.Config.Files...),
		Context:      opts.Config.Context,
		Repositories: []Repository{},
		Assets:       []ImageAsset{},
		Warnings:     []string{},
	}
	r.p = p
	if !filepath.IsAbs(p.AssemblyDir) {
		p.AssemblyDir = filepath.Join(dir, p.AssemblyDir)
	}
	asm, err := ReadAssembly(p.AssemblyDir)
	if err != nil {
		return nil, err
	}
	r.asm = asm
	p.Sources = append(p.Sources, SourceAssembly)
	if r.selected, err = selectStacks(asm.Stacks, opts.Stacks); err != nil {
		return nil, err
	}
	if err := r.readOutputsFile(dir); err != nil {
		return nil, err
	}
	if err := r.fillEnvironments(ctx); err != nil {
		return nil, err
	}
	if err := r.readFiles(); err != nil {
		return nil, err
	}
	live, err := r.lookUp(ctx)
	if err != nil {
		return nil, err
	}
	for n, i := range r.selected {
		if err := r.resolveRepositories(i, live[n]); err != nil {
			return nil, err
		}
	}
	for n, i := range r.selected {
		if err := r.resolveOutputs(ctx, i, live[n]); err != nil {
			return nil, err
		}
	}
	for _, i := range r.selected {
		p.Stacks = append(p.Stacks, r.asm.Stacks[i])
	}
	sortAssets(p.Assets)
	return p, nil
}

// resolver holds the state of one Resolve.
type resolver struct {
	opts Options
	log  *slog.Logger
	p    *Project
	asm  *Assembly
	// selected are the indexes in asm.Stacks of the selected stacks.
	selected []int
	// templates are the stacks' templates read so far, by index.
	templates map[int]*stackTemplate
	outputs   Outputs
	// caller is the caller's account, when it was asked for.
	caller string
	// exports are the exports of the assembly's stacks, built on first
	// use: by account, region and name.
	exports map[string]exportRef
	// liveExports are CloudFormation's exports, by region, then name.
	liveExports map[string]map[string]string
	clients     map[string]CloudFormationAPI
}

// exportRef is the output of a stack of the assembly that an export names.
type exportRef struct {
	stack  int
	output templateOutput
}

// warn logs a warning and keeps it for Project.Warnings.
func (r *resolver) warn(msg string, args ...any) {
	r.log.Warn(msg, args...)
	var b strings.Builder
	b.WriteString(msg)
	for i := 0; i+1 < len(args); i += 2 {
		sep := ", "
		if i == 0 {
			sep = " ("
		}
		fmt.Fprintf(&b, "%s%v=%v", sep, args[i], args[i+1])
		if i+3 >= len(args) {
			b.WriteString(")")
		}
	}
	r.p.Warnings = append(r.p.Warnings, b.String())
}

// readOutputsFile reads the outputs file the options or cdk.json name.
func (r *resolver) readOutputsFile(dir string) error {
	name := pick(r.opts.OutputsFile, r.opts.Config.OutputsFile)
	if name == "" {
		return nil
	}
	if !filepath.IsAbs(name) {
		name = filepath.Join(dir, name)
	}
	outputs, err := ReadOutputsFile(name)
	switch {
	case err == nil:
		r.outputs = outputs
		r.p.OutputsFile = name
		r.p.Sources = append(r.p.Sources, SourceOutputsFile)
	case errors.Is(err, fs.ErrNotExist) && r.opts.OutputsFile == "":
		// cdk.json names the file, but nothing was deployed with
		// --outputs-file yet.
		r.log.Debug("outputs file not found", "file", name)
	default:
		return err
	}
	return nil
}

// online reports whether CloudFormation may be asked.
func (r *resolver) online() bool {
	return !r.opts.Offline && r.opts.CloudFormation != nil
}

// fillEnvironments resolves the account and region of environment-agnostic
// stacks from the caller's identity and the configured region. The caller's
// account is asked for when a selected stack needs it, or to check the
// stacks' accounts before CloudFormation is asked about them.
func (r *resolver) fillEnvironments(ctx context.Context) error {
	var agnostic *Stack
	for _, i := range r.selected {
		if s := &r.asm.Stacks[i]; s.Account == "" && agnostic == nil {
			agnostic = s
		}
	}
	if !r.opts.Offline && r.opts.Account != nil && (agnostic != nil || r.online()) {
		a, err := r.opts.Account(ctx)
		switch {
		case err != nil && agnostic != nil:
			return fmt.Errorf("finding the account of environment-agnostic stack %q "+
				"(pass --offline to resolve from files only): %w", agnostic.Name, err)
		case err != nil:
			return fmt.Errorf("finding the caller's account, to check it against the "+
				"stacks' accounts (pass --offline to resolve from files only): %w", err)
		}
		r.caller = a
		r.p.Sources = append(r.p.Sources, SourceSTS)
	}
	for i := range r.asm.Stacks {
		s := &r.asm.Stacks[i]
		if s.Region == "" && r.opts.Region != "" {
			s.Region, s.RegionSource = r.opts.Region, r.opts.RegionSource
			r.log.Debug("environment-agnostic stack: using the configured region",
				"stack", s.Name, "region", s.Region, "from", s.RegionSource)
		}
		if s.Account == "" && r.caller != "" {
			s.Account, s.AccountSource = r.caller, EnvCaller
			r.log.Debug("environment-agnostic stack: using the caller's account",
				"stack", s.Name, "account", s.Account)
		}
	}
	return nil
}

// template returns the template of stack i, reading it on first use.
func (r *resolver) template(i int) (*stackTemplate, error) {
	if t, ok := r.templates[i]; ok {
		return t, nil
	}
	t, err := readTemplate(r.asm.Stacks[i])
	if err != nil {
		return nil, err
	}
	r.templates[i] = t
	return t, nil
}

// readFiles reads the templates and asset manifests of the selected stacks,
// one stack per processor at a time. The first error, in stack order, wins.
func (r *resolver) readFiles() error {
	type result struct {
		t      *stackTemplate
		assets []ImageAsset
		err    error
	}
	results := make([]result, len(r.selected))
	// The path checker caches folders: it is not safe for concurrent use.
	var mu sync.Mutex
	paths := func(file string) ([]ImageAsset, error) {
		mu.Lock()
		defer mu.Unlock()
		return readImageAssets(r.asm.paths, file)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(r.selected)) {
		wg.Go(func() {
			for n := int(next.Add(1)) - 1; n < len(r.selected); n = int(next.Add(1)) - 1 {
				s := r.asm.Stacks[r.selected[n]]
				res := &results[n]
				if res.t, res.err = readTemplate(s); res.err != nil {
					continue
				}
				for _, file := range s.assetFiles {
					assets, err := paths(file)
					if err != nil {
						res.err = err
						break
					}
					for _, a := range assets {
						a.Stack, a.StackPath = s.Name, s.Path
						resolveDestinations(&a, s)
						res.assets = append(res.assets, a)
					}
				}
			}
		})
	}
	wg.Wait()
	for n, res := range results {
		if res.err != nil {
			return res.err
		}
		r.templates[r.selected[n]] = res.t
		r.p.Assets = append(r.p.Assets, res.assets...)
	}
	return nil
}

// pick returns the first non-empty value.
func pick(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
