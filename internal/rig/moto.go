package rig

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// Dummy credentials moto accepts; any made-up key maps to account DefaultAccount.
const (
	// AccessKeyID is the access key the rig uses with moto.
	AccessKeyID = "AKIAIOSFODNN7EXAMPLE"
	// SecretAccessKey is the secret key the rig uses with moto.
	SecretAccessKey = "dummy-secret-access-key"
	// DefaultRegion is the region of Moto.Env.
	DefaultRegion = "us-east-1"
	// DefaultAccount is the account moto answers for (MOTO_ACCOUNT_ID is never passed on).
	DefaultAccount = "123456789012"
	// BootstrapVersionParameter is the SSM parameter CDK templates read the bootstrap
	// version from; moto fails CreateStack with HTTP 500 when it is missing.
	BootstrapVersionParameter = "/cdk-bootstrap/hnb659fds/version"
)

// motoRunning matches the line Werkzeug prints once it listens.
var motoRunning = regexp.MustCompile(`Running on http://127\.0\.0\.1:(\d+)`)

// Moto is a moto_server (5.2) on 127.0.0.1 playing ECR, CloudFormation, SSM and STS.
type Moto struct {
	// Endpoint is "http://127.0.0.1:PORT", the AWS endpoint URL for every service.
	Endpoint string
	// Dir holds moto.log and the empty AWS config files of Env.
	Dir string

	proc *proc
	http *http.Client
}

// StartMoto starts moto_server in dir (created if needed) on a free port and waits until
// GET /moto-api/ answers 200.
func StartMoto(ctx context.Context, dir string) (*Moto, error) {
	bin, err := lookBin("moto_server")
	if err != nil {
		return nil, err
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("resolve moto dir %q: %w", dir, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create moto dir %q: %w", dir, err)
	}
	for _, f := range []string{"aws-config", "aws-credentials"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
			return nil, fmt.Errorf("write empty %s in %s: %w", f, dir, err)
		}
	}
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MOTO_ACCOUNT_ID=") {
			env = append(env, kv)
		}
	}
	env = append(env, "PYTHONUNBUFFERED=1")
	p, err := startProc("moto_server", filepath.Join(dir, "moto.log"), env, bin,
		"-H", "127.0.0.1", "-p", "0")
	if err != nil {
		return nil, err
	}
	m := &Moto{Dir: dir, proc: p, http: &http.Client{Timeout: 30 * time.Second}}
	if err := m.waitReady(ctx); err != nil {
		_ = m.Stop()
		return nil, err
	}
	return m, nil
}

// waitReady reads the port from moto.log, then polls GET /moto-api/ until it answers 200.
func (m *Moto) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(60 * time.Second)
	var last string
	for {
		if m.Endpoint == "" {
			b, _ := os.ReadFile(m.proc.logPath)
			if sm := motoRunning.FindSubmatch(b); sm != nil {
				m.Endpoint = "http://127.0.0.1:" + string(sm[1])
			} else {
				last = "no \"Running on\" line in the log yet"
			}
		}
		if m.Endpoint != "" {
			err := m.call(ctx, http.MethodGet, "/moto-api/")
			if err == nil {
				return nil
			}
			last = err.Error()
		}
		switch {
		case m.proc.exited():
			return m.proc.failure("start moto_server")
		case ctx.Err() != nil:
			return m.proc.failure("wait for moto_server: %v (last: %s)", ctx.Err(), last)
		case time.Now().After(deadline):
			return m.proc.failure("wait for moto_server: not ready within 60s (last: %s)", last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// call sends a bodiless request to moto and requires HTTP 200.
func (m *Moto) call(ctx context.Context, method, path string) error {
	url := m.Endpoint + path
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		return fmt.Errorf("make request %s %s: %w", method, url, err)
	}
	resp, err := m.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 2000))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: HTTP %s: %s", method, url, resp.Status,
			strings.TrimSpace(string(body)))
	}
	return nil
}

