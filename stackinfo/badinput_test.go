package stackinfo

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestResolveBadAssembly breaks a copy of a real assembly in one way per case
// and checks that Resolve returns one error that names the broken file and
// says what is wrong with it.
func TestResolveBadAssembly(t *testing.T) {
	const (
		manifest       = "manifest.json"
		nestedManifest = "assembly-Prod/manifest.json"
		template       = "Shared.template.json"
	)
	tests := []struct {
		name string
		// breakIt breaks the copy of the complex assembly in dir.
		breakIt func(t *testing.T, dir string)
		// wantFile is the file the error must name, relative to dir.
		wantFile string
		// wantErr are further parts of the error text.
		wantErr []string
		// wantIs, when set, must be in the error's chain.
		wantIs error
	}{
		{
			name: "malformed manifest",
			breakIt: func(t *testing.T, dir string) {
				replaceInFile(t, filepath.Join(dir, manifest),
					`"version": "55.0.0",`, `"version": "55.0.0",,`)
			},
			wantFile: manifest,
			// The second comma is the 23rd character of line 2.
			wantErr: []string{"line 2, column 23", "invalid character ','"},
		},
		{
			name: "malformed nested manifest",
			breakIt: func(t *testing.T, dir string) {
				replaceInFile(t, filepath.Join(dir, nestedManifest),
					`"type": "aws:cloudformation:stack",`, `"type": aws:cloudformation:stack",`)
			},
			wantFile: nestedManifest,
			wantErr:  []string{"line ", ", column ", "invalid character 'a'"},
		},
		{
			name: "truncated manifest",
			breakIt: func(t *testing.T, dir string) {
				truncateFile(t, filepath.Join(dir, manifest))
			},
			wantFile: manifest,
			wantErr:  []string{"the file ends too early", "unexpected end of JSON input"},
		},
		{
			name: "empty manifest",
			breakIt: func(t *testing.T, dir string) {
				writeFile(t, filepath.Join(dir, manifest), "")
			},
			wantFile: manifest,
			wantErr:  []string{"unexpected end of JSON input"},
		},
		{
			name: "manifest is not an object",
			breakIt: func(t *testing.T, dir string) {
				writeFile(t, filepath.Join(dir, manifest), `["version"]`)
			},
			wantFile: manifest,
			wantErr:  []string{"at the top level: expected an object, found array"},
		},
		{
			name: "missing manifest",
			breakIt: func(t *testing.T, dir string) {
				removeFile(t, filepath.Join(dir, manifest))
			},
			wantFile: manifest,
			wantIs:   fs.ErrNotExist,
		},
		{
			name: "missing nested manifest",
			breakIt: func(t *testing.T, dir string) {
				removeFile(t, filepath.Join(dir, nestedManifest))
			},
			wantFile: nestedManifest,
			wantIs:   fs.ErrNotExist,
		},
		{
			name: "missing nested assembly",
			breakIt: func(t *testing.T, dir string) {
				if err := os.RemoveAll(filepath.Join(dir, "assembly-Prod")); err != nil {
					t.Fatal(err)
				}
			},
			wantFile: "assembly-Prod",
			wantErr:  []string{"reading cloud assembly"},
			wantIs:   fs.ErrNotExist,
		},
		{
			name: "template file outside the assembly",
			breakIt: func(t *testing.T, dir string) {
				setStackProperty(t, dir, "Shared", "templateFile", "../../etc/passwd")
			},
			wantFile: manifest,
			wantErr: []string{"artifacts.Shared.properties.templateFile",
				`"../../etc/passwd" leads outside the assembly folder`},
		},
		{
			name: "absolute template file",
			breakIt: func(t *testing.T, dir string) {
				setStackProperty(t, dir, "Shared", "templateFile",
					filepath.Join(dir, "Shared.template.json"))
			},
			wantFile: manifest,
			wantErr:  []string{"artifacts.Shared.properties.templateFile", "leads outside"},
		},
		{
			name: "template file missing from the manifest",
			breakIt: func(t *testing.T, dir string) {
				setStackProperty(t, dir, "Shared", "templateFile", "")
			},
			wantFile: manifest,
			wantErr:  []string{"artifacts.Shared.properties.templateFile", "path is missing"},
		},
		{
			name: "stack properties of the wrong type",
			breakIt: func(t *testing.T, dir string) {
				editJSON(t, filepath.Join(dir, manifest), func(doc map[string]any) {
					manifestArtifact(t, doc, "Shared")["properties"] = "Shared.template.json"
				})
			},
			wantFile: manifest,
			wantErr:  []string{"artifacts.Shared.properties: json: cannot unmarshal string"},
		},
		{
			name: "nested directory escapes",
			breakIt: func(t *testing.T, dir string) {
				editJSON(t, filepath.Join(dir, manifest), func(doc map[string]any) {
					p := properties(t, manifestArtifact(t, doc, "assembly-Prod"))
					p["directoryName"] = "../../assembly-Prod"
				})
			},
			wantFile: manifest,
			wantErr: []string{"artifacts.assembly-Prod.properties.directoryName",
				"leads outside"},
		},
		{
			name: "nested assembly links to its parent",
			breakIt: func(t *testing.T, dir string) {
				canary := filepath.Join(dir, "assembly-Prod", "assembly-Prod-Canary")
				if err := os.RemoveAll(canary); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink("..", canary); err != nil {
					t.Fatal(err)
				}
			},
			wantFile: "assembly-Prod/assembly-Prod-Canary",
			wantErr:  []string{"refers back to an assembly already being read"},
		},
		{
			name: "nested assembly links to the root",
			breakIt: func(t *testing.T, dir string) {
				prod := filepath.Join(dir, "assembly-Prod")
				if err := os.RemoveAll(prod); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(".", prod); err != nil {
					t.Fatal(err)
				}
			},
			wantFile: "assembly-Prod",
			wantErr:  []string{"refers back"},
		},
		{
			name: "nested assembly is itself",
			breakIt: func(t *testing.T, dir string) {
				editJSON(t, filepath.Join(dir, manifest), func(doc map[string]any) {
					p := properties(t, manifestArtifact(t, doc, "assembly-Prod"))
					p["directoryName"] = "."
				})
			},
			wantFile: ".",
			wantErr:  []string{"refers back"},
		},
		{
			name: "newer major version",
			breakIt: func(t *testing.T, dir string) {
				editJSON(t, filepath.Join(dir, manifest), func(doc map[string]any) {
					doc["version"] = strconv.Itoa(maxAssemblyMajor+1) + ".0.0"
				})
			},
			wantFile: manifest,
			wantErr:  []string{"newer than this cdkpush understands"},
		},
		{
			name: "far newer version in a nested assembly",
			breakIt: func(t *testing.T, dir string) {
				editJSON(t, filepath.Join(dir, nestedManifest), func(doc map[string]any) {
					doc["version"] = "1000.0.0"
				})
			},
			wantFile: nestedManifest,
			wantErr:  []string{`"1000.0.0" is newer`},
		},
		{
			name: "no version",
			breakIt: func(t *testing.T, dir string) {
				editJSON(t, filepath.Join(dir, manifest), func(doc map[string]any) {
					delete(doc, "version")
				})
			},
			wantFile: manifest,
			wantErr:  []string{`cloud assembly version "" is not a version number`},
		},
		{
			name: "environment of another cloud",
			breakIt: func(t *testing.T, dir string) {
				editJSON(t, filepath.Join(dir, manifest), func(doc map[string]any) {
					manifestArtifact(t, doc, "Shared")["environment"] = "gcp://proj/europe-west1"
				})
			},
			wantFile: manifest,
			wantErr:  []string{"artifacts.Shared.environment", "does not start with aws://"},
		},
		{
			name: "environment without a region",
			breakIt: func(t *testing.T, dir string) {
				editJSON(t, filepath.Join(dir, nestedManifest), func(doc map[string]any) {
					a := manifestArtifact(t, doc, "ProdRepoStackA4DD0D2C")
					a["environment"] = "aws://222222222222"
				})
			},
			wantFile: nestedManifest,
			wantErr: []string{"artifacts.ProdRepoStackA4DD0D2C.environment",
				"is not aws://ACCOUNT/REGION"},
		},
		{
			name: "manifest larger than the cap",
			breakIt: func(t *testing.T, dir string) {
				growFile(t, filepath.Join(dir, manifest), maxFileSize+1)
			},
			wantFile: manifest,
			wantErr:  []string{"file is larger than 1 MiB"},
		},
		{
			// The cap itself is allowed: the error is about the content.
			name: "manifest as large as the cap",
			breakIt: func(t *testing.T, dir string) {
				growFile(t, filepath.Join(dir, manifest), maxFileSize)
			},
			wantFile: manifest,
			wantErr:  []string{"invalid character '\\x00' after top-level value"},
		},
		{
			name: "missing template",
			breakIt: func(t *testing.T, dir string) {
				removeFile(t, filepath.Join(dir, template))
			},
			wantFile: template,
			wantIs:   fs.ErrNotExist,
		},
		{
			name: "truncated template",
			breakIt: func(t *testing.T, dir string) {
				truncateFile(t, filepath.Join(dir, template))
			},
			wantFile: template,
			wantErr:  []string{"unexpected end of JSON input"},
		},
		{
			name: "template is a folder",
			breakIt: func(t *testing.T, dir string) {
				setStackProperty(t, dir, "Shared", "templateFile", "assembly-Prod")
			},
			wantFile: "assembly-Prod",
			wantErr:  []string{"reading "},
		},
		{
			name: "repository properties of the wrong type",
			breakIt: func(t *testing.T, dir string) {
				editJSON(t, filepath.Join(dir, template), func(doc map[string]any) {
					resources := doc["Resources"].(map[string]any)
					resources["BaseRepoE5A2D56C"].(map[string]any)["Properties"] = "team/base"
				})
			},
			wantFile: template,
			wantErr:  []string{"Resources.BaseRepoE5A2D56C.Properties"},
		},
		{
			name: "template larger than the cap",
			breakIt: func(t *testing.T, dir string) {
				growFile(t, filepath.Join(dir, template), maxFileSize+1)
			},
			wantFile: template,
			wantErr:  []string{"file is larger than"},
		},
		{
			name: "empty artifact id",
			breakIt: func(t *testing.T, dir string) {
				editJSON(t, filepath.Join(dir, manifest), func(doc map[string]any) {
					doc["artifacts"].(map[string]any)[""] = map[string]any{
						"type": "aws:cloudformation:stack"}
				})
			},
			wantFile: manifest,
			wantErr:  []string{"artifacts: an artifact id is empty"},
		},
		{
			name: "template is a link to a file outside",
			breakIt: func(t *testing.T, dir string) {
				outside := filepath.Join(t.TempDir(), "evil.template.json")
				writeFile(t, outside, "{}")
				replaceWithLink(t, filepath.Join(dir, template), outside)
			},
			wantFile: manifest,
			wantErr: []string{"artifacts.Shared.properties.templateFile",
				"is a symbolic link to", "outside the assembly folder"},
		},
		{
			name: "nested assembly is a link to a folder outside",
			breakIt: func(t *testing.T, dir string) {
				other := copyAssembly(t, complexOut)
				replaceWithLink(t, filepath.Join(dir, "assembly-Prod"),
					filepath.Join(other, "assembly-Prod"))
			},
			wantFile: manifest,
			wantErr:  []string{"artifacts.assembly-Prod.properties.directoryName", "outside"},
		},
		{
			name: "asset manifest outside",
			breakIt: func(t *testing.T, dir string) {
				editJSON(t, filepath.Join(dir, manifest), func(doc map[string]any) {
					properties(t, manifestArtifact(t, doc, "Shared.assets"))["file"] =
						"../Shared.assets.json"
				})
			},
			wantFile: manifest,
			wantErr:  []string{"artifacts.Shared.assets.properties.file", "leads outside"},
		},
		{
			name: "metadata file outside",
			breakIt: func(t *testing.T, dir string) {
				editJSON(t, filepath.Join(dir, manifest), func(doc map[string]any) {
					manifestArtifact(t, doc, "Shared")["additionalMetadataFile"] = "/etc/passwd"
				})
			},
			wantFile: manifest,
			wantErr:  []string{"artifacts.Shared.additionalMetadataFile", "leads outside"},
		},
		{
			// Consumer's outputs name repositories: their construct paths
			// come from its metadata file.
			name: "malformed metadata file",
			breakIt: func(t *testing.T, dir string) {
				writeFile(t, filepath.Join(dir, "Consumer.metadata.json"),
					`{"/Consumer": [{"type": 1}]}`)
			},
			wantFile: "Consumer.metadata.json",
			wantErr:  []string{`at "type": expected a string, found number`},
		},
		{
			name: "asset directory outside",
			breakIt: func(t *testing.T, dir string) {
				editAsset(t, dir, func(a map[string]any) {
					a["source"].(map[string]any)["directory"] = "../../etc"
				})
			},
			wantFile: "AssetStack.assets.json",
			wantErr:  []string{"dockerImages.ea5d01ce", ".source.directory", "leads outside"},
		},
		{
			name: "asset directory is a link to a folder outside",
			breakIt: func(t *testing.T, dir string) {
				replaceWithLink(t, filepath.Join(dir, "asset."+svcAsset), t.TempDir())
			},
			wantFile: "AssetStack.assets.json",
			wantErr:  []string{".source.directory", "is a symbolic link to"},
		},
		{
			name: "asset Dockerfile outside",
			breakIt: func(t *testing.T, dir string) {
				editAsset(t, dir, func(a map[string]any) {
					a["source"].(map[string]any)["dockerFile"] = "../../Dockerfile"
				})
			},
			wantFile: "AssetStack.assets.json",
			wantErr:  []string{".source.dockerFile", "leads outside"},
		},
		{
			name: "asset without a source",
			breakIt: func(t *testing.T, dir string) {
				editAsset(t, dir, func(a map[string]any) { a["source"] = map[string]any{} })
			},
			wantFile: "AssetStack.assets.json",
			wantErr:  []string{".source: neither directory nor executable is given"},
		},
		{
			name: "asset destination without a repository",
			breakIt: func(t *testing.T, dir string) {
				editAsset(t, dir, func(a map[string]any) {
					for _, d := range a["destinations"].(map[string]any) {
						delete(d.(map[string]any), "repositoryName")
					}
				})
			},
			wantFile: "AssetStack.assets.json",
			wantErr: []string{"destinations.111111111111-eu-west-1-8690f282.repositoryName: " +
				"missing"},
		},
		{
			name: "asset manifest of a newer version",
			breakIt: func(t *testing.T, dir string) {
				editJSON(t, filepath.Join(dir, "AssetStack.assets.json"),
					func(doc map[string]any) { doc["version"] = "56.0.0" })
			},
			wantFile: "AssetStack.assets.json",
			wantErr:  []string{`version: cloud assembly version "56.0.0" is newer`},
		},
		{
			name: "truncated asset manifest",
			breakIt: func(t *testing.T, dir string) {
				truncateFile(t, filepath.Join(dir, "AssetStack.assets.json"))
			},
			wantFile: "AssetStack.assets.json",
			wantErr:  []string{"the file ends too early", "unexpected end of JSON input"},
		},
		{
			name: "missing asset manifest",
			breakIt: func(t *testing.T, dir string) {
				removeFile(t, filepath.Join(dir, "AssetStack.assets.json"))
			},
			wantFile: "AssetStack.assets.json",
			wantIs:   fs.ErrNotExist,
		},
	}
	// Lower the cap so that a file over it is quick to read. The real
	// manifests are about 30 KiB.
	defer func(old int64) { maxFileSize = old }(maxFileSize)
	maxFileSize = 1 << 20

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyAssembly(t, complexOut)
			tt.breakIt(t, dir)

			p, err := Resolve(context.Background(), Options{CDKOut: dir})
			if err == nil {
				t.Fatalf("Resolve() = %+v, want an error", p)
			}
			if p != nil {
				t.Errorf("Resolve() returned %+v with its error", p)
			}
			msg := err.Error()
			if want := filepath.Join(dir, tt.wantFile); !strings.Contains(msg, want) {
				t.Errorf("Resolve() error %q does not name %s", msg, want)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(msg, want) {
					t.Errorf("Resolve() error %q does not contain %q", msg, want)
				}
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("Resolve() error %q is not %v", msg, tt.wantIs)
			}
		})
	}
}

