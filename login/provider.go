package login

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

const (
	// refreshMargin is the least time a cached token must have left to be
	// handed out again.
	refreshMargin = 15 * time.Minute
	// refreshFraction: a cached token must also have more than this part of
	// its lifetime left.
	refreshFraction = 10
	// assumedLifetime is the lifetime of a token whose answer gave no
	// expiry; ECR documents 12 hours.
	assumedLifetime = 12 * time.Hour
)

// Role is an IAM role to assume before asking ECR for a token, as a CDK
// asset manifest's destination names it (assumeRoleArn and
// assumeRoleExternalId). The zero Role means the configured credentials
// themselves.
type Role struct {
	// ARN is the role's ARN; empty for no role.
	ARN string
	// ExternalID is the external ID the role's trust policy asks for, or
	// empty.
	ExternalID string
}

// String names the role, without its external ID.
func (r Role) String() string {
	switch {
	case r.ARN == "":
		return "the configured credentials"
	case r.ExternalID != "":
		return "role " + r.ARN + " (with an external ID)"
	}
	return "role " + r.ARN
}

// Target is a registry to get credentials for, and the identity that gets
// them.
type Target struct {
	// AccountID is the private registry's account; empty means the
	// caller's own registry.
	AccountID string
	// Region is the private registry's region. For ECR Public it is
	// ignored: that API lives in us-east-1.
	Region string
	// Public selects ECR Public, public.ecr.aws.
	Public bool
	// Role is the role to assume; the zero Role uses the configured
	// credentials.
	Role Role
}

// TargetOf returns the Target for a parsed registry, reached as role.
func TargetOf(r Registry, role Role) Target {
	return Target{AccountID: r.AccountID, Region: r.Region, Public: r.Public, Role: role}
}

// normalized makes every spelling of one registry the same Target.
func (t Target) normalized() Target {
	if t.Public {
		t.AccountID, t.Region = "", publicRegion
	}
	return t
}

// String describes the target for messages, as "account A in REGION" or
// "ECR Public", plus the role if there is one.
func (t Target) String() string {
	s := "ECR Public"
	if !t.Public {
		s = "account " + orCaller(t.AccountID) + " in " + t.Region
	}
	if t.Role.ARN != "" {
		s += " as " + t.Role.String()
	}
	return s
}

// Provider hands out ECR credentials. It keeps one token per registry
// (account and region, or ECR Public) and credentials identity (the
// configured credentials, or a role with its external ID) for as long as the
// token has at least 15 minutes and a tenth of its lifetime left. Concurrent
// callers for one registry share one GetAuthorizationToken request; the
// request goes on as long as any of them waits, whoever started it. An
// error is handed to the callers that waited for that request and then
// forgotten, so the next caller asks again. A token that was already
// expired when it arrived (emulators send such tokens) is handed to those
// callers but never to a later one.
//
// Clients or Client must be set. A Provider must not be copied after first
// use.
type Provider struct {
	// Clients builds the AWS clients. It takes precedence over Client.
	Clients Clients
	// Client returns an ECR client for a region with the configured
	// credentials. It is a shortcut for a Clients that cannot assume
	// roles, reach ECR Public or name the caller in an access-denied
	// error.
	Client func(ctx context.Context, region string) (ECRAPI, error)
	// Logger receives debug messages, never a secret; nil discards them.
	Logger *slog.Logger
	// Now returns the current time; nil means time.Now. Tests set it.
	Now func() time.Time

	mu      sync.Mutex
	entries map[Target]*entry
}

// entry is one token request and, once done, its answer.
type entry struct {
	done    chan struct{} // closed when the request has ended
	cancel  context.CancelFunc
	waiters int // callers waiting on done; guarded by Provider.mu

	// Set before done is closed.
	creds     Credentials
	err       error
	fetchedAt time.Time // when the request was sent
}

func (e *entry) finished() bool {
	select {
	case <-e.done:
		return true
	default:
		return false
	}
}

// Credentials returns credentials for the private registry of accountID
// (empty: the caller's own) in region, with the configured credentials.
func (p *Provider) Credentials(ctx context.Context, accountID, region string) (Credentials, error) {
	return p.CredentialsFor(ctx, Target{AccountID: accountID, Region: region})
}

// CredentialsFor returns credentials for target: the cached ones if they
// are fresh, else those of a new request, shared with every concurrent
// caller for the same target. It returns early with ctx's error when ctx
// ends first.
func (p *Provider) CredentialsFor(ctx context.Context, target Target) (Credentials, error) {
	t := target.normalized()
	if err := ctx.Err(); err != nil {
		return Credentials{}, fmt.Errorf("getting ECR credentials for %s: %w", t, err)
	}
	p.mu.Lock()
	if p.entries == nil {
		p.entries = map[Target]*entry{}
	}
	e := p.entries[t]
	if e != nil && e.finished() {
		if p.reusable(e) {
			p.mu.Unlock()
			p.logger().Debug("using the cached ECR token", "target", t.String(),
				"expires", e.creds.ExpiresAt)
			return e.creds, nil
		}
		delete(p.entries, t)
		e = nil
	}
	if e == nil {
		// The request must not end with the caller that happened to start
		// it: it is cancelled only when no caller waits for it any more.
		fctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		e = &entry{done: make(chan struct{}), cancel: cancel}
		p.entries[t] = e
		go p.run(fctx, t, e)
	}
	e.waiters++
	p.mu.Unlock()

	select {
	case <-e.done:
		p.mu.Lock()
		e.waiters--
		p.mu.Unlock()
		return e.creds, e.err
	case <-ctx.Done():
		p.mu.Lock()
		e.waiters--
		if e.waiters == 0 && !e.finished() {
			e.cancel()
			if p.entries[t] == e {
				delete(p.entries, t)
			}
		}
		p.mu.Unlock()
		return Credentials{}, fmt.Errorf("waiting for ECR credentials for %s: %w", t, ctx.Err())
	}
}

