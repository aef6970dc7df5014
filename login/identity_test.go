package login

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/google/go-cmp/cmp"
)

const (
	roleA = "arn:aws:iam::210987654321:role/publish-a"
	roleB = "arn:aws:iam::210987654321:role/publish-b"
)

// newAWSProvider returns a Provider whose AWSClients talk to f.
func newAWSProvider(t *testing.T, f *fakeAWS) *Provider {
	t.Helper()
	cfg := f.start(t)
	return &Provider{Clients: &AWSClients{
		Config: func(context.Context) (aws.Config, error) { return cfg, nil },
	}}
}

// signerAnswer answers GetAuthorizationToken with a password that names the
// access key that signed the request.
func signerAnswer(req awsRequest) (int, string) {
	return http.StatusOK, tokenAnswerAt(b64("AWS:"+testPassword+"-"+req.AccessKey),
		"https://"+testAccount+".dkr.ecr."+req.Region+".amazonaws.com",
		time.Now().Add(12*time.Hour))
}

// TestProviderIdentities: each credentials identity (the configured
// credentials, a role, the same role with an external ID) gets a token of
// its own, signed as itself, and each role is assumed once.
func TestProviderIdentities(t *testing.T) {
	sandboxAWS(t)
	f := &fakeAWS{t: t, ecr: signerAnswer, sts: stsFake}
	p := newAWSProvider(t, f)
	tests := []struct {
		role    Role
		wantKey string
	}{
		{role: Role{}, wantKey: baseAccessKey},
		{role: Role{ARN: roleA}, wantKey: roleAccessKey(roleA, "")},
		{role: Role{ARN: roleA, ExternalID: "ext-1"}, wantKey: roleAccessKey(roleA, "ext-1")},
		{role: Role{ARN: roleB}, wantKey: roleAccessKey(roleB, "")},
	}
	for range 2 {
		for _, tt := range tests {
			got, err := p.CredentialsFor(context.Background(),
				Target{AccountID: testAccount, Region: "us-east-1", Role: tt.role})
			if err != nil {
				t.Fatalf("CredentialsFor(%v) error: %v", tt.role, err)
			}
			if want := testPassword + "-" + tt.wantKey; got.Password != want {
				t.Errorf("CredentialsFor(%v) password = %q, want %q", tt.role, got.Password, want)
			}
		}
	}
	if n := len(f.calls("ecr")); n != len(tests) {
		t.Errorf("ECR got %d requests, want %d: one per identity", n, len(tests))
	}
	var assumed []string
	for _, r := range f.calls("sts") {
		if r.Action != "AssumeRole" {
			t.Errorf("unexpected STS %s", r.Action)
			continue
		}
		assumed = append(assumed, r.Form.Get("RoleArn")+" "+r.Form.Get("ExternalId")+" "+
			r.Form.Get("RoleSessionName")+" "+r.AccessKey+" "+r.Region)
	}
	sort.Strings(assumed)
	want := []string{
		roleA + "  cdkpush AKIDBASE us-east-1",
		roleA + " ext-1 cdkpush AKIDBASE us-east-1",
		roleB + "  cdkpush AKIDBASE us-east-1",
	}
	if diff := cmp.Diff(want, assumed); diff != "" {
		t.Errorf("AssumeRole requests mismatch (-want +got):\n%s", diff)
	}
}

