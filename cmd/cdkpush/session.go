package main

import (
	"context"
	"log/slog"

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
}

// newSession loads the settings and resolves the project's repositories.
func newSession(cmd *cobra.Command, opts *options) (*session, error) {
	if err := opts.load(cmd.Flags()); err != nil {
		return nil, err
	}
	s := &session{opts: opts, log: newLogger(opts.streams.Err, opts.Verbose)}
	for _, v := range opts.Images {
		m, err := push.ParseMapping(v)
		if err != nil {
			return nil, usageError{err}
		}
		s.mappings = append(s.mappings, m)
	}
	eps, err := push.ParseEndpoints(opts.RegistryEndpoints)
	if err != nil {
		return nil, usageError{err}
	}
	s.endpoints = eps

	ctx := cmd.Context()
	cfg, err := stackinfo.ReadCDKConfig(opts.Dir)
	if err != nil {
		return nil, err
	}
	profile := opts.Profile
	if profile == "" {
		profile = cfg.Profile
	}
	s.aws = &awsClients{profile: profile, region: opts.Region, log: s.log}
	s.project, err = stackinfo.Resolve(ctx, stackinfo.Options{
		Dir:            opts.Dir,
		Config:         cfg,
		CDKOut:         opts.CDKOut,
		OutputsFile:    opts.OutputsFile,
		Stacks:         opts.Stacks,
		Region:         s.aws.defaultRegion(ctx),
		Account:        s.aws.account,
		CloudFormation: s.aws.cloudFormation,
		Logger:         s.log,
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// plan matches the project's repositories with local images.
func (s *session) plan(ctx context.Context, engine push.Engine) (*push.Plan, error) {
	return push.MakePlan(ctx, engine, s.project.Repositories, push.PlanOptions{
		Mappings:  s.mappings,
		Tags:      s.opts.Tags,
		Endpoints: s.endpoints,
	})
}
