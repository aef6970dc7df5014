package stackinfo

import (
	"context"
	"fmt"
	"strings"

	"github.com/cdkpush/cdkpush/login"
)

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
