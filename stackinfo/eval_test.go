package stackinfo

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEvaluator(t *testing.T) {
	stack := Stack{Name: "S", Account: "111111111111", Region: "cn-north-1"}
	imports := map[string]string{"Exported": "value-of-export"}
	tests := []struct {
		name   string
		expr   string
		want   string
		wantOK bool
	}{
		{name: "literal", expr: `"abc"`, want: "abc", wantOK: true},
		{name: "pseudo parameters", expr: `{"Fn::Join": ["|", [{"Ref": "AWS::AccountId"},
			{"Ref": "AWS::Region"}, {"Ref": "AWS::Partition"}, {"Ref": "AWS::URLSuffix"},
			{"Ref": "AWS::StackName"}]]}`,
			want:   "111111111111|cn-north-1|aws-cn|amazonaws.com.cn|S",
			wantOK: true},
		{name: "repository name", expr: `{"Ref": "Repo"}`, want: "team/app", wantOK: true},
		{name: "repository uri", expr: `{"Fn::GetAtt": ["Repo", "RepositoryUri"]}`,
			want: "111111111111.dkr.ecr.cn-north-1.amazonaws.com.cn/team/app", wantOK: true},
		{name: "repository arn, string form", expr: `{"Fn::GetAtt": "Repo.Arn"}`,
			want: "arn:aws-cn:ecr:cn-north-1:111111111111:repository/team/app", wantOK: true},
		// What the CDK writes for repositoryUri.
		{name: "select and split", expr: `{"Fn::Join": ["", [
			{"Fn::Select": [4, {"Fn::Split": [":", {"Fn::GetAtt": ["Repo", "Arn"]}]}]},
			".dkr.ecr.",
			{"Fn::Select": ["3", {"Fn::Split": [":", {"Fn::GetAtt": ["Repo", "Arn"]}]}]},
			".", {"Ref": "AWS::URLSuffix"}, "/", {"Ref": "Repo"}]]}`,
			want: "111111111111.dkr.ecr.cn-north-1.amazonaws.com.cn/team/app", wantOK: true},
		{name: "sub", expr: `{"Fn::Sub": "${AWS::AccountId}.x/${Repo}:${!Literal}"}`,
			want: "111111111111.x/team/app:${Literal}", wantOK: true},
		{name: "sub with variables", expr: `{"Fn::Sub": ["${A}-${Repo.Arn}", {"A": "a"}]}`,
			want: "a-arn:aws-cn:ecr:cn-north-1:111111111111:repository/team/app", wantOK: true},
		{name: "import", expr: `{"Fn::ImportValue": {"Fn::Sub": "Export${Suffix}"}}`},
		{name: "import known", expr: `{"Fn::ImportValue": "Exported"}`,
			want: "value-of-export", wantOK: true},
		{name: "generated name", expr: `{"Ref": "Generated"}`},
		{name: "unknown attribute", expr: `{"Fn::GetAtt": ["Repo", "Other"]}`},
		{name: "select out of range", expr: `{"Fn::Select": [9, ["a"]]}`},
		{name: "negative index", expr: `{"Fn::Select": [-1, ["a"]]}`},
		{name: "fractional index", expr: `{"Fn::Select": [0.5, ["a"]]}`},
		{name: "two keys", expr: `{"Ref": "Repo", "Fn::Sub": "x"}`},
		{name: "unknown function", expr: `{"Fn::Base64": "x"}`},
		{name: "number", expr: `1`},
		{name: "unclosed sub", expr: `{"Fn::Sub": "a${b"}`, want: "a${b", wantOK: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var expr any
			if err := json.Unmarshal([]byte(tt.expr), &expr); err != nil {
				t.Fatal(err)
			}
			ev := &evaluator{
				stack: stack,
				names: map[string]string{"Repo": "team/app"},
				importValue: func(_ Stack, name string, _ int) (string, bool) {
					v, ok := imports[name]
					return v, ok
				},
			}
			got, ok := ev.eval(expr)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("eval(%s) = %q, %v, want %q, %v", tt.expr, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

// TestResolveImportLoop checks that exports importing each other end up
// unknown rather than recursing forever.
func TestResolveImportLoop(t *testing.T) {
	dir := copyAssembly(t, complexOut)
	editJSON(t, filepath.Join(dir, "Consumer.template.json"), func(doc map[string]any) {
		doc["Outputs"] = map[string]any{
			"A": map[string]any{
				"Value":  map[string]any{"Fn::ImportValue": "B"},
				"Export": map[string]any{"Name": "A"},
			},
			"B": map[string]any{
				"Value":  map[string]any{"Fn::ImportValue": "A"},
				"Export": map[string]any{"Name": "B"},
			},
		}
	})
	p, err := Resolve(context.Background(), Options{CDKOut: dir, Stacks: []string{"Consumer"}})
	if err != nil {
		t.Fatalf("Resolve() error: %v", err)
	}
	if len(p.Repositories) != 0 {
		t.Errorf("Resolve() repositories = %+v, want none", p.Repositories)
	}
}

// TestResolveMetadataPaths checks the construct paths of repositories whose
// template has no aws:cdk:path (path metadata turned off): they come from
// the stack's metadata, in its additionalMetadataFile or inline in the
// manifest, as older CDK versions wrote it.
func TestResolveMetadataPaths(t *testing.T) {
	for _, inline := range []bool{false, true} {
		name := map[bool]string{false: "metadata file", true: "inline"}[inline]
		t.Run(name, func(t *testing.T) {
			dir := copyAssembly(t, complexOut)
			editJSON(t, filepath.Join(dir, "Shared.template.json"), func(doc map[string]any) {
				for _, r := range doc["Resources"].(map[string]any) {
					delete(r.(map[string]any), "Metadata")
				}
			})
			if inline {
				metaFile := filepath.Join(dir, "Shared.metadata.json")
				var meta map[string]any
				readJSONTest(t, metaFile, &meta)
				removeFile(t, metaFile)
				editJSON(t, filepath.Join(dir, "manifest.json"), func(doc map[string]any) {
					a := manifestArtifact(t, doc, "Shared")
					delete(a, "additionalMetadataFile")
					a["metadata"] = meta
				})
			}
			p, err := Resolve(context.Background(), Options{CDKOut: dir,
				Stacks: []string{"Shared"}})
			if err != nil {
				t.Fatalf("Resolve() error: %v", err)
			}
			var paths []string
			for _, r := range p.Repositories {
				paths = append(paths, r.Path)
			}
			want := []string{"Shared/BaseRepo", "Shared/GeneratedRepo"}
			if diff := cmp.Diff(want, paths); diff != "" {
				t.Errorf("Resolve() paths mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func readJSONTest(t *testing.T, path string, v any) {
	t.Helper()
	if err := readJSONFile(path, v); err != nil {
		t.Fatal(err)
	}
}
