package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	dockerctx "github.com/docker/cli/cli/context/docker"
	"github.com/docker/cli/cli/context/store"
	"github.com/moby/moby/client"
)

// dockerCLIConfig makes a docker CLI configuration folder with the given
// current context and contexts (name → engine address).
func dockerCLIConfig(t *testing.T, current string, contexts map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	if current != "" {
		writeFile(t, filepath.Join(dir, "config.json"), `{"currentContext": "`+current+`"}`)
	}
	cfg := store.NewConfig(func() any { return &map[string]any{} },
		store.EndpointTypeGetter(dockerctx.DockerEndpoint,
			func() any { return &dockerctx.EndpointMeta{} }))
	s := store.New(filepath.Join(dir, "contexts"), cfg)
	for name, host := range contexts {
		err := s.CreateOrUpdate(store.Metadata{
			Name:      name,
			Metadata:  map[string]any{"Description": "test"},
			Endpoints: map[string]any{dockerctx.DockerEndpoint: dockerctx.EndpointMeta{Host: host}},
		})
		if err != nil {
			t.Fatalf("creating docker context %s: %v", name, err)
		}
	}
	return dir
}

func TestResolveEngine(t *testing.T) {
	contexts := map[string]string{
		"podman": "unix:///run/user/1000/podman/podman.sock",
		"remote": "tcp://10.1.2.3:2375",
	}
	tests := []struct {
		name string
		flag string
		env  map[string]string
		// current is the config file's currentContext.
		current    string
		wantHost   string
		wantSource string
		wantErr    []string
	}{
		{
			name: "flag first", flag: "unix:///flag.sock",
			env: map[string]string{"DOCKER_HOST": "unix:///env.sock",
				"DOCKER_CONTEXT": "podman"},
			current:  "remote",
			wantHost: "unix:///flag.sock", wantSource: "--docker-host",
		},
		{
			name: "DOCKER_HOST before contexts",
			env: map[string]string{"DOCKER_HOST": "unix:///env.sock",
				"DOCKER_CONTEXT": "podman"},
			current:  "remote",
			wantHost: "unix:///env.sock", wantSource: "DOCKER_HOST",
		},
		{
			name:       "DOCKER_CONTEXT before the current context",
			env:        map[string]string{"DOCKER_CONTEXT": "podman"},
			current:    "remote",
			wantHost:   contexts["podman"],
			wantSource: `docker context "podman" (from DOCKER_CONTEXT)`,
		},
		{
			name:       "current context",
			current:    "remote",
			wantHost:   "tcp://10.1.2.3:2375",
			wantSource: `docker context "remote" (from currentContext in `,
		},
		{
			name:       "default context",
			env:        map[string]string{"DOCKER_CONTEXT": "default"},
			current:    "remote",
			wantHost:   client.DefaultDockerHost,
			wantSource: "the default address",
		},
		{
			name:       "nothing set",
			wantHost:   client.DefaultDockerHost,
			wantSource: "the default address",
		},
		{
			name:    "unknown context",
			env:     map[string]string{"DOCKER_CONTEXT": "nosuch"},
			wantErr: []string{`docker context "nosuch"`, "DOCKER_CONTEXT"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := dockerCLIConfig(t, tt.current, contexts)
			env := map[string]string{"DOCKER_CONFIG": dir}
			for k, v := range tt.env {
				env[k] = v
			}
			ep, err := resolveEngine(tt.flag, func(k string) string { return env[k] })
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("resolveEngine() = %+v, want an error", ep)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("resolveEngine() = %v, want it to contain %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("resolveEngine() = %v", err)
			}
			if ep.host != tt.wantHost || !strings.HasPrefix(ep.source, tt.wantSource) {
				t.Errorf("resolveEngine() = %s from %q, want %s from %q", ep.host, ep.source,
					tt.wantHost, tt.wantSource)
			}
			c, err := client.New(ep.opts...)
			if err != nil {
				t.Fatalf("client.New(%s) = %v", ep.host, err)
			}
			defer c.Close()
			if c.DaemonHost() != tt.wantHost {
				t.Errorf("client for %s has host %s", tt.wantHost, c.DaemonHost())
			}
		})
	}
}

func TestResolveEngineBadConfig(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "config.json"), "{not json")
	_, err := resolveEngine("", func(k string) string {
		return map[string]string{"DOCKER_CONFIG": dir}[k]
	})
	if err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("resolveEngine() = %v, want an error naming %s", err, dir)
	}
}

func TestPushNoEngineFromContext(t *testing.T) {
	sandbox(t)
	sock := filepath.Join(t.TempDir(), "none.sock")
	dir := dockerCLIConfig(t, "colima", map[string]string{"colima": "unix://" + sock})
	t.Setenv("DOCKER_HOST", "")
	t.Setenv("DOCKER_CONFIG", dir)
	_, err := connectEngine(context.Background(), &options{})
	for _, want := range []string{"unix://" + sock, `docker context "colima"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("connectEngine() = %v, want it to name %s", err, want)
		}
	}
}
