package stackinfo

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Artifact types of the cloud assembly schema that cdkpush reads. Others are
// ignored.
const (
	artifactStack         = "aws:cloudformation:stack"
	artifactAssembly      = "cdk:cloud-assembly"
	artifactAssetManifest = "cdk:asset-manifest"
)

// maxAssemblyMajor is the newest major version of the cloud assembly schema
// this package was written and tested against: the one aws-cdk-lib 2.276.0
// writes ("55.0.0") and aws-cdk 2.1148.1 reads. The CDK bumps the major even
// for additions, and the CDK CLI itself refuses an assembly whose major is
// newer than the one it knows, asking for a newer CLI. cdkpush does the same:
// a newer major may change the fields read here, so it is refused rather than
// misread.
const maxAssemblyMajor = 55

// Where an account or a region came from, in Stack.AccountSource and
// Stack.RegionSource.
const (
	// EnvAssembly: the stack artifact's environment.
	EnvAssembly = "assembly"
	// EnvCaller: the caller's account, from STS GetCallerIdentity.
	EnvCaller = "sts"
)

// Stack is one CloudFormation stack of the cloud assembly.
type Stack struct {
	// ID is the artifact id in the manifest.
	ID string `json:"id"`
	// Name is the CloudFormation stack name: properties.stackName, or the
	// artifact id when that is absent.
	Name string `json:"name"`
	// Path is the hierarchical display name, such as "Prod/RepoStack".
	Path string `json:"path"`
	// Account and Region come from the artifact's environment, or for an
	// environment-agnostic stack from the caller's identity and the
	// configured region. Empty while unknown.
	Account string `json:"account"`
	Region  string `json:"region"`
	// AccountSource and RegionSource say where Account and Region came
	// from: EnvAssembly, EnvCaller, or the Options.RegionSource of the
	// configured region. Empty while the value is unknown.
	AccountSource string `json:"accountSource"`
	RegionSource  string `json:"regionSource"`
	// Status is the deployed stack's CloudFormation status, such as
	// CREATE_COMPLETE, or StatusNotDeployed. Empty when CloudFormation was
	// not asked; StatusReason then says why.
	Status string `json:"status"`
	// StatusReason explains Status: CloudFormation's own reason for a
	// failed state, or why the stack was not looked up.
	StatusReason string `json:"statusReason"`
	// Dependencies are the artifact ids of the stacks this one depends on.
	Dependencies []string `json:"dependencies"`
	// TemplateFile is the path of the stack's template.
	TemplateFile string `json:"-"`

	// assetFiles are the paths of the stack's asset manifests.
	assetFiles []string
	// metadata is the artifact's metadata, inline or in its
	// additionalMetadataFile; nil for a Stack not read from an assembly.
	metadata *stackMetadata
	// lookupRole is the ARN of the role the CDK CLI assumes to read this
	// stack's environment, with placeholders.
	lookupRole string
}

// StatusNotDeployed is the Stack.Status of a stack that CloudFormation does
// not have.
const StatusNotDeployed = "NOT_DEPLOYED"

// Assembly is a cloud assembly with every nested assembly below it.
type Assembly struct {
	// Dir is the top assembly folder.
	Dir string
	// Stacks are the stacks of every assembly, ordered by display path.
	Stacks []Stack

	paths *pathChecker
}

type manifest struct {
	Version           string              `json:"version"`
	MinimumCLIVersion string              `json:"minimumCliVersion"`
	Artifacts         map[string]artifact `json:"artifacts"`
}

type artifact struct {
	Type                   string                     `json:"type"`
	Environment            string                     `json:"environment"`
	DisplayName            string                     `json:"displayName"`
	Dependencies           []string                   `json:"dependencies"`
	Metadata               map[string][]metadataEntry `json:"metadata"`
	AdditionalMetadataFile string                     `json:"additionalMetadataFile"`
	Properties             json.RawMessage            `json:"properties"`
}

type stackProperties struct {
	TemplateFile string `json:"templateFile"`
	StackName    string `json:"stackName"`
	LookupRole   struct {
		ARN string `json:"arn"`
	} `json:"lookupRole"`
}

type nestedProperties struct {
	DirectoryName string `json:"directoryName"`
	DisplayName   string `json:"displayName"`
}

type fileProperties struct {
	File string `json:"file"`
}

