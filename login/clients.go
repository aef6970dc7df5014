package login

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecrpublic"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// ECRPublicAPI is the part of the ECR Public client that login uses.
// *ecrpublic.Client satisfies it.
type ECRPublicAPI interface {
	GetAuthorizationToken(ctx context.Context, in *ecrpublic.GetAuthorizationTokenInput,
		optFns ...func(*ecrpublic.Options)) (*ecrpublic.GetAuthorizationTokenOutput, error)
}

// STSAPI is the part of the STS client that login uses, to name the caller
// in an access-denied error. *sts.Client satisfies it.
type STSAPI interface {
	GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput,
		optFns ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

// Clients builds the AWS API clients a Provider uses. Each client acts as
// role; the zero Role is the configured credentials themselves.
type Clients interface {
	// ECR returns an ECR client for region.
	ECR(ctx context.Context, region string, role Role) (ECRAPI, error)
	// ECRPublic returns an ECR Public client for us-east-1.
	ECRPublic(ctx context.Context, role Role) (ECRPublicAPI, error)
	// STS returns an STS client for region.
	STS(ctx context.Context, region string, role Role) (STSAPI, error)
}

// AWSClients builds clients of the AWS SDK from one base configuration,
// which should come from config.LoadDefaultConfig so that profiles, SSO,
// credential_process, container and instance roles and web identity all
// work, and whose retry settings (RetryMaxAttempts, Retryer) every client
// keeps. A Role is assumed with the SDK's stscreds.AssumeRoleProvider
// through STS in the client's region, on top of the base credentials; its
// credentials are cached and shared by every client for that role and
// region.
type AWSClients struct {
	// Config returns the base configuration. It is called for every client
	// built, so it should load the configuration once and cache it.
	Config func(ctx context.Context) (aws.Config, error)

	mu    sync.Mutex
	roles map[roleKey]aws.CredentialsProvider
}

type roleKey struct {
	role   Role
	region string
}

// ECR returns an ECR client for region, acting as role.
func (a *AWSClients) ECR(ctx context.Context, region string, role Role) (ECRAPI, error) {
	cfg, err := a.config(ctx, region, role)
	if err != nil {
		return nil, err
	}
	return ecr.NewFromConfig(cfg), nil
}

// ECRPublic returns an ECR Public client for us-east-1, acting as role.
func (a *AWSClients) ECRPublic(ctx context.Context, role Role) (ECRPublicAPI, error) {
	cfg, err := a.config(ctx, publicRegion, role)
	if err != nil {
		return nil, err
	}
	return ecrpublic.NewFromConfig(cfg), nil
}

// STS returns an STS client for region, acting as role.
func (a *AWSClients) STS(ctx context.Context, region string, role Role) (STSAPI, error) {
	cfg, err := a.config(ctx, region, role)
	if err != nil {
		return nil, err
	}
	return sts.NewFromConfig(cfg), nil
}

// config returns a copy of the base configuration for region, with role's
// credentials when a role is given.
func (a *AWSClients) config(ctx context.Context, region string, role Role) (aws.Config, error) {
	if a.Config == nil {
		return aws.Config{}, errors.New("login.AWSClients has no Config")
	}
	base, err := a.Config(ctx)
	if err != nil {
		return aws.Config{}, err
	}
	cfg := base.Copy()
	cfg.Region = region
	if role.ARN != "" {
		cfg.Credentials = a.roleCredentials(cfg, region, role)
	}
	return cfg, nil
}

// roleCredentials returns the cached credentials of role in region, made
// from base's own credentials on first use.
func (a *AWSClients) roleCredentials(base aws.Config, region string,
	role Role) aws.CredentialsProvider {
	a.mu.Lock()
	defer a.mu.Unlock()
	key := roleKey{role, region}
	if c, ok := a.roles[key]; ok {
		return c
	}
	assumer := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(base), role.ARN,
		func(o *stscreds.AssumeRoleOptions) {
			if role.ExternalID != "" {
				o.ExternalID = aws.String(role.ExternalID)
			}
			o.RoleSessionName = roleSessionName
		})
	c := aws.NewCredentialsCache(assumer)
	if a.roles == nil {
		a.roles = map[roleKey]aws.CredentialsProvider{}
	}
	a.roles[key] = c
	return c
}

// roleSessionName names cdkpush's role sessions, so that CloudTrail shows
// who assumed the role.
const roleSessionName = "cdkpush"

// funcClients adapts Provider.Client, which only makes ECR clients with the
// configured credentials, to Clients.
type funcClients struct {
	ecr func(ctx context.Context, region string) (ECRAPI, error)
}

var errNoClients = errors.New("login.Provider has only Client set, not Clients")

func (f funcClients) ECR(ctx context.Context, region string, role Role) (ECRAPI, error) {
	if role.ARN != "" {
		return nil, fmt.Errorf("assuming role %s: %w", role.ARN, errNoClients)
	}
	return f.ecr(ctx, region)
}

func (funcClients) ECRPublic(context.Context, Role) (ECRPublicAPI, error) {
	return nil, fmt.Errorf("making an ECR Public client: %w", errNoClients)
}

func (funcClients) STS(context.Context, string, Role) (STSAPI, error) {
	return nil, fmt.Errorf("making an STS client: %w", errNoClients)
}
