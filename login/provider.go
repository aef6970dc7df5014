package login

import (
	"context"
	"log/slog"
	"sync"
)

// Provider hands out ECR credentials, fetching them once per registry
// (account and region) and sharing them between concurrent callers. Its zero
// value is not usable: set Client.
type Provider struct {
	// Client returns an ECR client for a region.
	Client func(ctx context.Context, region string) (ECRAPI, error)
	// Logger receives debug messages; nil discards them.
	Logger *slog.Logger

	mu      sync.Mutex
	entries map[registryKey]*entry
}

type registryKey struct{ account, region string }

type entry struct {
	done  chan struct{}
	creds Credentials
	err   error
}

// Credentials returns credentials for the registry of accountID in region.
// The first caller for a registry fetches them; the others wait for that
// answer, or for ctx.
func (p *Provider) Credentials(ctx context.Context, accountID, region string) (Credentials, error) {
	key := registryKey{accountID, region}
	p.mu.Lock()
	if p.entries == nil {
		p.entries = map[registryKey]*entry{}
	}
	e, ok := p.entries[key]
	if !ok {
		e = &entry{done: make(chan struct{})}
		p.entries[key] = e
	}
	p.mu.Unlock()

	if !ok {
		e.creds, e.err = p.fetch(ctx, accountID, region)
		close(e.done)
	}
	select {
	case <-e.done:
		return e.creds, e.err
	case <-ctx.Done():
		return Credentials{}, ctx.Err()
	}
}

func (p *Provider) fetch(ctx context.Context, accountID, region string) (Credentials, error) {
	api, err := p.Client(ctx, region)
	if err != nil {
		return Credentials{}, err
	}
	if p.Logger != nil {
		p.Logger.Debug("getting ECR authorization token", "account", accountID, "region", region)
	}
	return FetchCredentials(ctx, api, accountID)
}
