package stackinfo

import (
	"fmt"
	"strings"

	"github.com/cdkpush/cdkpush/login"
)

// Outputs holds stack outputs as `cdk deploy --outputs-file` writes them:
// CloudFormation stack name, then output key, then value.
type Outputs map[string]map[string]string

// ReadOutputsFile reads a `cdk deploy --outputs-file` JSON file.
func ReadOutputsFile(path string) (Outputs, error) {
	var raw map[string]map[string]any
	if err := readJSONFile(path, &raw); err != nil {
		return nil, err
	}
	out := make(Outputs, len(raw))
	for _, stack := range sortedKeys(raw) {
		out[stack] = make(map[string]string, len(raw[stack]))
		for _, key := range sortedKeys(raw[stack]) {
			value, ok := raw[stack][key].(string)
			if !ok {
				return nil, fmt.Errorf("parsing %s: at %q: expected a string, found %s",
					path, stack+"."+key, jsonValueKind(raw[stack][key]))
			}
			out[stack][key] = value
		}
	}
	return out, nil
}

// jsonValueKind names the kind of a decoded JSON value.
func jsonValueKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "true or false"
	case float64:
		return "a number"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return "a string"
}

// nameFromOutput returns the repository name that an output value gives,
// when it gives one exactly: a repository URI, a repository ARN, or the
// value of {"Ref": id}, which is the name itself.
func nameFromOutput(value string, kind outputRef) (string, bool) {
	if uri, err := login.ParseRepositoryURI(value); err == nil {
		return uri.Name, true
	}
	if name, ok := nameFromARN(value); ok {
		return name, true
	}
	if kind == refName && login.ValidRepositoryName(value) {
		return value, true
	}
	return "", false
}

// nameFromARN parses arn:PARTITION:ecr:REGION:ACCOUNT:repository/NAME.
func nameFromARN(arn string) (string, bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "ecr" {
		return "", false
	}
	name, ok := strings.CutPrefix(parts[5], "repository/")
	if !ok || !login.ValidRepositoryName(name) {
		return "", false
	}
	return name, true
}

// repositoryURI parses an output value that is a private ECR repository URI,
// HOST/NAME, with no tag or digest: an image reference names an image, not
// a repository, and ECR Public is not a place cdkpush pushes to.
func repositoryURI(value string) (login.RepositoryURI, bool) {
	u, err := login.ParseRepositoryURI(value)
	if err != nil || u.Tag != "" || u.Digest != "" || u.Registry.Public {
		return login.RepositoryURI{}, false
	}
	return u, true
}