// Invalidate drops the cached token of the private registry of accountID in
// region, got with the configured credentials, so that the next Credentials
// call fetches a new one. Call it once after a registry refuses the token
// with HTTP 401. A request under way is left alone: its token is newer than
// the one refused.
func (p *Provider) Invalidate(accountID, region string) {
	p.InvalidateFor(Target{AccountID: accountID, Region: region})
}

// InvalidateFor is Invalidate for any target.
func (p *Provider) InvalidateFor(target Target) {
	t := target.normalized()
	p.mu.Lock()
	defer p.mu.Unlock()
	if e := p.entries[t]; e != nil && e.finished() {
		delete(p.entries, t)
		p.logger().Debug("dropped the cached ECR token", "target", t.String())
	}
}

// run makes the request of e and records its answer. Errors and tokens
// that cannot be reused leave the cache at once, so that only the callers
// already waiting see them.
func (p *Provider) run(ctx context.Context, t Target, e *entry) {
	defer e.cancel()
	start := p.now()
	creds, err := p.fetch(ctx, t)
	p.mu.Lock()
	defer p.mu.Unlock()
	e.creds, e.err, e.fetchedAt = creds, err, start
	if (err != nil || !p.reusable(e)) && p.entries[t] == e {
		delete(p.entries, t)
	}
	if err == nil && !creds.ExpiresAt.IsZero() && !creds.ExpiresAt.After(start) {
		p.logger().Debug("the ECR token had expired when it arrived; using it this once",
			"target", t.String(), "expires", creds.ExpiresAt)
	}
	close(e.done)
}

// reusable reports whether the finished e holds a token that may still be
// handed out: no error, and at least refreshMargin and a tenth of its
// lifetime left.
func (p *Provider) reusable(e *entry) bool {
	if e.err != nil {
		return false
	}
	expires := e.creds.ExpiresAt
	if expires.IsZero() {
		expires = e.fetchedAt.Add(assumedLifetime)
	}
	lifetime := expires.Sub(e.fetchedAt)
	if lifetime <= 0 {
		return false
	}
	margin := max(refreshMargin, lifetime/refreshFraction)
	return p.now().Add(margin).Before(expires)
}

// fetch asks ECR or ECR Public for a token for t.
func (p *Provider) fetch(ctx context.Context, t Target) (Credentials, error) {
	log := p.logger()
	log.Debug("getting an ECR authorization token", "target", t.String())
	clients := p.clients()
	var creds Credentials
	var err error
	if t.Public {
		var api ECRPublicAPI
		if api, err = clients.ECRPublic(ctx, t.Role); err == nil {
			creds, err = fetchPublic(ctx, api)
		}
	} else {
		var api ECRAPI
		if api, err = clients.ECR(ctx, t.Region, t.Role); err == nil {
			creds, err = fetchPrivate(ctx, api, t.AccountID)
		}
	}
	if err == nil {
		err = checkRegistry(t, creds)
	}
	if err != nil {
		err = p.explain(ctx, t, err)
		return Credentials{}, fmt.Errorf("getting an ECR authorization token for %s: %w", t, err)
	}
	log.Debug("got an ECR authorization token", "target", t.String(), "credentials", creds,
		"expires", creds.ExpiresAt)
	return creds, nil
}

// checkRegistry refuses a token that ECR says is for a registry other than
// the one asked for, as happens when an endpoint setting sends the request
// to another region. An endpoint that is not an ECR host, as emulators give,
// is accepted.
func checkRegistry(t Target, c Credentials) error {
	if t.Public {
		return nil
	}
	got, err := ParseRegistry(c.Registry)
	if err != nil || got.Public {
		return nil
	}
	if got.Region != t.Region {
		return fmt.Errorf("the token is for registry %s in region %s, not for region %s; "+
			"check the ECR endpoint settings (AWS_ENDPOINT_URL, the profile's endpoint_url)",
			got.Host, got.Region, t.Region)
	}
	if t.AccountID != "" && got.AccountID != t.AccountID {
		return fmt.Errorf("the token is for registry %s of account %s, not of account %s",
			got.Host, got.AccountID, t.AccountID)
	}
	return nil
}

func (p *Provider) clients() Clients {
	if p.Clients != nil {
		return p.Clients
	}
	if p.Client != nil {
		return funcClients{p.Client}
	}
	return funcClients{func(context.Context, string) (ECRAPI, error) {
		return nil, errors.New("login.Provider has neither Clients nor Client")
	}}
}

func (p *Provider) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *Provider) logger() *slog.Logger {
	if p.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return p.Logger
}
