package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cast"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

// configFile is the optional settings file in the project folder.
const configFile = "cdkpush.yaml"

// options are the settings of one run, after flags, environment and
// cdkpush.yaml have been merged.
type options struct {
	streams Streams

	Dir               string
	CDKOut            string
	OutputsFile       string
	Stacks            []string
	Profile           string
	Region            string
	Images            []string
	Tags              []string
	JSON              bool
	Verbose           bool
	RegistryEndpoints []string
	Concurrency       int
	DockerHost        string
	MaxAttempts       int
	Platform          string
	Quiet             bool
	Report            string
	Upload            string
	Offline           bool
}

// setting ties a flag to its cdkpush.yaml key. Environment variables are
// CDKPUSH_ and the key in upper case, with - as _.
type setting struct {
	flag string
	key  string
}

var settings = []setting{
	{"dir", "dir"},
	{"cdk-out", "cdk-out"},
	{"outputs-file", "outputs-file"},
	{"stack", "stacks"},
	{"profile", "profile"},
	{"region", "region"},
	{"image", "images"},
	{"tag", "tags"},
	{"json", "json"},
	{"verbose", "verbose"},
	{"registry-endpoint", "registry-endpoint"},
	{"concurrency", "concurrency"},
	{"docker-host", "docker-host"},
	{"max-attempts", "max-attempts"},
	{"platform", "platform"},
	{"quiet", "quiet"},
	{"report", "report"},
	{"upload", "upload"},
	{"offline", "offline"},
}

func addFlags(cmd *cobra.Command, o *options) {
	f := cmd.PersistentFlags()
	f.StringVar(&o.Dir, "dir", ".", "CDK project folder, holding cdk.json and cdkpush.yaml")
	f.StringVar(&o.CDKOut, "cdk-out", "",
		"cloud assembly folder (default: cdk.json \"output\", else cdk.out)")
	f.StringVar(&o.OutputsFile, "outputs-file", "",
		"JSON written by cdk deploy --outputs-file (default: cdk.json \"outputsFile\")")
	f.StringArrayVar(&o.Stacks, "stack", nil,
		"select stacks by name or display path glob, such as 'Prod/*' (repeatable; default all)")
	f.StringVar(&o.Profile, "profile", "", "AWS profile (default: cdk.json \"profile\")")
	f.StringVar(&o.Region, "region", "",
		"AWS region for environment-agnostic stacks (default: the profile's or AWS_REGION)")
	f.StringArrayVar(&o.Images, "image", nil,
		"map a local image to a repository: KEY=LOCALREF, KEY a repository name or "+
			"construct path (repeatable)")
	f.StringArrayVar(&o.Tags, "tag", nil, "also push under this tag (repeatable)")
	f.BoolVar(&o.JSON, "json", false, "print a JSON report on stdout instead of digests")
	f.BoolVarP(&o.Verbose, "verbose", "v", false, "log debug messages on stderr")
	f.StringArrayVar(&o.RegistryEndpoints, "registry-endpoint", nil,
		"send registry traffic to HOST[:PORT] instead of every ECR host, or "+
			"REGISTRY=HOST[:PORT] for one (repeatable)")
	f.IntVar(&o.Concurrency, "concurrency", 4, "how many pushes run at once")
	f.StringVar(&o.DockerHost, "docker-host", "",
		"Docker Engine address (default: DOCKER_HOST, else the current docker context, "+
			"else unix:///var/run/docker.sock)")
	f.IntVar(&o.MaxAttempts, "max-attempts", 0,
		"attempts per AWS call, retrying throttling and server errors (default: the "+
			"SDK's, 3, or AWS_MAX_ATTEMPTS)")
	f.StringVar(&o.Platform, "platform", "",
		"refuse to push local images of another platform than os/arch[/variant], such as "+
			"linux/amd64 (default: any)")
	f.BoolVarP(&o.Quiet, "quiet", "q", false, "print no progress on stderr")
	f.StringVar(&o.Report, "report", "",
		"also write the JSON report to FILE, whatever the output on the terminal")
	f.StringVar(&o.Upload, "upload", "",
		"how images reach the registry: direct (cdkpush uploads what the engine exports) "+
			"or engine (the engine pushes, as docker push does) (default direct)")
	f.BoolVar(&o.Offline, "offline", false,
		"resolve stacks and repositories from the project's files only, with no AWS "+
			"call (what only AWS knows stays unknown)")
}

