package main

import (
	"context"
	"log/slog"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cdkpush/cdkpush/push"
	"github.com/cdkpush/cdkpush/stackinfo"
)

// session is what push and plan share: the merged settings, the AWS
// clients and the resolved project.
type session struct {
	opts      *options
	log       *slog.Logger
	aws       *awsClients
	project   *stackinfo.Project
	mappings  []push.Mapping
	endpoints push.Endpoints
	// platform is --platform; the zero value accepts any.
	platform push.Platform
	// upload is --upload.
	upload push.Upload
}

// newSession loads the settings and resolves the project's repositories.
func newSession(cmd *cobra.Command, opts *options) (*session, error) {
	if err := opts.load(cmd.Flags()); err != nil {
		return nil, err
	}
	s := &session{opts: opts, log: newLogger(opts.streams.Err, opts.Verbose, opts.Quiet)}
	for _, v := range opts.Images {
		m, err := push.ParseMapping(v)
		if err != nil {
			return nil, usageError{err}
		}
		s.mappings = append(s.mappings, m)
	}
	if err := push.CheckTags(opts.Tags); err != nil {
		return nil, err
	}
	eps, err := push.ParseEndpoints(opts.RegistryEndpoints)
	if err != nil {
		return nil, usageError{err}
	}
	s.endpoints = eps
	if opts.Platform != "" {
		if s.platform, err = push.ParsePlatform(opts.Platform); err != nil {
			return nil, usageError{err}
		}
	}
	if s.upload, err = push.ParseUpload(opts.Upload); err != nil {
		return nil, usageError{err}
	}

	if st, err := os.Stat(opts.Dir); err != nil || !st.IsDir() {
		return nil, usagef("project folder %q (--dir) does not exist or is not a folder",
			opts.Dir)
	}
	ctx := cmd.Context()
	cfg, err := stackinfo.ReadCDKConfig(opts.Dir)
	if err != nil {
		return nil, err
	}
	s.aws = newAWSClients(opts, cfg, s.log)
	s.project, err = stackinfo.Resolve(ctx, stackinfo.Options{
		Dir:            opts.Dir,
		Config:         cfg,
		CDKOut:         opts.CDKOut,
		OutputsFile:    opts.OutputsFile,
		Stacks:         opts.Stacks,
		Region:         s.aws.defaultRegion(ctx),
		RegionSource:   regionSource(opts),
		Offline:        opts.Offline,
		Account:        s.aws.account,
		CloudFormation: s.aws.cloudFormation,
		Logger:         s.log,
	})
	if err != nil {
		return nil, err
	}
	if err := s.checkEndpoints(); err != nil {
		return nil, err
	}
	return s, nil
}

// checkEndpoints refuses a REGISTRY=HOST[:PORT] endpoint whose registry
// holds none of the selected repositories: most likely a typing mistake,
// which would otherwise send the pushes to the real registry.
func (s *session) checkEndpoints() error {
	var registries []string
	for _, r := range s.project.Repositories {
		if host, _, ok := strings.Cut(r.URI, "/"); ok {
			registries = append(registries, host)
		}
	}
	if unused := s.endpoints.Unused(registries); len(unused) > 0 {
		return usagef("registry endpoint for %q: no selected repository is in that "+
			"registry (registries: %s)", unused[0], strings.Join(slices.Compact(
			slices.Sorted(slices.Values(registries))), ", "))
	}
	return nil
}

// regionSource says where the configured region comes from, for the stacks
// that take it: the region setting, else the SDK's environment variables,
// else the profile.
func regionSource(opts *options) string {
	switch {
	case opts.Region != "":
		return "--region"
	case os.Getenv("AWS_REGION") != "":
		return "AWS_REGION"
	case os.Getenv("AWS_DEFAULT_REGION") != "":
		return "AWS_DEFAULT_REGION"
	}
	return "profile"
}

// plan matches the project's repositories with local images.
func (s *session) plan(ctx context.Context, engine push.Engine) (*push.Plan, error) {
	return push.MakePlan(ctx, engine, s.project.Repositories, push.PlanOptions{
		Mappings:  s.mappings,
		Tags:      s.opts.Tags,
		Endpoints: s.endpoints,
		Platform:  s.platform,
	})
}