// TestResolveComputedRepositoryName checks that a name the template computes
// (here with Fn::Join) is left unknown rather than taken as an error or
// guessed.
func TestResolveComputedRepositoryName(t *testing.T) {
	dir := copyAssembly(t, complexOut)
	editJSON(t, filepath.Join(dir, "Shared.template.json"), func(doc map[string]any) {
		resources := doc["Resources"].(map[string]any)
		repo := resources["BaseRepoE5A2D56C"].(map[string]any)
		repo["Properties"] = map[string]any{
			"RepositoryName": map[string]any{
				"Fn::Join": []any{"", []any{"team/", map[string]any{"Ref": "AWS::StackName"}}},
			},
		}
	})
	log, logs := testLogger()
	p, err := Resolve(context.Background(), Options{CDKOut: dir, Stacks: []string{"Shared"},
		Logger: log})
	if err != nil {
		t.Fatalf("Resolve() error: %v", err)
	}
	want := Repository{
		Stack:     "Shared",
		Path:      "Shared/BaseRepo",
		LogicalID: "BaseRepoE5A2D56C",
		Kind:      KindResource,
		Account:   "111111111111",
		Region:    "eu-west-1",
	}
	if len(p.Repositories) != 2 {
		t.Fatalf("Resolve() repositories = %+v, want 2", p.Repositories)
	}
	opt := cmpopts.IgnoreUnexported(Repository{})
	if diff := cmp.Diff(want, p.Repositories[0], opt); diff != "" {
		t.Errorf("Resolve() repository mismatch (-want +got):\n%s", diff)
	}
	if !strings.Contains(logs.String(), "path=Shared/BaseRepo") {
		t.Errorf("Resolve() logged\n%s\nwant a warning about Shared/BaseRepo", logs)
	}
}

