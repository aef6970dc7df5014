package stackinfo

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestReadAssembly(t *testing.T) {
	prod := filepath.Join(complexOut, "assembly-Prod")
	canary := filepath.Join(prod, "assembly-Prod-Canary")
	tests := []struct {
		name string
		dir  string
		want []Stack
	}{
		{
			name: "example",
			dir:  exampleOut,
			want: []Stack{{
				ID:           "WebApiStack",
				Name:         "WebApiStack",
				Path:         "WebApiStack",
				Account:      "123456789012",
				Region:       "us-east-1",
				TemplateFile: filepath.Join(exampleOut, "WebApiStack.template.json"),
			}},
		},
		{
			// Ordered by display path; the stages' stacks come from the
			// nested assemblies, two levels deep.
			name: "complex",
			dir:  complexOut,
			want: []Stack{
				{
					ID:           "Agnostic",
					Name:         "Agnostic",
					Path:         "Agnostic",
					TemplateFile: filepath.Join(complexOut, "Agnostic.template.json"),
				},
				{
					ID:           "AssetStack",
					Name:         "AssetStack",
					Path:         "AssetStack",
					Account:      "111111111111",
					Region:       "eu-west-1",
					TemplateFile: filepath.Join(complexOut, "AssetStack.template.json"),
				},
				{
					ID:           "ChinaStack",
					Name:         "ChinaStack",
					Path:         "ChinaStack",
					Account:      "444444444444",
					Region:       "cn-north-1",
					TemplateFile: filepath.Join(complexOut, "ChinaStack.template.json"),
				},
				{
					ID:           "Consumer",
					Name:         "Consumer",
					Path:         "Consumer",
					Account:      "111111111111",
					Region:       "eu-west-1",
					Dependencies: []string{"Shared"},
					TemplateFile: filepath.Join(complexOut, "Consumer.template.json"),
				},
				{
					ID:      "ProdCanaryEdgeStack14C9E6AC",
					Name:    "EdgeStack",
					Path:    "Prod/Canary/EdgeStack",
					Account: "222222222222",
					Region:  "ap-southeast-2",
					TemplateFile: filepath.Join(canary,
						"ProdCanaryEdgeStack14C9E6AC.template.json"),
				},
				{
					ID:           "ProdRepoStackA4DD0D2C",
					Name:         "RepoStack",
					Path:         "Prod/RepoStack",
					Account:      "222222222222",
					Region:       "us-west-2",
					TemplateFile: filepath.Join(prod, "ProdRepoStackA4DD0D2C.template.json"),
				},
				{
					ID:           "Shared",
					Name:         "Shared",
					Path:         "Shared",
					Account:      "111111111111",
					Region:       "eu-west-1",
					TemplateFile: filepath.Join(complexOut, "Shared.template.json"),
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			asm, err := ReadAssembly(tt.dir)
			if err != nil {
				t.Fatalf("ReadAssembly(%q) error: %v", tt.dir, err)
			}
			got := asm.Stacks
			for i := range tt.want {
				w := &tt.want[i]
				if w.Account != "" {
					w.AccountSource = EnvAssembly
				}
				if w.Region != "" {
					w.RegionSource = EnvAssembly
				}
				if w.Dependencies == nil {
					w.Dependencies = []string{}
				}
			}
			opt := cmpopts.IgnoreUnexported(Stack{})
			if diff := cmp.Diff(tt.want, got, opt); diff != "" {
				t.Errorf("ReadAssembly(%q) mismatch (-want +got):\n%s", tt.dir, diff)
			}
		})
	}
}

// TestReadAssemblyDefaults checks the fallbacks for what the CDK may leave
// out: the stack name (the artifact id is used) and the display name (the
// artifact id, below the nested assembly's display name).
func TestReadAssemblyDefaults(t *testing.T) {
	dir := copyAssembly(t, complexOut)
	editJSON(t, filepath.Join(dir, "manifest.json"), func(doc map[string]any) {
		delete(manifestArtifact(t, doc, "Shared"), "displayName")
		delete(properties(t, manifestArtifact(t, doc, "assembly-Prod")), "displayName")
	})
	editJSON(t, filepath.Join(dir, "assembly-Prod", "manifest.json"), func(doc map[string]any) {
		a := manifestArtifact(t, doc, "ProdRepoStackA4DD0D2C")
		delete(a, "displayName")
		delete(properties(t, a), "stackName")
		delete(properties(t, manifestArtifact(t, doc, "assembly-Prod-Canary")), "displayName")
	})

	asm, err := ReadAssembly(dir)
	if err != nil {
		t.Fatalf("ReadAssembly() error: %v", err)
	}
	type idNamePath struct{ ID, Name, Path string }
	var got []idNamePath
	for _, s := range asm.Stacks {
		got = append(got, idNamePath{s.ID, s.Name, s.Path})
	}
	want := []idNamePath{
		{"Agnostic", "Agnostic", "Agnostic"},
		{"AssetStack", "AssetStack", "AssetStack"},
		{"ChinaStack", "ChinaStack", "ChinaStack"},
		{"Consumer", "Consumer", "Consumer"},
		// The nested display names, not the ids, still give the paths of
		// stacks that have their own display name.
		{"ProdCanaryEdgeStack14C9E6AC", "EdgeStack", "Prod/Canary/EdgeStack"},
		{"Shared", "Shared", "Shared"},
		{"ProdRepoStackA4DD0D2C", "ProdRepoStackA4DD0D2C",
			"assembly-Prod/ProdRepoStackA4DD0D2C"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ReadAssembly() mismatch (-want +got):\n%s", diff)
	}
}

func TestParseEnvironment(t *testing.T) {
	tests := []struct {
		name        string
		env         string
		wantAccount string
		wantRegion  string
		wantErr     string
	}{
		{name: "explicit", env: "aws://111111111111/eu-west-1",
			wantAccount: "111111111111", wantRegion: "eu-west-1"},
		{name: "agnostic", env: "aws://unknown-account/unknown-region"},
		{name: "account only", env: "aws://111111111111/unknown-region",
			wantAccount: "111111111111"},
		{name: "empty", env: "", wantErr: "does not start with aws://"},
		{name: "other scheme", env: "gcp://111111111111/eu-west-1",
			wantErr: "does not start with aws://"},
		{name: "no region", env: "aws://111111111111", wantErr: "not aws://ACCOUNT/REGION"},
		{name: "empty region", env: "aws://111111111111/", wantErr: "not aws://ACCOUNT/REGION"},
		{name: "empty account", env: "aws:///eu-west-1", wantErr: "not aws://ACCOUNT/REGION"},
		{name: "extra part", env: "aws://111111111111/eu-west-1/x",
			wantErr: "not aws://ACCOUNT/REGION"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			account, region, err := parseEnvironment(tt.env)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseEnvironment(%q) error = %v, want one containing %q",
						tt.env, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseEnvironment(%q) error: %v", tt.env, err)
			}
			if account != tt.wantAccount || region != tt.wantRegion {
				t.Errorf("parseEnvironment(%q) = %q, %q, want %q, %q",
					tt.env, account, region, tt.wantAccount, tt.wantRegion)
			}
		})
	}
}

