package stackinfo

import (
	"errors"
	"io/fs"
	"path/filepath"
)

// DefaultOutput is the assembly folder the CDK CLI writes when cdk.json names
// none.
const DefaultOutput = "cdk.out"

// The project files ReadCDKConfig reads, in the project folder.
const (
	// ConfigFile is the CDK project's settings file.
	ConfigFile = "cdk.json"
	// ContextFile holds the context values the CDK CLI looked up and saved.
	ContextFile = "cdk.context.json"
)

// CDKConfig holds the keys of cdk.json that cdkpush uses, and the project's
// context values. Unknown keys are ignored.
type CDKConfig struct {
	// Output is the cloud assembly folder ("output"), relative to the
	// project folder. Empty means DefaultOutput.
	Output string `json:"output"`
	// Profile is the AWS profile ("profile") the project deploys with.
	Profile string `json:"profile"`
	// OutputsFile is the file `cdk deploy --outputs-file` writes
	// ("outputsFile"), relative to the project folder.
	OutputsFile string `json:"outputsFile"`
	// Context holds the project's context values: cdk.json's "context",
	// over the values saved in cdk.context.json, as the CDK CLI layers
	// them.
	Context map[string]any `json:"context"`
	// Files are the files that were read: ConfigFile and ContextFile, when
	// they exist.
	Files []string `json:"-"`
}

// ReadCDKConfig reads cdk.json and cdk.context.json in the project folder
// dir. A missing file is not an error: without either, it yields the zero
// CDKConfig, as for a project that only has a cdk.out.
func ReadCDKConfig(dir string) (CDKConfig, error) {
	var cfg CDKConfig
	err := readJSONFile(filepath.Join(dir, ConfigFile), &cfg)
	switch {
	case err == nil:
		cfg.Files = append(cfg.Files, ConfigFile)
	case errors.Is(err, fs.ErrNotExist):
		cfg = CDKConfig{}
	default:
		return CDKConfig{}, err
	}
	var saved map[string]any
	err = readJSONFile(filepath.Join(dir, ContextFile), &saved)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return cfg, nil
	case err != nil:
		return CDKConfig{}, err
	}
	cfg.Files = append(cfg.Files, ContextFile)
	if len(saved) > 0 && cfg.Context == nil {
		cfg.Context = map[string]any{}
	}
	for k, v := range saved {
		if _, ok := cfg.Context[k]; !ok {
			cfg.Context[k] = v
		}
	}
	return cfg, nil
}
