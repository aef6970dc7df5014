// Package rig runs the real components of cdkpush's end-to-end tests on this machine:
// a private Docker Engine (dockerd), a Distribution registry with basic auth
// (docker-registry), and moto_server as ECR, CloudFormation, SSM and STS.
//
// Every component runs as a child process in its own process group, with its output in a
// log file in its own directory, and is stopped by Stop (SIGTERM, then SIGKILL). Nothing
// is mocked. Tests use ForTest; programs use Start and Stop.
//
// The registry's default password, DefaultRegistryPassword, is the password inside
// moto's ECR authorization token, so credentials that cdkpush gets from moto's
// GetAuthorizationToken are accepted by the registry.
//
// The programs come from the Debian packages docker.io, docker-registry and
// apache2-utils (scripts/install-deps.sh installs them); moto 5.2 must be preinstalled.
package rig

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// Options are the settings of Start. The zero value is the usual rig.
type Options struct {
	// RegistryPassword is the registry password of user AWS; "" means
	// DefaultRegistryPassword.
	RegistryPassword string
}

// Rig is one set of running components, sharing a temporary directory.
type Rig struct {
	Docker   *Docker
	Registry *Registry
	Moto     *Moto
	// Dir is the rig's temporary directory, removed by Stop. Each component has a
	// subdirectory: docker, registry, moto.
	Dir string
}

// Start checks that every program is installed, creates a temporary directory, and starts
// dockerd, the registry and moto_server in parallel. On error nothing is left running.
// A missing program gives an error wrapping ErrMissingComponent.
func Start(ctx context.Context, opts Options) (*Rig, error) {
	var missing []error
	for _, bin := range []string{"dockerd", "containerd", "runc", "docker-registry",
		"htpasswd", "moto_server"} {
		if _, err := lookBin(bin); err != nil {
			missing = append(missing, err)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("start rig: %w", errors.Join(missing...))
	}
	// Short on purpose: the docker socket path must fit in 107 bytes.
	dir, err := os.MkdirTemp("", "cdkpush-rig-")
	if err != nil {
		return nil, fmt.Errorf("create rig directory: %w", err)
	}
	r := &Rig{Dir: dir}
	var wg sync.WaitGroup
	var dockerErr, registryErr, motoErr error
	wg.Go(func() { r.Docker, dockerErr = StartDocker(ctx, filepath.Join(dir, "docker")) })
	wg.Go(func() {
		r.Registry, registryErr = StartRegistry(ctx, filepath.Join(dir, "registry"),
			opts.RegistryPassword)
	})
	wg.Go(func() { r.Moto, motoErr = StartMoto(ctx, filepath.Join(dir, "moto")) })
	wg.Wait()
	if err := errors.Join(dockerErr, registryErr, motoErr); err != nil {
		if serr := r.Stop(); serr != nil {
			err = errors.Join(err, serr)
		}
		return nil, fmt.Errorf("start rig in %s: %w", dir, err)
	}
	return r, nil
}

// Stop stops every component that is running and removes Dir. It reports what could not
// be stopped or removed.
func (r *Rig) Stop() error {
	if r == nil {
		return nil
	}
	var wg sync.WaitGroup
	var errs [3]error
	if r.Docker != nil {
		wg.Go(func() { errs[0] = r.Docker.Stop() })
	}
	if r.Registry != nil {
		wg.Go(func() { errs[1] = r.Registry.Stop() })
	}
	if r.Moto != nil {
		wg.Go(func() { errs[2] = r.Moto.Stop() })
	}
	wg.Wait()
	err := errors.Join(errs[:]...)
	if r.Dir != "" {
		if rerr := os.RemoveAll(r.Dir); rerr != nil {
			err = errors.Join(err, fmt.Errorf("remove rig directory %s: %w", r.Dir, rerr))
		}
	}
	return err
}
