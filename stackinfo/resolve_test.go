package stackinfo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// TestResolveGolden resolves each fixture app offline (no outputs file, no
// CloudFormation) and compares the stacks, repositories, assets and warnings
// it finds with testdata/golden/<app>.json. Refresh them with
// `go test ./stackinfo -update`.
func TestResolveGolden(t *testing.T) {
	for _, app := range []string{"example", "complex"} {
		t.Run(app, func(t *testing.T) {
			dir, err := filepath.Abs(filepath.Join("..", "testdata", app, DefaultOutput))
			if err != nil {
				t.Fatal(err)
			}
			p, err := Resolve(context.Background(), Options{CDKOut: dir, Offline: true})
			if err != nil {
				t.Fatalf("Resolve(%s) error: %v", app, err)
			}
			if p.AssemblyDir != dir || p.OutputsFile != "" {
				t.Errorf("Resolve(%s) read %q and %q, want %q and no outputs file",
					app, p.AssemblyDir, p.OutputsFile, dir)
			}
			got, err := json.MarshalIndent(struct {
				Sources      []string     `json:"sources"`
				Stacks       []Stack      `json:"stacks"`
				Repositories []Repository `json:"repositories"`
				Assets       []ImageAsset `json:"assets"`
				Warnings     []string     `json:"warnings"`
			}{p.Sources, p.Stacks, p.Repositories, p.Assets, p.Warnings}, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			// Asset paths are below the assembly folder, which differs from
			// machine to machine.
			got = bytes.ReplaceAll(got, []byte(dir), []byte("$CDK_OUT"))
			got = append(got, '\n')

			golden := filepath.Join("testdata", "golden", app+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("reading golden file (refresh with -update): %v", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("Resolve(%s) mismatch with %s (-want +got):\n%s", app, golden, diff)
			}
		})
	}
}

// TestResolveAgnostic checks where an environment-agnostic stack's account
// and region come from, and that explicit environments are kept.
func TestResolveAgnostic(t *testing.T) {
	const account = "333333333333"
	tests := []struct {
		name        string
		region      string
		account     func(context.Context) (string, error)
		stacks      []string
		wantAccount string
		wantRegion  string
		wantURI     string
		wantCalls   int
		wantErr     string
	}{
		{
			name:        "account and region given",
			region:      "eu-central-1",
			account:     func(context.Context) (string, error) { return account, nil },
			wantAccount: account,
			wantRegion:  "eu-central-1",
			wantURI:     "333333333333.dkr.ecr.eu-central-1.amazonaws.com/agnostic-repo",
			wantCalls:   1,
		},
		{
			name:       "region only",
			region:     "eu-central-1",
			wantRegion: "eu-central-1",
		},
		{
			name:        "account only",
			account:     func(context.Context) (string, error) { return account, nil },
			wantAccount: account,
			wantCalls:   1,
		},
		{
			name: "neither",
		},
		{
			name:    "account lookup fails",
			region:  "eu-central-1",
			account: func(context.Context) (string, error) { return "", errors.New("no creds") },
			wantErr: `finding the account of environment-agnostic stack "Agnostic"`,
		},
		{
			name:    "invalid account",
			region:  "eu-central-1",
			account: func(context.Context) (string, error) { return "me", nil },
			wantErr: `stack "Agnostic"`,
		},
		{
			// No agnostic stack is selected, so the caller's account is not
			// needed.
			name:    "agnostic stack not selected",
			region:  "eu-central-1",
			account: func(context.Context) (string, error) { return "", errors.New("no creds") },
			stacks:  []string{"Shared", "Prod/*"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			opts := Options{CDKOut: complexOut, Region: tt.region, Stacks: tt.stacks}
			if tt.account != nil {
				opts.Account = func(ctx context.Context) (string, error) {
					calls++
					return tt.account(ctx)
				}
			}
			p, err := Resolve(context.Background(), opts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Resolve() error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Resolve() error: %v", err)
			}
			if calls != tt.wantCalls {
				t.Errorf("Resolve() called Options.Account %d times, want %d", calls, tt.wantCalls)
			}
			for _, s := range p.Stacks {
				wantAccount, wantRegion := tt.wantAccount, tt.wantRegion
				if s.Name != "Agnostic" {
					// An explicit environment wins over the options.
					wantAccount, wantRegion = explicitEnv(t, s.Name)
				}
				if s.Account != wantAccount || s.Region != wantRegion {
					t.Errorf("stack %s: account, region = %q, %q, want %q, %q",
						s.Name, s.Account, s.Region, wantAccount, wantRegion)
				}
			}
			for _, r := range p.Repositories {
				if r.Stack != "Agnostic" {
					continue
				}
				if r.Account != tt.wantAccount || r.Region != tt.wantRegion ||
					r.URI != tt.wantURI || r.Name != "agnostic-repo" {
					t.Errorf("repository %s = %+v, want account %q, region %q, URI %q",
						r.Path, r, tt.wantAccount, tt.wantRegion, tt.wantURI)
				}
			}
		})
	}
}

// explicitEnv returns the environment the complex app gives stack name.
func explicitEnv(t *testing.T, name string) (account, region string) {
	t.Helper()
	switch name {
	case "Shared", "AssetStack", "Consumer":
		return "111111111111", "eu-west-1"
	case "ChinaStack":
		return "444444444444", "cn-north-1"
	case "RepoStack":
		return "222222222222", "us-west-2"
	case "EdgeStack":
		return "222222222222", "ap-southeast-2"
	}
	t.Fatalf("unexpected stack %q", name)
	return "", ""
}

func TestResolveSelect(t *testing.T) {
	tests := []struct {
		name      string
		patterns  []string
		wantPaths []string
		wantRepos []string
		// wantErr are parts of the error text; none means no error.
		wantErr []string
	}{
		{
			name:     "all",
			patterns: nil,
			wantPaths: []string{"Agnostic", "AssetStack", "ChinaStack", "Consumer",
				"Prod/Canary/EdgeStack", "Prod/RepoStack", "Shared"},
			// The repositories the stacks define, then the one only an
			// output names (Consumer's import of Shared's is listed once).
			wantRepos: []string{"Agnostic/AgnosticRepo", "ChinaStack/ChinaRepo",
				"Prod/Canary/EdgeStack/EdgeRepo", "Prod/RepoStack/ApiRepo",
				"Prod/RepoStack/GeneratedRepo", "Shared/BaseRepo", "Shared/GeneratedRepo",
				"Consumer/ToolsRepoUri"},
		},
		{
			// '*' does not cross '/', so the nested stage is not selected.
			name:      "stage by display path",
			patterns:  []string{"Prod/*"},
			wantPaths: []string{"Prod/RepoStack"},
			wantRepos: []string{"Prod/RepoStack/ApiRepo", "Prod/RepoStack/GeneratedRepo"},
		},
		{
			// '**' crosses '/', so the nested stage is selected too.
			name:      "stage and nested stages by display path",
			patterns:  []string{"Prod/**"},
			wantPaths: []string{"Prod/Canary/EdgeStack", "Prod/RepoStack"},
			wantRepos: []string{"Prod/Canary/EdgeStack/EdgeRepo", "Prod/RepoStack/ApiRepo",
				"Prod/RepoStack/GeneratedRepo"},
		},
		{
			name:      "nested stage by display path",
			patterns:  []string{"Prod/Canary/*"},
			wantPaths: []string{"Prod/Canary/EdgeStack"},
			wantRepos: []string{"Prod/Canary/EdgeStack/EdgeRepo"},
		},
		{
			name:      "one stack",
			patterns:  []string{"Shared"},
			wantPaths: []string{"Shared"},
			wantRepos: []string{"Shared/BaseRepo", "Shared/GeneratedRepo"},
		},
		{
			// RepoStack is the CloudFormation name of Prod/RepoStack.
			name:      "stack name instead of path",
			patterns:  []string{"RepoStack"},
			wantPaths: []string{"Prod/RepoStack"},
			wantRepos: []string{"Prod/RepoStack/ApiRepo", "Prod/RepoStack/GeneratedRepo"},
		},
		{
			name:      "names and paths together, in stack order",
			patterns:  []string{"Shared", "EdgeStack", "Prod/RepoStack"},
			wantPaths: []string{"Prod/Canary/EdgeStack", "Prod/RepoStack", "Shared"},
			wantRepos: []string{"Prod/Canary/EdgeStack/EdgeRepo", "Prod/RepoStack/ApiRepo",
				"Prod/RepoStack/GeneratedRepo", "Shared/BaseRepo", "Shared/GeneratedRepo"},
		},
		{
			name:     "overlapping patterns select once",
			patterns: []string{"*Stack", "AssetStack"},
			wantPaths: []string{"AssetStack", "ChinaStack", "Prod/Canary/EdgeStack",
				"Prod/RepoStack"},
			wantRepos: []string{"ChinaStack/ChinaRepo", "Prod/Canary/EdgeStack/EdgeRepo",
				"Prod/RepoStack/ApiRepo", "Prod/RepoStack/GeneratedRepo"},
		},
		{
			// Without Shared, Consumer's import of its repository is how
			// that repository is found.
			name:      "importing stack alone",
			patterns:  []string{"Consumer"},
			wantPaths: []string{"Consumer"},
			wantRepos: []string{"Consumer/ImportedBaseRepoUri", "Consumer/ToolsRepoUri"},
		},
		{
			name:     "no match",
			patterns: []string{"Shared", "Stagin*"},
			wantErr: []string{`stack pattern "Stagin*" matches no stack`,
				"Agnostic, AssetStack, ChinaStack, Consumer, Prod/Canary/EdgeStack, " +
					"Prod/RepoStack, Shared"},
		},
		{
			// The artifact id is neither a name nor a path.
			name:     "artifact id",
			patterns: []string{"ProdRepoStackA4DD0D2C"},
			wantErr:  []string{`"ProdRepoStackA4DD0D2C" matches no stack`},
		},
		{
			name:     "bad pattern",
			patterns: []string{"Prod/[Canary"},
			wantErr:  []string{`stack pattern "Prod/[Canary"`, "syntax error in pattern"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Resolve(context.Background(),
				Options{CDKOut: complexOut, Stacks: tt.patterns})
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("Resolve(%q) selected %+v, want an error", tt.patterns, p.Stacks)
				}
				for _, want := range tt.wantErr {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("Resolve(%q) error %q does not contain %q",
							tt.patterns, err, want)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Resolve(%q) error: %v", tt.patterns, err)
			}
			var paths, repos []string
			for _, s := range p.Stacks {
				paths = append(paths, s.Path)
			}
			for _, r := range p.Repositories {
				repos = append(repos, r.Path)
			}
			if diff := cmp.Diff(tt.wantPaths, paths); diff != "" {
				t.Errorf("Resolve(%q) stacks mismatch (-want +got):\n%s", tt.patterns, diff)
			}
			if diff := cmp.Diff(tt.wantRepos, repos); diff != "" {
				t.Errorf("Resolve(%q) repositories mismatch (-want +got):\n%s",
					tt.patterns, diff)
			}
		})
	}
}

// The generated name of the example app's WorkerRepo, as a deploy would
// make it, and its URI.
const (
	workerName = "webapistack-workerrepoee566d3e-x1y2z3a4b5c6"
	workerURI  = "123456789012.dkr.ecr.us-east-1.amazonaws.com/" + workerName
	webAPIURI  = "123456789012.dkr.ecr.us-east-1.amazonaws.com/web-api"
)

// TestResolveOutputsFile fills in the example app's generated repository
// name from `cdk deploy --outputs-file` JSON.
func TestResolveOutputsFile(t *testing.T) {
	tests := []struct {
		name    string
		outputs map[string]map[string]string
		// wantName and wantSource are the worker repository's.
		wantName   string
		wantSource string
	}{
		{
			name: "all outputs",
			outputs: map[string]map[string]string{"WebApiStack": {
				"WebApiRepoUri":  webAPIURI,
				"WorkerRepoName": workerName,
				"WorkerRepoUri":  workerURI,
			}},
			wantName:   workerName,
			wantSource: SourceOutputsFile,
		},
		{
			name: "name output only",
			outputs: map[string]map[string]string{"WebApiStack": {
				"WorkerRepoName": workerName,
			}},
			wantName:   workerName,
			wantSource: SourceOutputsFile,
		},
		{
			name: "URI output only",
			outputs: map[string]map[string]string{"WebApiStack": {
				"WorkerRepoUri": workerURI,
			}},
			wantName:   workerName,
			wantSource: SourceOutputsFile,
		},
		{
			// A repository ARN is as good as a URI.
			name: "ARN in an output",
			outputs: map[string]map[string]string{"WebApiStack": {
				"WorkerRepoUri": "arn:aws:ecr:us-east-1:123456789012:repository/" + workerName,
			}},
			wantName:   workerName,
			wantSource: SourceOutputsFile,
		},
		{
			// Only the {"Ref": id} output holds a bare name; a bare name in
			// the Fn::Join output is not trusted.
			name: "bare name in the URI output",
			outputs: map[string]map[string]string{"WebApiStack": {
				"WorkerRepoUri": workerName,
			}},
		},
		{
			name: "invalid name",
			outputs: map[string]map[string]string{"WebApiStack": {
				"WorkerRepoName": "Worker Repo",
				"WorkerRepoUri":  "docker.io/library/worker",
			}},
		},
		{
			name: "only the other repository's output",
			outputs: map[string]map[string]string{"WebApiStack": {
				"WebApiRepoUri": webAPIURI,
			}},
		},
		{
			name: "other stack",
			outputs: map[string]map[string]string{"OtherStack": {
				"WorkerRepoName": workerName,
			}},
		},
		{
			name:    "empty file",
			outputs: map[string]map[string]string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "outputs.json")
			writeJSON(t, file, tt.outputs)

			p, err := Resolve(context.Background(),
				Options{CDKOut: exampleOut, OutputsFile: file})
			if err != nil {
				t.Fatalf("Resolve() error: %v", err)
			}
			if p.OutputsFile != file {
				t.Errorf("Resolve() OutputsFile = %q, want %q", p.OutputsFile, file)
			}
			got := repositoriesByPath(p)
			// The outputs file comes before the template; it agrees.
			webAPISource := SourceTemplate
			if _, ok := tt.outputs["WebApiStack"]["WebApiRepoUri"]; ok {
				webAPISource = SourceOutputsFile
			}
			wantURI := ""
			if tt.wantName != "" {
				wantURI = "123456789012.dkr.ecr.us-east-1.amazonaws.com/" + tt.wantName
			}
			want := map[string]Repository{
				"WebApiStack/WebApiRepo": {
					Stack: "WebApiStack", Path: "WebApiStack/WebApiRepo",
					LogicalID: "WebApiRepo378C281F", Kind: KindResource, Name: "web-api",
					Account: "123456789012", Region: "us-east-1",
					URI: webAPIURI, Source: webAPISource,
				},
				"WebApiStack/WorkerRepo": {
					Stack: "WebApiStack", Path: "WebApiStack/WorkerRepo",
					LogicalID: "WorkerRepoEE566D3E", Kind: KindResource, Name: tt.wantName,
					Account: "123456789012", Region: "us-east-1",
					URI: wantURI, Source: tt.wantSource,
				},
			}
			if diff := cmp.Diff(want, got, cmpopts.IgnoreUnexported(Repository{})); diff != "" {
				t.Errorf("Resolve() repositories mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestResolveOutputsFileComplex reads the outputs the complex app's Shared
// stack exports: its generated repository's name and URI.
func TestResolveOutputsFileComplex(t *testing.T) {
	const name = "shared-generatedrepo5762d8aa-abcdefabcdef"
	file := filepath.Join(t.TempDir(), "outputs.json")
	writeJSON(t, file, map[string]map[string]string{
		"Shared": {
			"BaseRepoUri":      "111111111111.dkr.ecr.eu-west-1.amazonaws.com/team/base",
			"GeneratedRepoUri": "111111111111.dkr.ecr.eu-west-1.amazonaws.com/" + name,
		},
		// The Prod stage's generated repository has no output; a name
		// given for the same logical id in another stack is not taken.
		"RepoStack": {"GeneratedRepoName": "not-this-one"},
	})
	p, err := Resolve(context.Background(), Options{CDKOut: complexOut, OutputsFile: file})
	if err != nil {
		t.Fatalf("Resolve() error: %v", err)
	}
	got := repositoriesByPath(p)
	if r := got["Shared/GeneratedRepo"]; r.Name != name || r.Source != SourceOutputsFile ||
		r.URI != "111111111111.dkr.ecr.eu-west-1.amazonaws.com/"+name {
		t.Errorf("Shared/GeneratedRepo = %+v, want name %q from the outputs file", r, name)
	}
	if r := got["Prod/RepoStack/GeneratedRepo"]; r.Name != "" || r.Source != "" || r.URI != "" {
		t.Errorf("Prod/RepoStack/GeneratedRepo = %+v, want its name unknown", r)
	}
}

func TestResolveOutputsFileMissing(t *testing.T) {
	tests := []struct {
		name string
		// opts gets CDKOut and Dir set by the test.
		opts    Options
		wantErr bool
	}{
		{
			// cdk.json names the file, but no deploy has written it yet.
			name: "named in cdk.json",
			opts: Options{Config: CDKConfig{OutputsFile: "cdk-outputs.json"}},
		},
		{
			name:    "named in the options",
			opts:    Options{OutputsFile: "cdk-outputs.json"},
			wantErr: true,
		},
		{
			// The option wins over cdk.json, and it must exist.
			name: "named in both",
			opts: Options{OutputsFile: "cdk-outputs.json",
				Config: CDKConfig{OutputsFile: "other.json"}},
			wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.name == "named in both" {
				writeJSON(t, filepath.Join(dir, "other.json"), map[string]any{})
			}
			opts := tt.opts
			opts.Dir = dir
			opts.CDKOut, _ = filepath.Abs(exampleOut)
			log, logs := testLogger()
			opts.Logger = log

			p, err := Resolve(context.Background(), opts)
			missing := filepath.Join(dir, "cdk-outputs.json")
			if tt.wantErr {
				if err == nil {
					t.Fatalf("Resolve() = %+v, want an error", p)
				}
				if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), missing) {
					t.Errorf("Resolve() error = %v, want a not-exist error naming %s",
						err, missing)
				}
				return
			}
			if err != nil {
				t.Fatalf("Resolve() error: %v", err)
			}
			if p.OutputsFile != "" {
				t.Errorf("Resolve() OutputsFile = %q, want none", p.OutputsFile)
			}
			if len(p.Repositories) != 2 || p.Repositories[1].Name != "" {
				t.Errorf("Resolve() repositories = %+v, want the worker's name unknown",
					p.Repositories)
			}
			if !strings.Contains(logs.String(), "outputs file not found") {
				t.Errorf("Resolve() logged\n%s\nwant a note that the file is missing", logs)
			}
		})
	}
}

// TestResolveOutputsFileFromConfig reads the file cdk.json names, relative to
// the project folder.
func TestResolveOutputsFileFromConfig(t *testing.T) {
	dir := t.TempDir()
	writeJSON(t, filepath.Join(dir, "cdk.json"), map[string]any{
		"app":         "node app.js",
		"outputsFile": "out/outputs.json",
	})
	if err := os.Mkdir(filepath.Join(dir, "out"), 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "out", "outputs.json")
	writeJSON(t, file, map[string]map[string]string{"WebApiStack": {"WorkerRepoUri": workerURI}})
	cfg, err := ReadCDKConfig(dir)
	if err != nil {
		t.Fatalf("ReadCDKConfig() error: %v", err)
	}
	cdkOut, _ := filepath.Abs(exampleOut)

	p, err := Resolve(context.Background(), Options{Dir: dir, Config: cfg, CDKOut: cdkOut})
	if err != nil {
		t.Fatalf("Resolve() error: %v", err)
	}
	if p.OutputsFile != file {
		t.Errorf("Resolve() OutputsFile = %q, want %q", p.OutputsFile, file)
	}
	if r := repositoriesByPath(p)["WebApiStack/WorkerRepo"]; r.URI != workerURI {
		t.Errorf("WebApiStack/WorkerRepo URI = %q, want %q", r.URI, workerURI)
	}
}

func TestResolveOutputsFileMalformed(t *testing.T) {
	tests := []struct {
		name    string
		content string
		wantErr string
	}{
		{name: "syntax", content: "{\n\"WebApiStack\": {\"a\": }\n}", wantErr: "line 2, column 22"},
		{name: "value not a string", content: `{"WebApiStack": {"WorkerRepoUri": 1}}`,
			wantErr: "expected a string, found a number"},
		{name: "truncated", content: `{"WebApiStack": {"Work`,
			wantErr: "unexpected end of JSON input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "outputs.json")
			writeFile(t, file, tt.content)
			_, err := Resolve(context.Background(),
				Options{CDKOut: exampleOut, OutputsFile: file})
			if err == nil || !strings.Contains(err.Error(), file) ||
				!strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Resolve() error = %v, want one naming %s and containing %q",
					err, file, tt.wantErr)
			}
		})
	}
}

