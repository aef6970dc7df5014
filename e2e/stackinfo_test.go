package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/cdkpush/cdkpush/internal/rig"
)

// planJSON is the part of `cdkpush plan --json` these tests read.
type planJSON struct {
	Sources []string `json:"sources"`
	Stacks  []struct {
		ID, Name, Path, Account, Region     string
		AccountSource, RegionSource, Status string
		StatusReason                        string
	} `json:"stacks"`
	Repositories []struct {
		Stack, Path, LogicalID, Kind, Name string
		Account, Region, URI, Source       string
	} `json:"repositories"`
	Assets []struct {
		Stack        string
		DisplayName  string
		Destinations []struct{ URI, Image, Region, AssumeRoleARN string }
	} `json:"assets"`
	Warnings []string `json:"warnings"`
}

// runPlan runs `cdkpush plan --json` with args in dir, with extra
// environment variables after the rig's, and decodes the plan.
func runPlan(t *testing.T, dir string, env []string, args ...string) (planJSON, result) {
	t.Helper()
	res := cdkpushEnv(t, dir, env, append([]string{"plan", "--json"}, args...)...)
	if res.code != 0 {
		t.Fatalf("cdkpush plan exit code = %d, want 0", res.code)
	}
	var p planJSON
	if err := json.Unmarshal([]byte(res.stdout), &p); err != nil {
		t.Fatalf("decoding the plan: %v", err)
	}
	return p, res
}

// stackStatus returns the status and reason of the stack named name.
func stackStatus(t *testing.T, p planJSON, name string) (string, string) {
	t.Helper()
	for _, s := range p.Stacks {
		if s.Name == name {
			return s.Status, s.StatusReason
		}
	}
	t.Fatalf("the plan has no stack %q", name)
	return "", ""
}

// TestPlanExampleDeployed resolves the example app against its stack
// deployed into moto: the generated repository name comes from
// CloudFormation and beats a stale outputs file, with a warning naming both.
func TestPlanExampleDeployed(t *testing.T) {
	dir := copyProject(t, "example")
	worker := deployExample(t, dir, "si01")
	const stale = "webapistack-workerrepoee566d3e-stale0000001"
	outputs := filepath.Join(dir, "cdk-outputs.json")
	writeJSONFile(t, outputs, map[string]map[string]string{"WebApiStack": {
		"WorkerRepoName": stale,
		"WorkerRepoUri":  exampleHost + "/" + stale,
	}})

	p, res := runPlan(t, dir, nil, "--outputs-file", outputs)

	if got := repoByPath(t, p, "WebApiStack/WorkerRepo"); got.Name != worker ||
		got.Source != "cloudformation" || got.URI != exampleHost+"/"+worker {
		t.Errorf("WebApiStack/WorkerRepo = %+v, want %s from CloudFormation", got, worker)
	}
	if status, _ := stackStatus(t, p, "WebApiStack"); status != "CREATE_COMPLETE" {
		t.Errorf("WebApiStack status = %q, want CREATE_COMPLETE", status)
	}
	want := `repository name: the deployed stack says "` + worker +
		`", the outputs file says "` + stale + `"`
	if !containsPrefix(p.Warnings, want) || !strings.Contains(res.stderr, stale) {
		t.Errorf("warnings = %q, want one starting %q (also on stderr)", p.Warnings, want)
	}
	wantSources := []string{"cdk.json", "assembly", "outputs-file", "sts", "cloudformation"}
	if !slices.Equal(p.Sources, wantSources) {
		t.Errorf("sources = %q, want %q", p.Sources, wantSources)
	}
}

// TestPlanExampleNotDeployed reports a stack moto does not have as not
// deployed, and its generated repository name as unknown.
func TestPlanExampleNotDeployed(t *testing.T) {
	resetAWS(t)
	dir := copyProject(t, "example")

	p, res := runPlan(t, dir, nil)

	if status, _ := stackStatus(t, p, "WebApiStack"); status != "NOT_DEPLOYED" {
		t.Errorf("WebApiStack status = %q, want NOT_DEPLOYED", status)
	}
	if got := repoByPath(t, p, "WebApiStack/WorkerRepo"); got.Name != "" || got.URI != "" {
		t.Errorf("WebApiStack/WorkerRepo = %+v, want its name unknown", got)
	}
	for _, want := range []string{"stack is not deployed", "repository name unknown"} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("stderr lacks %q", want)
		}
	}
}