// Stop stops moto_server (SIGTERM, then SIGKILL). It leaves Dir in place.
func (m *Moto) Stop() error {
	if m == nil {
		return nil
	}
	return m.proc.stop()
}

// Reset wipes all of moto's state (POST /moto-api/reset). Call it after a failed
// CreateStack: moto keeps such a stack and answers HTTP 500 to later stack calls.
func (m *Moto) Reset(ctx context.Context) error {
	if err := m.call(ctx, http.MethodPost, "/moto-api/reset"); err != nil {
		return fmt.Errorf("reset moto: %w", err)
	}
	return nil
}

// Env returns the environment a child cdkpush process needs to talk to this moto with
// dummy credentials in DefaultRegion, never reading the developer's ~/.aws. Append it to
// os.Environ(): os/exec keeps the last value of a repeated variable.
func (m *Moto) Env() []string {
	return []string{
		"AWS_ENDPOINT_URL=" + m.Endpoint,
		"AWS_ACCESS_KEY_ID=" + AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + SecretAccessKey,
		"AWS_SESSION_TOKEN=",
		"AWS_REGION=" + DefaultRegion,
		"AWS_DEFAULT_REGION=" + DefaultRegion,
		"AWS_PROFILE=",
		"AWS_DEFAULT_PROFILE=",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=" + filepath.Join(m.Dir, "aws-config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(m.Dir, "aws-credentials"),
	}
}

// AWSConfig returns an SDK configuration for this moto in region: static dummy
// credentials, BaseEndpoint = Endpoint, one attempt per call. It is built by hand rather
// than by config.LoadDefaultConfig, so no environment variable or shared file is read.
func (m *Moto) AWSConfig(region string) aws.Config {
	return aws.Config{
		Region:           region,
		Credentials:      credentials.NewStaticCredentialsProvider(AccessKeyID, SecretAccessKey, ""),
		BaseEndpoint:     aws.String(m.Endpoint),
		RetryMaxAttempts: 1,
	}
}

// DeployStack creates stackName in region from templateBody with CloudFormation
// CreateStack (not change sets: moto drops their Outputs and Exports), after putting the
// CDK bootstrap version parameter ("21") into SSM, and requires CREATE_COMPLETE.
func (m *Moto) DeployStack(ctx context.Context, region, stackName, templateBody string) error {
	cfg := m.AWSConfig(region)
	_, err := ssm.NewFromConfig(cfg).PutParameter(ctx, &ssm.PutParameterInput{
		Name:      aws.String(BootstrapVersionParameter),
		Value:     aws.String("21"),
		Type:      ssmtypes.ParameterTypeString,
		Overwrite: aws.Bool(true),
	})
	if err != nil {
		return fmt.Errorf("deploy stack %s in %s: put SSM parameter %s: %w",
			stackName, region, BootstrapVersionParameter, err)
	}
	cfn := cloudformation.NewFromConfig(cfg)
	_, err = cfn.CreateStack(ctx, &cloudformation.CreateStackInput{
		StackName:    aws.String(stackName),
		TemplateBody: aws.String(templateBody),
		Capabilities: []cfntypes.Capability{
			cfntypes.CapabilityCapabilityIam, cfntypes.CapabilityCapabilityNamedIam,
		},
	})
	if err != nil {
		return fmt.Errorf("deploy stack %s in %s: create stack (after a failed create, "+
			"Reset moto): %w", stackName, region, err)
	}
	out, err := cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{
		StackName: aws.String(stackName),
	})
	if err != nil {
		return fmt.Errorf("deploy stack %s in %s: describe stack: %w", stackName, region, err)
	}
	if len(out.Stacks) != 1 {
		return fmt.Errorf("deploy stack %s in %s: describe stack returned %d stacks",
			stackName, region, len(out.Stacks))
	}
	if st := out.Stacks[0]; st.StackStatus != cfntypes.StackStatusCreateComplete {
		return fmt.Errorf("deploy stack %s in %s: status %s, want CREATE_COMPLETE: %s",
			stackName, region, st.StackStatus, aws.ToString(st.StackStatusReason))
	}
	return nil
}
