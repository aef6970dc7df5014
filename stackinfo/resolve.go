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

	"github.com/bmatcuk/doublestar/v4"

	"github.com/cdkpush/cdkpush/login"
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

// stackLive is what CloudFormation said about one selected stack.
type stackLive struct {
	// asked: CloudFormation was asked about the stack.
	asked bool
	// usable: the stack is deployed, in a state whose outputs and
	// resources can be used.
	usable   bool
	stack    liveStack
	physical map[string]string
	err      error
}

// lookUp asks CloudFormation about every selected stack it may be asked
// about, a few at a time, and records each stack's status. It returns one
// stackLive per selected stack.
func (r *resolver) lookUp(ctx context.Context) ([]stackLive, error) {
	live := make([]stackLive, len(r.selected))
	if !r.online() {
		for _, i := range r.selected {
			r.asm.Stacks[i].StatusReason = "not looked up: offline"
		}
		return live, nil
	}
	type job struct {
		n   int
		api CloudFormationAPI
	}
	var jobs []job
	for n, i := range r.selected {
		s := &r.asm.Stacks[i]
		switch {
		case s.Region == "":
			s.StatusReason = "not looked up: the region is unknown (pass --region)"
			r.warn("stack region unknown: pass --region", "stack", s.Name)
			continue
		case s.Account != "" && r.caller != "" && s.Account != r.caller:
			// TODO: assume the stack's lookup role (properties.lookupRole
			// of its artifact), as the CDK CLI does, to read a stack of
			// another account. Until then such a stack is not looked up,
			// rather than looked up in the wrong account.
			s.StatusReason = fmt.Sprintf("not looked up: the credentials are for account "+
				"%s, not the stack's account %s", r.caller, s.Account)
			r.warn("stack is in another account than the credentials: not looked up",
				"stack", s.Name, "account", s.Account, "caller", r.caller,
				"lookupRole", r.lookupRole(*s))
			continue
		}
		api, err := r.client(ctx, s.Region)
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, job{n, api})
	}
	if len(jobs) > 0 {
		r.p.Sources = append(r.p.Sources, SourceCloudFormation)
	}
	limit := r.opts.Concurrency
	if limit < 1 {
		limit = defaultConcurrency
	}
	sem := make(chan struct{}, limit)
	done := make(chan struct{})
	for _, j := range jobs {
		go func() {
			sem <- struct{}{}
			defer func() { <-sem; done <- struct{}{} }()
			i := r.selected[j.n]
			live[j.n] = r.lookUpStack(ctx, j.api, r.asm.Stacks[i], len(r.templates[i].repos))
		}()
	}
	for range jobs {
		<-done
	}
	for _, j := range jobs {
		l := live[j.n]
		if l.err != nil {
			return nil, l.err
		}
		s := &r.asm.Stacks[r.selected[j.n]]
		s.Status, s.StatusReason = l.stack.status, l.stack.reason
		switch {
		case l.stack.status == StatusNotDeployed:
			r.warn("stack is not deployed", "stack", s.Name, "region", s.Region)
		case troubledStatus(l.stack.status):
			r.warn("stack is in a failed or unfinished state", "stack", s.Name,
				"status", l.stack.status, "reason", l.stack.reason)
		}
	}
	return live, nil
}

// lookUpStack describes one stack and, when it is usable and defines
// repositories, lists its resources.
func (r *resolver) lookUpStack(ctx context.Context, api CloudFormationAPI, s Stack,
	repos int) stackLive {
	l := stackLive{asked: true}
	st, err := describeStack(ctx, api, s.Name)
	if errors.Is(err, ErrStackNotDeployed) {
		l.stack.status = StatusNotDeployed
		return l
	}
	if err != nil {
		l.err = err
		return l
	}
	l.stack = st
	l.usable = usableStatus(st.status)
	if !l.usable || repos == 0 {
		return l
	}
	l.physical, l.err = physicalIDs(ctx, api, s.Name)
	if errors.Is(l.err, ErrStackNotDeployed) {
		// Deleted between the two calls.
		l.err, l.usable, l.stack.status = nil, false, StatusNotDeployed
	}
	return l
}

