package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/spf13/cobra"
)

// clearEnv blanks every CDKPUSH_ variable for the test; viper ignores an
// empty one.
func clearEnv(t *testing.T) {
	t.Helper()
	for _, s := range settings {
		t.Setenv(envName(s.key), "")
		t.Setenv(envName(s.flag), "")
	}
}

// loadOptions parses args as the command line would and merges the
// environment and cdkpush.yaml into the options.
func loadOptions(t *testing.T, args []string) (*options, error) {
	t.Helper()
	cmd := &cobra.Command{Use: "cdkpush"}
	opts := &options{}
	addFlags(cmd, opts)
	if err := cmd.ParseFlags(args); err != nil {
		t.Fatalf("ParseFlags(%q) = %v", args, err)
	}
	return opts, opts.load(cmd.Flags())
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

const fullYAML = `cdk-out: assembly
outputs-file: outputs.json
stacks: ["Prod/*", "Shared"]
profile: yamlprofile
region: eu-west-1
images: ["web-api=web-api:1"]
tags: [release]
json: true
verbose: true
registry-endpoint:
  - localhost:5000
  - 123456789012.dkr.ecr.us-east-1.amazonaws.com=127.0.0.1:5001
concurrency: 8
docker-host: unix:///yaml/docker.sock
`

func TestOptionsLoad(t *testing.T) {
	tests := []struct {
		name string
		// yaml is cdkpush.yaml in the project folder; "" writes none.
		yaml string
		env  map[string]string
		// args are the flags; $DIR stands for the project folder, which
		// is passed with --dir unless args or env name it.
		args []string
		want options
	}{
		{
			name: "defaults",
			want: options{Dir: "$DIR", Concurrency: 4},
		},
		{
			name: "cdkpush.yaml",
			yaml: fullYAML,
			want: options{
				Dir:         "$DIR",
				CDKOut:      "assembly",
				OutputsFile: "outputs.json",
				Stacks:      []string{"Prod/*", "Shared"},
				Profile:     "yamlprofile",
				Region:      "eu-west-1",
				Images:      []string{"web-api=web-api:1"},
				Tags:        []string{"release"},
				JSON:        true,
				Verbose:     true,
				RegistryEndpoints: []string{
					"localhost:5000",
					"123456789012.dkr.ecr.us-east-1.amazonaws.com=127.0.0.1:5001",
				},
				Concurrency: 8,
				DockerHost:  "unix:///yaml/docker.sock",
			},
		},
		{
			name: "environment over cdkpush.yaml",
			yaml: fullYAML,
			env: map[string]string{
				"CDKPUSH_PROFILE":           "envprofile",
				"CDKPUSH_REGISTRY_ENDPOINT": "envhost:5000",
				"CDKPUSH_IMAGES":            "worker=worker:dev",
				"CDKPUSH_STACKS":            "Dev/*",
				"CDKPUSH_CONCURRENCY":       "2",
				"CDKPUSH_JSON":              "false",
				"CDKPUSH_DOCKER_HOST":       "tcp://127.0.0.1:2375",
			},
			want: options{
				Dir:               "$DIR",
				CDKOut:            "assembly",
				OutputsFile:       "outputs.json",
				Stacks:            []string{"Dev/*"},
				Profile:           "envprofile",
				Region:            "eu-west-1",
				Images:            []string{"worker=worker:dev"},
				Tags:              []string{"release"},
				JSON:              false,
				Verbose:           true,
				RegistryEndpoints: []string{"envhost:5000"},
				Concurrency:       2,
				DockerHost:        "tcp://127.0.0.1:2375",
			},
		},
		{
			name: "flags over environment and cdkpush.yaml",
			yaml: fullYAML,
			env: map[string]string{
				"CDKPUSH_PROFILE":           "envprofile",
				"CDKPUSH_REGISTRY_ENDPOINT": "envhost:5000",
				"CDKPUSH_CONCURRENCY":       "2",
			},
			args: []string{
				"--profile", "flagprofile",
				"--registry-endpoint", "flaghost:5000",
				"--registry-endpoint", "r.example.com=localhost:5002",
				"--image", "a=a:1", "--image", "b=b:2",
				"--stack", "Flag/*",
				"--concurrency", "3",
				"--json=false",
				"-v=false",
				"--region", "ap-south-1",
			},
			want: options{
				Dir:               "$DIR",
				CDKOut:            "assembly",
				OutputsFile:       "outputs.json",
				Stacks:            []string{"Flag/*"},
				Profile:           "flagprofile",
				Region:            "ap-south-1",
				Images:            []string{"a=a:1", "b=b:2"},
				Tags:              []string{"release"},
				RegistryEndpoints: []string{"flaghost:5000", "r.example.com=localhost:5002"},
				Concurrency:       3,
				DockerHost:        "unix:///yaml/docker.sock",
			},
		},
		{
			name: "project folder from the environment",
			yaml: "profile: yamlprofile\n",
			env:  map[string]string{"CDKPUSH_DIR": "$DIR"},
			args: []string{},
			want: options{Dir: "$DIR", Profile: "yamlprofile", Concurrency: 4},
		},
		{
			name: "several values in one variable",
			env: map[string]string{
				"CDKPUSH_REGISTRY_ENDPOINT": "a.example.com=localhost:5000 " +
					"b.example.com=localhost:5001",
			},
			want: options{
				Dir: "$DIR",
				RegistryEndpoints: []string{
					"a.example.com=localhost:5000", "b.example.com=localhost:5001",
				},
				Concurrency: 4,
			},
		},
		{
			name: "empty cdkpush.yaml",
			yaml: "# nothing set\n",
			want: options{Dir: "$DIR", Concurrency: 4},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			dir := t.TempDir()
			if tt.yaml != "" {
				writeFile(t, filepath.Join(dir, configFile), tt.yaml)
			}
			for k, v := range tt.env {
				t.Setenv(k, strings.ReplaceAll(v, "$DIR", dir))
			}
			args := tt.args
			if args == nil {
				args = []string{}
			}
			if _, ok := tt.env["CDKPUSH_DIR"]; !ok {
				args = append([]string{"--dir", dir}, args...)
			}

			got, err := loadOptions(t, args)

			if err != nil {
				t.Fatalf("options.load() = %v", err)
			}
			want := tt.want
			want.Dir = strings.ReplaceAll(want.Dir, "$DIR", dir)
			if diff := cmp.Diff(&want, got, cmp.AllowUnexported(options{}),
				cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("options.load() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestOptionsLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		env  map[string]string
		args []string
		// wantErr are parts of the error text; $FILE stands for the path
		// of cdkpush.yaml.
		wantErr []string
	}{
		{
			name:    "unknown key",
			yaml:    "profile: p\nregistry_endpoint: localhost:5000\n",
			wantErr: []string{"$FILE", `unknown key "registry_endpoint"`, "registry-endpoint"},
		},
		{
			name:    "unknown nested key",
			yaml:    "push:\n  concurrency: 2\n",
			wantErr: []string{"$FILE", `unknown key "push.concurrency"`},
		},
		{
			name:    "dir in cdkpush.yaml",
			yaml:    "dir: elsewhere\n",
			wantErr: []string{"$FILE", `unknown key "dir"`},
		},
		{
			name:    "malformed yaml",
			yaml:    "images: [web-api=web-api:1\nprofile: p\n",
			wantErr: []string{"reading $FILE"},
		},
		{
			name:    "not a mapping",
			yaml:    "- web-api\n",
			wantErr: []string{"$FILE"},
		},
		{
			name:    "concurrency 0 in cdkpush.yaml",
			yaml:    "concurrency: 0\n",
			wantErr: []string{"concurrency 0"},
		},
		{
			name:    "concurrency 0 flag",
			args:    []string{"--concurrency", "0"},
			wantErr: []string{"concurrency 0"},
		},
		{
			name:    "stacks as a mapping",
			yaml:    "stacks: {a: b}\n",
			wantErr: []string{"$FILE", `key "stacks" holds a mapping`},
		},
		{
			name:    "images as a mapping",
			yaml:    "images: {web-api: web-api:1}\n",
			wantErr: []string{"$FILE", `key "images" holds a mapping`},
		},
		{
			name:    "profile as a list",
			yaml:    "profile: [a, b]\n",
			wantErr: []string{`setting "profile"`, "not a string"},
		},
		{
			name:    "registry-endpoint as a mapping",
			yaml:    "registry-endpoint: {x: y}\n",
			wantErr: []string{"$FILE", `key "registry-endpoint" holds a mapping`},
		},
		{
			name:    "an empty mapping",
			yaml:    "report: {}\n",
			wantErr: []string{"$FILE", `key "report" holds a mapping`},
		},
		{
			name:    "json not a boolean",
			env:     map[string]string{"CDKPUSH_JSON": "yes please"},
			wantErr: []string{`setting "json"`, "CDKPUSH_JSON", "not true or false"},
		},
		{
			name:    "concurrency not a number",
			env:     map[string]string{"CDKPUSH_CONCURRENCY": "abc"},
			wantErr: []string{`setting "concurrency"`, "not a whole number"},
		},
		{
			name:    "concurrency a fraction",
			yaml:    "concurrency: 2.5\n",
			wantErr: []string{`setting "concurrency"`, "not a whole number"},
		},
		{
			name:    "empty tag",
			args:    []string{"--tag", ""},
			wantErr: []string{`setting "tags"`, "without empty entries"},
		},
		{
			name:    "empty stack pattern",
			args:    []string{"--stack", "Prod", "--stack", " "},
			wantErr: []string{`setting "stacks"`, "without empty entries"},
		},
		{
			name:    "negative concurrency from the environment",
			env:     map[string]string{"CDKPUSH_CONCURRENCY": "-1"},
			wantErr: []string{"concurrency -1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			dir := t.TempDir()
			file := filepath.Join(dir, configFile)
			if tt.yaml != "" {
				writeFile(t, file, tt.yaml)
			}
			for k, v := range tt.env {
				t.Setenv(k, v)
			}

			_, err := loadOptions(t, append([]string{"--dir", dir}, tt.args...))

			if err == nil {
				t.Fatal("options.load() = nil, want an error")
			}
			for _, want := range tt.wantErr {
				want = strings.ReplaceAll(want, "$FILE", file)
				if !strings.Contains(err.Error(), want) {
					t.Errorf("options.load() = %v, want error containing %q", err, want)
				}
			}
			var u usageError
			if !errors.As(err, &u) {
				t.Errorf("options.load() = %T %v, want a usageError", err, err)
			}
		})
	}
}

// TestOptionsEnvNames: a list setting reads the environment variable named
// after its flag (CDKPUSH_STACK) as well as the one named after its
// cdkpush.yaml key (CDKPUSH_STACKS).
func TestOptionsEnvNames(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{name: "key name", env: map[string]string{"CDKPUSH_STACKS": "A B"},
			want: []string{"A", "B"}},
		{name: "flag name", env: map[string]string{"CDKPUSH_STACK": "Prod/*"},
			want: []string{"Prod/*"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			opts, err := loadOptions(t, []string{"--dir", t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, opts.Stacks); diff != "" {
				t.Errorf("options.load() Stacks (-want +got):\n%s", diff)
			}
		})
	}
}
