package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/logging"

	"github.com/cdkpush/cdkpush/login"
	"github.com/cdkpush/cdkpush/stackinfo"
)

// awsClients loads the AWS configuration on first use, so a run that needs
// no AWS call makes none, and builds regional clients from it. Credentials,
// endpoints (AWS_ENDPOINT_URL) and retries are the SDK's own.
type awsClients struct {
	profile string
	region  string
	log     *slog.Logger
	// maxAttempts, when above 0, replaces the SDK's attempts per call.
	maxAttempts int

	once sync.Once
	cfg  aws.Config
	err  error
}

func (a *awsClients) config(ctx context.Context) (aws.Config, error) {
	a.once.Do(func() {
		var opts []func(*config.LoadOptions) error
		if a.profile != "" {
			opts = append(opts, config.WithSharedConfigProfile(a.profile))
		}
		if a.region != "" {
			opts = append(opts, config.WithRegion(a.region))
		}
		if a.maxAttempts > 0 {
			opts = append(opts, config.WithRetryMaxAttempts(a.maxAttempts))
		}
		// Each AWS request is small; one that takes longer than this is an
		// endpoint that accepts connections but does not answer.
		opts = append(opts, config.WithAppID("cdkpush"),
			config.WithLogger(sdkLogger{a.log}),
			config.WithHTTPClient(awshttp.NewBuildableClient().WithTimeout(awsRequestTimeout)))
		a.cfg, a.err = config.LoadDefaultConfig(ctx, opts...)
		if a.err != nil {
			a.err = fmt.Errorf("loading the AWS configuration (profile %q): %w", a.profile, a.err)
		}
	})
	return a.cfg, a.err
}

// awsRequestTimeout bounds one AWS API request, retries apart.
const awsRequestTimeout = 30 * time.Second

// newAWSClients returns the AWS clients of a run: the profile is --profile,
// else cdk.json's.
func newAWSClients(opts *options, cdk stackinfo.CDKConfig, log *slog.Logger) *awsClients {
	profile := opts.Profile
	if profile == "" {
		profile = cdk.Profile
	}
	return &awsClients{profile: profile, region: opts.Region, log: log,
		maxAttempts: opts.MaxAttempts}
}

// loginProvider returns an ECR credentials provider on this configuration.
func (a *awsClients) loginProvider() *login.Provider {
	return &login.Provider{Clients: &login.AWSClients{Config: a.config}, Logger: a.log}
}

func (a *awsClients) cloudFormation(ctx context.Context,
	region string) (stackinfo.CloudFormationAPI, error) {
	cfg, err := a.config(ctx)
	if err != nil {
		return nil, err
	}
	return cloudformation.NewFromConfig(cfg, func(o *cloudformation.Options) {
		o.Region = region
	}), nil
}

// sdkLogger passes the SDK's own log lines to the debug log, so that they
// never mix with cdkpush's output unasked.
type sdkLogger struct{ log *slog.Logger }

func (l sdkLogger) Logf(c logging.Classification, format string, v ...any) {
	l.log.Debug(fmt.Sprintf(format, v...), "source", "aws-sdk", "class", string(c))
}

// account returns the caller's account from STS.
func (a *awsClients) account(ctx context.Context) (string, error) {
	cfg, err := a.config(ctx)
	if err != nil {
		return "", err
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", fmt.Errorf("asking STS who the caller is: %w", err)
	}
	return aws.ToString(out.Account), nil
}

// defaultRegion is the configured region: --region, else the profile's or
// AWS_REGION. Loading the configuration makes no AWS call.
func (a *awsClients) defaultRegion(ctx context.Context) string {
	cfg, err := a.config(ctx)
	if err != nil {
		return a.region
	}
	return cfg.Region
}
