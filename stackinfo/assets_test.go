package stackinfo

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestResolveAssets checks the docker image assets of the complex app: build
// options, an executable, a Stage's asset in the top folder, placeholders
// replaced for an agnostic stack once its environment is known, and the
// China partition.
func TestResolveAssets(t *testing.T) {
	dir, err := filepath.Abs(complexOut)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Resolve(context.Background(), Options{CDKOut: dir, Offline: false,
		Region: "eu-central-1", Account: callerAccount("333333333333")})
	if err != nil {
		t.Fatalf("Resolve() error: %v", err)
	}
	byName := map[string]ImageAsset{}
	for _, a := range p.Assets {
		byName[a.StackPath+"/"+a.DisplayName] = a
	}
	const svcID = "ea5d01ce8ea847c1fcc720a51d7ba539eacb28c91e0d89dbc6341cb82f7cffef"
	svc := byName["AssetStack/SvcImage"]
	wantSvc := ImageAsset{
		Stack: "AssetStack", StackPath: "AssetStack", ID: svcID, DisplayName: "SvcImage",
		Manifest: filepath.Join(dir, "AssetStack.assets.json"),
		Source: ImageSource{
			Directory:   filepath.Join(dir, "asset."+svcID),
			DockerFile:  "svc.Dockerfile",
			BuildArgs:   map[string]string{"APP_VERSION": "1.2.3"},
			BuildTarget: "runtime",
			Platform:    "linux/amd64",
			Executable:  []string{},
		},
		Destinations: []ImageDestination{{
			ID:             "111111111111-eu-west-1-8690f282",
			RepositoryName: "cdk-hnb659fds-container-assets-111111111111-eu-west-1",
			ImageTag:       svcID,
			Account:        "111111111111",
			Region:         "eu-west-1",
			AssumeRoleARN: "arn:aws:iam::111111111111:role/" +
				"cdk-hnb659fds-image-publishing-role-111111111111-eu-west-1",
			URI: "111111111111.dkr.ecr.eu-west-1.amazonaws.com/" +
				"cdk-hnb659fds-container-assets-111111111111-eu-west-1",
			Image: "111111111111.dkr.ecr.eu-west-1.amazonaws.com/" +
				"cdk-hnb659fds-container-assets-111111111111-eu-west-1:" + svcID,
		}},
	}
	if diff := cmp.Diff(wantSvc, svc); diff != "" {
		t.Errorf("AssetStack/SvcImage mismatch (-want +got):\n%s", diff)
	}

	// The Stage's asset directory is "../asset.…" from the nested assembly.
	stage := byName["Prod/RepoStack/StageImage"]
	if d := stage.Source.Directory; filepath.Dir(d) != dir {
		t.Errorf("StageImage directory = %q, want one in %s", d, dir)
	}

	agnostic := byName["Agnostic/AgnosticImage"].Destinations[0]
	wantAgnostic := "333333333333.dkr.ecr.eu-central-1.amazonaws.com/" +
		"cdk-hnb659fds-container-assets-333333333333-eu-central-1"
	if agnostic.URI != wantAgnostic || agnostic.Region != "eu-central-1" ||
		agnostic.AssumeRoleARN != "arn:aws:iam::333333333333:role/"+
			"cdk-hnb659fds-image-publishing-role-333333333333-eu-central-1" {
		t.Errorf("AgnosticImage destination = %+v, want %s", agnostic, wantAgnostic)
	}

	exec := byName["ChinaStack/ExecImage"]
	want := []string{"node", "build-image.js", "--tag", "exec-image"}
	if diff := cmp.Diff(want, exec.Source.Executable); diff != "" || exec.Source.Directory != "" {
		t.Errorf("ExecImage source = %+v, want executable %q", exec.Source, want)
	}
	china := exec.Destinations[0]
	if !strings.HasPrefix(china.AssumeRoleARN, "arn:aws-cn:iam::444444444444:role/") ||
		china.AssumeRoleExternalID != "cdkpush-fixture" ||
		!strings.HasPrefix(china.URI, "444444444444.dkr.ecr.cn-north-1.amazonaws.com.cn/") {
		t.Errorf("ExecImage destination = %+v, want the aws-cn partition", china)
	}
}

func TestReplacePlaceholders(t *testing.T) {
	tests := []struct {
		name, in, account, region string
		want                      string
		wantOK                    bool
	}{
		{name: "none", in: "plain", want: "plain", wantOK: true},
		{name: "all, twice", in: "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/" +
			"x-${AWS::AccountId}-${AWS::Region}", account: "111111111111", region: "us-gov-west-1",
			want:   "arn:aws-us-gov:iam::111111111111:role/x-111111111111-us-gov-west-1",
			wantOK: true},
		{name: "unknown account", in: "r-${AWS::AccountId}", region: "eu-west-1"},
		{name: "unknown region", in: "r-${AWS::Region}", account: "111111111111"},
		{name: "partition needs region", in: "arn:${AWS::Partition}:x", account: "1"},
		{name: "unknown account not needed", in: "r-${AWS::Region}", region: "eu-west-1",
			want: "r-eu-west-1", wantOK: true},
		{name: "other placeholder kept", in: "${AWS::StackName}", want: "${AWS::StackName}",
			wantOK: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := replacePlaceholders(tt.in, tt.account, tt.region)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("replacePlaceholders(%q) = %q, %v, want %q, %v",
					tt.in, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestPartitionOf(t *testing.T) {
	for region, want := range map[string]string{
		"us-east-1": "aws", "eu-west-1": "aws", "cn-north-1": "aws-cn",
		"cn-northwest-1": "aws-cn", "us-gov-west-1": "aws-us-gov", "us-iso-east-1": "aws-iso",
		"us-isob-east-1": "aws-iso-b", "eu-isoe-west-1": "aws-iso-e",
		"us-isof-south-1": "aws-iso-f", "eusc-de-east-1": "aws-eusc", "": "",
	} {
		if got := partitionOf(region); got != want {
			t.Errorf("partitionOf(%q) = %q, want %q", region, got, want)
		}
	}
	for region, want := range map[string]string{
		"us-east-1": "amazonaws.com", "cn-north-1": "amazonaws.com.cn",
		"eusc-de-east-1": "amazonaws.eu", "": "",
	} {
		if got := urlSuffix(region); got != want {
			t.Errorf("urlSuffix(%q) = %q, want %q", region, got, want)
		}
	}
}
