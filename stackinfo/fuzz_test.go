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
// and every stack it returns must have an id, a name, and its template and
// asset manifests inside the assembly (an empty artifact id is an error).
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
		asm, err := ReadAssembly(dir)
		if err != nil {
			if !strings.Contains(err.Error(), dir) {
				t.Fatalf("ReadAssembly() error %q does not name a file in %s", err, dir)
			}
			if asm != nil {
				t.Fatalf("ReadAssembly() returned %v with its error", asm)
			}
			return
		}
		stacks := asm.Stacks
		for i, s := range stacks {
			if s.ID == "" || s.Name == "" {
				t.Errorf("stack %d = %+v, want its id and name", i, s)
			}
			for _, file := range s.assetFiles {
				if rel, err := filepath.Rel(dir, file); err != nil || !filepath.IsLocal(rel) {
					t.Errorf("stack %s asset manifest %q is outside %s", s.ID, file, dir)
				}
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

// FuzzTemplate reads fuzzed bytes as a stack template and evaluates its
// outputs. It must not panic; every error must name the template; a name
// must come with its source.
func FuzzTemplate(f *testing.F) {
	for _, path := range []string{
		filepath.Join(complexOut, "Shared.template.json"),
		filepath.Join(exampleOut, "WebApiStack.template.json"),
		filepath.Join(complexOut, "Consumer.template.json"),
		filepath.Join(complexOut, "AssetStack.template.json"),
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
		tmpl, err := readTemplate(s)
		if err != nil {
			t.Fatalf("readTemplate() error %v after readRepositories() had none", err)
		}
		names := map[string]string{}
		for _, r := range repos {
			names[r.LogicalID] = r.Name
		}
		self := func(s Stack, name string, depth int) (string, bool) {
			// An export that imports itself must still end.
			for _, o := range tmpl.outputs {
				ev := &evaluator{stack: s, names: names, depth: depth}
				if n, ok := ev.eval(o.export); ok && n == name {
					ev.importValue = func(s Stack, n string, d int) (string, bool) {
						return "", d < maxImportDepth+2
					}
					return ev.eval(o.value)
				}
			}
			return "", false
		}
		for _, o := range tmpl.outputs {
			ev := &evaluator{stack: s, names: names, importValue: self}
			if v, ok := ev.eval(o.value); !ok && v != "" {
				t.Errorf("output %s evaluated to %q, yet unknown", o.key, v)
			}
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

// FuzzAssetManifest reads fuzzed bytes as an asset manifest in the complex
// app's assembly and resolves its destinations. It must not panic, every
// error must name the manifest, and every directory it returns must be
// inside the assembly.
func FuzzAssetManifest(f *testing.F) {
	for _, path := range []string{
		filepath.Join(complexOut, "AssetStack.assets.json"),
		filepath.Join(complexOut, "Agnostic.assets.json"),
		filepath.Join(complexOut, "ChinaStack.assets.json"),
	} {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"version":"55.0.0","dockerImages":{"a":{"source":{"directory":"../x"},` +
		`"destinations":{"d":{"repositoryName":"r","imageTag":"t"}}}}}`))
	f.Add([]byte(`{"version":"55.0.0","dockerImages":{"a":{"source":{"executable":[""]}}}}`))

	dir := copyAssembly(f, complexOut)
	paths, err := newPathChecker(dir)
	if err != nil {
		f.Fatal(err)
	}
	nested := filepath.Join(dir, "assembly-Prod")
	file := filepath.Join(nested, "Fuzz.assets.json")
	stacks := []Stack{
		{Name: "S", Account: "111111111111", Region: "cn-north-1"},
		{Name: "A"},
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		replaceFile(t, file, data)
		assets, err := readImageAssets(paths, file)
		if err != nil {
			if !strings.Contains(err.Error(), file) {
				t.Fatalf("readImageAssets() error %q does not name %s", err, file)
			}
			return
		}
		for _, a := range assets {
			if d := a.Source.Directory; d != "" && !within(dir, d) {
				t.Errorf("asset %s directory %q is outside %s", a.ID, d, dir)
			}
			if (a.Source.Directory == "") == (len(a.Source.Executable) == 0) {
				t.Errorf("asset %s has %+v, want a directory or an executable", a.ID, a.Source)
			}
			for _, s := range stacks {
				resolveDestinations(&a, s)
				for _, d := range a.Destinations {
					if strings.Contains(d.RepositoryName+d.Region+d.AssumeRoleARN,
						placeholderAccount) {
						t.Errorf("destination %+v keeps a placeholder", d)
					}
					if d.URI != "" && !strings.HasPrefix(d.Image, d.URI+":") {
						t.Errorf("destination %+v: image and URI disagree", d)
					}
				}
			}
		}
	})
}

// FuzzMetadataFile reads fuzzed bytes as a stack's additionalMetadataFile.
// It must not panic, every error must name the file, and every construct
// path it keeps must have its leading '/' trimmed.
func FuzzMetadataFile(f *testing.F) {
	for _, path := range []string{
		filepath.Join(complexOut, "Shared.metadata.json"),
		filepath.Join(complexOut, "assembly-Prod", "ProdRepoStackA4DD0D2C.metadata.json"),
	} {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"/S/R/Resource":[{"type":"aws:cdk:logicalId","data":{"x":1}}]}`))
	file := filepath.Join(f.TempDir(), "S.metadata.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		replaceFile(t, file, data)
		meta, err := readMetadataFile(file)
		if err != nil {
			if !strings.Contains(err.Error(), file) {
				t.Fatalf("readMetadataFile() error %q does not name %s", err, file)
			}
			return
		}
		paths := map[string]string{}
		addMetadata(paths, meta)
		for id, p := range paths {
			if id == "" || strings.HasPrefix(p, "/") {
				t.Errorf("logical id %q has path %q", id, p)
			}
		}
	})
}

// FuzzCDKConfig reads fuzzed bytes as cdk.json and cdk.context.json. It must
// not panic, every error must name one of the files, and cdk.json's context
// values must win over the saved ones.
func FuzzCDKConfig(f *testing.F) {
	f.Add([]byte(`{"app":"node app.js","output":"out","context":{"a":1}}`),
		[]byte(`{"a":2,"b":3}`))
	f.Add([]byte(`{"context":null}`), []byte(`{"b":[1,2]}`))
	f.Add([]byte(`{"outputsFile":1}`), []byte(`[]`))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, config, context []byte) {
		replaceFile(t, filepath.Join(dir, ConfigFile), config)
		replaceFile(t, filepath.Join(dir, ContextFile), context)
		cfg, err := ReadCDKConfig(dir)
		if err != nil {
			if !strings.Contains(err.Error(), ConfigFile) &&
				!strings.Contains(err.Error(), ContextFile) {
				t.Fatalf("ReadCDKConfig() error %q names neither file", err)
			}
			return
		}
		var own struct {
			Context map[string]any `json:"context"`
		}
		if json.Unmarshal(config, &own) == nil {
			for k := range own.Context {
				if _, ok := cfg.Context[k]; !ok {
					t.Errorf("context key %q of cdk.json is lost", k)
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
