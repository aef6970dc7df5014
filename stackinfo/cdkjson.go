package stackinfo

import (
	"errors"
	"io/fs"
	"path/filepath"
)

// DefaultOutput is the assembly folder the CDK CLI writes when cdk.json names
// none.
const DefaultOutput = "cdk.out"

// CDKConfig holds the keys of cdk.json that cdkpush uses. Unknown keys are
// ignored.
type CDKConfig struct {
	// Output is the cloud assembly folder ("output"), relative to the
	// project folder. Empty means DefaultOutput.
	Output string `json:"output"`
	// Profile is the AWS profile ("profile") the project deploys with.
	Profile string `json:"profile"`
	// OutputsFile is the file `cdk deploy --outputs-file` writes
	// ("outputsFile"), relative to the project folder.
	OutputsFile string `json:"outputsFile"`
	// Context holds the project's context values ("context").
	Context map[string]any `json:"context"`
}

// ReadCDKConfig reads cdk.json in the project folder dir. A missing file is
// not an error: it yields the zero CDKConfig, as for a project that only has
// a cdk.out.
func ReadCDKConfig(dir string) (CDKConfig, error) {
	var cfg CDKConfig
	err := readJSONFile(filepath.Join(dir, "cdk.json"), &cfg)
	if errors.Is(err, fs.ErrNotExist) {
		return CDKConfig{}, nil
	}
	return cfg, err
}
