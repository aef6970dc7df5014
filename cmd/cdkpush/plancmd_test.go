package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/cdkpush/cdkpush/push"
	"github.com/cdkpush/cdkpush/stackinfo"
)

const (
	workerName = "webapistack-workerrepoee566d3e-x1y2z3a4b5c6"
	registry   = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
)

// exampleProject copies cdk.json and cdk.out of the example CDK app in
// /testdata/example into a new folder and returns it.
func exampleProject(t *testing.T) string {
	t.Helper()
	src := filepath.Join("..", "..", "testdata", "example")
	dir := t.TempDir()
	if err := os.CopyFS(filepath.Join(dir, "cdk.out"),
		os.DirFS(filepath.Join(src, "cdk.out"))); err != nil {
		t.Fatalf("copying the example cloud assembly: %v", err)
	}
	data, err := os.ReadFile(filepath.Join(src, "cdk.json"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "cdk.json"), string(data))
	return dir
}

// outputsFile writes what `cdk deploy --outputs-file` writes for the
// example app and returns its path.
func outputsFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "outputs.json")
	writeFile(t, path, `{
  "WebApiStack": {
    "WebApiRepoUri": "`+registry+`/web-api",
    "WorkerRepoName": "`+workerName+`",
    "WorkerRepoUri": "`+registry+`/`+workerName+`"
  }
}
`)
	return path
}

func TestPlanJSONWithoutEngine(t *testing.T) {
	sandbox(t)
	dir := exampleProject(t)
	args := []string{"plan", "--json", "--dir", dir, "--outputs-file", outputsFile(t),
		"--docker-host", "unix:///nonexistent.sock"}

	code, stdout, stderr := run(t, args...)

	if code != exitOK {
		t.Fatalf("Main(%q) = %d, want %d; stderr:\n%s", args, code, exitOK, stderr)
	}
	var got planReport
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("decoding the plan %q: %v", stdout, err)
	}
	want := planReport{
		Stacks: []stackinfo.Stack{{
			ID: "WebApiStack", Name: "WebApiStack", Path: "WebApiStack",
			Account: "123456789012", Region: "us-east-1",
		}},
		Repositories: []stackinfo.Repository{
			{
				Stack: "WebApiStack", Path: "WebApiStack/WebApiRepo",
				LogicalID: "WebApiRepo378C281F", Name: "web-api",
				Account: "123456789012", Region: "us-east-1",
				URI: registry + "/web-api", Source: stackinfo.SourceTemplate,
			},
			{
				Stack: "WebApiStack", Path: "WebApiStack/WorkerRepo",
				LogicalID: "WorkerRepoEE566D3E", Name: workerName,
				Account: "123456789012", Region: "us-east-1",
				URI: registry + "/" + workerName, Source: stackinfo.SourceOutputsFile,
			},
		},
		Pushes: []planPush{},
		Skipped: []push.Result{
			{
				Repository: registry + "/web-api", Path: "WebApiStack/WebApiRepo",
				Status: push.StatusSkipped, Reason: "docker engine not reachable",
			},
			{
				Repository: registry + "/" + workerName, Path: "WebApiStack/WorkerRepo",
				Status: push.StatusSkipped, Reason: "docker engine not reachable",
			},
		},
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreUnexported(stackinfo.Repository{})); diff != "" {
		t.Errorf("plan --json (-want +got):\n%s", diff)
	}
	// Empty lists are [], never null, for other programs' sake.
	if !strings.Contains(stdout, `"pushes": []`) {
		t.Errorf("plan --json stdout has no empty pushes list:\n%s", stdout)
	}
	if !strings.Contains(stderr, "local images not matched") {
		t.Errorf("plan --json stderr = %q, want a warning about the engine", stderr)
	}
}

