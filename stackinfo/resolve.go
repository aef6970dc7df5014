package stackinfo

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"strings"

	"github.com/cdkpush/cdkpush/login"
)

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
	// Stacks are glob patterns (path.Match) on stack names and display
	// paths; none selects every stack.
	Stacks []string
	// Region is used for environment-agnostic stacks.
	Region string
	// Account returns the caller's account, used for environment-agnostic
	// stacks. Nil leaves their account unknown.
	Account func(ctx context.Context) (string, error)
	// CloudFormation returns a client for a region, used to read generated
	// repository names from deployed stacks. Nil means no such lookups.
	CloudFormation func(ctx context.Context, region string) (CloudFormationAPI, error)
	// Logger receives warnings and debug messages; nil discards them.
	Logger *slog.Logger
}

// Project is what Resolve found.
type Project struct {
	// AssemblyDir is the cloud assembly folder that was read.
	AssemblyDir string
	// OutputsFile is the outputs file that was read, if any.
	OutputsFile string
	// Stacks are the selected stacks, ordered by display path.
	Stacks []Stack
	// Repositories are the selected stacks' ECR repositories, in stack
	// order, then by logical id.
	Repositories []Repository
}

// Resolve reads the project's assembly, selects stacks, and finds the name,
// account, region and URI of every ECR repository they define. A name the
// template does not give is taken from the outputs file, else from the
// deployed stack; one that stays unknown (the stack is not deployed, say) is
// logged, not an error. A CloudFormation call that fails is an error.
func Resolve(ctx context.Context, opts Options) (*Project, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	dir := opts.Dir
	if dir == "" {
		dir = "."
	}
	p := &Project{AssemblyDir: pick(opts.CDKOut, opts.Config.Output, DefaultOutput)}
	if !filepath.IsAbs(p.AssemblyDir) {
		p.AssemblyDir = filepath.Join(dir, p.AssemblyDir)
	}
	stacks, err := ReadAssembly(p.AssemblyDir)
	if err != nil {
		return nil, err
	}
	if p.Stacks, err = selectStacks(stacks, opts.Stacks); err != nil {
		return nil, err
	}
	if err := fillEnvironments(ctx, p.Stacks, opts, log); err != nil {
		return nil, err
	}

	var outputs Outputs
	if name := pick(opts.OutputsFile, opts.Config.OutputsFile); name != "" {
		if !filepath.IsAbs(name) {
			name = filepath.Join(dir, name)
		}
		outputs, err = ReadOutputsFile(name)
		switch {
		case err == nil:
			p.OutputsFile = name
		case errors.Is(err, fs.ErrNotExist) && opts.OutputsFile == "":
			// cdk.json names the file, but nothing was deployed with
			// --outputs-file yet.
			log.Debug("outputs file not found", "file", name)
		default:
			return nil, err
		}
	}

	for _, s := range p.Stacks {
		repos, err := readRepositories(s)
		if err != nil {
			return nil, err
		}
		for i := range repos {
			nameFromOutputs(&repos[i], outputs[s.Name])
		}
		if err := nameFromStack(ctx, s, repos, opts, log); err != nil {
			return nil, err
		}
		for i := range repos {
			r := &repos[i]
			if r.Name == "" {
				log.Warn("repository name unknown: deploy the stack, or pass the outputs file",
					"stack", s.Name, "path", r.Path)
				continue
			}
			if r.Account != "" && r.Region != "" {
				host, err := login.RegistryHost(r.Account, r.Region)
				if err != nil {
					return nil, fmt.Errorf("stack %q: %w", s.Name, err)
				}
				r.URI = host + "/" + r.Name
			}
		}
		p.Repositories = append(p.Repositories, repos...)
	}
	return p, nil
}

// nameFromOutputs fills in a generated name from the stack's outputs.
func nameFromOutputs(r *Repository, outputs map[string]string) {
	if r.Name != "" {
		return
	}
	for _, key := range sortedKeys(r.outputs) {
		value, ok := outputs[key]
		if !ok {
			continue
		}
		if name, ok := nameFromOutput(value, r.outputs[key]); ok {
			r.Name, r.Source = name, SourceOutputsFile
			return
		}
	}
}

// nameFromStack fills in generated names from the deployed stack, when some
// are still unknown and CloudFormation may be asked.
func nameFromStack(ctx context.Context, s Stack, repos []Repository, opts Options,
	log *slog.Logger) error {
	unknown := false
	for _, r := range repos {
		unknown = unknown || r.Name == ""
	}
	if !unknown || opts.CloudFormation == nil {
		return nil
	}
	if s.Region == "" {
		log.Warn("stack region unknown: pass --region", "stack", s.Name)
		return nil
	}
	api, err := opts.CloudFormation(ctx, s.Region)
	if err != nil {
		return err
	}
	ids, err := physicalIDs(ctx, api, s.Name)
	if errors.Is(err, ErrStackNotDeployed) {
		log.Warn("stack is not deployed", "stack", s.Name, "region", s.Region)
		return nil
	}
	if err != nil {
		return err
	}
	for i := range repos {
		if name := ids[repos[i].LogicalID]; repos[i].Name == "" && name != "" {
			repos[i].Name, repos[i].Source = name, SourceCloudFormation
		}
	}
	return nil
}

// fillEnvironments resolves the account and region of environment-agnostic
// stacks from the caller's identity and the configured region.
func fillEnvironments(ctx context.Context, stacks []Stack, opts Options, log *slog.Logger) error {
	var account string
	for i := range stacks {
		s := &stacks[i]
		if s.Region == "" && opts.Region != "" {
			s.Region = opts.Region
			log.Debug("environment-agnostic stack: using the configured region",
				"stack", s.Name, "region", s.Region)
		}
		if s.Account != "" || opts.Account == nil {
			continue
		}
		if account == "" {
			a, err := opts.Account(ctx)
			if err != nil {
				return fmt.Errorf("finding the account of environment-agnostic stack %q: %w",
					s.Name, err)
			}
			account = a
		}
		s.Account = account
		log.Debug("environment-agnostic stack: using the caller's account",
			"stack", s.Name, "account", account)
	}
	return nil
}

// selectStacks keeps the stacks whose name or display path matches one of
// the patterns; no pattern keeps them all. A pattern that matches nothing is
// an error, as a typo would otherwise push nothing in silence.
func selectStacks(stacks []Stack, patterns []string) ([]Stack, error) {
	if len(patterns) == 0 {
		return stacks, nil
	}
	var out []Stack
	used := make([]bool, len(patterns))
	for _, s := range stacks {
		keep := false
		for i, pat := range patterns {
			ok, err := matchStack(pat, s)
			if err != nil {
				return nil, err
			}
			if ok {
				used[i], keep = true, true
			}
		}
		if keep {
			out = append(out, s)
		}
	}
	for i, pat := range patterns {
		if !used[i] {
			names := make([]string, len(stacks))
			for j, s := range stacks {
				names[j] = s.Path
			}
			return nil, fmt.Errorf("stack pattern %q matches no stack (stacks: %s)",
				pat, strings.Join(names, ", "))
		}
	}
	return out, nil
}

func matchStack(pattern string, s Stack) (bool, error) {
	for _, name := range []string{s.Name, s.Path} {
		ok, err := filepath.Match(pattern, name)
		if err != nil {
			return false, fmt.Errorf("stack pattern %q: %w", pattern, err)
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