func TestReadCDKConfig(t *testing.T) {
	tests := []struct {
		name    string
		content string // "" means no cdk.json
		context string // "" means no cdk.context.json
		want    CDKConfig
		wantErr string
	}{
		{name: "missing"},
		{
			name: "keys",
			content: `{"app": "node app.js", "output": "build/cdk.out", "profile": "dev",
				"outputsFile": "outputs.json", "context": {"stage": "prod"}}`,
			want: CDKConfig{Output: "build/cdk.out", Profile: "dev",
				OutputsFile: "outputs.json", Context: map[string]any{"stage": "prod"},
				Files: []string{ConfigFile}},
		},
		{
			// cdk.json's context wins over the saved values, as in the CLI.
			name:    "both files",
			content: `{"context": {"stage": "prod"}}`,
			context: `{"stage": "dev", "availability-zones:account=1:region=r": ["a", "b"]}`,
			want: CDKConfig{Context: map[string]any{"stage": "prod",
				"availability-zones:account=1:region=r": []any{"a", "b"}},
				Files: []string{ConfigFile, ContextFile}},
		},
		{
			name:    "context file only",
			context: `{"stage": "dev"}`,
			want: CDKConfig{Context: map[string]any{"stage": "dev"},
				Files: []string{ContextFile}},
		},
		{name: "malformed", content: `{"app": `, wantErr: "cdk.json"},
		{name: "wrong type", content: `{"output": 1}`, wantErr: `at "output"`},
		{name: "malformed context", content: `{}`, context: `{"a": `,
			wantErr: "cdk.context.json: line 1, column 6: the file ends too early"},
		{name: "context not an object", context: `[1]`,
			wantErr: "cdk.context.json: at the top level: expected an object, found array"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.content != "" {
				writeFile(t, filepath.Join(dir, ConfigFile), tt.content)
			}
			if tt.context != "" {
				writeFile(t, filepath.Join(dir, ContextFile), tt.context)
			}
			got, err := ReadCDKConfig(dir)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ReadCDKConfig() = %+v, %v, want an error containing %q",
						got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ReadCDKConfig() error: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ReadCDKConfig() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestResolveDefaults checks the folders Resolve reads when the options name
// none: cdk.out in the project folder, or the folder cdk.json names.
func TestResolveDefaults(t *testing.T) {
	project, err := filepath.Abs(filepath.Join("..", "testdata", "example"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Resolve(context.Background(), Options{Dir: project})
	if err != nil {
		t.Fatalf("Resolve() error: %v", err)
	}
	if want := filepath.Join(project, "cdk.out"); p.AssemblyDir != want {
		t.Errorf("Resolve() AssemblyDir = %q, want %q", p.AssemblyDir, want)
	}

	p, err = Resolve(context.Background(),
		Options{Dir: filepath.Join("..", "testdata"), Config: CDKConfig{Output: "complex/cdk.out"}})
	if err != nil {
		t.Fatalf("Resolve() error: %v", err)
	}
	if len(p.Stacks) != 7 {
		t.Errorf("Resolve() read %d stacks from %s, want the complex app's 7",
			len(p.Stacks), p.AssemblyDir)
	}
}

// TestResolveLogsUnknownNames checks the warning for each repository whose
// name stays unknown.
func TestResolveLogsUnknownNames(t *testing.T) {
	log, logs := testLogger()
	if _, err := Resolve(context.Background(),
		Options{CDKOut: complexOut, Logger: log}); err != nil {
		t.Fatalf("Resolve() error: %v", err)
	}
	var warned []string
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, "repository name unknown") {
			_, path, _ := strings.Cut(line, " path=")
			warned = append(warned, path)
		}
	}
	want := []string{"Prod/RepoStack/GeneratedRepo", "Shared/GeneratedRepo"}
	if diff := cmp.Diff(want, warned); diff != "" {
		t.Errorf("Resolve() warnings mismatch (-want +got):\n%s\nlog:\n%s", diff, logs)
	}
}

func repositoriesByPath(p *Project) map[string]Repository {
	m := map[string]Repository{}
	for _, r := range p.Repositories {
		m[r.Path] = r
	}
	return m
}