func TestProviderAccessDenied(t *testing.T) {
	sandboxAWS(t)
	denied := func(awsRequest) (int, string) {
		return http.StatusBadRequest, errorAnswer("AccessDeniedException",
			"not authorized to perform: ecr:GetAuthorizationToken")
	}
	tests := []struct {
		name   string
		target Target
		ecr    func(awsRequest) (int, string)
		sts    func(awsRequest) (int, string)
		want   AccessDeniedError
		// wantErr are parts of the error text.
		wantErr []string
	}{
		{
			name:   "configured credentials",
			target: Target{AccountID: "210987654321", Region: "eu-west-1"},
			ecr:    denied,
			sts:    stsFake,
			want: AccessDeniedError{Action: "ecr:GetAuthorizationToken", Region: "eu-west-1",
				Caller: "arn:aws:iam::123456789012:user/dev"},
			wantErr: []string{
				"getting an ECR authorization token for account 210987654321 in eu-west-1: ",
				"access denied: arn:aws:iam::123456789012:user/dev may not call " +
					"ecr:GetAuthorizationToken in eu-west-1: ",
				"AccessDeniedException",
			},
		},
		{
			name:   "as a role",
			target: Target{AccountID: "210987654321", Region: "eu-west-1", Role: Role{ARN: roleA}},
			ecr:    denied,
			sts:    stsFake,
			want: AccessDeniedError{Action: "ecr:GetAuthorizationToken", Region: "eu-west-1",
				Caller: "arn:aws:sts::123456789012:assumed-role/publish-a/cdkpush"},
			wantErr: []string{"as role " + roleA,
				"assumed-role/publish-a/cdkpush may not call ecr:GetAuthorizationToken"},
		},
		{
			name: "role not assumable",
			target: Target{AccountID: "210987654321", Region: "eu-west-1",
				Role: Role{ARN: roleA, ExternalID: "wrong"}},
			ecr: denied,
			sts: func(req awsRequest) (int, string) {
				if req.Action == "AssumeRole" {
					return stsError("AccessDenied", "not authorized to perform: sts:AssumeRole")
				}
				return stsFake(req)
			},
			want: AccessDeniedError{Action: "sts:AssumeRole", Region: "eu-west-1",
				Caller: "arn:aws:iam::123456789012:user/dev", Role: roleA},
			wantErr: []string{"(with an external ID)",
				"arn:aws:iam::123456789012:user/dev may not call sts:AssumeRole on " + roleA +
					" in eu-west-1"},
		},
		{
			name:   "caller unknown",
			target: Target{AccountID: "210987654321", Region: "eu-west-1"},
			ecr:    denied,
			sts: func(awsRequest) (int, string) {
				return stsError("ExpiredToken", "the security token has expired")
			},
			want: AccessDeniedError{Action: "ecr:GetAuthorizationToken", Region: "eu-west-1"},
			wantErr: []string{"access denied: (caller unknown: sts:GetCallerIdentity failed: ",
				"ExpiredToken"},
		},
		{
			name:   "ECR Public",
			target: Target{Public: true, Region: "eu-west-1"},
			sts:    stsFake,
			want: AccessDeniedError{Action: "ecr-public:GetAuthorizationToken",
				Region: "us-east-1", Caller: "arn:aws:iam::123456789012:user/dev"},
			wantErr: []string{"for ECR Public: access denied",
				"may not call ecr-public:GetAuthorizationToken in us-east-1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeAWS{t: t, ecr: tt.ecr, sts: tt.sts, ecrPublic: denied}
			p := newAWSProvider(t, f)
			_, err := p.CredentialsFor(context.Background(), tt.target)
			var got *AccessDeniedError
			if !errors.As(err, &got) {
				t.Fatalf("CredentialsFor() error = %v, want an *AccessDeniedError", err)
			}
			if tt.want.Caller == "" {
				tt.want.Caller = got.Caller // checked through wantErr
			}
			if got.Action != tt.want.Action || got.Region != tt.want.Region ||
				got.Caller != tt.want.Caller || got.Role != tt.want.Role {
				t.Errorf("AccessDeniedError = {%q %q %q %q}, want {%q %q %q %q}",
					got.Action, got.Region, got.Caller, got.Role,
					tt.want.Action, tt.want.Region, tt.want.Caller, tt.want.Role)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("CredentialsFor() error %q does not contain %q", err, want)
				}
			}
			assertNoSecret(t, "CredentialsFor error", err.Error(), "")
		})
	}
}