func TestCheckVersion(t *testing.T) {
	newest := strconv.Itoa(maxAssemblyMajor)
	tests := []struct {
		name    string
		version string
		wantErr string
	}{
		// What aws-cdk-lib 2.276.0 writes, the newest major cdkpush knows.
		{name: "fixtures", version: "55.0.0"},
		{name: "fixtures minor", version: "55.6.0"},
		{name: "oldest", version: "0.36.0"},
		{name: "newest known", version: newest + ".9.9"},
		{name: "major only", version: "55"},
		{name: "next major", version: strconv.Itoa(maxAssemblyMajor+1) + ".0.0",
			wantErr: "newer than this cdkpush"},
		{name: "next major of the CDK", version: "56.0.0", wantErr: "major 55 at most"},
		{name: "far future", version: "1000.0.0", wantErr: "upgrade cdkpush"},
		{name: "missing", version: "", wantErr: "not a version number"},
		{name: "words", version: "latest", wantErr: "not a version number"},
		{name: "negative", version: "-1.0.0", wantErr: "not a version number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkVersion(tt.version, "")
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("checkVersion(%q) error: %v", tt.version, err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("checkVersion(%q) = %v, want an error containing %q",
					tt.version, err, tt.wantErr)
			}
		})
	}
}

func TestPathCheckerContained(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	nested := filepath.Join(root, "assembly-Prod")
	for _, d := range []string{nested, filepath.Join(root, "asset.1")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, filepath.Join(outside, "secret.json"), "{}")
	for name, target := range map[string]string{
		"escape.json":          filepath.Join(outside, "secret.json"),
		"inside.json":          filepath.Join(root, "asset.1"),
		"assembly-Prod/up.dir": outside,
	} {
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name    string
		dir     string
		rel     string
		want    string
		wantErr string
	}{
		{name: "file", dir: root, rel: "Shared.template.json",
			want: filepath.Join(root, "Shared.template.json")},
		{name: "sub folder", dir: root, rel: "assembly-Prod", want: nested},
		{name: "inner dot-dot", dir: root, rel: "a/../b.json",
			want: filepath.Join(root, "b.json")},
		// A stage's asset is in the top folder, one level up.
		{name: "nested asset", dir: nested, rel: "../asset.1",
			want: filepath.Join(root, "asset.1")},
		{name: "link inside", dir: root, rel: "inside.json",
			want: filepath.Join(root, "inside.json")},
		{name: "empty", dir: root, rel: "", wantErr: "path is missing"},
		{name: "parent", dir: root, rel: "..", wantErr: "leads outside"},
		{name: "nested escape", dir: nested, rel: "../..", wantErr: "leads outside"},
		{name: "escape", dir: root, rel: "../../etc/passwd", wantErr: "leads outside"},
		{name: "absolute", dir: root, rel: "/etc/passwd", wantErr: "leads outside"},
		{name: "link outside", dir: root, rel: "escape.json",
			wantErr: "is a symbolic link to " + filepath.Join(outside, "secret.json")},
		{name: "nested link outside", dir: nested, rel: "up.dir/x",
			wantErr: "outside the assembly folder"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := newPathChecker(root)
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.contained(tt.dir, tt.rel)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("contained(%q) = %q, %v, want an error containing %q",
						tt.rel, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("contained(%q) = %q, %v, want %q", tt.rel, got, err, tt.want)
			}
		})
	}
}
