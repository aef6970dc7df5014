package rig

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/client"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// maxSocketPath is the longest unix socket path Linux accepts (sun_path less the NUL).
const maxSocketPath = 107

// Docker is a private Docker Engine (dockerd with vfs storage, no bridge, no iptables)
// listening on a unix socket in its own directory.
type Docker struct {
	// Host is the daemon address, "unix://DIR/docker.sock", usable as DOCKER_HOST.
	Host string
	// Client is a moby client connected to Host; it negotiates the API version (1.41).
	Client *client.Client
	// Dir holds the socket, data, exec root and dockerd.log.
	Dir string

	proc *proc
}

// StartDocker starts dockerd in dir (created if needed) and waits until it answers a ping.
// dir must be short: the socket path DIR/docker.sock must fit in 107 bytes.
func StartDocker(ctx context.Context, dir string) (*Docker, error) {
	bin, err := lookBin("dockerd")
	if err != nil {
		return nil, err
	}
	for _, helper := range []string{"containerd", "runc"} {
		if _, err := lookBin(helper); err != nil {
			return nil, err
		}
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("resolve docker dir %q: %w", dir, err)
	}
	sock := filepath.Join(dir, "docker.sock")
	if len(sock) > maxSocketPath {
		return nil, fmt.Errorf("start dockerd in %q: socket path %q is %d bytes, longer than %d: "+
			"use a shorter directory (os.MkdirTemp(\"\", ...))", dir, sock, len(sock), maxSocketPath)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create docker dir %q: %w", dir, err)
	}
	// An empty config file keeps the machine's /etc/docker/daemon.json out of the way.
	cfg := filepath.Join(dir, "daemon.json")
	if err := os.WriteFile(cfg, []byte("{}\n"), 0o644); err != nil {
		return nil, fmt.Errorf("write dockerd config %q: %w", cfg, err)
	}
	p, err := startProc("dockerd", filepath.Join(dir, "dockerd.log"), nil, bin,
		"--config-file", cfg,
		"--host", "unix://"+sock,
		"--data-root", filepath.Join(dir, "data"),
		"--exec-root", filepath.Join(dir, "exec"),
		"--pidfile", filepath.Join(dir, "dockerd.pid"),
		"--iptables=false", "--ip6tables=false", "--bridge=none",
		"--storage-driver=vfs", "--log-level=warn")
	if err != nil {
		return nil, err
	}
	d := &Docker{Host: "unix://" + sock, Dir: dir, proc: p}
	d.Client, err = client.New(client.WithHost(d.Host))
	if err != nil {
		_ = d.Stop()
		return nil, fmt.Errorf("create docker client for %s: %w", d.Host, err)
	}
	if err := d.waitReady(ctx); err != nil {
		_ = d.Stop()
		return nil, err
	}
	return d, nil
}

