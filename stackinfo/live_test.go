package stackinfo

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// fakeCloudFormation answers DescribeStacks, ListStackResources and
// ListExports in the CloudFormation query protocol. A stack it does not know
// gets the ValidationError CloudFormation gives for a stack that is not
// deployed.
type fakeCloudFormation struct {
	t *testing.T
	// stacks are the deployed stacks, by name.
	stacks map[string]fakeStack
	// exports are the pages of ListExports; page i>0 is asked for with
	// NextToken "page-i".
	exports [][]fakeExport
	// failStatus and failCode, when set, are the HTTP status and error
	// code of every answer.
	failStatus int
	failCode   string
	// loopToken, when set, is the NextToken of every page: a service that
	// never stops paging.
	loopToken string

	mu       sync.Mutex
	requests []cfnRequest
}

// fakeStack is one deployed stack.
type fakeStack struct {
	status, reason string
	outputs        map[string]string
	// pages are the pages of ListStackResources; page i>0 is asked for
	// with NextToken "page-i".
	pages [][]summary
}

type fakeExport struct{ name, value string }

// summary is one StackResourceSummaries member; an empty field is left out.
type summary struct{ logical, physical, typ string }

// cfnRequest is what the fake saw of one request: its action, form values
// and the region it was signed for.
type cfnRequest struct {
	Action, Stack, NextToken, Region string
}

// newFakeCloudFormation returns a fake whose deployed stacks have the
// given resource pages and status CREATE_COMPLETE.
func newFakeCloudFormation(t *testing.T, pages map[string][][]summary) *fakeCloudFormation {
	stacks := map[string]fakeStack{}
	for name, p := range pages {
		stacks[name] = fakeStack{status: "CREATE_COMPLETE", pages: p}
	}
	return &fakeCloudFormation{t: t, stacks: stacks}
}