// load merges environment variables and cdkpush.yaml under the flags the
// user set, in that order of precedence.
func (o *options) load(flags *pflag.FlagSet) error {
	v := viper.New()
	v.SetEnvPrefix("CDKPUSH")
	v.SetEnvKeyReplacer(strings.NewReplacer("-", "_"))
	for _, s := range settings {
		if err := v.BindPFlag(s.key, flags.Lookup(s.flag)); err != nil {
			return fmt.Errorf("binding flag --%s: %w", s.flag, err)
		}
		env := "CDKPUSH_" + strings.ToUpper(strings.ReplaceAll(s.key, "-", "_"))
		if err := v.BindEnv(s.key, env); err != nil {
			return fmt.Errorf("binding %s: %w", env, err)
		}
	}
	// The project folder locates cdkpush.yaml, so it comes from the flag
	// or the environment only.
	o.Dir = v.GetString("dir")
	if err := mergeConfigFile(v, filepath.Join(o.Dir, configFile)); err != nil {
		return err
	}
	o.CDKOut = v.GetString("cdk-out")
	o.OutputsFile = v.GetString("outputs-file")
	o.Stacks = v.GetStringSlice("stacks")
	o.Profile = v.GetString("profile")
	o.Region = v.GetString("region")
	o.Images = v.GetStringSlice("images")
	o.Tags = v.GetStringSlice("tags")
	o.JSON = v.GetBool("json")
	o.Verbose = v.GetBool("verbose")
	o.RegistryEndpoints = v.GetStringSlice("registry-endpoint")
	n, err := cast.ToIntE(v.Get("concurrency"))
	if err != nil {
		return usagef("concurrency %q: want a whole number", v.GetString("concurrency"))
	}
	o.Concurrency = n
	o.DockerHost = v.GetString("docker-host")
	o.Platform = v.GetString("platform")
	o.Quiet = v.GetBool("quiet")
	o.Report = v.GetString("report")
	o.Upload = v.GetString("upload")
	o.Offline = v.GetBool("offline")
	if o.Concurrency < 1 {
		return usagef("concurrency %d: want 1 or more", o.Concurrency)
	}
	if o.MaxAttempts, err = cast.ToIntE(v.Get("max-attempts")); err != nil || o.MaxAttempts < 0 {
		return usagef("max-attempts %q: want a whole number, or 0 for the SDK's default",
			v.GetString("max-attempts"))
	}
	return nil
}

// mergeConfigFile reads path, if it exists, refusing keys cdkpush does not
// know so that a typo is not silently ignored.
func mergeConfigFile(v *viper.Viper, path string) error {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	file := viper.New()
	file.SetConfigFile(path)
	file.SetConfigType("yaml")
	if err := file.ReadInConfig(); err != nil {
		return usagef("reading %s: %w", path, err)
	}
	known := map[string]bool{}
	var names []string
	for _, s := range settings {
		if s.key != "dir" {
			known[s.key] = true
			names = append(names, s.key)
		}
	}
	sort.Strings(names)
	for _, k := range file.AllKeys() {
		if top, _, _ := strings.Cut(k, "."); !known[top] {
			return usagef("reading %s: unknown key %q (known keys: %s)",
				path, k, strings.Join(names, ", "))
		}
	}
	if err := v.MergeConfigMap(file.AllSettings()); err != nil {
		return usagef("reading %s: %w", path, err)
	}
	return nil
}
