package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/cdkpush/cdkpush/push"
)

// sandbox keeps the AWS SDK and the Docker client away from the user's
// configuration and from any network.
func sandbox(t *testing.T) {
	t.Helper()
	clearEnv(t)
	for k, v := range map[string]string{
		"AWS_CONFIG_FILE":             "/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
		"AWS_ACCESS_KEY_ID":           "x",
		"AWS_SECRET_ACCESS_KEY":       "y",
		"AWS_SESSION_TOKEN":           "",
		"AWS_PROFILE":                 "",
		"AWS_DEFAULT_PROFILE":         "",
		"AWS_REGION":                  "us-east-1",
		"AWS_EC2_METADATA_DISABLED":   "true",
		// Any AWS call that slips through fails at once.
		"AWS_ENDPOINT_URL": "http://127.0.0.1:1",
		"AWS_MAX_ATTEMPTS": "1",
		"DOCKER_HOST":      "unix:///nonexistent.sock",
		"DOCKER_CONTEXT":   "",
	} {
		t.Setenv(k, v)
	}
}

// run calls Main and returns its exit code, stdout and stderr.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), args, Streams{
		In:  strings.NewReader(""),
		Out: &stdout,
		Err: &stderr,
	})
	return code, stdout.String(), stderr.String()
}

func TestMainVersion(t *testing.T) {
	sandbox(t)
	code, stdout, stderr := run(t, "version")
	if code != exitOK {
		t.Errorf("Main(version) = %d, want %d; stderr:\n%s", code, exitOK, stderr)
	}
	if !regexp.MustCompile(`^cdkpush \S+\n$`).MatchString(stdout) {
		t.Errorf("Main(version) stdout = %q, want \"cdkpush VERSION\\n\"", stdout)
	}
	if stderr != "" {
		t.Errorf("Main(version) stderr = %q, want none", stderr)
	}
}

func TestMainVersionSetAtLinkTime(t *testing.T) {
	old := version
	version = "v1.2.3"
	t.Cleanup(func() { version = old })
	_, stdout, _ := run(t, "version")
	if want := "cdkpush v1.2.3\n"; stdout != want {
		t.Errorf("Main(version) stdout = %q, want %q", stdout, want)
	}
}

func TestMainHelp(t *testing.T) {
	sandbox(t)
	code, stdout, _ := run(t, "--help")
	if code != exitOK {
		t.Errorf("Main(--help) = %d, want %d", code, exitOK)
	}
	for _, want := range []string{"Usage:", "plan", "--registry-endpoint"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("Main(--help) stdout holds no %q:\n%s", want, stdout)
		}
	}
}

func TestMainUsageErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{name: "unknown flag", args: []string{"--nope"}, wantErr: "unknown flag: --nope"},
		{
			name:    "unknown flag of a subcommand",
			args:    []string{"plan", "--nope"},
			wantErr: "unknown flag: --nope",
		},
		{
			name:    "unknown shorthand flag",
			args:    []string{"-x"},
			wantErr: "unknown shorthand flag: 'x'",
		},
		{
			name:    "flag value of the wrong type",
			args:    []string{"--concurrency", "many"},
			wantErr: `invalid argument "many"`,
		},
		{
			name:    "positional argument",
			args:    []string{"extra"},
			wantErr: `unexpected argument "extra" for "cdkpush"`,
		},
		{
			name:    "positional argument of plan",
			args:    []string{"plan", "extra"},
			wantErr: `unexpected argument "extra" for "cdkpush plan"`,
		},
		{
			name:    "positional argument of push",
			args:    []string{"push", "--dir", dir, "extra"},
			wantErr: `unexpected argument "extra" for "cdkpush push"`,
		},
		{
			name:    "positional argument of version",
			args:    []string{"version", "extra"},
			wantErr: `unexpected argument "extra"`,
		},
		{
			name:    "concurrency 0",
			args:    []string{"plan", "--dir", dir, "--concurrency", "0"},
			wantErr: "concurrency 0",
		},
		{
			name:    "bad image mapping",
			args:    []string{"plan", "--dir", dir, "--image", "web-api"},
			wantErr: "KEY=LOCALREF",
		},
		{
			name:    "bad registry endpoint",
			args:    []string{"push", "--dir", dir, "--registry-endpoint", "ftp://x"},
			wantErr: `registry endpoint "ftp://x"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sandbox(t)
			code, stdout, stderr := run(t, tt.args...)
			if code != exitUsage {
				t.Errorf("Main(%q) = %d, want %d; stderr:\n%s", tt.args, code, exitUsage, stderr)
			}
			for _, want := range []string{"cdkpush: ", tt.wantErr, "Run 'cdkpush --help'"} {
				if !strings.Contains(stderr, want) {
					t.Errorf("Main(%q) stderr = %q, want it to contain %q",
						tt.args, stderr, want)
				}
			}
			if stdout != "" {
				t.Errorf("Main(%q) stdout = %q, want none", tt.args, stdout)
			}
		})
	}
}

func TestMainBadConfigFile(t *testing.T) {
	sandbox(t)
	dir := t.TempDir()
	writeFile(t, dir+"/"+configFile, "profiles: prod\n")
	code, _, stderr := run(t, "plan", "--dir", dir)
	if code != exitUsage {
		t.Errorf("Main(plan) = %d, want %d; stderr:\n%s", code, exitUsage, stderr)
	}
	if !strings.Contains(stderr, `unknown key "profiles"`) {
		t.Errorf("Main(plan) stderr = %q, want the unknown key named", stderr)
	}
}

func TestMainInterrupted(t *testing.T) {
	sandbox(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr bytes.Buffer
	code := Main(ctx, []string{"push", "--dir", exampleProject(t)},
		Streams{Out: &stdout, Err: &stderr})
	if code != exitInterrupted {
		t.Errorf("Main(push) with a cancelled context = %d, want %d; stderr:\n%s",
			code, exitInterrupted, stderr.String())
	}
	if !strings.Contains(stderr.String(), "cdkpush: interrupted") {
		t.Errorf("Main(push) stderr = %q, want \"cdkpush: interrupted\"", stderr.String())
	}
}

// TestMainUsageErrorsInProject: mistakes in what the user asks of a real
// project are usage errors too (exit 2), found before anything is pushed.
func TestMainUsageErrorsInProject(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{
			name:    "stack pattern that matches nothing",
			args:    []string{"--stack", "Nope"},
			wantErr: `stack pattern "Nope" matches no stack`,
		},
		{
			name:    "malformed stack pattern",
			args:    []string{"--stack", "["},
			wantErr: `stack pattern "["`,
		},
		{
			name:    "invalid tag",
			args:    []string{"--tag", "Bad Tag"},
			wantErr: `tag "Bad Tag" is not a valid image tag`,
		},
		{
			name:    "registry endpoint host that is not a host",
			args:    []string{"--registry-endpoint", "garbage!!"},
			wantErr: `"garbage!!" is not a host name or IP address`,
		},
		{
			name: "registry endpoint for a registry the project does not use",
			args: []string{"--registry-endpoint",
				"999999999999.dkr.ecr.us-east-1.amazonaws.com=127.0.0.1:5000"},
			wantErr: `registry endpoint for "999999999999.dkr.ecr.us-east-1.amazonaws.com"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sandbox(t)
			args := append([]string{"push", "--offline", "--dir", exampleProject(t),
				"--docker-host", "unix:///nonexistent.sock"}, tt.args...)
			code, stdout, stderr := run(t, args...)
			if code != exitUsage {
				t.Errorf("Main(%q) = %d, want %d; stderr:\n%s", args, code, exitUsage, stderr)
			}
			if !strings.Contains(stderr, tt.wantErr) {
				t.Errorf("Main(%q) stderr = %q, want it to contain %q", args, stderr, tt.wantErr)
			}
			if stdout != "" {
				t.Errorf("Main(%q) stdout = %q, want none", args, stdout)
			}
		})
	}
}

