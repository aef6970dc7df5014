package stackinfo

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestReadRepositories reads the real Shared template: one literal name, one
// generated, and the outputs that refer to each.
func TestReadRepositories(t *testing.T) {
	s := Stack{
		Name:         "Shared",
		Account:      "111111111111",
		Region:       "eu-west-1",
		TemplateFile: filepath.Join(complexOut, "Shared.template.json"),
	}
	got, err := readRepositories(s)
	if err != nil {
		t.Fatalf("readRepositories() error: %v", err)
	}
	want := []Repository{
		{
			Stack: "Shared", Path: "Shared/BaseRepo", LogicalID: "BaseRepoE5A2D56C",
			Kind: KindResource, Name: "team/base", Account: "111111111111", Region: "eu-west-1",
			Source:  SourceTemplate,
			outputs: map[string]outputRef{"BaseRepoUri": refOther},
		},
		{
			Stack: "Shared", Path: "Shared/GeneratedRepo", LogicalID: "GeneratedRepo5762D8AA",
			Kind: KindResource, Account: "111111111111", Region: "eu-west-1",
			outputs: map[string]outputRef{
				"GeneratedRepoName": refName,
				"GeneratedRepoUri":  refOther,
			},
		},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(Repository{})); diff != "" {
		t.Errorf("readRepositories() mismatch (-want +got):\n%s", diff)
	}
}

// TestReadRepositoriesOutputs checks which template outputs are tied to a
// repository, on hand-made templates.
func TestReadRepositoriesOutputs(t *testing.T) {
	const resources = `"Resources": {
		"A": {"Type": "AWS::ECR::Repository"},
		"B": {"Type": "AWS::ECR::Repository", "Properties": {"RepositoryName": ""}},
		"Bucket": {"Type": "AWS::S3::Bucket"}
	}`
	tests := []struct {
		name    string
		outputs string
		want    map[string]map[string]outputRef // by logical id
	}{
		{
			name:    "ref",
			outputs: `{"O": {"Value": {"Ref": "A"}}}`,
			want:    map[string]map[string]outputRef{"A": {"O": refName}},
		},
		{
			name:    "get-att list",
			outputs: `{"O": {"Value": {"Fn::GetAtt": ["A", "Arn"]}}}`,
			want:    map[string]map[string]outputRef{"A": {"O": refOther}},
		},
		{
			name:    "get-att string",
			outputs: `{"O": {"Value": {"Fn::GetAtt": "B.RepositoryUri"}}}`,
			want:    map[string]map[string]outputRef{"B": {"O": refOther}},
		},
		{
			name: "nested in a join",
			outputs: `{"O": {"Value": {"Fn::Join": ["", [
				{"Ref": "AWS::AccountId"}, ".dkr.ecr/", {"Ref": "A"}]]}}}`,
			want: map[string]map[string]outputRef{"A": {"O": refOther}},
		},
		{
			// An output naming two repositories is tied to neither.
			name:    "two repositories",
			outputs: `{"O": {"Value": {"Fn::Join": [",", [{"Ref": "A"}, {"Ref": "B"}]]}}}`,
		},
		{
			name:    "not a repository",
			outputs: `{"O": {"Value": {"Ref": "Bucket"}}, "P": {"Value": "A"}}`,
		},
		{
			name:    "ref with more keys",
			outputs: `{"O": {"Value": {"Ref": "A", "Extra": 1}}}`,
			want:    map[string]map[string]outputRef{"A": {"O": refOther}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "t.template.json")
			writeFile(t, path, "{"+resources+`, "Outputs": `+tt.outputs+"}")
			repos, err := readRepositories(Stack{Name: "S", TemplateFile: path})
			if err != nil {
				t.Fatalf("readRepositories() error: %v", err)
			}
			got := map[string]map[string]outputRef{}
			var ids []string
			for _, r := range repos {
				ids = append(ids, r.LogicalID)
				if r.Name != "" || r.Source != "" {
					t.Errorf("repository %s has name %q from %q, want none",
						r.LogicalID, r.Name, r.Source)
				}
				if r.outputs != nil {
					got[r.LogicalID] = r.outputs
				}
			}
			if diff := cmp.Diff([]string{"A", "B"}, ids); diff != "" {
				t.Errorf("readRepositories() ids mismatch (-want +got):\n%s", diff)
			}
			want := tt.want
			if want == nil {
				want = map[string]map[string]outputRef{}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("readRepositories() outputs mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNameFromOutput(t *testing.T) {
	tests := []struct {
		name   string
		value  string
		kind   outputRef
		want   string
		wantOK bool
	}{
		{name: "uri", value: "123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app",
			kind: refOther, want: "team/app", wantOK: true},
		{name: "uri from a ref output", value: "123456789012.dkr.ecr.us-east-1.amazonaws.com/a1",
			kind: refName, want: "a1", wantOK: true},
		{name: "arn", value: "arn:aws:ecr:eu-west-1:111111111111:repository/team/base",
			kind: refOther, want: "team/base", wantOK: true},
		{name: "china arn", value: "arn:aws-cn:ecr:cn-north-1:111111111111:repository/app",
			kind: refOther, want: "app", wantOK: true},
		{name: "name from a ref output", value: "web-api", kind: refName,
			want: "web-api", wantOK: true},
		{name: "name from another output", value: "web-api", kind: refOther},
		{name: "invalid name", value: "Web API", kind: refName},
		{name: "empty", value: "", kind: refName},
		{name: "other service arn", value: "arn:aws:s3:::bucket/repository/app", kind: refOther},
		{name: "arn without repository", value: "arn:aws:ecr:us-east-1:1:registry/app",
			kind: refOther},
		{name: "arn with invalid name", value: "arn:aws:ecr:us-east-1:1:repository/App",
			kind: refOther},
		{name: "other registry", value: "ghcr.io/team/app", kind: refOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := nameFromOutput(tt.value, tt.kind)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("nameFromOutput(%q, %v) = %q, %v, want %q, %v",
					tt.value, tt.kind, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}
