package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/connhelper"
	dockerctx "github.com/docker/cli/cli/context/docker"
	"github.com/docker/cli/cli/context/store"
	"github.com/moby/moby/client"

	"github.com/cdkpush/cdkpush/push"
)

// engineEndpoint is the Docker Engine a run talks to and why.
type engineEndpoint struct {
	// host is the engine's address, such as unix:///var/run/docker.sock.
	host string
	// source says where the address came from, for messages.
	source string
	// opts configure the Engine API client for it.
	opts []client.Opt
}

// defaultContext is the docker CLI's name for "no context": DOCKER_HOST,
// else the default socket.
const defaultContext = "default"

// hostEndpoint is the engine at a DOCKER_HOST-style address. An ssh://
// address goes through the docker CLI's connection helper, which runs ssh
// (with arguments, no shell) and `docker system dial-stdio` on the far host.
func hostEndpoint(host, source string) (engineEndpoint, error) {
	helper, err := connhelper.GetConnectionHelper(host)
	if err != nil {
		return engineEndpoint{}, fmt.Errorf("docker host %q (from %s): %w", host, source, err)
	}
	opts := []client.Opt{client.FromEnv, client.WithHost(host)}
	if helper != nil {
		opts = []client.Opt{client.FromEnv, client.WithHost(helper.Host),
			client.WithDialContext(helper.Dialer)}
	}
	return engineEndpoint{host: host, source: source, opts: opts}, nil
}

// resolveEngine picks the Docker Engine as the docker CLI does: --docker-host
// (or its CDKPUSH_DOCKER_HOST and cdkpush.yaml forms), then DOCKER_HOST,
// then the docker context DOCKER_CONTEXT names, then the config file's
// currentContext, then the default socket. Contexts are read from the
// docker CLI's context store under DOCKER_CONFIG (default ~/.docker).
// Podman's docker-compatible socket is just another unix:// address.
func resolveEngine(flagHost string, getenv func(string) string) (engineEndpoint, error) {
	if flagHost != "" {
		return hostEndpoint(flagHost, "--docker-host")
	}
	if h := getenv("DOCKER_HOST"); h != "" {
		return hostEndpoint(h, "DOCKER_HOST")
	}
	dir := getenv("DOCKER_CONFIG")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".docker")
	}
	name, source := getenv("DOCKER_CONTEXT"), "DOCKER_CONTEXT"
	if name == "" {
		cfg, err := config.Load(dir)
		if err != nil {
			return engineEndpoint{}, fmt.Errorf("reading the docker CLI configuration in %s "+
				"for its current context: %w", dir, err)
		}
		name = cfg.CurrentContext
		source = "currentContext in " + filepath.Join(dir, config.ConfigFileName)
	}
	if name == "" || name == defaultContext {
		return engineEndpoint{host: client.DefaultDockerHost, source: "the default address",
			opts: []client.Opt{client.FromEnv, client.WithHost(client.DefaultDockerHost)}}, nil
	}
	ep, err := contextEndpoint(filepath.Join(dir, "contexts"), name)
	if err != nil {
		return engineEndpoint{}, fmt.Errorf("reading docker context %q (from %s): %w",
			name, source, err)
	}
	return engineEndpoint{host: ep.Host, source: fmt.Sprintf("docker context %q (from %s)",
		name, source), opts: ep.opts}, nil
}

// contextEngine is a docker context's engine: its address and client
// options, TLS material included.
type contextEngine struct {
	Host string
	opts []client.Opt
}

// contextEndpoint reads the engine of the named context from the context
// store in storeDir.
func contextEndpoint(storeDir, name string) (contextEngine, error) {
	cfg := store.NewConfig(func() any { return &map[string]any{} },
		store.EndpointTypeGetter(dockerctx.DockerEndpoint,
			func() any { return &dockerctx.EndpointMeta{} }))
	s := store.New(storeDir, cfg)
	meta, err := s.GetMetadata(name)
	if err != nil {
		return contextEngine{}, err
	}
	epMeta, err := dockerctx.EndpointFromContext(meta)
	if err != nil {
		return contextEngine{}, err
	}
	if epMeta.Host == "" {
		return contextEngine{}, errors.New("the context names no Docker Engine address")
	}
	ep, err := dockerctx.WithTLSData(s, name, epMeta)
	if err != nil {
		return contextEngine{}, err
	}
	opts, err := ep.ClientOpts()
	if err != nil {
		return contextEngine{}, err
	}
	return contextEngine{Host: epMeta.Host, opts: opts}, nil
}

// connectEngine connects to the engine the settings and the environment
// pick, and names the address and its source if none answers.
func connectEngine(ctx context.Context, opts *options) (*client.Client, error) {
	ep, err := resolveEngine(opts.DockerHost, os.Getenv)
	if err != nil {
		return nil, err
	}
	c, err := push.ConnectWith(ctx, ep.opts...)
	if err != nil {
		return nil, fmt.Errorf("using the Docker Engine of %s: %w", ep.source, err)
	}
	return c, nil
}
