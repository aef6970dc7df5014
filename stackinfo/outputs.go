package stackinfo

import (
	"strings"

	"github.com/cdkpush/cdkpush/login"
)

// Outputs holds stack outputs as `cdk deploy --outputs-file` writes them:
// CloudFormation stack name, then output key, then value.
type Outputs map[string]map[string]string

// ReadOutputsFile reads a `cdk deploy --outputs-file` JSON file.
func ReadOutputsFile(path string) (Outputs, error) {
	var out Outputs
	if err := readJSONFile(path, &out); err != nil {
		return nil, err
	}
	return out, nil
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