// client returns the CloudFormation client of region, made on first use.
func (r *resolver) client(ctx context.Context, region string) (CloudFormationAPI, error) {
	if api, ok := r.clients[region]; ok {
		return api, nil
	}
	api, err := r.opts.CloudFormation(ctx, region)
	if err != nil {
		return nil, err
	}
	if r.clients == nil {
		r.clients = map[string]CloudFormationAPI{}
	}
	r.clients[region] = api
	return api, nil
}

// lookupRole returns the ARN of the stack's lookup role, placeholders
// replaced where they can be.
func (r *resolver) lookupRole(s Stack) string {
	arn, ok := replacePlaceholders(s.lookupRole, s.Account, s.Region)
	if !ok {
		return s.lookupRole
	}
	return arn
}

// candidate is one source's value for a repository name or an output.
type candidate struct {
	value, source string
}

// sourceLabel names a source in a warning.
func sourceLabel(source string) string {
	switch source {
	case SourceCloudFormation:
		return "the deployed stack"
	case SourceOutputsFile:
		return "the outputs file"
	case SourceExport:
		return "the CloudFormation export"
	}
	return "the assembly"
}

// resolveRepositories settles the names and URIs of stack i's repositories
// and adds them to the project.
func (r *resolver) resolveRepositories(i int, live stackLive) error {
	s := r.asm.Stacks[i]
	t := r.templates[i]
	fileOutputs := r.outputs[s.Name]
	repos := make([]Repository, len(t.repos))
	copy(repos, t.repos)
	var unknown []string
	for k := range repos {
		repo := &repos[k]
		var cands []candidate
		if live.usable {
			if name := live.physical[repo.LogicalID]; name != "" {
				cands = append(cands, candidate{name, SourceCloudFormation})
			} else if name, ok := nameFromOutputs(repo, live.stack.outputs); ok {
				cands = append(cands, candidate{name, SourceCloudFormation})
			}
		}
		if name, ok := nameFromOutputs(repo, fileOutputs); ok {
			cands = append(cands, candidate{name, SourceOutputsFile})
		}
		if repo.Name != "" {
			cands = append(cands, candidate{repo.Name, SourceTemplate})
		}
		repo.Name, repo.Source = "", ""
		if len(cands) > 0 {
			repo.Name, repo.Source = cands[0].value, cands[0].source
			r.warnDisagreement("repository name", s, repo.Path, cands)
		}
		if err := r.setURI(s, repo); err != nil {
			return err
		}
		if repo.Name == "" {
			unknown = append(unknown, repo.Path)
		}
	}
	if len(unknown) > 0 {
		// One warning per stack: a large project offline would otherwise
		// repeat the same sentence for every generated name.
		hint := "deploy the stack, or pass the outputs file"
		if r.opts.Offline {
			hint = "it is generated at deploy time: pass the outputs file, " +
				"or leave out --offline"
		}
		r.warn("repository name unknown: "+hint, "stack", s.Name,
			"path", strings.Join(unknown, ","))
	}
	r.p.Repositories = append(r.p.Repositories, repos...)
	return nil
}

// resolveOutputs adds to the project the repositories that stack i's
// outputs name, unless they are listed already.
func (r *resolver) resolveOutputs(ctx context.Context, i int, live stackLive) error {
	s := r.asm.Stacks[i]
	t := r.templates[i]
	fileOutputs := r.outputs[s.Name]
	names := map[string]string{}
	for _, repo := range t.repos {
		if repo.Source == SourceTemplate {
			names[repo.LogicalID] = repo.Name
		}
	}
	ev := &evaluator{stack: s, names: names, importValue: r.importValue}
	for _, o := range t.outputs {
		if o.tied >= 0 {
			continue
		}
		var cands []candidate
		if v, ok := live.stack.outputs[o.key]; ok && live.usable {
			cands = append(cands, candidate{v, SourceCloudFormation})
		}
		if v, ok := fileOutputs[o.key]; ok {
			cands = append(cands, candidate{v, SourceOutputsFile})
		}
		if v, ok := ev.eval(o.value); ok {
			cands = append(cands, candidate{v, SourceTemplate})
		}
		if len(cands) == 0 {
			v, ok, err := r.exportValue(ctx, s, live, o, ev)
			if err != nil {
				return err
			}
			if ok {
				cands = append(cands, candidate{v, SourceExport})
			}
		}
		if err := r.addOutputRepository(s, o, cands); err != nil {
			return err
		}
	}
	return nil
}