// The account and region the complex app's Shared, Consumer and AssetStack
// stacks are deployed to.
const (
	complexAccount = "111111111111"
	complexRegion  = "eu-west-1"
	complexHost    = complexAccount + ".dkr.ecr." + complexRegion + ".amazonaws.com"
)

// TestPlanComplexDeployed deploys the complex app's Shared stack into moto,
// in account 111111111111 (moto's STS hands out keys for any account), and
// checks every stack's answer: generated names from CloudFormation, stacks
// of other accounts not looked up, a stack not deployed, an
// environment-agnostic stack in the caller's account, and an output that
// imports an export only CloudFormation knows (ListExports).
func TestPlanComplexDeployed(t *testing.T) {
	resetAWS(t)
	dir := copyProject(t, "complex")
	cfg, env := assumeAccount(t, complexAccount, complexRegion)
	generated := "shared-generatedrepo5762d8aa-si02"
	deployTemplate(t, cfg, "Shared", filepath.Join(dir, "cdk.out", "Shared.template.json"),
		map[string]string{"GeneratedRepo5762D8AA": generated})

	p, _ := runPlan(t, dir, env, "--region", complexRegion)

	for name, want := range map[string]string{
		"Shared":     "CREATE_COMPLETE",
		"Consumer":   "NOT_DEPLOYED",
		"AssetStack": "NOT_DEPLOYED",
		"Agnostic":   "NOT_DEPLOYED",
		"RepoStack":  "",
		"ChinaStack": "",
	} {
		status, reason := stackStatus(t, p, name)
		if status != want {
			t.Errorf("stack %s status = %q (%s), want %q", name, status, reason, want)
		}
		if want == "" && !strings.Contains(reason, "credentials are for account "+
			complexAccount) {
			t.Errorf("stack %s status reason = %q, want the account named", name, reason)
		}
	}
	for _, s := range p.Stacks {
		if s.Name == "Agnostic" && (s.Account != complexAccount || s.AccountSource != "sts" ||
			s.Region != complexRegion || s.RegionSource != "--region") {
			t.Errorf("Agnostic = %+v, want the caller's account and --region", s)
		}
	}
	if got := repoByPath(t, p, "Shared/GeneratedRepo"); got.Name != generated ||
		got.Source != "cloudformation" || got.URI != complexHost+"/"+generated {
		t.Errorf("Shared/GeneratedRepo = %+v, want %s from CloudFormation", got, generated)
	}
	// Consumer's imports name Shared's repositories: listed once, as Shared's.
	for _, r := range p.Repositories {
		if r.Stack == "Consumer" && strings.HasPrefix(r.LogicalID, "Imported") {
			t.Errorf("repository %+v is listed twice", r)
		}
	}
	if !containsPrefix(p.Warnings, "stack is in another account than the credentials") {
		t.Errorf("warnings = %q, want one about the other accounts", p.Warnings)
	}

	// With Consumer alone, its import of Shared's generated repository is
	// found through CloudFormation's exports: Consumer is not deployed.
	p, _ = runPlan(t, dir, env, "--region", complexRegion, "--stack", "Consumer")
	got := repoByPath(t, p, "Consumer/ImportedGeneratedRepoUri")
	if got.Name != generated || got.Source != "export" || got.Kind != "output" {
		t.Errorf("Consumer/ImportedGeneratedRepoUri = %+v, want %s from the export",
			got, generated)
	}
	if got := repoByPath(t, p, "Consumer/ImportedBaseRepoUri"); got.Name != "team/base" ||
		got.Source != "template" {
		t.Errorf("Consumer/ImportedBaseRepoUri = %+v, want team/base from the assembly", got)
	}
}