// TestProviderNotDenied: other errors get no STS call and no caller.
func TestProviderNotDenied(t *testing.T) {
	sandboxAWS(t)
	f := &fakeAWS{t: t, ecr: func(awsRequest) (int, string) {
		return http.StatusBadRequest, errorAnswer("InvalidParameterException", "bad registryIds")
	}}
	p := newAWSProvider(t, f)
	_, err := p.Credentials(context.Background(), testAccount, "us-east-1")
	var denied *AccessDeniedError
	if err == nil || errors.As(err, &denied) {
		t.Fatalf("Credentials() error = %v, want a plain error", err)
	}
	if !strings.Contains(err.Error(), "for account 123456789012 in us-east-1: ") {
		t.Errorf("Credentials() error %q does not name the account and region", err)
	}
	if n := len(f.calls("sts")); n != 0 {
		t.Errorf("STS got %d requests, want none", n)
	}
}

// TestProviderMalformedAnswers: an empty or malformed token fails with
// what was wrong and never shows the token.
func TestProviderMalformedAnswers(t *testing.T) {
	sandboxAWS(t)
	tests := []struct {
		name    string
		answer  string
		token   string
		wantErr string
	}{
		{name: "no authorization data", answer: `{"authorizationData":[]}`,
			wantErr: "the answer holds no authorization data"},
		{name: "empty token", answer: tokenAnswer("", testEndpoint),
			wantErr: "decoding the answer: authorization token is empty"},
		{name: "not base64", answer: tokenAnswer("AWS:"+testPassword, testEndpoint),
			token: "AWS:" + testPassword, wantErr: "not valid base64"},
		{name: "no colon", answer: tokenAnswer(b64("AWS"+testPassword), testEndpoint),
			token: b64("AWS" + testPassword), wantErr: "no user:password separator"},
		{name: "wrong user", answer: tokenAnswer(b64("admin:"+testPassword), testEndpoint),
			token: b64("admin:" + testPassword), wantErr: `for user "admin", want "AWS"`},
		{name: "empty password", answer: tokenAnswer(b64("AWS:"), testEndpoint),
			wantErr: "empty password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeAWS{t: t, ecr: func(awsRequest) (int, string) {
				return http.StatusOK, tt.answer
			}}
			p := newAWSProvider(t, f)
			_, err := p.Credentials(context.Background(), testAccount, "us-east-1")
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Credentials() error = %v, want one containing %q", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), "account 123456789012 in us-east-1") {
				t.Errorf("Credentials() error %q does not name the registry", err)
			}
			assertNoSecret(t, "Credentials error", err.Error(), tt.token)
		})
	}
}

