package login

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
)

const getAuthorizationTokenTarget = "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken"

// fakeECR speaks the ECR JSON protocol (awsJson1_1) for
// GetAuthorizationToken. It records every request and lets respond answer
// it; n counts the requests from 0.
type fakeECR struct {
	t       *testing.T
	respond respondFunc

	mu       sync.Mutex
	requests []ecrRequest
}

// respondFunc returns the HTTP status and body that answer request number n,
// which the fake saw as req.
type respondFunc func(n int, req ecrRequest, r *http.Request) (status int, body string)

// ecrRequest is what the fake saw of one request.
type ecrRequest struct {
	// Body is the decoded JSON body.
	Body map[string]any
	// Region is the region the request was signed for.
	Region string
}

// account returns the one registry id the request asks about, or "".
func (r ecrRequest) account() string {
	ids, _ := r.Body["registryIds"].([]any)
	if len(ids) != 1 {
		return ""
	}
	id, _ := ids[0].(string)
	return id
}

func newFakeECR(t *testing.T, respond respondFunc) *fakeECR {
	return &fakeECR{t: t, respond: respond}
}

func (f *fakeECR) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/" ||
		r.Header.Get("X-Amz-Target") != getAuthorizationTokenTarget ||
		r.Header.Get("Content-Type") != "application/x-amz-json-1.1" {
		f.t.Errorf("ECR fake: unexpected request %s %s, headers %v", r.Method, r.URL, r.Header)
		http.Error(w, "unexpected request", http.StatusBadRequest)
		return
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		f.t.Errorf("ECR fake: reading body: %v", err)
	}
	var body map[string]any
	if err := json.Unmarshal(data, &body); err != nil {
		f.t.Errorf("ECR fake: body %q is not a JSON object: %v", data, err)
	}
	req := ecrRequest{Body: body, Region: signedRegion(r)}
	f.mu.Lock()
	n := len(f.requests)
	f.requests = append(f.requests, req)
	f.mu.Unlock()

	status, answer := f.respond(n, req, r)
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-Requestid", fmt.Sprintf("req-%d", n))
	w.WriteHeader(status)
	_, _ = io.WriteString(w, answer)
}

func (f *fakeECR) calls() []ecrRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]ecrRequest(nil), f.requests...)
}

// start serves f until the test ends.
func (f *fakeECR) start(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return srv
}

// motoExpiry is the expiry moto gives every token: long past.
var motoExpiry = time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)

// tokenAnswer is a successful GetAuthorizationToken answer with moto's
// expiry.
func tokenAnswer(token, endpoint string) string {
	return tokenAnswerAt(token, endpoint, motoExpiry)
}

// tokenAnswerAt is a successful GetAuthorizationToken answer whose token
// expires at expires.
func tokenAnswerAt(token, endpoint string, expires time.Time) string {
	data := map[string]any{"authorizationToken": token,
		"expiresAt": float64(expires.UnixMilli()) / 1000}
	if endpoint != "" {
		data["proxyEndpoint"] = endpoint
	}
	out, _ := json.Marshal(map[string]any{"authorizationData": []any{data}})
	return string(out)
}

// errorAnswer is an awsJson1_1 error answer.
func errorAnswer(code, message string) string {
	out, _ := json.Marshal(map[string]string{"__type": code, "message": message})
	return string(out)
}

// newECRClient returns a real ECR client for region that talks to srv with
// static credentials, and retries at once.
func newECRClient(srv *httptest.Server, region string) *ecr.Client {
	cfg := aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		HTTPClient:  srv.Client(),
	}
	return ecr.NewFromConfig(cfg, func(o *ecr.Options) {
		o.BaseEndpoint = aws.String(srv.URL)
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = 3
			so.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) {
				return time.Millisecond, nil
			})
		})
	})
}

// signedRegion returns the region of the request's SigV4 credential scope,
// Credential=AKID/DATE/REGION/SERVICE/aws4_request.
func signedRegion(r *http.Request) string {
	_, cred, ok := strings.Cut(r.Header.Get("Authorization"), "Credential=")
	if !ok {
		return ""
	}
	parts := strings.Split(cred, "/")
	if len(parts) < 4 || parts[3] != "ecr" {
		return ""
	}
	return parts[2]
}

// sandboxAWS keeps the SDK away from the machine's AWS configuration.
func sandboxAWS(t *testing.T) {
	t.Helper()
	for k, v := range map[string]string{
		"AWS_CONFIG_FILE":             "/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
		"AWS_ACCESS_KEY_ID":           "AKIDENV",
		"AWS_SECRET_ACCESS_KEY":       "env-secret",
		"AWS_SESSION_TOKEN":           "",
		"AWS_PROFILE":                 "",
		"AWS_REGION":                  "",
		"AWS_DEFAULT_REGION":          "",
		"AWS_ENDPOINT_URL":            "",
		"AWS_EC2_METADATA_DISABLED":   "true",
	} {
		t.Setenv(k, v)
	}
}