func TestPosition(t *testing.T) {
	data := []byte("{\n  \"a\": x,\n\"b\": 2\n")
	tests := []struct {
		name     string
		offset   int64
		wantLine int
		wantCol  int
	}{
		// A json.SyntaxError's Offset counts the bytes read, the last of
		// which is the offending one.
		{name: "first byte", offset: 1, wantLine: 1, wantCol: 1},
		{name: "x on line 2", offset: int64(bytes.IndexByte(data, 'x')) + 1,
			wantLine: 2, wantCol: 8},
		{name: "start of line 3", offset: int64(bytes.Index(data, []byte(`"b"`))) + 1,
			wantLine: 3, wantCol: 1},
		{name: "nothing read", offset: 0, wantLine: 1, wantCol: 1},
		// At the end of the input, the last byte: the final newline.
		{name: "end of input", offset: int64(len(data)), wantLine: 3, wantCol: 7},
		{name: "past the end", offset: int64(len(data)) + 10, wantLine: 3, wantCol: 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line, col := position(data, tt.offset)
			if line != tt.wantLine || col != tt.wantCol {
				t.Errorf("position(data, %d) = %d, %d, want %d, %d",
					tt.offset, line, col, tt.wantLine, tt.wantCol)
			}
		})
	}
}

// svcAsset is the id of AssetStack's SvcImage asset.
const svcAsset = "ea5d01ce8ea847c1fcc720a51d7ba539eacb28c91e0d89dbc6341cb82f7cffef"

