package stackinfo

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/google/go-cmp/cmp"
)

// fakeCloudFormation answers ListStackResources in the CloudFormation query
// protocol, from pages of resource summaries per stack name. A stack it does
// not know gets the ValidationError CloudFormation gives for a stack that is
// not deployed.
type fakeCloudFormation struct {
	t *testing.T
	// pages are each stack's pages of summaries; page i>0 is asked for with
	// NextToken "page-i".
	pages map[string][][]summary
	// failStatus and failCode, when set, are the HTTP status and error
	// code of every answer.
	failStatus int
	failCode   string

	mu       sync.Mutex
	requests []cfnRequest
}

// summary is one StackResourceSummaries member; an empty field is left out.
type summary struct{ logical, physical, typ string }

// cfnRequest is what the fake saw of one request: its form values and the
// region it was signed for.
type cfnRequest struct {
	Stack, NextToken, Region string
}

func newFakeCloudFormation(t *testing.T, pages map[string][][]summary) *fakeCloudFormation {
	return &fakeCloudFormation{t: t, pages: pages}
}

func (f *fakeCloudFormation) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		f.t.Errorf("CloudFormation fake: parsing form: %v", err)
	}
	if r.Method != http.MethodPost || r.Form.Get("Action") != "ListStackResources" ||
		r.Form.Get("Version") != "2010-05-15" {
		f.t.Errorf("CloudFormation fake: unexpected request %s %s %v", r.Method, r.URL, r.Form)
		http.Error(w, "unexpected request", http.StatusBadRequest)
		return
	}
	stack, token := r.Form.Get("StackName"), r.Form.Get("NextToken")
	f.mu.Lock()
	f.requests = append(f.requests, cfnRequest{stack, token, signedRegion(r)})
	f.mu.Unlock()

	if f.failStatus != 0 {
		writeCFNError(w, f.failStatus, f.failCode, "injected failure")
		return
	}
	pages, ok := f.pages[stack]
	if !ok {
		writeCFNError(w, http.StatusBadRequest, "ValidationError",
			fmt.Sprintf("Stack with id %s does not exist", stack))
		return
	}
	page := 0
	if token != "" {
		if _, err := fmt.Sscanf(token, "page-%d", &page); err != nil || page >= len(pages) {
			writeCFNError(w, http.StatusBadRequest, "ValidationError", "bad NextToken")
			return
		}
	}
	var b strings.Builder
	b.WriteString(`<ListStackResourcesResponse xmlns="http://cloudformation.amazonaws.com/` +
		`doc/2010-05-15/"><ListStackResourcesResult><StackResourceSummaries>`)
	for _, s := range pages[page] {
		b.WriteString("<member>")
		writeElement(&b, "LogicalResourceId", s.logical)
		writeElement(&b, "PhysicalResourceId", s.physical)
		writeElement(&b, "ResourceType", s.typ)
		b.WriteString("<ResourceStatus>CREATE_COMPLETE</ResourceStatus>" +
			"<LastUpdatedTimestamp>2026-01-02T03:04:05Z</LastUpdatedTimestamp></member>")
	}
	b.WriteString("</StackResourceSummaries>")
	if page+1 < len(pages) {
		writeElement(&b, "NextToken", fmt.Sprintf("page-%d", page+1))
	}
	b.WriteString("</ListStackResourcesResult><ResponseMetadata><RequestId>" +
		"b9b4b068-3a41-11e5-94eb-example</RequestId></ResponseMetadata>" +
		"</ListStackResourcesResponse>")
	w.Header().Set("Content-Type", "text/xml")
	_, _ = w.Write([]byte(b.String()))
}

// writeElement writes <name>text</name>, or nothing when text is empty.
func writeElement(b *strings.Builder, name, text string) {
	if text == "" {
		return
	}
	b.WriteString("<" + name + ">")
	_ = xml.EscapeText(b, []byte(text))
	b.WriteString("</" + name + ">")
}

func writeCFNError(w http.ResponseWriter, status int, code, message string) {
	var b strings.Builder
	b.WriteString(`<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">` +
		"<Error><Type>Sender</Type>")
	writeElement(&b, "Code", code)
	writeElement(&b, "Message", message)
	b.WriteString("</Error><RequestId>a1b2c3d4-example</RequestId></ErrorResponse>")
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(b.String()))
}

// signedRegion returns the region of the request's SigV4 credential scope,
// Credential=AKID/DATE/REGION/SERVICE/aws4_request.
func signedRegion(r *http.Request) string {
	_, cred, ok := strings.Cut(r.Header.Get("Authorization"), "Credential=")
	if !ok {
		return ""
	}
	parts := strings.Split(cred, "/")
	if len(parts) < 4 || parts[3] != "cloudformation" {
		return ""
	}
	return parts[2]
}