// TestPushJSONWhenStoppedEarly: with --json, a run that stops before
// pushing still prints a JSON report, holding the error.
func TestPushJSONWhenStoppedEarly(t *testing.T) {
	sandbox(t)
	args := []string{"push", "--json", "--offline", "--dir", exampleProject(t),
		"--docker-host", "unix:///nonexistent.sock"}
	code, stdout, _ := run(t, args...)
	if code != exitFailure {
		t.Errorf("Main(%q) = %d, want %d", args, code, exitFailure)
	}
	var report push.Report
	if err := json.Unmarshal([]byte(stdout), &report); err != nil {
		t.Fatalf("Main(%q) stdout = %q, not a JSON report: %v", args, stdout, err)
	}
	if report.Results == nil || len(report.Results) != 0 ||
		!strings.Contains(report.Error, "unix:///nonexistent.sock") {
		t.Errorf("Main(%q) report = %+v, want no results and the engine error", args, report)
	}
}

// TestPushReportWhenStoppedEarly: --report FILE is rewritten by a run that
// stops before pushing, so an older report cannot be taken for this one's.
func TestPushReportWhenStoppedEarly(t *testing.T) {
	sandbox(t)
	file := t.TempDir() + "/report.json"
	writeFile(t, file, `{"results":[{"status":"up-to-date"}]}`)
	args := []string{"push", "--report", file, "--offline", "--dir", exampleProject(t),
		"--docker-host", "unix:///nonexistent.sock"}
	if code, _, _ := run(t, args...); code != exitFailure {
		t.Errorf("Main(%q) = %d, want %d", args, code, exitFailure)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var report push.Report
	if err := json.Unmarshal(data, &report); err != nil {
		t.Fatalf("report %s = %q, not JSON: %v", file, data, err)
	}
	if len(report.Results) != 0 || !strings.Contains(report.Error, "nonexistent.sock") {
		t.Errorf("report = %+v, want no results and the engine error", report)
	}
}

// TestHostEndpointSSH: an ssh:// DOCKER_HOST goes through the docker CLI's
// connection helper, which dials through ssh, not as a TCP host name.
func TestHostEndpointSSH(t *testing.T) {
	ep, err := hostEndpoint("ssh://deploy@build.example:2222", "DOCKER_HOST")
	if err != nil {
		t.Fatal(err)
	}
	if len(ep.opts) != 3 {
		t.Errorf("hostEndpoint(ssh://...) has %d client options, want 3 (with a dialer)",
			len(ep.opts))
	}
	plain, err := hostEndpoint("unix:///run/docker.sock", "DOCKER_HOST")
	if err != nil {
		t.Fatal(err)
	}
	if len(plain.opts) != 2 {
		t.Errorf("hostEndpoint(unix://...) has %d client options, want 2", len(plain.opts))
	}
}
