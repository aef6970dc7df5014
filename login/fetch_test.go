package login

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
)

const (
	testEndpoint = "https://123456789012.dkr.ecr.us-east-1.amazonaws.com"
	testHost     = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
)

func TestFetchCredentials(t *testing.T) {
	sandboxAWS(t)
	token := b64("AWS:" + testPassword)
	tests := []struct {
		name    string
		account string
		answers []string // the answer to each request in turn, all HTTP 200
		// wantBody is the request body the fake must see.
		wantBody map[string]any
		wantHost string
	}{
		{
			name:     "account given",
			account:  testAccount,
			answers:  []string{tokenAnswer(token, testEndpoint)},
			wantBody: map[string]any{"registryIds": []any{testAccount}},
			wantHost: testHost,
		},
		{
			// The caller's own registry: no registryIds at all.
			name:     "caller",
			answers:  []string{tokenAnswer(token, testEndpoint)},
			wantBody: map[string]any{},
			wantHost: testHost,
		},
		{
			name:    "endpoint with a slash and no scheme",
			account: testAccount,
			answers: []string{tokenAnswer(token, testHost+"/")},
			wantBody: map[string]any{
				"registryIds": []any{testAccount},
			},
			wantHost: testHost,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeECR(t, func(n int, _ ecrRequest, _ *http.Request) (int, string) {
				return http.StatusOK, tt.answers[n]
			})
			api := newECRClient(f.start(t), "us-east-1")

			got, err := FetchCredentials(context.Background(), api, tt.account)
			if err != nil {
				t.Fatalf("FetchCredentials(%q) error: %v", tt.account, err)
			}
			want := Credentials{
				Username:  "AWS",
				Password:  testPassword,
				Registry:  tt.wantHost,
				ExpiresAt: time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC),
			}
			// Compare the fields: Credentials print redacted, so a diff of
			// them would hide the password.
			if got.Username != want.Username || got.Password != want.Password ||
				got.Registry != want.Registry || !got.ExpiresAt.Equal(want.ExpiresAt) {
				t.Errorf("FetchCredentials(%q) = {%q %q %q %v}, want {%q %q %q %v}",
					tt.account, got.Username, got.Password, got.Registry, got.ExpiresAt,
					want.Username, want.Password, want.Registry, want.ExpiresAt)
			}
			calls := f.calls()
			if len(calls) != 1 {
				t.Fatalf("ECR got %d requests, want 1", len(calls))
			}
			if diff := cmp.Diff(tt.wantBody, calls[0].Body); diff != "" {
				t.Errorf("request body mismatch (-want +got):\n%s", diff)
			}
			if calls[0].Region != "us-east-1" {
				t.Errorf("request signed for region %q, want us-east-1", calls[0].Region)
			}
		})
	}
}