// nameFromOutputs returns the repository name one of the repository's
// outputs gives in outputs (CloudFormation's or the outputs file's).
func nameFromOutputs(repo *Repository, outputs map[string]string) (string, bool) {
	for _, key := range sortedKeys(repo.outputs) {
		value, ok := outputs[key]
		if !ok {
			continue
		}
		if name, ok := nameFromOutput(value, repo.outputs[key]); ok {
			return name, true
		}
	}
	return "", false
}

// warnDisagreement warns about every candidate whose value differs from the
// first one, which wins.
func (r *resolver) warnDisagreement(what string, s Stack, path string, cands []candidate) {
	for _, c := range cands[1:] {
		if c.value == cands[0].value {
			continue
		}
		r.warn(fmt.Sprintf("%s: %s says %q, %s says %q; using %q", what,
			sourceLabel(cands[0].source), cands[0].value, sourceLabel(c.source), c.value,
			cands[0].value), "stack", s.Name, "path", path)
	}
}

// setURI fills in the repository's URI once its name, account and region
// are known.
func (r *resolver) setURI(s Stack, repo *Repository) error {
	if repo.Name == "" || repo.Account == "" || repo.Region == "" {
		return nil
	}
	host, err := login.RegistryHost(repo.Account, repo.Region)
	if err != nil {
		return fmt.Errorf("stack %q: %w", s.Name, err)
	}
	repo.URI = host + "/" + repo.Name
	return nil
}

// exportValue returns the value of an output that imports an export no
// other source knows, from CloudFormation's exports of the stack's region:
// listed once per region, and only when the stack may be looked up.
func (r *resolver) exportValue(ctx context.Context, s Stack, live stackLive, o templateOutput,
	ev *evaluator) (string, bool, error) {
	m, ok := o.value.(map[string]any)
	if !ok || len(m) != 1 || !live.asked {
		return "", false, nil
	}
	arg, ok := m["Fn::ImportValue"]
	if !ok {
		return "", false, nil
	}
	name, ok := ev.eval(arg)
	if !ok {
		return "", false, nil
	}
	exports, ok := r.liveExports[s.Region]
	if !ok {
		api, err := r.client(ctx, s.Region)
		if err != nil {
			return "", false, err
		}
		exports, err = listExports(ctx, api)
		if err != nil {
			return "", false, fmt.Errorf("resolving output %s of stack %q: %w",
				o.key, s.Name, err)
		}
		if r.liveExports == nil {
			r.liveExports = map[string]map[string]string{}
		}
		r.liveExports[s.Region] = exports
	}
	v, ok := exports[name]
	if !ok {
		r.log.Debug("export not found", "stack", s.Name, "output", o.key, "export", name)
	}
	return v, ok, nil
}