func (f *fakeCloudFormation) calls() []cfnRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]cfnRequest(nil), f.requests...)
}

// start serves f and returns an Options.CloudFormation that builds real
// clients for it.
func (f *fakeCloudFormation) start(t *testing.T) func(context.Context, string) (
	CloudFormationAPI, error) {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return func(_ context.Context, region string) (CloudFormationAPI, error) {
		return newCFNClient(srv, region), nil
	}
}

func newCFNClient(srv *httptest.Server, region string) *cloudformation.Client {
	cfg := aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		HTTPClient:  srv.Client(),
	}
	return cloudformation.NewFromConfig(cfg, func(o *cloudformation.Options) {
		o.BaseEndpoint = aws.String(srv.URL)
		o.RetryMaxAttempts = 1
	})
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

func TestPhysicalIDs(t *testing.T) {
	sandboxAWS(t)
	f := newFakeCloudFormation(t, map[string][][]summary{
		"Shared": {
			{
				{"BaseRepoE5A2D56C", "team/base", "AWS::ECR::Repository"},
				// Some emulators list unsupported resources like this.
				{"", "ghost", "AWS::Unknown::Thing"},
				// Still being created: no physical id yet.
				{"Queue", "", "AWS::SQS::Queue"},
			},
			{
				{"GeneratedRepo5762D8AA", "shared-generatedrepo-abc", "AWS::ECR::Repository"},
			},
		},
	})
	srv := httptest.NewServer(f)
	defer srv.Close()
	api := newCFNClient(srv, "eu-west-1")

	got, err := physicalIDs(context.Background(), api, "Shared")
	if err != nil {
		t.Fatalf("physicalIDs() error: %v", err)
	}
	want := map[string]string{
		"BaseRepoE5A2D56C":      "team/base",
		"GeneratedRepo5762D8AA": "shared-generatedrepo-abc",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("physicalIDs() mismatch (-want +got):\n%s", diff)
	}
	wantCalls := []cfnRequest{{"Shared", "", "eu-west-1"}, {"Shared", "page-1", "eu-west-1"}}
	if diff := cmp.Diff(wantCalls, f.calls()); diff != "" {
		t.Errorf("requests mismatch (-want +got):\n%s", diff)
	}

	_, err = physicalIDs(context.Background(), api, "Missing")
	if !errors.Is(err, ErrStackNotDeployed) || !strings.Contains(err.Error(), `"Missing"`) {
		t.Errorf("physicalIDs(Missing) error = %v, want ErrStackNotDeployed naming the stack",
			err)
	}
}