func TestFetchCredentialsErrors(t *testing.T) {
	sandboxAWS(t)
	tests := []struct {
		name    string
		account string
		status  int
		answer  string
		// wantErr are parts of the error text.
		wantErr []string
		// wantCode, when set, is the API error code in the error's chain.
		wantCode string
		// token is a token the error must not show.
		token string
	}{
		{
			name:    "no authorization data",
			account: testAccount,
			status:  http.StatusOK,
			answer:  `{"authorizationData":[]}`,
			wantErr: []string{"account 123456789012", "holds no authorization data"},
		},
		{
			name:    "no authorization data for the caller",
			status:  http.StatusOK,
			answer:  `{}`,
			wantErr: []string{"account of the caller", "no authorization data"},
		},
		{
			name:    "token not base64",
			account: testAccount,
			status:  http.StatusOK,
			answer:  tokenAnswer("AWS:"+testPassword, testEndpoint),
			wantErr: []string{"getting an ECR authorization token for account 123456789012",
				"decoding the answer", "not valid base64"},
			token: "AWS:" + testPassword,
		},
		{
			name:    "token for another user",
			account: testAccount,
			status:  http.StatusOK,
			answer:  tokenAnswer(b64("root:"+testPassword), testEndpoint),
			wantErr: []string{`user "root"`},
			token:   b64("root:" + testPassword),
		},
		{
			name:    "token with no password",
			account: testAccount,
			status:  http.StatusOK,
			answer:  tokenAnswer(b64("AWS:"), testEndpoint),
			wantErr: []string{"empty password"},
		},
		{
			name:    "no proxy endpoint",
			account: testAccount,
			status:  http.StatusOK,
			answer:  tokenAnswer(b64("AWS:"+testPassword), ""),
			wantErr: []string{"no proxy endpoint"},
		},
		{
			name:    "access denied",
			account: "210987654321",
			status:  http.StatusBadRequest,
			answer: errorAnswer("AccessDeniedException", "User: arn:aws:iam::123456789012:"+
				"user/dev is not authorized to perform: ecr:GetAuthorizationToken"),
			wantErr: []string{"getting an ECR authorization token for account 210987654321",
				"not authorized"},
			wantCode: "AccessDeniedException",
		},
		{
			name:    "invalid parameter",
			account: "1",
			status:  http.StatusBadRequest,
			answer: errorAnswer("InvalidParameterException",
				"Invalid parameter at 'registryIds'"),
			wantErr:  []string{"account 1:", "registryIds"},
			wantCode: "InvalidParameterException",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeECR(t, func(int, ecrRequest, *http.Request) (int, string) {
				return tt.status, tt.answer
			})
			api := newECRClient(f.start(t), "us-east-1")

			got, err := FetchCredentials(context.Background(), api, tt.account)
			if err == nil {
				t.Fatalf("FetchCredentials(%q) = %v, want an error", tt.account, got)
			}
			if got != (Credentials{}) {
				t.Errorf("FetchCredentials(%q) returned %v with its error", tt.account, got)
			}
			msg := err.Error()
			for _, want := range tt.wantErr {
				if !strings.Contains(msg, want) {
					t.Errorf("FetchCredentials(%q) error %q does not contain %q",
						tt.account, msg, want)
				}
			}
			assertNoSecret(t, "FetchCredentials error", msg, tt.token)
			if tt.wantCode != "" {
				var apiErr smithy.APIError
				if !errors.As(err, &apiErr) || apiErr.ErrorCode() != tt.wantCode {
					t.Errorf("FetchCredentials(%q) error %q is not API error %s",
						tt.account, msg, tt.wantCode)
				}
			}
			// None of these is worth a retry.
			if n := len(f.calls()); n != 1 {
				t.Errorf("ECR got %d requests, want 1", n)
			}
		})
	}
}

// TestFetchCredentialsThrottled checks that the SDK's retryer, not
// FetchCredentials, deals with throttling.
func TestFetchCredentialsThrottled(t *testing.T) {
	sandboxAWS(t)
	f := newFakeECR(t, func(n int, _ ecrRequest, _ *http.Request) (int, string) {
		if n == 0 {
			return http.StatusBadRequest, errorAnswer("ThrottlingException", "Rate exceeded")
		}
		return http.StatusOK, tokenAnswer(b64("AWS:"+testPassword), testEndpoint)
	})
	api := newECRClient(f.start(t), "us-east-1")

	got, err := FetchCredentials(context.Background(), api, testAccount)
	if err != nil {
		t.Fatalf("FetchCredentials() error: %v", err)
	}
	if got.Password != testPassword || got.Registry != testHost {
		t.Errorf("FetchCredentials() = %v, want the second answer's credentials", got)
	}
	if n := len(f.calls()); n != 2 {
		t.Errorf("ECR got %d requests, want 2 (one throttled, one retry)", n)
	}
}

func TestFetchCredentialsCanceled(t *testing.T) {
	sandboxAWS(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	arrived := make(chan struct{}, 1)
	f := newFakeECR(t, func(_ int, _ ecrRequest, r *http.Request) (int, string) {
		arrived <- struct{}{}
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
			t.Error("ECR fake: the client never gave up the request")
		}
		return http.StatusOK, tokenAnswer(b64("AWS:"+testPassword), testEndpoint)
	})
	api := newECRClient(f.start(t), "us-east-1")
	go func() {
		<-arrived
		cancel()
	}()

	got, err := FetchCredentials(ctx, api, testAccount)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("FetchCredentials() = %v, %v, want context.Canceled", got, err)
	}
	if !strings.Contains(err.Error(), "account 123456789012") {
		t.Errorf("FetchCredentials() error %q does not name the account", err)
	}
	if n := len(f.calls()); n != 1 {
		t.Errorf("ECR got %d requests, want 1: a canceled call is not retried", n)
	}
}
