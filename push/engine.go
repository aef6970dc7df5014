package push

import (
	"context"
	"fmt"
	"time"

	"github.com/moby/moby/client"
)

// Engine is the part of the Docker Engine API client that push uses.
// *client.Client satisfies it.
type Engine interface {
	ImageList(ctx context.Context, opts client.ImageListOptions) (client.ImageListResult, error)
	ImageInspect(ctx context.Context, ref string,
		opts ...client.ImageInspectOption) (client.ImageInspectResult, error)
	ImageTag(ctx context.Context, opts client.ImageTagOptions) (client.ImageTagResult, error)
	ImagePush(ctx context.Context, ref string,
		opts client.ImagePushOptions) (client.ImagePushResponse, error)
	ImageRemove(ctx context.Context, ref string,
		opts client.ImageRemoveOptions) (client.ImageRemoveResult, error)
	ImageSave(ctx context.Context, images []string,
		opts ...client.ImageSaveOption) (client.ImageSaveResult, error)
}

// Connect opens a client for the Docker Engine at host ("unix:///...",
// "tcp://..."), or at DOCKER_HOST (default /var/run/docker.sock) when host
// is empty, and checks that it answers. The API version is negotiated, so
// engines as old as API 1.41 work.
func Connect(ctx context.Context, host string) (*client.Client, error) {
	opts := []client.Opt{client.FromEnv}
	if host != "" {
		opts = append(opts, client.WithHost(host))
	}
	return ConnectWith(ctx, opts...)
}

// pingTimeout bounds the first call to an engine, so that an address that
// accepts connections but never answers fails instead of hanging.
const pingTimeout = 20 * time.Second

// ConnectWith opens a client for the Docker Engine that opts name, such as
// the endpoint of a docker context, and checks that it answers, negotiating
// the API version.
func ConnectWith(ctx context.Context, opts ...client.Opt) (*client.Client, error) {
	c, err := client.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("configuring the Docker Engine client: %w", err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	if _, err := c.Ping(pingCtx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		c.Close()
		return nil, fmt.Errorf("connecting to the Docker Engine at %s: %w", c.DaemonHost(), err)
	}
	return c, nil
}