func TestPlanTextWithoutEngine(t *testing.T) {
	sandbox(t)
	dir := exampleProject(t)
	args := []string{"plan", "--dir", dir, "--outputs-file", outputsFile(t),
		"--docker-host", "unix:///nonexistent.sock"}

	code, stdout, stderr := run(t, args...)

	if code != exitOK {
		t.Fatalf("Main(%q) = %d, want %d; stderr:\n%s", args, code, exitOK, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "REPOSITORY") {
		t.Fatalf("plan stdout = %q, want a header and two repositories", stdout)
	}
	for i, want := range []string{registry + "/web-api", registry + "/" + workerName} {
		line := lines[i+1]
		if !strings.HasPrefix(line, want+" ") ||
			!strings.Contains(line, "(skipped: docker engine not reachable)") {
			t.Errorf("plan stdout line %d = %q, want %s skipped", i+1, line, want)
		}
	}
}

func TestPlanWithoutOutputsFile(t *testing.T) {
	sandbox(t)
	dir := exampleProject(t)
	args := []string{"plan", "--json", "--dir", dir, "--docker-host", "unix:///nonexistent.sock"}

	code, stdout, stderr := run(t, args...)

	// The worker's generated name is in no outputs file, so cdkpush asks
	// CloudFormation, which the sandbox points at a closed port.
	if code != exitFailure {
		t.Errorf("Main(%q) = %d, want %d; stderr:\n%s", args, code, exitFailure, stderr)
	}
	for _, want := range []string{`stack "WebApiStack"`, "127.0.0.1:1"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("Main(%q) stderr = %q, want it to contain %q", args, stderr, want)
		}
	}
	if stdout != "" {
		t.Errorf("Main(%q) stdout = %q, want none", args, stdout)
	}
}

func TestPlanMissingAssembly(t *testing.T) {
	tests := []struct {
		name string
		// setup prepares the project folder and returns the path the error
		// must name.
		setup func(t *testing.T, dir string) string
	}{
		{
			name: "no cdk.out",
			setup: func(t *testing.T, dir string) string {
				return filepath.Join(dir, "cdk.out")
			},
		},
		{
			name: "empty cdk.out",
			setup: func(t *testing.T, dir string) string {
				if err := os.Mkdir(filepath.Join(dir, "cdk.out"), 0o755); err != nil {
					t.Fatal(err)
				}
				return filepath.Join(dir, "cdk.out", "manifest.json")
			},
		},
		{
			name: "cdk.json names another folder",
			setup: func(t *testing.T, dir string) string {
				writeFile(t, filepath.Join(dir, "cdk.json"), `{"output": "build/cdk.out"}`)
				writeFile(t, filepath.Join(dir, "build", "cdk.out", "README"), "")
				return filepath.Join(dir, "build", "cdk.out", "manifest.json")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sandbox(t)
			dir := t.TempDir()
			wantPath := tt.setup(t, dir)
			args := []string{"plan", "--dir", dir, "--docker-host", "unix:///nonexistent.sock"}

			code, stdout, stderr := run(t, args...)

			if code != exitFailure {
				t.Errorf("Main(%q) = %d, want %d; stderr:\n%s", args, code, exitFailure, stderr)
			}
			if !strings.Contains(stderr, wantPath) {
				t.Errorf("Main(%q) stderr = %q, want it to name %s", args, stderr, wantPath)
			}
			if strings.Contains(stderr, "--help") {
				t.Errorf("Main(%q) stderr = %q, want no usage hint", args, stderr)
			}
			if stdout != "" {
				t.Errorf("Main(%q) stdout = %q, want none", args, stdout)
			}
		})
	}
}

func TestPushWithoutEngine(t *testing.T) {
	sandbox(t)
	dir := exampleProject(t)
	args := []string{"push", "--dir", dir, "--outputs-file", outputsFile(t),
		"--docker-host", "unix:///nonexistent.sock"}

	code, stdout, stderr := run(t, args...)

	if code != exitFailure {
		t.Errorf("Main(%q) = %d, want %d; stderr:\n%s", args, code, exitFailure, stderr)
	}
	if !strings.Contains(stderr, "unix:///nonexistent.sock") {
		t.Errorf("Main(%q) stderr = %q, want the engine address", args, stderr)
	}
	if stdout != "" {
		t.Errorf("Main(%q) stdout = %q, want none", args, stdout)
	}
}
