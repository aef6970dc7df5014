package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cdkpush/cdkpush/push"
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

// project copies cdk.json and cdk.out of the fixture CDK app in
// /testdata/app into a new folder and returns it.
func project(t *testing.T, app string) string {
	t.Helper()
	src := filepath.Join("..", "..", "testdata", app)
	dir := t.TempDir()
	if err := os.CopyFS(filepath.Join(dir, "cdk.out"),
		os.DirFS(filepath.Join(src, "cdk.out"))); err != nil {
		t.Fatalf("copying the %s cloud assembly: %v", app, err)
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

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// TestPlanGolden runs `plan --json --offline` on each fixture app and
// compares stdout with testdata/golden/plan-<case>.json. Refresh them with
// `go test ./cmd/cdkpush -run TestPlanGolden -update`.
func TestPlanGolden(t *testing.T) {
	tests := []struct {
		name string
		app  string
		args []string
	}{
		{name: "example", app: "example"},
		// The outputs file gives the generated name.
		{name: "example-outputs", app: "example", args: []string{"--outputs-file", "OUTPUTS"}},
		{name: "complex", app: "complex"},
		{name: "complex-region", app: "complex", args: []string{"--region", "eu-central-1"}},
		{name: "complex-stage", app: "complex", args: []string{"--stack", "Prod/*"}},
		{name: "complex-consumer", app: "complex", args: []string{"--stack", "Consumer"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sandbox(t)
			dir := project(t, tt.app)
			args := []string{"plan", "--json", "--offline", "--dir", dir,
				"--docker-host", "unix:///nonexistent.sock"}
			for _, a := range tt.args {
				if a == "OUTPUTS" {
					a = outputsFile(t)
				}
				args = append(args, a)
			}

			code, stdout, stderr := run(t, args...)

			if code != exitOK {
				t.Fatalf("Main(%q) = %d, want %d; stderr:\n%s", args, code, exitOK, stderr)
			}
			got := strings.ReplaceAll(stdout, dir, "$DIR")
			golden := filepath.Join("testdata", "golden", "plan-"+tt.name+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("reading golden file (refresh with -update): %v", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("plan --json mismatch with %s (-want +got):\n%s", golden, diff)
			}
			// The report decodes into planReport with no field left over.
			var report planReport
			dec := json.NewDecoder(strings.NewReader(stdout))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&report); err != nil {
				t.Fatalf("decoding the plan: %v", err)
			}
			for _, w := range report.Warnings {
				if !strings.Contains(stderr, strings.SplitN(w, " (", 2)[0]) {
					t.Errorf("warning %q is not on stderr:\n%s", w, stderr)
				}
			}
		})
	}
}

func TestPlanJSONWithoutEngine(t *testing.T) {
	sandbox(t)
	dir := exampleProject(t)
	args := []string{"plan", "--json", "--offline", "--dir", dir, "--outputs-file",
		outputsFile(t), "--docker-host", "unix:///nonexistent.sock"}

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
	want := []push.Result{
		{
			Repository: registry + "/web-api", Path: "WebApiStack/WebApiRepo",
			Status: push.StatusSkipped, Reason: "docker engine not reachable",
		},
		{
			Repository: registry + "/" + workerName, Path: "WebApiStack/WorkerRepo",
			Status: push.StatusSkipped, Reason: "docker engine not reachable",
		},
	}
	if diff := cmp.Diff(want, got.Skipped); diff != "" {
		t.Errorf("plan --json skipped (-want +got):\n%s", diff)
	}
	// Empty lists are [], never null, for other programs' sake.
	for _, key := range []string{`"pushes": []`, `"warnings": []`} {
		if !strings.Contains(stdout, key) {
			t.Errorf("plan --json stdout has no %s:\n%s", key, stdout)
		}
	}
	if !strings.Contains(stderr, "local images not matched") {
		t.Errorf("plan --json stderr = %q, want a warning about the engine", stderr)
	}
}

func TestPlanTextWithoutEngine(t *testing.T) {
	sandbox(t)
	dir := project(t, "complex")
	args := []string{"plan", "--offline", "--dir", dir, "--stack", "Shared", "--stack",
		"Agnostic", "--stack", "ChinaStack", "--docker-host", "unix:///nonexistent.sock"}

	code, stdout, stderr := run(t, args...)

	if code != exitOK {
		t.Fatalf("Main(%q) = %d, want %d; stderr:\n%s", args, code, exitOK, stderr)
	}
	// Each row, with its cells separated by any run of spaces.
	var rows []string
	for _, line := range strings.Split(stdout, "\n") {
		rows = append(rows, strings.Join(strings.Fields(line), " "))
	}
	for _, want := range []string{
		"Sources: cdk.json, assembly",
		"STACK NAME ACCOUNT REGION STATUS",
		"Agnostic Agnostic - us-east-1 (AWS_REGION) unknown (offline)",
		"Shared Shared 111111111111 eu-west-1 unknown (offline)",
		"REPOSITORY NAME SOURCE CONSTRUCT PATH",
		"444444444444.dkr.ecr.cn-north-1.amazonaws.com.cn/china/app china/app template " +
			"ChinaStack/ChinaRepo",
		"- - - Shared/GeneratedRepo",
		"IMAGE ASSET STACK DESTINATION BUILT FROM",
		"ExecImage ChinaStack 444444444444.dkr.ecr.cn-north-1.amazonaws.com.cn/" +
			"cdk-hnb659fds-container-assets-444444444444-cn-north-1:exec-image-0001 " +
			"$ node build-image.js --tag exec-image",
		"AgnosticImage Agnostic - " + filepath.Join(dir, "cdk.out",
			"asset.4e74d91d3f45081ce25e3613e3407a08af877bca422678b646516e8eed7fa1dd"),
		"PUSH TO TAG IMAGE CONSTRUCT PATH",
		"- - (skipped: docker engine not reachable) Shared/GeneratedRepo",
		"1 warning (on stderr)",
	} {
		if !slices.Contains(rows, want) {
			t.Errorf("plan stdout lacks the row %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "repository name unknown") {
		t.Errorf("plan stderr = %q, want the unknown name", stderr)
	}
}

func TestPlanWithoutOutputsFile(t *testing.T) {
	sandbox(t)
	dir := exampleProject(t)
	args := []string{"plan", "--json", "--dir", dir, "--docker-host", "unix:///nonexistent.sock"}

	code, stdout, stderr := run(t, args...)

	// Without --offline cdkpush asks STS whose the credentials are, which
	// the sandbox points at a closed port.
	if code != exitFailure {
		t.Errorf("Main(%q) = %d, want %d; stderr:\n%s", args, code, exitFailure, stderr)
	}
	for _, want := range []string{"finding the caller's account", "--offline", "127.0.0.1:1"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("Main(%q) stderr = %q, want it to contain %q", args, stderr, want)
		}
	}
	// --json: the error, as JSON.
	if !strings.HasPrefix(stdout, "{") || !strings.Contains(stdout, `"error"`) {
		t.Errorf("Main(%q) stdout = %q, want the error as JSON", args, stdout)
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
	args := []string{"push", "--offline", "--dir", dir, "--outputs-file", outputsFile(t),
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

// TestWriteIndentedJSON checks that the report is written byte for byte as
// json.Encoder with a two-space indent writes it.
func TestWriteIndentedJSON(t *testing.T) {
	report := planReport{
		Sources:  []string{"assembly", "<html>&"},
		Warnings: []string{},
		Pushes:   []planPush{{Image: "a:1", Tag: "1"}},
	}
	var want, got bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetIndent("", "  ")
	if err := enc.Encode(report); err != nil {
		t.Fatal(err)
	}
	if err := writeIndentedJSON(&got, report); err != nil {
		t.Fatalf("writeIndentedJSON() error: %v", err)
	}
	if diff := cmp.Diff(want.String(), got.String()); diff != "" {
		t.Errorf("writeIndentedJSON() mismatch (-json.Encoder +got):\n%s", diff)
	}
}

// TestPlanJSONOnError: plan --json prints a JSON object with the error when
// the plan cannot be made.
func TestPlanJSONOnError(t *testing.T) {
	sandbox(t)
	args := []string{"plan", "--json", "--offline", "--dir", exampleProject(t),
		"--stack", "Nope"}
	code, stdout, stderr := run(t, args...)
	if code != exitUsage {
		t.Errorf("Main(%q) = %d, want %d; stderr:\n%s", args, code, exitUsage, stderr)
	}
	var got struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("Main(%q) stdout = %q, not JSON: %v", args, stdout, err)
	}
	if !strings.Contains(got.Error, `"Nope" matches no stack`) {
		t.Errorf("Main(%q) error = %q, want the stack pattern named", args, got.Error)
	}
}