func (f *fakeCloudFormation) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		f.t.Errorf("CloudFormation fake: parsing form: %v", err)
	}
	action := r.Form.Get("Action")
	if r.Method != http.MethodPost || r.Form.Get("Version") != "2010-05-15" {
		f.t.Errorf("CloudFormation fake: unexpected request %s %s %v", r.Method, r.URL, r.Form)
		http.Error(w, "unexpected request", http.StatusBadRequest)
		return
	}
	stack, token := r.Form.Get("StackName"), r.Form.Get("NextToken")
	f.mu.Lock()
	f.requests = append(f.requests, cfnRequest{action, stack, token, signedRegion(r)})
	f.mu.Unlock()

	if f.failStatus != 0 {
		writeCFNError(w, f.failStatus, f.failCode, "injected failure")
		return
	}
	var b strings.Builder
	switch action {
	case "DescribeStacks":
		st, ok := f.stacks[stack]
		if !ok {
			writeCFNError(w, http.StatusBadRequest, "ValidationError",
				fmt.Sprintf("Stack with id %s does not exist", stack))
			return
		}
		b.WriteString("<Stacks><member>")
		writeElement(&b, "StackName", stack)
		writeElement(&b, "StackId", "arn:aws:cloudformation:r:1:stack/"+stack+"/id")
		writeElement(&b, "StackStatus", st.status)
		writeElement(&b, "StackStatusReason", st.reason)
		b.WriteString("<CreationTime>2026-01-02T03:04:05Z</CreationTime><Outputs>")
		for _, k := range sortedKeys(st.outputs) {
			b.WriteString("<member>")
			writeElement(&b, "OutputKey", k)
			writeElement(&b, "OutputValue", st.outputs[k])
			b.WriteString("</member>")
		}
		b.WriteString("</Outputs></member></Stacks>")
	case "ListStackResources":
		st, ok := f.stacks[stack]
		if !ok {
			writeCFNError(w, http.StatusBadRequest, "ValidationError",
				fmt.Sprintf("Stack with id %s does not exist", stack))
			return
		}
		page, ok := f.page(token, len(st.pages))
		if !ok {
			writeCFNError(w, http.StatusBadRequest, "ValidationError", "bad NextToken")
			return
		}
		b.WriteString("<StackResourceSummaries>")
		for _, s := range st.pages[page] {
			b.WriteString("<member>")
			writeElement(&b, "LogicalResourceId", s.logical)
			writeElement(&b, "PhysicalResourceId", s.physical)
			writeElement(&b, "ResourceType", s.typ)
			b.WriteString("<ResourceStatus>CREATE_COMPLETE</ResourceStatus>" +
				"<LastUpdatedTimestamp>2026-01-02T03:04:05Z</LastUpdatedTimestamp></member>")
		}
		b.WriteString("</StackResourceSummaries>")
		f.writeNextToken(&b, page, len(st.pages))
	case "ListExports":
		page, ok := f.page(token, len(f.exports))
		if !ok {
			writeCFNError(w, http.StatusBadRequest, "ValidationError", "bad NextToken")
			return
		}
		b.WriteString("<Exports>")
		if page < len(f.exports) {
			for _, e := range f.exports[page] {
				b.WriteString("<member>")
				writeElement(&b, "ExportingStackId", "arn:aws:cloudformation:r:1:stack/x/id")
				writeElement(&b, "Name", e.name)
				writeElement(&b, "Value", e.value)
				b.WriteString("</member>")
			}
		}
		b.WriteString("</Exports>")
		f.writeNextToken(&b, page, len(f.exports))
	default:
		f.t.Errorf("CloudFormation fake: unexpected action %q", action)
		http.Error(w, "unexpected action", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	_, _ = fmt.Fprintf(w, `<%[1]sResponse xmlns="http://cloudformation.amazonaws.com/`+
		`doc/2010-05-15/"><%[1]sResult>%[2]s</%[1]sResult><ResponseMetadata><RequestId>`+
		`b9b4b068-3a41-11e5-94eb-example</RequestId></ResponseMetadata></%[1]sResponse>`,
		action, b.String())
}

// page returns the page number a NextToken asks for.
func (f *fakeCloudFormation) page(token string, pages int) (int, bool) {
	if token == "" || token == f.loopToken {
		return 0, true
	}
	var page int
	if _, err := fmt.Sscanf(token, "page-%d", &page); err != nil || page >= pages {
		return 0, false
	}
	return page, true
}

func (f *fakeCloudFormation) writeNextToken(b *strings.Builder, page, pages int) {
	switch {
	case f.loopToken != "":
		writeElement(b, "NextToken", f.loopToken)
	case page+1 < pages:
		writeElement(b, "NextToken", fmt.Sprintf("page-%d", page+1))
	}
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
	wantCalls := []cfnRequest{
		{"ListStackResources", "Shared", "", "eu-west-1"},
		{"ListStackResources", "Shared", "page-1", "eu-west-1"},
	}
	if diff := cmp.Diff(wantCalls, f.calls()); diff != "" {
		t.Errorf("requests mismatch (-want +got):\n%s", diff)
	}

	_, err = physicalIDs(context.Background(), api, "Missing")
	if !errors.Is(err, ErrStackNotDeployed) || !strings.Contains(err.Error(), `"Missing"`) {
		t.Errorf("physicalIDs(Missing) error = %v, want ErrStackNotDeployed naming the stack",
			err)
	}
}

// TestPagingLoop checks that a listing whose NextToken repeats stops after
// the token's second use instead of running forever.
func TestPagingLoop(t *testing.T) {
	sandboxAWS(t)
	f := newFakeCloudFormation(t, map[string][][]summary{
		"S": {{{"R", "r1", "AWS::ECR::Repository"}}},
	})
	f.exports = [][]fakeExport{{{"E", "v"}}}
	f.loopToken = "again"
	srv := httptest.NewServer(f)
	defer srv.Close()
	api := newCFNClient(srv, "eu-west-1")

	ids, err := physicalIDs(context.Background(), api, "S")
	if err != nil || ids["R"] != "r1" {
		t.Errorf("physicalIDs() = %v, %v, want R", ids, err)
	}
	exports, err := listExports(context.Background(), api)
	if err != nil || exports["E"] != "v" {
		t.Errorf("listExports() = %v, %v, want E", exports, err)
	}
	if n := len(f.calls()); n != 4 {
		t.Errorf("CloudFormation got %d requests, want 2 per listing: %v", n, f.calls())
	}
}

func TestListExports(t *testing.T) {
	sandboxAWS(t)
	f := newFakeCloudFormation(t, nil)
	f.exports = [][]fakeExport{
		{{"A", "1"}, {"", "nameless"}},
		{{"B", "2"}},
	}
	srv := httptest.NewServer(f)
	defer srv.Close()
	got, err := listExports(context.Background(), newCFNClient(srv, "us-east-1"))
	if err != nil {
		t.Fatalf("listExports() error: %v", err)
	}
	if diff := cmp.Diff(map[string]string{"A": "1", "B": "2"}, got); diff != "" {
		t.Errorf("listExports() mismatch (-want +got):\n%s", diff)
	}
}

func TestDescribeStack(t *testing.T) {
	sandboxAWS(t)
	f := newFakeCloudFormation(t, nil)
	f.stacks["S"] = fakeStack{status: "UPDATE_ROLLBACK_COMPLETE", reason: "bad update",
		outputs: map[string]string{"Uri": "u", "Empty": ""}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	api := newCFNClient(srv, "us-east-1")
	got, err := describeStack(context.Background(), api, "S")
	if err != nil {
		t.Fatalf("describeStack() error: %v", err)
	}
	want := liveStack{status: "UPDATE_ROLLBACK_COMPLETE", reason: "bad update",
		outputs: map[string]string{"Uri": "u", "Empty": ""}}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(liveStack{})); diff != "" {
		t.Errorf("describeStack() mismatch (-want +got):\n%s", diff)
	}
	if _, err := describeStack(context.Background(), api, "Gone"); !errors.Is(err,
		ErrStackNotDeployed) {
		t.Errorf("describeStack(Gone) error = %v, want ErrStackNotDeployed", err)
	}
}

func TestStatusKinds(t *testing.T) {
	tests := []struct {
		status           string
		usable, troubled bool
	}{
		{"CREATE_COMPLETE", true, false},
		{"UPDATE_COMPLETE", true, false},
		{"UPDATE_ROLLBACK_COMPLETE", true, true},
		{"UPDATE_IN_PROGRESS", true, true},
		{"IMPORT_COMPLETE", true, false},
		{"CREATE_IN_PROGRESS", false, true},
		{"CREATE_FAILED", false, true},
		{"ROLLBACK_COMPLETE", false, true},
		{"ROLLBACK_FAILED", false, true},
		{"DELETE_IN_PROGRESS", false, true},
		{"REVIEW_IN_PROGRESS", false, true},
	}
	for _, tt := range tests {
		if got := usableStatus(tt.status); got != tt.usable {
			t.Errorf("usableStatus(%s) = %v, want %v", tt.status, got, tt.usable)
		}
		if got := troubledStatus(tt.status); got != tt.troubled {
			t.Errorf("troubledStatus(%s) = %v, want %v", tt.status, got, tt.troubled)
		}
	}
}

// callerAccount returns an Options.Account that answers account.
func callerAccount(account string) func(context.Context) (string, error) {
	return func(context.Context) (string, error) { return account, nil }
}

// TestResolveCloudFormation fills generated names of the complex app from the
// deployed stacks: Shared is deployed (two pages of resources), the Prod
// stage's RepoStack is not. Without Options.Account, no stack is kept from
// being looked up for its account.
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
		Stacks: []string{"Shared", "Prod/*"},
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
	if r := got["Shared/BaseRepo"]; r.Name != "team/base" || r.Source != SourceCloudFormation {
		t.Errorf("Shared/BaseRepo = %+v, want its name confirmed by CloudFormation", r)
	}
	if r := got["Prod/RepoStack/GeneratedRepo"]; r.Name != "" || r.Source != "" {
		t.Errorf("Prod/RepoStack/GeneratedRepo = %+v, want its name unknown", r)
	}
	// One DescribeStacks per stack; resources only of a deployed one.
	wantCalls := []cfnRequest{
		{"DescribeStacks", "RepoStack", "", "us-west-2"},
		{"DescribeStacks", "Shared", "", "eu-west-1"},
		{"ListStackResources", "Shared", "", "eu-west-1"},
		{"ListStackResources", "Shared", "page-1", "eu-west-1"},
	}
	if diff := cmp.Diff(wantCalls, f.calls(), sortRequests); diff != "" {
		t.Errorf("CloudFormation requests mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"us-west-2", "eu-west-1"}, regions); diff != "" {
		t.Errorf("CloudFormation clients mismatch (-want +got):\n%s", diff)
	}
	if !strings.Contains(logs.String(), `msg="stack is not deployed" stack=RepoStack`) {
		t.Errorf("Resolve() logged\n%s\nwant a warning that RepoStack is not deployed", logs)
	}
	status := map[string]string{}
	for _, s := range p.Stacks {
		status[s.Name] = s.Status
	}
	want := map[string]string{"Shared": "CREATE_COMPLETE", "RepoStack": StatusNotDeployed}
	if diff := cmp.Diff(want, status); diff != "" {
		t.Errorf("stack status mismatch (-want +got):\n%s", diff)
	}
	if !slices.Contains(p.Sources, SourceCloudFormation) {
		t.Errorf("Resolve() sources = %q, want %q among them", p.Sources, SourceCloudFormation)
	}
}

// sortRequests compares request lists regardless of order: stacks are
// looked up concurrently.
var sortRequests = cmpopts.SortSlices(func(a, b cfnRequest) bool {
	return fmt.Sprint(a) < fmt.Sprint(b)
})

// TestResolveLiveBeatsOutputsFile checks that the deployed stack is asked
// even when the outputs file gives every name, and that it wins, with a
// warning naming both values, when the two disagree.
func TestResolveLiveBeatsOutputsFile(t *testing.T) {
	sandboxAWS(t)
	const deployed = "webapistack-workerrepoee566d3e-deployed0001"
	f := newFakeCloudFormation(t, map[string][][]summary{
		"WebApiStack": {{
			{"WebApiRepo378C281F", "web-api", "AWS::ECR::Repository"},
			{"WorkerRepoEE566D3E", deployed, "AWS::ECR::Repository"},
		}},
	})
	file := filepath.Join(t.TempDir(), "outputs.json")
	writeJSON(t, file, map[string]map[string]string{"WebApiStack": {"WorkerRepoUri": workerURI}})
	log, logs := testLogger()
	p, err := Resolve(context.Background(), Options{
		CDKOut:         exampleOut,
		OutputsFile:    file,
		Account:        callerAccount("123456789012"),
		CloudFormation: f.start(t),
		Logger:         log,
	})
	if err != nil {
		t.Fatalf("Resolve() error: %v", err)
	}
	r := repositoriesByPath(p)["WebApiStack/WorkerRepo"]
	if r.Name != deployed || r.Source != SourceCloudFormation {
		t.Errorf("WebApiStack/WorkerRepo = %+v, want %q from CloudFormation", r, deployed)
	}
	want := fmt.Sprintf(`repository name: the deployed stack says %q, the outputs file says %q; `+
		`using %q (stack=WebApiStack, path=WebApiStack/WorkerRepo)`, deployed, workerName,
		deployed)
	if !slices.Contains(p.Warnings, want) {
		t.Errorf("Resolve() warnings = %q, want %q", p.Warnings, want)
	}
	if !strings.Contains(logs.String(), "level=WARN") {
		t.Errorf("Resolve() logged\n%s\nwant the warning", logs)
	}
	wantSources := []string{SourceAssembly, SourceOutputsFile, SourceSTS, SourceCloudFormation}
	if diff := cmp.Diff(wantSources, p.Sources); diff != "" {
		t.Errorf("Resolve() sources mismatch (-want +got):\n%s", diff)
	}
	if n := len(f.calls()); n != 2 {
		t.Errorf("CloudFormation got %d requests, want DescribeStacks and "+
			"ListStackResources: %v", n, f.calls())
	}
}

// TestResolveStackStatus checks how a stack's state decides whether its
// live resources and outputs are used.
func TestResolveStackStatus(t *testing.T) {
	sandboxAWS(t)
	tests := []struct {
		status     string
		wantName   string
		wantWarn   string
		wantListed bool
	}{
		{status: "CREATE_COMPLETE", wantName: "live-name", wantListed: true},
		{status: "UPDATE_ROLLBACK_COMPLETE", wantName: "live-name", wantListed: true,
			wantWarn: "stack is in a failed or unfinished state"},
		// The creation failed and was rolled back: nothing exists.
		{status: "ROLLBACK_COMPLETE", wantWarn: "stack is in a failed or unfinished state"},
		{status: "REVIEW_IN_PROGRESS", wantWarn: "stack is in a failed or unfinished state"},
	}
	for _, tt := range tests {
		t.Run(tt.status, func(t *testing.T) {
			f := newFakeCloudFormation(t, nil)
			f.stacks["WebApiStack"] = fakeStack{status: tt.status, reason: "some reason",
				pages: [][]summary{{{"WorkerRepoEE566D3E", "live-name", ecrRepositoryType}}}}
			p, err := Resolve(context.Background(), Options{CDKOut: exampleOut,
				CloudFormation: f.start(t)})
			if err != nil {
				t.Fatalf("Resolve() error: %v", err)
			}
			if r := repositoriesByPath(p)["WebApiStack/WorkerRepo"]; r.Name != tt.wantName {
				t.Errorf("WebApiStack/WorkerRepo name = %q, want %q", r.Name, tt.wantName)
			}
			if s := p.Stacks[0]; s.Status != tt.status || s.StatusReason != "some reason" {
				t.Errorf("stack status = %q (%q), want %q", s.Status, s.StatusReason, tt.status)
			}
			listed := false
			for _, c := range f.calls() {
				listed = listed || c.Action == "ListStackResources"
			}
			if listed != tt.wantListed {
				t.Errorf("resources listed = %v, want %v", listed, tt.wantListed)
			}
			warned := strings.Join(p.Warnings, "\n")
			if tt.wantWarn != "" && !strings.Contains(warned, tt.wantWarn) {
				t.Errorf("Resolve() warnings = %q, want %q", p.Warnings, tt.wantWarn)
			}
		})
	}
}

// TestResolveOtherAccount checks that a stack of another account than the
// caller's is not looked up with the caller's credentials.
func TestResolveOtherAccount(t *testing.T) {
	sandboxAWS(t)
	f := newFakeCloudFormation(t, map[string][][]summary{"Shared": {{}}})
	p, err := Resolve(context.Background(), Options{
		CDKOut:         complexOut,
		Stacks:         []string{"Shared", "Prod/RepoStack"},
		Account:        callerAccount("111111111111"),
		CloudFormation: f.start(t),
	})
	if err != nil {
		t.Fatalf("Resolve() error: %v", err)
	}
	for _, c := range f.calls() {
		if c.Stack == "RepoStack" {
			t.Errorf("CloudFormation was asked %+v, want no request about RepoStack", c)
		}
	}
	var repo Stack
	for _, s := range p.Stacks {
		if s.Name == "RepoStack" {
			repo = s
		}
	}
	wantReason := "not looked up: the credentials are for account 111111111111, " +
		"not the stack's account 222222222222"
	if repo.Status != "" || repo.StatusReason != wantReason {
		t.Errorf("RepoStack status = %q, %q, want none, %q", repo.Status, repo.StatusReason,
			wantReason)
	}
	warned := strings.Join(p.Warnings, "\n")
	role := "arn:aws:iam::222222222222:role/cdk-hnb659fds-lookup-role-222222222222-us-west-2"
	if !strings.Contains(warned, "another account") || !strings.Contains(warned, role) {
		t.Errorf("Resolve() warnings = %q, want one about the account naming %s",
			p.Warnings, role)
	}
}

// TestResolveOffline checks that Options.Offline makes no AWS call at all.
func TestResolveOffline(t *testing.T) {
	sandboxAWS(t)
	f := newFakeCloudFormation(t, nil)
	calls := 0
	p, err := Resolve(context.Background(), Options{
		CDKOut:  complexOut,
		Offline: true,
		Region:  "eu-central-1",
		Account: func(context.Context) (string, error) {
			calls++
			return "333333333333", nil
		},
		CloudFormation: f.start(t),
	})
	if err != nil {
		t.Fatalf("Resolve() error: %v", err)
	}
	if n := len(f.calls()); n != 0 || calls != 0 {
		t.Errorf("Resolve() made %d CloudFormation and %d STS calls, want none", n, calls)
	}
	for _, s := range p.Stacks {
		if s.Status != "" || s.StatusReason != "not looked up: offline" {
			t.Errorf("stack %s status = %q, %q, want it not looked up", s.Name, s.Status,
				s.StatusReason)
		}
		if s.Name == "Agnostic" && (s.Account != "" || s.Region != "eu-central-1" ||
			s.RegionSource != "option") {
			t.Errorf("stack Agnostic = %+v, want no account and the option's region", s)
		}
	}
	if diff := cmp.Diff([]string{SourceAssembly}, p.Sources); diff != "" {
		t.Errorf("Resolve() sources mismatch (-want +got):\n%s", diff)
	}
}

// TestResolveExports resolves an output that imports an export no stack of
// the assembly makes, from CloudFormation's exports: listed once for the
// region, only because no other source knows the value.
func TestResolveExports(t *testing.T) {
	sandboxAWS(t)
	dir := copyAssembly(t, complexOut)
	editJSON(t, filepath.Join(dir, "Consumer.template.json"), func(doc map[string]any) {
		outputs := doc["Outputs"].(map[string]any)
		outputs["PlatformRepoUri"] = map[string]any{
			"Value": map[string]any{"Fn::ImportValue": "Platform-RepoUri"},
		}
		outputs["PlatformImageUri"] = map[string]any{
			"Value": map[string]any{"Fn::ImportValue": "Platform-ImageUri"},
		}
	})
	const platformURI = "111111111111.dkr.ecr.eu-west-1.amazonaws.com/platform/base"
	f := newFakeCloudFormation(t, nil)
	f.exports = [][]fakeExport{
		{{"Platform-RepoUri", platformURI}},
		{{"Platform-ImageUri", platformURI + ":v1"}},
	}
	p, err := Resolve(context.Background(), Options{
		CDKOut:         dir,
		Stacks:         []string{"Consumer"},
		Account:        callerAccount("111111111111"),
		CloudFormation: f.start(t),
	})
	if err != nil {
		t.Fatalf("Resolve() error: %v", err)
	}
	got := repositoriesByPath(p)
	want := Repository{Stack: "Consumer", Path: "Consumer/PlatformRepoUri",
		LogicalID: "PlatformRepoUri", Kind: KindOutput, Name: "platform/base",
		Account: "111111111111", Region: "eu-west-1", URI: platformURI, Source: SourceExport}
	if diff := cmp.Diff(want, got["Consumer/PlatformRepoUri"],
		cmpopts.IgnoreUnexported(Repository{})); diff != "" {
		t.Errorf("Consumer/PlatformRepoUri mismatch (-want +got):\n%s", diff)
	}
	// An image URI is not a repository URI.
	if r, ok := got["Consumer/PlatformImageUri"]; ok {
		t.Errorf("Consumer/PlatformImageUri = %+v, want no repository", r)
	}
	// Shared's export is known from the assembly: no request for it.
	if r := got["Consumer/ImportedBaseRepoUri"]; r.Source != SourceTemplate {
		t.Errorf("Consumer/ImportedBaseRepoUri = %+v, want it from the assembly", r)
	}
	wantCalls := []cfnRequest{
		{"DescribeStacks", "Consumer", "", "eu-west-1"},
		{"ListExports", "", "", "eu-west-1"},
		{"ListExports", "", "page-1", "eu-west-1"},
	}
	if diff := cmp.Diff(wantCalls, f.calls()); diff != "" {
		t.Errorf("CloudFormation requests mismatch (-want +got):\n%s", diff)
	}
}

// TestResolveLiveOutputs takes the repository an output names from the
// deployed stack's outputs, over the outputs file and the assembly.
func TestResolveLiveOutputs(t *testing.T) {
	sandboxAWS(t)
	const liveURI = "111111111111.dkr.ecr.eu-west-1.amazonaws.com/external/tools-v2"
	f := newFakeCloudFormation(t, nil)
	f.stacks["Consumer"] = fakeStack{status: "UPDATE_COMPLETE",
		outputs: map[string]string{"ToolsRepoUri": liveURI}}
	p, err := Resolve(context.Background(), Options{
		CDKOut:         complexOut,
		Stacks:         []string{"Consumer"},
		Account:        callerAccount("111111111111"),
		CloudFormation: f.start(t),
	})
	if err != nil {
		t.Fatalf("Resolve() error: %v", err)
	}
	r := repositoriesByPath(p)["Consumer/ToolsRepoUri"]
	if r.URI != liveURI || r.Source != SourceCloudFormation || r.Name != "external/tools-v2" {
		t.Errorf("Consumer/ToolsRepoUri = %+v, want %s from CloudFormation", r, liveURI)
	}
	want := `output: the deployed stack says "` + liveURI + `", the assembly says ` +
		`"111111111111.dkr.ecr.eu-west-1.amazonaws.com/external/tools"`
	if !strings.Contains(strings.Join(p.Warnings, "\n"), want) {
		t.Errorf("Resolve() warnings = %q, want %q", p.Warnings, want)
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
			wantErr: []string{`describing stack "WebApiStack"`, "AccessDenied"},
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
		{
			name: "no caller identity",
			opts: func(t *testing.T) Options {
				f := newFakeCloudFormation(t, nil)
				return Options{CDKOut: exampleOut, CloudFormation: f.start(t),
					Account: func(context.Context) (string, error) {
						return "", errors.New("no credentials")
					}}
			},
			wantErr: []string{"finding the caller's account", "--offline", "no credentials"},
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
	f := newFakeCloudFormation(t, nil)
	log, logs := testLogger()
	p, err := Resolve(context.Background(), Options{
		CDKOut: complexOut, Stacks: []string{"Agnostic"}, CloudFormation: f.start(t),
		Logger: log,
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
	if r := p.Stacks[0].StatusReason; !strings.Contains(r, "region is unknown") {
		t.Errorf("Agnostic StatusReason = %q, want the region named", r)
	}
}
