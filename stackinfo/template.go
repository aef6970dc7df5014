package stackinfo

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

const ecrRepositoryType = "AWS::ECR::Repository"

// Sources a repository's name can come from, in Repository.Source.
const (
	// SourceTemplate: the stack's template in the cloud assembly, either
	// a literal RepositoryName or an output evaluated from the assembly.
	SourceTemplate = "template"
	// SourceOutputsFile: the `cdk deploy --outputs-file` JSON.
	SourceOutputsFile = "outputs-file"
	// SourceCloudFormation: the deployed stack (its resources or outputs).
	SourceCloudFormation = "cloudformation"
	// SourceExport: a CloudFormation export (ListExports) that an output
	// imports.
	SourceExport = "export"
)

// Kinds of repository, in Repository.Kind.
const (
	// KindResource: an AWS::ECR::Repository resource of the stack.
	KindResource = "resource"
	// KindOutput: a stack output whose value is a repository URI, for a
	// repository defined elsewhere (another stack or outside the app).
	KindOutput = "output"
)

// Repository is one ECR repository that a stack defines or refers to.
type Repository struct {
	// Stack is the CloudFormation name of the stack that defines it (or
	// whose output names it).
	Stack string `json:"stack"`
	// Path is the construct path, such as "WebApiStack/WorkerRepo"; for a
	// repository found through an output, the output's.
	Path string `json:"path"`
	// LogicalID is the resource's logical id in the template; for a
	// repository found through an output, the output key.
	LogicalID string `json:"logicalId"`
	// Kind is KindResource or KindOutput.
	Kind string `json:"kind"`
	// Name is the repository name; empty while it is unknown.
	Name string `json:"name"`
	// Account and Region are the stack's, or the URI's for an output.
	Account string `json:"account"`
	Region  string `json:"region"`
	// URI is ACCOUNT.dkr.ecr.REGION.SUFFIX/NAME; empty while the name,
	// account or region is unknown.
	URI string `json:"uri"`
	// Source says where Name came from: SourceTemplate, SourceOutputsFile,
	// SourceCloudFormation or SourceExport; empty while it is unknown.
	Source string `json:"source"`

	// outputs are the template outputs whose value refers to this
	// repository, by output key.
	outputs map[string]outputRef
}

// outputRef tells how a template output refers to a repository.
type outputRef int

const (
	// refOther: the output's value mentions the repository inside a larger
	// expression, such as the Fn::Join the CDK writes for repositoryUri.
	refOther outputRef = iota
	// refName: the value is exactly {"Ref": id}, the repository name.
	refName
)

type template struct {
	Resources map[string]resource `json:"Resources"`
	Outputs   map[string]output   `json:"Outputs"`
}

type resource struct {
	Type       string          `json:"Type"`
	Properties json.RawMessage `json:"Properties"`
	// Metadata is decoded only for the resources cdkpush reads.
	Metadata json.RawMessage `json:"Metadata"`
}

type output struct {
	Value  any `json:"Value"`
	Export *struct {
		Name any `json:"Name"`
	} `json:"Export"`
}

// stackTemplate is what cdkpush takes from one stack's template.
type stackTemplate struct {
	// repos are the ECR repositories, ordered by logical id.
	repos []Repository
	// outputs are every output, ordered by key.
	outputs []templateOutput
}

// templateOutput is one output of a template.
type templateOutput struct {
	key   string
	value any
	// export is the Export.Name expression, nil when not exported.
	export any
	// tied is the index in stackTemplate.repos of the one repository the
	// value refers to, or -1.
	tied int
}

// readRepositories returns the ECR repositories in the stack's template,
// ordered by logical id. A name is filled in only when the template gives it
// as a literal string; otherwise CloudFormation generates it at deploy time.
func readRepositories(s Stack) ([]Repository, error) {
	t, err := readTemplate(s)
	if err != nil {
		return nil, err
	}
	return t.repos, nil
}

// readTemplate reads the stack's template.
func readTemplate(s Stack) (*stackTemplate, error) {
	var t template
	if err := readJSONFile(s.TemplateFile, &t); err != nil {
		return nil, err
	}
	st := &stackTemplate{}
	byID := map[string]int{}
	for _, id := range sortedKeys(t.Resources) {
		r := t.Resources[id]
		if r.Type != ecrRepositoryType {
			continue
		}
		repo := Repository{
			Stack:     s.Name,
			LogicalID: id,
			Kind:      KindResource,
			Account:   s.Account,
			Region:    s.Region,
			Path:      constructPath(r.Metadata),
		}
		if repo.Path == "" {
			var err error
			if repo.Path, err = s.metadata.pathOf(id); err != nil {
				return nil, err
			}
		}
		if len(r.Properties) > 0 {
			var p struct {
				RepositoryName any `json:"RepositoryName"`
			}
			if err := json.Unmarshal(r.Properties, &p); err != nil {
				return nil, fmt.Errorf("parsing %s: Resources.%s.Properties: %w",
					s.TemplateFile, id, err)
			}
			if name, ok := p.RepositoryName.(string); ok && name != "" {
				repo.Name = name
				repo.Source = SourceTemplate
			}
		}
		byID[id] = len(st.repos)
		st.repos = append(st.repos, repo)
	}
	for _, key := range sortedKeys(t.Outputs) {
		o := t.Outputs[key]
		out := templateOutput{key: key, value: o.Value, tied: -1}
		if o.Export != nil {
			out.export = o.Export.Name
		}
		refs := map[string]bool{}
		collectRefs(o.Value, refs)
		var hit []string
		for id := range refs {
			if _, ok := byID[id]; ok {
				hit = append(hit, id)
			}
		}
		// An output that mixes several repositories says nothing exact
		// about any one of them.
		if len(hit) == 1 {
			out.tied = byID[hit[0]]
			repo := &st.repos[out.tied]
			if repo.outputs == nil {
				repo.outputs = map[string]outputRef{}
			}
			kind := refOther
			if isRef(o.Value, hit[0]) {
				kind = refName
			}
			repo.outputs[key] = kind
		}
		st.outputs = append(st.outputs, out)
	}
	return st, nil
}

// constructPath is the resource's aws:cdk:path metadata without the trailing
// "/Resource" that L2 constructs add; empty when there is none.
func constructPath(raw json.RawMessage) string {
	var meta map[string]any
	if len(raw) == 0 || json.Unmarshal(raw, &meta) != nil {
		return ""
	}
	p, _ := meta["aws:cdk:path"].(string)
	return strings.TrimSuffix(p, "/Resource")
}

// collectRefs adds to ids every logical id that v refers to through Ref or
// Fn::GetAtt, at any depth.
func collectRefs(v any, ids map[string]bool) {
	switch v := v.(type) {
	case map[string]any:
		for k, sub := range v {
			switch k {
			case "Ref":
				if id, ok := sub.(string); ok {
					ids[id] = true
				}
			case "Fn::GetAtt":
				switch att := sub.(type) {
				case []any:
					if len(att) > 0 {
						if id, ok := att[0].(string); ok {
							ids[id] = true
						}
					}
				case string:
					id, _, _ := strings.Cut(att, ".")
					ids[id] = true
				}
			}
			collectRefs(sub, ids)
		}
	case []any:
		for _, sub := range v {
			collectRefs(sub, ids)
		}
	}
}

func isRef(v any, id string) bool {
	m, ok := v.(map[string]any)
	return ok && len(m) == 1 && m["Ref"] == id
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