// TestResolveCloudFormation fills generated names of the complex app from the
// deployed stacks: Shared is deployed (two pages of resources), the Prod
// stage's RepoStack is not.
func TestResolveCloudFormation(t *testing.T) {
	sandboxAWS(t)
	const generated = "shared-generatedrepo5762d8aa-q1w2e3r4t5y6"
	f := newFakeCloudFormation(t, map[string][][]summary{
		"Shared": {
			{
				{"", "not-a-repo", "AWS::Unknown::Thing"},
				{"BaseRepoE5A2D56C", "team/base", "AWS::ECR::Repository"},
			},
			{
				{"CDKMetadata", "b5b5-metadata", "AWS::CDK::Metadata"},
				// The Prod stage's generated repository has the same
				// logical id, in another stack: it must not get this name.
				{"GeneratedRepo5762D8AA", generated, "AWS::ECR::Repository"},
			},
		},
	})
	var regions []string
	cfn := f.start(t)
	log, logs := testLogger()
	p, err := Resolve(context.Background(), Options{
		CDKOut: complexOut,
		CloudFormation: func(ctx context.Context, region string) (CloudFormationAPI, error) {
			regions = append(regions, region)
			return cfn(ctx, region)
		},
		Logger: log,
	})
	if err != nil {
		t.Fatalf("Resolve() error: %v", err)
	}

	got := repositoriesByPath(p)
	if r := got["Shared/GeneratedRepo"]; r.Name != generated || r.Source != SourceCloudFormation ||
		r.URI != "111111111111.dkr.ecr.eu-west-1.amazonaws.com/"+generated {
		t.Errorf("Shared/GeneratedRepo = %+v, want name %q from CloudFormation", r, generated)
	}
	if r := got["Shared/BaseRepo"]; r.Name != "team/base" || r.Source != SourceTemplate {
		t.Errorf("Shared/BaseRepo = %+v, want its template name kept", r)
	}
	if r := got["Prod/RepoStack/GeneratedRepo"]; r.Name != "" || r.Source != "" {
		t.Errorf("Prod/RepoStack/GeneratedRepo = %+v, want its name unknown", r)
	}
	// Only the stacks with an unknown name are looked up: not Agnostic,
	// AssetStack or EdgeStack.
	wantCalls := []cfnRequest{
		{"RepoStack", "", "us-west-2"},
		{"Shared", "", "eu-west-1"},
		{"Shared", "page-1", "eu-west-1"},
	}
	if diff := cmp.Diff(wantCalls, f.calls()); diff != "" {
		t.Errorf("CloudFormation requests mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"us-west-2", "eu-west-1"}, regions); diff != "" {
		t.Errorf("CloudFormation clients mismatch (-want +got):\n%s", diff)
	}
	if !strings.Contains(logs.String(), `msg="stack is not deployed" stack=RepoStack`) {
		t.Errorf("Resolve() logged\n%s\nwant a warning that RepoStack is not deployed", logs)
	}
}

// TestResolveCloudFormationNotNeeded checks that names the outputs file gives
// are not looked up again.
func TestResolveCloudFormationNotNeeded(t *testing.T) {
	sandboxAWS(t)
	f := newFakeCloudFormation(t, nil)
	file := filepath.Join(t.TempDir(), "outputs.json")
	writeJSON(t, file, map[string]map[string]string{"WebApiStack": {"WorkerRepoUri": workerURI}})
	p, err := Resolve(context.Background(), Options{
		CDKOut:         exampleOut,
		OutputsFile:    file,
		CloudFormation: f.start(t),
	})
	if err != nil {
		t.Fatalf("Resolve() error: %v", err)
	}
	if r := repositoriesByPath(p)["WebApiStack/WorkerRepo"]; r.Source != SourceOutputsFile {
		t.Errorf("WebApiStack/WorkerRepo = %+v, want its name from the outputs file", r)
	}
	if n := len(f.calls()); n != 0 {
		t.Errorf("CloudFormation got %d requests, want none", n)
	}
}

func TestResolveCloudFormationErrors(t *testing.T) {
	sandboxAWS(t)
	tests := []struct {
		name    string
		opts    func(t *testing.T) Options
		wantErr []string
	}{
		{
			name: "access denied",
			opts: func(t *testing.T) Options {
				f := newFakeCloudFormation(t, nil)
				f.failStatus, f.failCode = http.StatusForbidden, "AccessDenied"
				return Options{CDKOut: exampleOut, CloudFormation: f.start(t)}
			},
			wantErr: []string{`listing resources of stack "WebApiStack"`, "AccessDenied"},
		},
		{
			// A ValidationError that is not about a missing stack is an
			// error.
			name: "other validation error",
			opts: func(t *testing.T) Options {
				f := newFakeCloudFormation(t, nil)
				f.failStatus, f.failCode = http.StatusBadRequest, "ValidationError"
				return Options{CDKOut: exampleOut, CloudFormation: f.start(t)}
			},
			wantErr: []string{"ValidationError", "injected failure"},
		},
		{
			name: "no client",
			opts: func(t *testing.T) Options {
				return Options{CDKOut: exampleOut,
					CloudFormation: func(context.Context, string) (CloudFormationAPI, error) {
						return nil, errors.New("no region configured")
					}}
			},
			wantErr: []string{"no region configured"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Resolve(context.Background(), tt.opts(t))
			if err == nil {
				t.Fatalf("Resolve() = %+v, want an error", p)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Resolve() error %q does not contain %q", err, want)
				}
			}
		})
	}
}

// TestResolveCloudFormationRegionUnknown checks that an environment-agnostic
// stack with no region is not looked up.
func TestResolveCloudFormationRegionUnknown(t *testing.T) {
	sandboxAWS(t)
	dir := copyAssembly(t, complexOut)
	// Make Agnostic's repository name generated.
	editJSON(t, filepath.Join(dir, "Agnostic.template.json"), func(doc map[string]any) {
		resources := doc["Resources"].(map[string]any)
		delete(resources["AgnosticRepoDD7EF6F2"].(map[string]any), "Properties")
	})
	f := newFakeCloudFormation(t, nil)
	log, logs := testLogger()
	_, err := Resolve(context.Background(), Options{
		CDKOut: dir, Stacks: []string{"Agnostic"}, CloudFormation: f.start(t), Logger: log,
	})
	if err != nil {
		t.Fatalf("Resolve() error: %v", err)
	}
	if n := len(f.calls()); n != 0 {
		t.Errorf("CloudFormation got %d requests, want none", n)
	}
	if !strings.Contains(logs.String(), "stack region unknown") {
		t.Errorf("Resolve() logged\n%s\nwant a warning that the region is unknown", logs)
	}
}
