package stackinfo

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Artifact types of the cloud assembly schema that cdkpush reads. Others are
// ignored.
const (
	artifactStack    = "aws:cloudformation:stack"
	artifactAssembly = "cdk:cloud-assembly"
)

// maxAssemblyMajor is the newest major version of the cloud assembly schema
// this package was written and tested against. A newer major may change the
// fields read here, so it is refused rather than misread.
const maxAssemblyMajor = 99

// Stack is one CloudFormation stack of the cloud assembly.
type Stack struct {
	// ID is the artifact id in the manifest.
	ID string `json:"id"`
	// Name is the CloudFormation stack name: properties.stackName, or the
	// artifact id when that is absent.
	Name string `json:"name"`
	// Path is the hierarchical display name, such as "Prod/RepoStack".
	Path string `json:"path"`
	// Account and Region come from the artifact's environment. Both are
	// empty for an environment-agnostic stack until resolved.
	Account string `json:"account"`
	Region  string `json:"region"`
	// TemplateFile is the path of the stack's template.
	TemplateFile string `json:"-"`
}

type manifest struct {
	Version   string              `json:"version"`
	Artifacts map[string]artifact `json:"artifacts"`
}

type artifact struct {
	Type        string          `json:"type"`
	Environment string          `json:"environment"`
	DisplayName string          `json:"displayName"`
	Properties  json.RawMessage `json:"properties"`
}

type stackProperties struct {
	TemplateFile string `json:"templateFile"`
	StackName    string `json:"stackName"`
}

type nestedProperties struct {
	DirectoryName string `json:"directoryName"`
	DisplayName   string `json:"displayName"`
}

// ReadAssembly reads the cloud assembly in dir and every nested assembly
// (CDK Stages) below it, and returns their stacks ordered by display path.
func ReadAssembly(dir string) ([]Stack, error) {
	r := assemblyReader{seen: map[string]bool{}}
	if err := r.read(dir, ""); err != nil {
		return nil, err
	}
	sort.SliceStable(r.stacks, func(i, j int) bool { return r.stacks[i].Path < r.stacks[j].Path })
	return r.stacks, nil
}

type assemblyReader struct {
	seen   map[string]bool
	stacks []Stack
}

// read reads the assembly in dir, whose stacks' display paths start with
// prefix when it is nested.
func (r *assemblyReader) read(dir, prefix string) error {
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return fmt.Errorf("reading cloud assembly %s: %w", dir, err)
	}
	if r.seen[real] {
		return fmt.Errorf("reading cloud assembly %s: it refers back to an assembly "+
			"already being read", dir)
	}
	r.seen[real] = true

	path := filepath.Join(dir, "manifest.json")
	var m manifest
	if err := readJSONFile(path, &m); err != nil {
		return err
	}
	if err := checkVersion(m.Version); err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	ids := make([]string, 0, len(m.Artifacts))
	for id := range m.Artifacts {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		a := m.Artifacts[id]
		where := fmt.Sprintf("%s: artifacts.%s", path, id)
		switch a.Type {
		case artifactStack:
			s, err := stackFromArtifact(dir, id, a, where)
			if err != nil {
				return err
			}
			if s.Path == "" {
				s.Path = joinPath(prefix, id)
			}
			r.stacks = append(r.stacks, s)
		case artifactAssembly:
			var p nestedProperties
			if err := json.Unmarshal(a.Properties, &p); err != nil {
				return fmt.Errorf("%s.properties: %w", where, err)
			}
			sub, err := localPath(dir, p.DirectoryName)
			if err != nil {
				return fmt.Errorf("%s.properties.directoryName: %w", where, err)
			}
			name := p.DisplayName
			if name == "" {
				name = joinPath(prefix, id)
			}
			if err := r.read(sub, name); err != nil {
				return err
			}
		}
	}
	return nil
}

func stackFromArtifact(dir, id string, a artifact, where string) (Stack, error) {
	var p stackProperties
	if err := json.Unmarshal(a.Properties, &p); err != nil {
		return Stack{}, fmt.Errorf("%s.properties: %w", where, err)
	}
	tmpl, err := localPath(dir, p.TemplateFile)
	if err != nil {
		return Stack{}, fmt.Errorf("%s.properties.templateFile: %w", where, err)
	}
	account, region, err := parseEnvironment(a.Environment)
	if err != nil {
		return Stack{}, fmt.Errorf("%s.environment: %w", where, err)
	}
	name := p.StackName
	if name == "" {
		name = id
	}
	return Stack{
		ID:           id,
		Name:         name,
		Path:         a.DisplayName,
		Account:      account,
		Region:       region,
		TemplateFile: tmpl,
	}, nil
}

// localPath joins dir and a path taken from an assembly file, refusing any
// path that is empty, absolute or leads outside dir.
func localPath(dir, rel string) (string, error) {
	if rel == "" {
		return "", fmt.Errorf("path is missing")
	}
	if !filepath.IsLocal(rel) {
		return "", fmt.Errorf("path %q leads outside the assembly folder %s", rel, dir)
	}
	return filepath.Join(dir, rel), nil
}

// parseEnvironment splits "aws://ACCOUNT/REGION". The CDK writes
// "unknown-account" and "unknown-region" for an environment-agnostic stack;
// those come back empty.
func parseEnvironment(env string) (account, region string, err error) {
	rest, ok := strings.CutPrefix(env, "aws://")
	if !ok {
		return "", "", fmt.Errorf("environment %q does not start with aws://", env)
	}
	account, region, ok = strings.Cut(rest, "/")
	if !ok || account == "" || region == "" || strings.Contains(region, "/") {
		return "", "", fmt.Errorf("environment %q is not aws://ACCOUNT/REGION", env)
	}
	if account == "unknown-account" {
		account = ""
	}
	if region == "unknown-region" {
		region = ""
	}
	return account, region, nil
}

// checkVersion refuses a manifest whose schema major version is missing,
// malformed or newer than this package knows.
func checkVersion(v string) error {
	majorText, _, _ := strings.Cut(v, ".")
	major, err := strconv.Atoi(majorText)
	if err != nil || major < 0 {
		return fmt.Errorf("cloud assembly version %q is not a version number", v)
	}
	if major > maxAssemblyMajor {
		return fmt.Errorf("cloud assembly version %q is newer than this cdkpush "+
			"understands (major %d at most): upgrade cdkpush", v, maxAssemblyMajor)
	}
	return nil
}

func joinPath(prefix, id string) string {
	if prefix == "" {
		return id
	}
	return prefix + "/" + id
}