// addOutputRepository adds the repository an output names, when the value
// that wins is a repository URI of a repository not already listed.
func (r *resolver) addOutputRepository(s Stack, o templateOutput, cands []candidate) error {
	if len(cands) == 0 {
		return nil
	}
	path, err := s.metadata.pathOf(o.key)
	if err != nil {
		return err
	}
	if path == "" {
		path = joinPath(s.Path, o.key)
	}
	uri, ok := repositoryURI(cands[0].value)
	if !ok {
		for _, c := range cands[1:] {
			if _, ok := repositoryURI(c.value); ok {
				r.warnDisagreement("output", s, path, cands)
				break
			}
		}
		return nil
	}
	r.warnDisagreement("output", s, path, cands)
	repo := Repository{
		Stack:     s.Name,
		Path:      path,
		LogicalID: o.key,
		Kind:      KindOutput,
		Name:      uri.Name,
		Account:   uri.Registry.AccountID,
		Region:    uri.Registry.Region,
		Source:    cands[0].source,
	}
	if err := r.setURI(s, &repo); err != nil {
		return err
	}
	for _, known := range r.p.Repositories {
		if known.URI == repo.URI {
			r.log.Debug("output names a repository already listed", "stack", s.Name,
				"output", o.key, "repository", known.Path)
			return nil
		}
	}
	r.p.Repositories = append(r.p.Repositories, repo)
	return nil
}

// importValue evaluates, from the assembly, the export name of the account
// and region of stack s.
func (r *resolver) importValue(s Stack, name string, depth int) (string, bool) {
	if s.Account == "" || s.Region == "" {
		return "", false
	}
	if r.exports == nil {
		r.indexExports()
	}
	ref, ok := r.exports[s.Account+"/"+s.Region+"/"+name]
	if !ok {
		return "", false
	}
	src := r.asm.Stacks[ref.stack]
	names := map[string]string{}
	for _, repo := range r.templates[ref.stack].repos {
		if repo.Source == SourceTemplate {
			names[repo.LogicalID] = repo.Name
		}
	}
	ev := &evaluator{stack: src, names: names, importValue: r.importValue, depth: depth}
	return ev.eval(ref.output.value)
}

// indexExports indexes the exported outputs of every stack of the assembly
// whose account and region are known, reading the templates not read yet.
// A template that cannot be read is skipped with a warning: only the
// selected stacks' templates must be sound.
func (r *resolver) indexExports() {
	r.exports = map[string]exportRef{}
	for i, s := range r.asm.Stacks {
		if s.Account == "" || s.Region == "" {
			continue
		}
		t, err := r.template(i)
		if err != nil {
			r.warn("reading a template for its exports", "stack", s.Name, "error", err)
			continue
		}
		ev := &evaluator{stack: s}
		for _, o := range t.outputs {
			if o.export == nil {
				continue
			}
			if name, ok := ev.eval(o.export); ok {
				r.exports[s.Account+"/"+s.Region+"/"+name] = exportRef{i, o}
			}
		}
	}
}

// selectStacks returns the indexes of the stacks whose name or display path
// matches one of the patterns; no pattern selects them all. A pattern that
// matches nothing is an error, as a typo would otherwise push nothing in
// silence.
func selectStacks(stacks []Stack, patterns []string) ([]int, error) {
	var out []int
	used := make([]bool, len(patterns))
	for i, s := range stacks {
		keep := len(patterns) == 0
		for j, pat := range patterns {
			ok, err := matchStack(pat, s)
			if err != nil {
				return nil, err
			}
			if ok {
				used[j], keep = true, true
			}
		}
		if keep {
			out = append(out, i)
		}
	}
	for i, pat := range patterns {
		if !used[i] {
			names := make([]string, len(stacks))
			for j, s := range stacks {
				names[j] = s.Path
			}
			return nil, fmt.Errorf("stack pattern %q matches no stack (stacks: %s): %w",
				pat, strings.Join(names, ", "), ErrStackSelection)
		}
	}
	return out, nil
}

// ErrStackSelection marks a stack pattern that is malformed or matches no
// stack: a mistake in what the user asked for.
var ErrStackSelection = errors.New("check the stack selection")

// matchStack reports whether pattern matches the stack's name or display
// path. Display paths always use '/', whatever the OS.
func matchStack(pattern string, s Stack) (bool, error) {
	for _, name := range []string{s.Name, s.Path} {
		ok, err := doublestar.Match(pattern, name)
		if err != nil {
			return false, fmt.Errorf("stack pattern %q: %w: %w", pattern, err, ErrStackSelection)
		}
		if ok {
			return true, nil
		}
	}
	return false, nil
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