// waitReady pings the daemon until it answers, the process dies, or ctx ends.
func (d *Docker) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(60 * time.Second)
	var lastErr error
	for {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := d.Client.Ping(pctx, client.PingOptions{NegotiateAPIVersion: true})
		cancel()
		if err == nil {
			return nil
		}
		lastErr = err
		switch {
		case d.proc.exited():
			return d.proc.failure("start dockerd on %s", d.Host)
		case ctx.Err() != nil:
			return d.proc.failure("wait for dockerd on %s: %v (last ping: %v)",
				d.Host, ctx.Err(), lastErr)
		case time.Now().After(deadline):
			return d.proc.failure("wait for dockerd on %s: no answer after 60s (last ping: %v)",
				d.Host, lastErr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop closes the client and stops dockerd (SIGTERM, then SIGKILL). It leaves Dir in place.
func (d *Docker) Stop() error {
	if d == nil {
		return nil
	}
	if d.Client != nil {
		_ = d.Client.Close()
	}
	return d.proc.stop()
}

// BuildOptions are the optional settings of Docker.BuildImage. The zero value builds
// "Dockerfile" for the daemon's platform.
type BuildOptions struct {
	// Dockerfile is the Dockerfile path inside the context; "" means "Dockerfile".
	Dockerfile string
	// Target is the multi-stage target to build; "" means the last stage.
	Target string
	// BuildArgs are passed as --build-arg NAME=VALUE.
	BuildArgs map[string]string
	// Platform is "os/arch[/variant]", e.g. "linux/arm64"; "" means the daemon's.
	Platform string
}

// BuildImage builds contextDir with the classic builder through the Engine API
// (POST /build), tags the result as tag (if not empty), and returns the image ID
// ("sha256:..."). An error line in the build stream is a failure even on HTTP 200.
func (d *Docker) BuildImage(ctx context.Context, contextDir, tag string,
	opts BuildOptions) (string, error) {
	what := fmt.Sprintf("build image %q from %s", tag, contextDir)
	if st, err := os.Stat(contextDir); err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	} else if !st.IsDir() {
		return "", fmt.Errorf("%s: not a directory", what)
	}
	bo := client.ImageBuildOptions{
		Dockerfile:  opts.Dockerfile,
		Target:      opts.Target,
		Remove:      true,
		ForceRemove: true,
		Version:     build.BuilderV1,
	}
	if tag != "" {
		bo.Tags = []string{tag}
	}
	if len(opts.BuildArgs) > 0 {
		bo.BuildArgs = make(map[string]*string, len(opts.BuildArgs))
		for k, v := range opts.BuildArgs {
			bo.BuildArgs[k] = &v
		}
	}
	if opts.Platform != "" {
		p, err := parsePlatform(opts.Platform)
		if err != nil {
			return "", fmt.Errorf("%s: %w", what, err)
		}
		bo.Platforms = []ocispec.Platform{p}
	}

	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(tarDir(pw, contextDir)) }()
	res, err := d.Client.ImageBuild(ctx, pr, bo)
	if err != nil {
		_ = pr.CloseWithError(err)
		return "", fmt.Errorf("%s: %w", what, err)
	}
	defer res.Body.Close()
	id, err := readBuildStream(res.Body)
	_ = pr.Close()
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	return id, nil
}

// streamLine is one line of an Engine API JSON stream (build or push). The daemon
// sometimes sends only "error" without "errorDetail", so both are decoded.
type streamLine struct {
	Stream      string `json:"stream"`
	Status      string `json:"status"`
	Error       string `json:"error"`
	ErrorDetail *struct {
		Message string `json:"message"`
	} `json:"errorDetail"`
	Aux json.RawMessage `json:"aux"`
}

// readBuildStream reads a whole build stream and returns the last aux image ID.
func readBuildStream(r io.Reader) (string, error) {
	dec := json.NewDecoder(r)
	var id string
	var out strings.Builder
	for {
		var l streamLine
		if err := dec.Decode(&l); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return "", fmt.Errorf("read build stream: %w", err)
		}
		out.WriteString(l.Stream)
		if l.Error != "" || l.ErrorDetail != nil {
			msg := l.Error
			if msg == "" {
				msg = l.ErrorDetail.Message
			}
			return "", fmt.Errorf("build failed: %s\nbuild output:\n%s", msg, out.String())
		}
		if len(l.Aux) > 0 {
			var aux struct{ ID string }
			if json.Unmarshal(l.Aux, &aux) == nil && aux.ID != "" {
				id = aux.ID // one per stage: the last one is the image
			}
		}
	}
	if id == "" {
		return "", fmt.Errorf("build stream ended without an image ID\nbuild output:\n%s",
			out.String())
	}
	return id, nil
}

// parsePlatform parses "os/arch[/variant]".
func parsePlatform(s string) (ocispec.Platform, error) {
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return ocispec.Platform{}, fmt.Errorf("parse platform %q: want os/arch[/variant]", s)
	}
	p := ocispec.Platform{OS: parts[0], Architecture: parts[1]}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	return p, nil
}

// tarDir writes the tree under dir to w as a tar stream with slash-separated relative
// names. Symbolic links are stored as links, not followed.
func tarDir(w io.Writer, dir string) error {
	tw := tar.NewWriter(w)
	err := filepath.WalkDir(dir, func(path string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		if rel == "." {
			return nil
		}
		info, err := de.Info()
		if err != nil {
			return err
		}
		link := ""
		if info.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(path); err != nil {
				return err
			}
		}
		hdr, err := tar.FileInfoHeader(info, link)
		if err != nil {
			return fmt.Errorf("tar header for %s: %w", path, err)
		}
		hdr.Name = filepath.ToSlash(rel)
		if info.IsDir() {
			hdr.Name += "/"
		}
		// Keep the context reproducible and free of this machine's user names.
		hdr.Uname, hdr.Gname = "", ""
		hdr.Uid, hdr.Gid = 0, 0
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("tar %s: %w", path, err)
		}
		if !info.Mode().IsRegular() {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		if _, err := io.Copy(tw, f); err != nil {
			return fmt.Errorf("tar %s: %w", path, err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("tar build context %s: %w", dir, err)
	}
	return tw.Close()
}