// ReadAssembly reads the cloud assembly in dir and every nested assembly
// (CDK Stages) below it. Every file it names must be inside dir, after
// symbolic links are followed.
func ReadAssembly(dir string) (*Assembly, error) {
	root, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("reading cloud assembly %s: %w", dir, err)
	}
	if _, err := filepath.EvalSymlinks(root); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("reading cloud assembly %s: the folder does not exist; "+
			"run `cdk synth` first, or name the assembly with --cdk-out", dir)
	} else if err != nil {
		return nil, fmt.Errorf("reading cloud assembly %s: %w", dir, err)
	}
	paths, err := newPathChecker(dir)
	if err != nil {
		return nil, err
	}
	r := assemblyReader{paths: paths, seen: map[string]bool{}}
	if err := r.read(paths.root, ""); err != nil {
		return nil, err
	}
	sort.SliceStable(r.stacks, func(i, j int) bool { return r.stacks[i].Path < r.stacks[j].Path })
	return &Assembly{Dir: paths.root, Stacks: r.stacks, paths: paths}, nil
}

type assemblyReader struct {
	paths  *pathChecker
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
	if err := checkVersion(m.Version, m.MinimumCLIVersion); err != nil {
		return fmt.Errorf("reading %s: version: %w", path, err)
	}
	ids := sortedKeys(m.Artifacts)
	if len(ids) > 0 && ids[0] == "" {
		return fmt.Errorf("reading %s: artifacts: an artifact id is empty", path)
	}
	for _, id := range ids {
		a := m.Artifacts[id]
		where := fmt.Sprintf("%s: artifacts.%s", path, id)
		switch a.Type {
		case artifactStack:
			s, err := r.stack(dir, id, a, m.Artifacts, where)
			if err != nil {
				return err
			}
			if s.Path == "" {
				s.Path = joinPath(prefix, id)
			}
			r.stacks = append(r.stacks, s)
		case artifactAssembly:
			var p nestedProperties
			if err := unmarshalProperties(a.Properties, &p); err != nil {
				return fmt.Errorf("%s.properties: %w", where, err)
			}
			sub, err := r.local(dir, p.DirectoryName)
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

// stack builds the Stack of artifact id, which is in the manifest of dir
// among artifacts.
func (r *assemblyReader) stack(dir, id string, a artifact, artifacts map[string]artifact,
	where string) (Stack, error) {
	var p stackProperties
	if err := unmarshalProperties(a.Properties, &p); err != nil {
		return Stack{}, fmt.Errorf("%s.properties: %w", where, err)
	}
	tmpl, err := r.local(dir, p.TemplateFile)
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
	s := Stack{
		ID:           id,
		Name:         name,
		Path:         a.DisplayName,
		Account:      account,
		Region:       region,
		Dependencies: []string{},
		TemplateFile: tmpl,
		lookupRole:   p.LookupRole.ARN,
	}
	if account != "" {
		s.AccountSource = EnvAssembly
	}
	if region != "" {
		s.RegionSource = EnvAssembly
	}
	for _, dep := range a.Dependencies {
		d, ok := artifacts[dep]
		switch {
		case !ok:
			// The CDK CLI ignores a dependency on an artifact that is not
			// in this manifest, such as a stack of another assembly.
		case d.Type == artifactAssetManifest:
			var fp fileProperties
			if err := unmarshalProperties(d.Properties, &fp); err != nil {
				return Stack{}, fmt.Errorf("%s: artifacts.%s.properties: %w",
					filepath.Join(dir, "manifest.json"), dep, err)
			}
			file, err := r.local(dir, fp.File)
			if err != nil {
				return Stack{}, fmt.Errorf("%s: artifacts.%s.properties.file: %w",
					filepath.Join(dir, "manifest.json"), dep, err)
			}
			s.assetFiles = append(s.assetFiles, file)
		case d.Type == artifactStack:
			s.Dependencies = append(s.Dependencies, dep)
		}
	}
	s.metadata = &stackMetadata{inline: a.Metadata}
	if a.AdditionalMetadataFile != "" {
		file, err := r.local(dir, a.AdditionalMetadataFile)
		if err != nil {
			return Stack{}, fmt.Errorf("%s.additionalMetadataFile: %w", where, err)
		}
		s.metadata.file = file
	}
	return s, nil
}

// unmarshalProperties decodes an artifact's properties; absent properties
// decode as the zero value.
func unmarshalProperties(raw json.RawMessage, v any) error {
	if len(raw) == 0 {
		return nil
	}
	return json.Unmarshal(raw, v)
}

// local joins dir and rel, a path taken from an assembly file, and refuses
// the result unless it is inside the top assembly folder (see
// pathChecker.contained).
func (r *assemblyReader) local(dir, rel string) (string, error) {
	return r.paths.contained(dir, rel)
}

// pathChecker keeps the paths an assembly names inside its top folder.
type pathChecker struct {
	// root is the top assembly folder as given; realRoot is it, absolute,
	// with every symbolic link resolved.
	root, realRoot string
	// realDirs caches the real path of each folder checked, or "" for one
	// that does not exist.
	realDirs map[string]string
	// links caches, for each folder checked, which of its entries are
	// symbolic links: one directory read instead of a stat per file.
	links map[string]map[string]bool
}

// newPathChecker returns a pathChecker for the assembly in root.
func newPathChecker(root string) (*pathChecker, error) {
	real, err := filepath.EvalSymlinks(root)
	if err == nil {
		real, err = filepath.Abs(real)
	}
	if err != nil {
		return nil, fmt.Errorf("reading cloud assembly %s: %w", root, err)
	}
	return &pathChecker{root: filepath.Clean(root), realRoot: real,
		realDirs: map[string]string{}, links: map[string]map[string]bool{}}, nil
}

// contained joins dir and rel and refuses the result unless it is inside
// the top assembly folder: rel must not be empty or absolute, must not climb
// out with "..", and must not reach a symbolic link (of the file or of a
// folder on its way) that leads out. A path that does not exist is returned
// as it is, for its reader to report.
func (c *pathChecker) contained(dir, rel string) (string, error) {
	if rel == "" {
		return "", errors.New("path is missing")
	}
	if filepath.IsAbs(rel) || filepath.VolumeName(rel) != "" {
		return "", fmt.Errorf("path %q leads outside the assembly folder %s", rel, c.root)
	}
	p := filepath.Join(dir, rel)
	if !within(c.root, p) {
		return "", fmt.Errorf("path %q leads outside the assembly folder %s", rel, c.root)
	}
	if p == c.root {
		return p, nil
	}
	real := c.realDir(filepath.Dir(p))
	if real != "" && !within(c.realRoot, real) {
		return "", fmt.Errorf("path %q goes through a symbolic link to %s, outside the "+
			"assembly folder %s", rel, real, c.root)
	}
	if real == "" {
		return p, nil
	}
	if !c.isLink(filepath.Dir(p), filepath.Base(p)) {
		// Its folder is inside, checked above.
		return p, nil
	}
	if real = c.realPath(p); real != "" && !within(c.realRoot, real) {
		return "", fmt.Errorf("path %q is a symbolic link to %s, outside the assembly "+
			"folder %s", rel, real, c.root)
	}
	return p, nil
}

// realDir returns the real path of the folder dir, or "" when it does not
// exist.
func (c *pathChecker) realDir(dir string) string {
	real, ok := c.realDirs[dir]
	if !ok {
		real = c.realPath(dir)
		if real == "" && within(c.root, filepath.Dir(dir)) && filepath.Dir(dir) != dir {
			// A missing folder below a linked one must not escape either.
			if parent := c.realDir(filepath.Dir(dir)); parent != "" &&
				!within(c.realRoot, parent) {
				real = parent
			}
		}
		c.realDirs[dir] = real
	}
	return real
}

// isLink reports whether the entry name of the folder dir is a symbolic
// link.
func (c *pathChecker) isLink(dir, name string) bool {
	links, ok := c.links[dir]
	if !ok {
		links = map[string]bool{}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if e.Type()&fs.ModeSymlink != 0 {
				links[e.Name()] = true
			}
		}
		c.links[dir] = links
	}
	return links[name]
}

// realPath returns path absolute with its symbolic links resolved, or ""
// when it does not exist.
func (c *pathChecker) realPath(path string) string {
	real, err := filepath.EvalSymlinks(path)
	if err == nil {
		real, err = filepath.Abs(real)
	}
	if err != nil {
		return ""
	}
	return real
}

// within reports whether path is root or below it, by their names alone.
func within(root, path string) bool {
	rel, err := filepath.Rel(root, path)
	return err == nil && filepath.IsLocal(rel)
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
// malformed or newer than this package knows. minCLI is the CDK CLI version
// the manifest asks for, if it names one.
func checkVersion(v, minCLI string) error {
	majorText, _, _ := strings.Cut(v, ".")
	major, err := strconv.Atoi(majorText)
	if err != nil || major < 0 {
		return fmt.Errorf("cloud assembly version %q is not a version number", v)
	}
	if major > maxAssemblyMajor {
		hint := ""
		if minCLI != "" {
			hint = fmt.Sprintf(" (it was written for CDK CLI %s or newer)", minCLI)
		}
		return fmt.Errorf("cloud assembly version %q is newer than this cdkpush "+
			"understands (major %d at most)%s: upgrade cdkpush", v, maxAssemblyMajor, hint)
	}
	return nil
}

func joinPath(prefix, id string) string {
	if prefix == "" {
		return id
	}
	return prefix + "/" + id
}
