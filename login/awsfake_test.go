package login

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// baseAccessKey is the access key of the configured credentials in tests
// that use fakeAWS.
const baseAccessKey = "AKIDBASE"

// fakeAWS plays ECR, ECR Public and STS on one httptest server, as moto
// does, telling the services apart by the request's protocol. Each service
// answers through its own function; a nil one fails the test when called.
type fakeAWS struct {
	t         *testing.T
	ecr       func(awsRequest) (int, string)
	ecrPublic func(awsRequest) (int, string)
	sts       func(awsRequest) (int, string)

	mu       sync.Mutex
	requests []awsRequest
}

// awsRequest is what fakeAWS saw of one request.
type awsRequest struct {
	// Service is "ecr", "ecr-public" or "sts".
	Service string
	// Action is the operation, such as GetAuthorizationToken or AssumeRole.
	Action string
	// Region and AccessKey come from the SigV4 credential scope.
	Region, AccessKey string
	// JSON is the body of a JSON request; Form the parameters of an STS one.
	JSON map[string]any
	Form url.Values
	// Context ends when the client gives up the request.
	Context context.Context
}

func (f *fakeAWS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		f.t.Errorf("AWS fake: reading body: %v", err)
	}
	req := awsRequest{Context: r.Context()}
	req.AccessKey, req.Region = signedScope(r)
	var respond func(awsRequest) (int, string)
	contentType := "application/x-amz-json-1.1"
	switch target := r.Header.Get("X-Amz-Target"); {
	case target == getAuthorizationTokenTarget:
		req.Service, req.Action, respond = "ecr", "GetAuthorizationToken", f.ecr
	case target == "SpencerFrontendService.GetAuthorizationToken":
		req.Service, req.Action, respond = "ecr-public", "GetAuthorizationToken", f.ecrPublic
	case target == "":
		form, err := url.ParseQuery(string(data))
		if err != nil {
			f.t.Errorf("AWS fake: STS body %q: %v", data, err)
		}
		req.Service, req.Action, req.Form, respond = "sts", form.Get("Action"), form, f.sts
		contentType = "text/xml"
	default:
		f.t.Errorf("AWS fake: unexpected target %q", target)
	}
	if req.Service != "sts" {
		if err := json.Unmarshal(data, &req.JSON); err != nil {
			f.t.Errorf("AWS fake: body %q is not a JSON object: %v", data, err)
		}
	}
	f.mu.Lock()
	f.requests = append(f.requests, req)
	f.mu.Unlock()
	if respond == nil {
		f.t.Errorf("AWS fake: no answer for %s %s", req.Service, req.Action)
		http.Error(w, "unexpected request", http.StatusBadRequest)
		return
	}
	status, body := respond(req)
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// calls returns the requests seen so far for service ("" for all).
func (f *fakeAWS) calls(service string) []awsRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []awsRequest
	for _, r := range f.requests {
		if service == "" || r.Service == service {
			out = append(out, r)
		}
	}
	return out
}

// start serves f until the test ends and returns the base AWS configuration
// of a client that talks to it with the access key baseAccessKey and
// retries at once, up to three attempts.
func (f *fakeAWS) start(t *testing.T) aws.Config {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return fakeConfig(srv)
}

func fakeConfig(srv *httptest.Server) aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(baseAccessKey, "secret", ""),
		HTTPClient:   srv.Client(),
		BaseEndpoint: aws.String(srv.URL),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = 3
				o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) {
					return time.Millisecond, nil
				})
			})
		},
	}
}

// signedScope returns the access key and region of the request's SigV4
// credential scope, Credential=AKID/DATE/REGION/SERVICE/aws4_request.
func signedScope(r *http.Request) (accessKey, region string) {
	_, cred, ok := strings.Cut(r.Header.Get("Authorization"), "Credential=")
	if !ok {
		return "", ""
	}
	parts := strings.Split(cred, "/")
	if len(parts) < 3 {
		return "", ""
	}
	return parts[0], parts[2]
}

// roleAccessKey is the access key the STS fake hands out for role and
// external ID, so that a test sees which identity signed a request.
func roleAccessKey(role, externalID string) string {
	name := role[strings.LastIndex(role, "/")+1:]
	if externalID != "" {
		name += "-" + externalID
	}
	return "ASIA-" + name
}

// stsNS is the XML namespace of STS answers.
const stsNS = "https://sts.amazonaws.com/doc/2011-06-15/"

// stsFake answers AssumeRole with credentials whose access key is
// roleAccessKey, and GetCallerIdentity with an ARN that names the signing
// identity: the user dev for baseAccessKey, else the assumed role.
func stsFake(req awsRequest) (int, string) {
	switch req.Action {
	case "AssumeRole":
		role := req.Form.Get("RoleArn")
		return http.StatusOK, fmt.Sprintf(`<AssumeRoleResponse xmlns="%s">
  <AssumeRoleResult>
    <Credentials>
      <AccessKeyId>%s</AccessKeyId>
      <SecretAccessKey>role-secret</SecretAccessKey>
      <SessionToken>role-session</SessionToken>
      <Expiration>%s</Expiration>
    </Credentials>
    <AssumedRoleUser>
      <Arn>%s</Arn>
      <AssumedRoleId>AROA:cdkpush</AssumedRoleId>
    </AssumedRoleUser>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>sts-1</RequestId></ResponseMetadata>
</AssumeRoleResponse>`, stsNS, roleAccessKey(role, req.Form.Get("ExternalId")),
			time.Now().Add(time.Hour).UTC().Format(time.RFC3339), xmlText(role))
	case "GetCallerIdentity":
		arn := "arn:aws:iam::123456789012:user/dev"
		if req.AccessKey != baseAccessKey {
			arn = "arn:aws:sts::123456789012:assumed-role/" +
				strings.TrimPrefix(req.AccessKey, "ASIA-") + "/cdkpush"
		}
		return http.StatusOK, fmt.Sprintf(`<GetCallerIdentityResponse xmlns="%s">
  <GetCallerIdentityResult>
    <Arn>%s</Arn>
    <UserId>AIDATEST</UserId>
    <Account>123456789012</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata><RequestId>sts-2</RequestId></ResponseMetadata>
</GetCallerIdentityResponse>`, stsNS, xmlText(arn))
	}
	return stsError("InvalidAction", "unexpected action "+req.Action)
}

// stsError is an awsQuery error answer.
func stsError(code, message string) (int, string) {
	return http.StatusForbidden, fmt.Sprintf(`<ErrorResponse xmlns="%s">
  <Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error>
  <RequestId>sts-err</RequestId>
</ErrorResponse>`, stsNS, xmlText(code), xmlText(message))
}

func xmlText(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// fakeClock is a clock that moves only when told.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}