// TestProviderRegionMismatch: a token for another region's registry is
// refused, naming both regions.
func TestProviderRegionMismatch(t *testing.T) {
	sandboxAWS(t)
	tests := []struct {
		name     string
		endpoint string
		wantErr  string // "" for success
	}{
		{name: "same registry", endpoint: "https://123456789012.dkr.ecr.eu-west-1.amazonaws.com"},
		{
			name:     "other region",
			endpoint: "https://123456789012.dkr.ecr.us-east-1.amazonaws.com",
			wantErr: "the token is for registry 123456789012.dkr.ecr.us-east-1.amazonaws.com " +
				"in region us-east-1, not for region eu-west-1",
		},
		{
			name:     "other account",
			endpoint: "https://210987654321.dkr.ecr.eu-west-1.amazonaws.com",
			wantErr:  "of account 210987654321, not of account 123456789012",
		},
		// Emulators name their own endpoint.
		{name: "not an ECR host", endpoint: "http://localhost.localstack.cloud:4510"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeAWS{t: t, ecr: func(awsRequest) (int, string) {
				return http.StatusOK, tokenAnswerAt(b64("AWS:"+testPassword), tt.endpoint,
					time.Now().Add(time.Hour))
			}}
			p := newAWSProvider(t, f)
			_, err := p.Credentials(context.Background(), testAccount, "eu-west-1")
			if tt.wantErr == "" {
				if err != nil {
					t.Errorf("Credentials() error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Credentials() error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

// TestProviderPublic: ECR Public tokens come from the ecr-public API in
// us-east-1, whatever region the target names.
func TestProviderPublic(t *testing.T) {
	sandboxAWS(t)
	f := &fakeAWS{t: t, ecrPublic: func(awsRequest) (int, string) {
		return http.StatusOK, `{"authorizationData":{"authorizationToken":"` +
			b64("AWS:"+testPassword) + `","expiresAt":1.9e9}}`
	}}
	p := newAWSProvider(t, f)
	for _, region := range []string{"eu-west-1", "", "us-east-1"} {
		got, err := p.CredentialsFor(context.Background(), Target{Public: true, Region: region})
		if err != nil {
			t.Fatalf("CredentialsFor(public, %q) error: %v", region, err)
		}
		if got.Username != "AWS" || got.Password != testPassword ||
			got.Registry != "public.ecr.aws" {
			t.Errorf("CredentialsFor(public) = %v, want AWS@public.ecr.aws", got)
		}
	}
	calls := f.calls("")
	if len(calls) != 1 || calls[0].Service != "ecr-public" || calls[0].Region != "us-east-1" {
		t.Errorf("requests = %+v, want one ecr-public request in us-east-1", calls)
	}
}

// TestProviderRetries: throttling and 5xx answers are retried by the SDK's
// retryer, up to the configured number of attempts.
func TestProviderRetries(t *testing.T) {
	sandboxAWS(t)
	tests := []struct {
		name         string
		maxAttempts  int
		failures     int
		status       int
		code         string
		wantRequests int
		wantErr      bool
	}{
		{name: "throttled once", maxAttempts: 3, failures: 1, status: http.StatusBadRequest,
			code: "ThrottlingException", wantRequests: 2},
		{name: "5xx twice", maxAttempts: 3, failures: 2, status: http.StatusInternalServerError,
			code: "ServerException", wantRequests: 3},
		{name: "5xx past the attempts", maxAttempts: 2, failures: 5,
			status: http.StatusServiceUnavailable, code: "ServerException", wantRequests: 2,
			wantErr: true},
		{name: "one attempt", maxAttempts: 1, failures: 1, status: http.StatusBadRequest,
			code: "ThrottlingException", wantRequests: 1, wantErr: true},
		{name: "more attempts", maxAttempts: 6, failures: 5, status: http.StatusBadGateway,
			code: "ServerException", wantRequests: 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeAWS{t: t}
			f.ecr = func(req awsRequest) (int, string) {
				if len(f.calls("ecr")) <= tt.failures {
					return tt.status, errorAnswer(tt.code, "try again")
				}
				return signerAnswer(req)
			}
			cfg := f.start(t)
			cfg.RetryMaxAttempts = tt.maxAttempts
			p := &Provider{Clients: &AWSClients{
				Config: func(context.Context) (aws.Config, error) { return cfg, nil },
			}}
			_, err := p.Credentials(context.Background(), testAccount, "us-east-1")
			if (err != nil) != tt.wantErr {
				t.Errorf("Credentials() error = %v, want error %v", err, tt.wantErr)
			}
			if n := len(f.calls("ecr")); n != tt.wantRequests {
				t.Errorf("ECR got %d requests, want %d", n, tt.wantRequests)
			}
		})
	}
}

func TestTargetString(t *testing.T) {
	tests := []struct {
		target Target
		want   string
	}{
		{Target{AccountID: testAccount, Region: "us-east-1"}, "account 123456789012 in us-east-1"},
		{Target{Region: "us-east-1"}, "account of the caller in us-east-1"},
		{Target{Public: true}, "ECR Public"},
		{Target{AccountID: testAccount, Region: "eu-west-1", Role: Role{ARN: roleA,
			ExternalID: "secret-ish"}},
			"account 123456789012 in eu-west-1 as role " + roleA + " (with an external ID)"},
	}
	for _, tt := range tests {
		if got := tt.target.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.target, got, tt.want)
		}
	}
	reg, err := ParseRegistry("123456789012.dkr-ecr-fips.us-gov-west-1.amazonaws.com")
	if err != nil {
		t.Fatal(err)
	}
	want := Target{AccountID: testAccount, Region: "us-gov-west-1", Role: Role{ARN: roleB}}
	if got := TargetOf(reg, Role{ARN: roleB}); got != want {
		t.Errorf("TargetOf(%v) = %#v, want %#v", reg, got, want)
	}
}
