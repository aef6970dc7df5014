package main

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/cast"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"
	"go.yaml.in/yaml/v3"
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
	f.BoolVar(&o.JSON, "json", false,
		"print JSON on stdout: the push report, or the plan (default: digests or a table)")
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
	for _, s := range settings {
		if err := v.BindPFlag(s.key, flags.Lookup(s.flag)); err != nil {
			return fmt.Errorf("binding flag --%s: %w", s.flag, err)
		}
		// Both the key's and the flag's name work: CDKPUSH_STACKS and
		// CDKPUSH_STACK.
		envs := []string{envName(s.key)}
		if s.flag != s.key {
			envs = append(envs, envName(s.flag))
		}
		if err := v.BindEnv(append([]string{s.key}, envs...)...); err != nil {
			return fmt.Errorf("binding %s: %w", strings.Join(envs, ", "), err)
		}
	}
	g := getter{v: v, flags: flags}
	// The project folder locates cdkpush.yaml, so it comes from the flag
	// or the environment only.
	o.Dir = g.str("dir")
	if g.err != nil {
		return g.err
	}
	if err := mergeConfigFile(v, filepath.Join(o.Dir, configFile)); err != nil {
		return err
	}
	o.CDKOut = g.str("cdk-out")
	o.OutputsFile = g.str("outputs-file")
	o.Stacks = g.list("stacks")
	o.Profile = g.str("profile")
	o.Region = g.str("region")
	o.Images = g.list("images")
	o.Tags = g.list("tags")
	o.JSON = g.boolean("json")
	o.Verbose = g.boolean("verbose")
	o.RegistryEndpoints = g.list("registry-endpoint")
	o.Concurrency = g.integer("concurrency")
	o.DockerHost = g.str("docker-host")
	o.Platform = g.str("platform")
	o.Quiet = g.boolean("quiet")
	o.Report = g.str("report")
	o.Upload = g.str("upload")
	o.Offline = g.boolean("offline")
	o.MaxAttempts = g.integer("max-attempts")
	if g.err != nil {
		return g.err
	}
	if o.Concurrency < 1 {
		return usagef("concurrency %d: want 1 or more", o.Concurrency)
	}
	if o.MaxAttempts < 0 {
		return usagef("max-attempts %d: want a whole number, or 0 for the SDK's default",
			o.MaxAttempts)
	}
	return nil
}

func envName(name string) string {
	return "CDKPUSH_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// getter reads settings with their types checked, keeping the first error:
// a value of the wrong type in cdkpush.yaml or the environment is refused,
// never read as empty.
type getter struct {
	v     *viper.Viper
	flags *pflag.FlagSet
	err   error
}

func (g *getter) fail(key string, value any, want string) {
	if g.err == nil {
		g.err = usagef("setting %q (flag, %s or %s): %v is not %s",
			key, envName(key), configFile, value, want)
	}
}

func (g *getter) str(key string) string {
	s, err := cast.ToStringE(g.v.Get(key))
	if err != nil {
		g.fail(key, g.v.Get(key), "a string")
	}
	return s
}

// list reads a list: a YAML list, repeated flags, or a space-separated
// environment variable. Empty entries are refused.
func (g *getter) list(key string) []string {
	value := g.v.Get(key)
	// A list flag the user set is taken as given: viper would re-split its
	// values at commas and drop empty ones.
	for _, s := range settings {
		f := g.flags.Lookup(s.flag)
		if f == nil {
			continue
		}
		if sv, ok := f.Value.(pflag.SliceValue); ok && s.key == key && f.Changed {
			value = sv.GetSlice()
		}
	}
	var items []string
	var err error
	switch value.(type) {
	case string, []string, []any, nil:
		items, err = cast.ToStringSliceE(value)
	default:
		err = fmt.Errorf("not a list")
	}
	if err != nil {
		g.fail(key, value, "a list of strings")
		return nil
	}
	for _, item := range items {
		if strings.TrimSpace(item) == "" {
			g.fail(key, fmt.Sprintf("%q", items), "a list without empty entries")
			return nil
		}
	}
	return items
}

func (g *getter) boolean(key string) bool {
	b, err := cast.ToBoolE(g.v.Get(key))
	if err != nil {
		g.fail(key, g.v.Get(key), "true or false")
	}
	return b
}

func (g *getter) integer(key string) int {
	value := g.v.Get(key)
	if f, ok := value.(float64); ok && f != float64(int(f)) {
		g.fail(key, value, "a whole number")
		return 0
	}
	n, err := cast.ToIntE(value)
	if err != nil {
		g.fail(key, value, "a whole number")
	}
	return n
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
	// No setting is a mapping. viper drops an empty one from its keys, which
	// would leave the setting silently unset, so the file is read as YAML
	// once more to find them.
	data, err := os.ReadFile(path)
	if err != nil {
		return usagef("reading %s: %w", path, err)
	}
	var top map[string]any
	if err := yaml.Unmarshal(data, &top); err != nil {
		return usagef("reading %s: %w", path, err)
	}
	for _, k := range slices.Sorted(maps.Keys(top)) {
		if _, isMap := top[k].(map[string]any); isMap {
			return usagef("reading %s: key %q holds a mapping; want %s", path, k,
				"a string, number, true or false, or a list")
		}
	}
	if err := v.MergeConfigMap(file.AllSettings()); err != nil {
		return usagef("reading %s: %w", path, err)
	}
	return nil
}