// TestPlanOfflineNoAWS checks that --offline makes no AWS call: AWS points
// at a closed port, and the plan still comes, from the files alone.
func TestPlanOfflineNoAWS(t *testing.T) {
	dir := copyProject(t, "complex")
	env := []string{"AWS_ENDPOINT_URL=http://127.0.0.1:1", "AWS_MAX_ATTEMPTS=1"}

	p, _ := runPlan(t, dir, env, "--offline")

	if !slices.Equal(p.Sources, []string{"cdk.json", "assembly"}) {
		t.Errorf("sources = %q, want cdk.json and the assembly only", p.Sources)
	}
	if got := repoByPath(t, p, "ChinaStack/ChinaRepo"); got.URI !=
		"444444444444.dkr.ecr.cn-north-1.amazonaws.com.cn/china/app" {
		t.Errorf("ChinaStack/ChinaRepo = %+v, want its China URI", got)
	}

	res := cdkpushEnv(t, dir, env, "plan", "--json")
	if res.code == 0 || !strings.Contains(res.stderr, "--offline") {
		t.Errorf("plan without --offline: exit %d, stderr %q; want a failure that "+
			"suggests --offline", res.code, res.stderr)
	}
}

// assumeAccount returns an SDK configuration and the environment for the
// binary with moto credentials of account in region: moto's STS issues keys
// that moto then takes as that account's.
func assumeAccount(t *testing.T, account, region string) (aws.Config, []string) {
	t.Helper()
	cfg := env.rig.Moto.AWSConfig(region)
	out, err := sts.NewFromConfig(cfg).AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn:         aws.String("arn:aws:iam::" + account + ":role/cdkpush-e2e"),
		RoleSessionName: aws.String("cdkpush-e2e"),
	})
	if err != nil {
		t.Fatalf("assuming a role in account %s: %v", account, err)
	}
	c := out.Credentials
	cfg.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(c.AccessKeyId),
		aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
	return cfg, []string{
		"AWS_ACCESS_KEY_ID=" + aws.ToString(c.AccessKeyId),
		"AWS_SECRET_ACCESS_KEY=" + aws.ToString(c.SecretAccessKey),
		"AWS_SESSION_TOKEN=" + aws.ToString(c.SessionToken),
		"AWS_REGION=" + region,
		"AWS_DEFAULT_REGION=" + region,
	}
}

// deployTemplate creates stackName from the template a real `cdk synth`
// wrote, with the credentials and region of cfg, giving the repositories in
// names their names (moto cannot generate valid ones; see
// rig.Moto.DeployCDKStack, which deploys as moto's default account only).
// It uses CreateStack: moto drops the outputs and exports of change sets.
func deployTemplate(t *testing.T, cfg aws.Config, stackName, templatePath string,
	names map[string]string) {
	t.Helper()
	ctx := context.Background()
	data, err := os.ReadFile(templatePath)
	if err != nil {
		t.Fatal(err)
	}
	var tmpl map[string]any
	if err := json.Unmarshal(data, &tmpl); err != nil {
		t.Fatalf("parsing %s: %v", templatePath, err)
	}
	resources, _ := tmpl["Resources"].(map[string]any)
	for id, name := range names {
		res, _ := resources[id].(map[string]any)
		if res == nil {
			t.Fatalf("%s has no resource %s", templatePath, id)
		}
		props, _ := res["Properties"].(map[string]any)
		if props == nil {
			props = map[string]any{}
			res["Properties"] = props
		}
		props["RepositoryName"] = name
	}
	body, err := json.Marshal(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	_, err = ssm.NewFromConfig(cfg).PutParameter(ctx, &ssm.PutParameterInput{
		Name:      aws.String(rig.BootstrapVersionParameter),
		Value:     aws.String("21"),
		Type:      ssmtypes.ParameterTypeString,
		Overwrite: aws.Bool(true),
	})
	if err != nil {
		t.Fatalf("putting the bootstrap version: %v", err)
	}
	cfn := cloudformation.NewFromConfig(cfg)
	if _, err := cfn.CreateStack(ctx, &cloudformation.CreateStackInput{
		StackName:    aws.String(stackName),
		TemplateBody: aws.String(string(body)),
		Capabilities: []cfntypes.Capability{cfntypes.CapabilityCapabilityIam},
	}); err != nil {
		resetAWS(t)
		t.Fatalf("creating stack %s: %v", stackName, err)
	}
}

func repoByPath(t *testing.T, p planJSON, path string) struct {
	Stack, Path, LogicalID, Kind, Name string
	Account, Region, URI, Source       string
} {
	t.Helper()
	for _, r := range p.Repositories {
		if r.Path == path {
			return r
		}
	}
	t.Fatalf("the plan has no repository %s", path)
	return p.Repositories[0]
}

func containsPrefix(list []string, prefix string) bool {
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

func writeJSONFile(t *testing.T, path string, v any) {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
