package stackinfo

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cdkpush/cdkpush/login"
)

// compactManifest returns the real manifest at path without the artifacts
// that cdkpush ignores (the feature flag report is most of its bytes), as a
// small fuzz seed.
func compactManifest(f *testing.F, path string) []byte {
	f.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		f.Fatal(err)
	}
	artifacts := m["artifacts"].(map[string]any)
	for id, a := range artifacts {
		switch a.(map[string]any)["type"] {
		case artifactStack, artifactAssembly:
		default:
			delete(artifacts, id)
		}
	}
	out, err := json.Marshal(m)
	if err != nil {
		f.Fatal(err)
	}
	return out
}

// FuzzReadAssembly reads fuzzed bytes as the top manifest of an assembly
// that also holds copies of the complex app's templates and nested
// assemblies. It must not panic, every error must name what it was reading,
// and every stack it returns must have a template inside the assembly and a
// name (its id at least; the CDK never writes an empty id, and the fuzzer's
// empty one is kept as it is).
func FuzzReadAssembly(f *testing.F) {
	f.Add(compactManifest(f, filepath.Join(complexOut, "manifest.json")))
	f.Add(compactManifest(f, filepath.Join(exampleOut, "manifest.json")))
	f.Add([]byte(`{"version":"55.0.0","artifacts":{"S":{"type":"aws:cloudformation:stack",` +
		`"environment":"aws://unknown-account/unknown-region",` +
		`"properties":{"templateFile":"Agnostic.template.json"}}}}`))
	f.Add([]byte(`{"version":"55.0.0","artifacts":{"N":{"type":"cdk:cloud-assembly",` +
		`"properties":{"directoryName":"assembly-Prod"}}}}`))
	f.Add([]byte(`{"version":"1000.0.0"}`))
	f.Add([]byte(`{"version":"55.0.0","artifacts":{"S":{"type":"aws:cloudformation:stack",` +
		`"properties":{"templateFile":"../x"}}}}`))

	// One folder per fuzzing process: its iterations run one at a time.
	dir := copyAssembly(f, complexOut)
	manifest := filepath.Join(dir, "manifest.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		replaceFile(t, manifest, data)
		stacks, err := ReadAssembly(dir)
		if err != nil {
			if !strings.Contains(err.Error(), dir) {
				t.Fatalf("ReadAssembly() error %q does not name a file in %s", err, dir)
			}
			if stacks != nil {
				t.Fatalf("ReadAssembly() returned %v with its error", stacks)
			}
			return
		}
		for i, s := range stacks {
			if s.Name == "" && s.ID != "" {
				t.Errorf("stack %d = %+v, want its name", i, s)
			}
			rel, err := filepath.Rel(dir, s.TemplateFile)
			if err != nil || !filepath.IsLocal(rel) {
				t.Errorf("stack %s template %q is outside %s", s.ID, s.TemplateFile, dir)
			}
			if i > 0 && stacks[i-1].Path > s.Path {
				t.Errorf("stacks %q and %q are out of order", stacks[i-1].Path, s.Path)
			}
		}
	})
}

// FuzzTemplate reads fuzzed bytes as a stack template. It must not panic;
// every error must name the template; a name must come with its source.
func FuzzTemplate(f *testing.F) {
	for _, path := range []string{
		filepath.Join(complexOut, "Shared.template.json"),
		filepath.Join(exampleOut, "WebApiStack.template.json"),
	} {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"Resources":{"R":{"Type":"AWS::ECR::Repository",` +
		`"Properties":{"RepositoryName":{"Fn::Join":["",["a","b"]]}}}},` +
		`"Outputs":{"O":{"Value":{"Fn::GetAtt":"R.Arn"}}}}`))
	f.Add([]byte(`{"Resources":{"R":{"Type":"AWS::ECR::Repository","Properties":1}}}`))

	template := filepath.Join(f.TempDir(), "S.template.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		replaceFile(t, template, data)
		s := Stack{Name: "S", Account: "111111111111", Region: "eu-west-1",
			TemplateFile: template}
		repos, err := readRepositories(s)
		if err != nil {
			if !strings.Contains(err.Error(), template) {
				t.Fatalf("readRepositories() error %q does not name %s", err, template)
			}
			return
		}
		for _, r := range repos {
			if (r.Name != "") != (r.Source == SourceTemplate) {
				t.Errorf("repository %s has name %q from %q", r.LogicalID, r.Name, r.Source)
			}
			if r.Stack != s.Name || r.Account != s.Account || r.Region != s.Region {
				t.Errorf("repository %+v does not carry the stack's name and environment", r)
			}
			for key, kind := range r.outputs {
				if kind != refName && kind != refOther {
					t.Errorf("repository %s output %s has kind %d", r.LogicalID, key, kind)
				}
			}
		}
	})
}

// FuzzOutputsFile reads fuzzed bytes as an outputs file. It must not panic,
// every error must name the file, and any repository name taken from an
// output must be a valid one.
func FuzzOutputsFile(f *testing.F) {
	f.Add([]byte(`{"WebApiStack":{"WorkerRepoName":"` + workerName + `",` +
		`"WorkerRepoUri":"` + workerURI + `"}}`))
	f.Add([]byte(`{"Shared":{"GeneratedRepoUri":` +
		`"arn:aws:ecr:eu-west-1:111111111111:repository/team/base"}}`))
	f.Add([]byte(`{"S":{"O":"public.ecr.aws/alias/app:latest"}}`))
	f.Add([]byte(`{"S":{"O":1}}`))

	file := filepath.Join(f.TempDir(), "outputs.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		replaceFile(t, file, data)
		outputs, err := ReadOutputsFile(file)
		if err != nil {
			if !strings.Contains(err.Error(), file) {
				t.Fatalf("ReadOutputsFile() error %q does not name %s", err, file)
			}
			return
		}
		for _, values := range outputs {
			for _, v := range values {
				for _, kind := range []outputRef{refName, refOther} {
					name, ok := nameFromOutput(v, kind)
					if ok != (name != "") || ok && !login.ValidRepositoryName(name) {
						t.Errorf("nameFromOutput(%q, %d) = %q, %v", v, kind, name, ok)
					}
				}
			}
		}
	})
}

// replaceFile writes data to a new file at path. Truncating the old file
// instead would make ext4 flush it to disk on every run (auto_da_alloc),
// which slows fuzzing down to a few runs a second.
func replaceFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
