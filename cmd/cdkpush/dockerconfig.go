package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/docker/cli/cli/config/configfile"
	"github.com/docker/cli/cli/config/credentials"
	"github.com/docker/cli/cli/config/types"
	"github.com/gofrs/flock"

	"github.com/cdkpush/cdkpush/login"
)

const (
	// dockerConfigFile is the docker CLI's configuration in its folder.
	dockerConfigFile = "config.json"
	// dockerConfigLock is the file cdkpush locks so that two logins do not
	// lose each other's entries; docker itself does not lock.
	dockerConfigLock = "config.json.lock"
	// ecrLoginHelper is the helper name of the Amazon ECR credential helper,
	// docker-credential-ecr-login.
	ecrLoginHelper = "ecr-login"
)

// dockerConfigDir returns the docker CLI's configuration folder: DOCKER_CONFIG,
// else ~/.docker, as the docker CLI finds it.
func dockerConfigDir() (string, error) {
	if dir := os.Getenv("DOCKER_CONFIG"); dir != "" {
		return dir, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("finding the docker config folder: %w", err)
	}
	return filepath.Join(home, ".docker"), nil
}

// dockerConfig is a docker CLI configuration file, loaded through the docker
// CLI's own config package, with the bytes it was read from.
type dockerConfig struct {
	*configfile.ConfigFile
	// raw is the file as read, whose keys unknown to configfile Save keeps.
	raw []byte
}

// loadDockerConfig reads config.json in dir; a missing file is an empty
// configuration. A file that does not parse is an error, so that it is never
// overwritten.
func loadDockerConfig(dir string) (*dockerConfig, error) {
	path := filepath.Join(dir, dockerConfigFile)
	raw, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("reading docker config %s: %w", path, err)
	}
	cf := configfile.New(path)
	if err := cf.LoadFromReader(bytes.NewReader(raw)); err != nil {
		return nil, fmt.Errorf("reading docker config %s: %w", path, err)
	}
	return &dockerConfig{ConfigFile: cf, raw: raw}, nil
}

// helperFor returns the credential helper docker uses for host:
// credHelpers[host], else credsStore; "" means the file itself. where says
// which setting named it.
func (c *dockerConfig) helperFor(host string) (helper, where string) {
	if h, ok := c.CredentialHelpers[host]; ok {
		return h, fmt.Sprintf("credHelpers[%q]", host)
	}
	return c.CredentialsStore, "credsStore"
}

// storeResult says what storeDockerCredentials did.
type storeResult struct {
	// File is the configuration file.
	File string
	// Helper is the credential helper that holds the password, or "" when
	// the file does.
	Helper string
	// Skipped is set when docker gets this host's credentials from the
	// ecr-login helper, so nothing was stored; Where names the setting.
	Skipped bool
	Where   string
}

// storeDockerCredentials stores c for host in the docker configuration in
// dir, as docker login does: through the credential helper configured for
// host, else in the file; with a file lock held from reading to writing, so
// that concurrent logins keep each other's entries. A host whose helper is
// ecr-login gets nothing. With detectStore and no credentials configured
// yet, the platform's default helper is chosen as docker login chooses it.
func storeDockerCredentials(ctx context.Context, dir, host string, c login.Credentials,
	detectStore bool) (storeResult, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return storeResult{}, fmt.Errorf("creating docker config folder %s: %w", dir, err)
	}
	lock := flock.New(filepath.Join(dir, dockerConfigLock))
	locked, err := lock.TryLockContext(ctx, 20*time.Millisecond)
	if err == nil && !locked {
		err = errors.New("the lock was not taken")
	}
	if err != nil {
		return storeResult{}, fmt.Errorf("locking %s: %w", lock.Path(), err)
	}
	defer func() { _ = lock.Unlock() }()

	cfg, err := loadDockerConfig(dir)
	if err != nil {
		return storeResult{}, err
	}
	res := storeResult{File: cfg.Filename}
	if detectStore && !cfg.ContainsAuth() {
		cfg.CredentialsStore = credentials.DetectDefaultStore(cfg.CredentialsStore)
	}
	helper, where := cfg.helperFor(host)
	if helper == ecrLoginHelper {
		res.Skipped, res.Where = true, where
		return res, nil
	}
	auth := types.AuthConfig{Username: c.Username, Password: c.Password, ServerAddress: host}
	if helper == "" {
		// What docker's file store does, without its warning on os.Stderr.
		cfg.GetAuthConfigs()[host] = auth
		if err := cfg.Save(); err != nil {
			return storeResult{}, err
		}
		return res, nil
	}
	// The helper gets the password on its standard input.
	res.Helper = helper
	if err := credentials.NewNativeStore(cfg, helper).Store(auth); err != nil {
		return storeResult{}, fmt.Errorf("storing the credentials for %s with "+
			"docker-credential-%s (%s in %s): %w", host, helper, where, cfg.Filename, err)
	}
	return res, nil
}

// Save writes the configuration atomically with mode 0600, keeping the
// top-level keys of the old file that the docker CLI's package does not
// know. It replaces configfile's own Save, for the credential stores too.
func (c *dockerConfig) Save() error {
	var buf bytes.Buffer
	if err := c.SaveToWriter(&buf); err != nil {
		return fmt.Errorf("encoding docker config %s: %w", c.Filename, err)
	}
	data, err := keepUnknownKeys(buf.Bytes(), c.raw)
	if err != nil {
		return fmt.Errorf("encoding docker config %s: %w", c.Filename, err)
	}
	if err := writeFileAtomic(c.Filename, data); err != nil {
		return fmt.Errorf("writing docker config %s: %w", c.Filename, err)
	}
	c.raw = data
	return nil
}

// keepUnknownKeys adds to the JSON object data every top-level key of old
// that it lacks. data comes back unchanged when there is none.
func keepUnknownKeys(data, old []byte) ([]byte, error) {
	var oldKeys map[string]json.RawMessage
	if len(bytes.TrimSpace(old)) == 0 || json.Unmarshal(old, &oldKeys) != nil {
		return data, nil
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(data, &keys); err != nil {
		return nil, err
	}
	added := false
	for k, v := range oldKeys {
		if _, ok := keys[k]; !ok {
			keys[k], added = v, true
		}
	}
	if !added {
		return data, nil
	}
	return json.MarshalIndent(keys, "", "\t")
}

// writeFileAtomic replaces path (or the file a symbolic link at path points
// to) with data: a temporary file in the same folder, mode 0600 and the old
// file's owner, synced, then renamed over it. A reader sees the old file or
// the new one, never a part.
func writeFileAtomic(path string, data []byte) (retErr error) {
	target := path
	if resolved, err := filepath.EvalSymlinks(path); err == nil {
		target = resolved
	} else if pe := (*fs.PathError)(nil); errors.As(err, &pe) && errors.Is(err, fs.ErrNotExist) {
		// A dangling link: write where it points.
		target = pe.Path
	}
	tmp, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if retErr != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return err
	}
	keepOwner(tmp, target)
	if _, err := tmp.Write(data); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), target); err != nil {
		return err
	}
	if d, err := os.Open(filepath.Dir(target)); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}