// editAsset rewrites AssetStack's SvcImage entry in its asset manifest.
func editAsset(t *testing.T, dir string, edit func(asset map[string]any)) {
	t.Helper()
	editJSON(t, filepath.Join(dir, "AssetStack.assets.json"), func(doc map[string]any) {
		edit(doc["dockerImages"].(map[string]any)[svcAsset].(map[string]any))
	})
}

// replaceWithLink replaces path (a file or folder, or nothing) with a
// symbolic link to target.
func replaceWithLink(t *testing.T, path, target string) {
	t.Helper()
	if err := os.RemoveAll(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
}

func replaceInFile(t *testing.T, path, old, new string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(old)) {
		t.Fatalf("%s does not contain %q", path, old)
	}
	writeFile(t, path, strings.Replace(string(data), old, new, 1))
}

func truncateFile(t *testing.T, path string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, fi.Size()/2); err != nil {
		t.Fatal(err)
	}
}

// growFile extends the file at path to size bytes with zeros. The file is
// sparse: no disk blocks, cheap to make.
func growFile(t *testing.T, path string, size int64) {
	t.Helper()
	if err := os.Truncate(path, size); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func removeFile(t *testing.T, path string) {
	t.Helper()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
}

// setStackProperty sets a property of stack artifact id in the top manifest
// of dir.
func setStackProperty(t *testing.T, dir, id, key, value string) {
	t.Helper()
	editJSON(t, filepath.Join(dir, "manifest.json"), func(doc map[string]any) {
		properties(t, manifestArtifact(t, doc, id))[key] = value
	})
}
