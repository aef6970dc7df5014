package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/cdkpush/cdkpush/login"
	"github.com/cdkpush/cdkpush/push"
)

// runPush resolves, plans and pushes, then prints one REPOSITORY@DIGEST line
// per pushed tag on stdout, or the JSON report with --json.
func runPush(cmd *cobra.Command, opts *options) error {
	ctx := cmd.Context()
	s, err := newSession(cmd, opts)
	if err != nil {
		return err
	}
	if len(s.project.Repositories) == 0 {
		s.log.Warn("no ECR repositories in the selected stacks",
			"assembly", s.project.AssemblyDir)
	}
	engine, err := push.Connect(ctx, opts.DockerHost)
	if err != nil {
		return err
	}
	defer engine.Close()
	plan, err := s.plan(ctx, engine)
	if err != nil {
		return err
	}
	for _, sk := range plan.Skipped {
		s.log.Info("skipped", "repository", sk.Repository.Path, "reason", sk.Reason)
	}

	provider := &login.Provider{Client: s.aws.ecr, Logger: s.log}
	pusher := &push.Pusher{
		Engine: engine,
		Credentials: func(ctx context.Context, account, region string) (login.Credentials, error) {
			return provider.Credentials(ctx, account, region)
		},
		Concurrency: opts.Concurrency,
		Logger:      s.log,
	}
	report := push.Report{Results: pusher.Push(ctx, plan.Jobs)}
	report.Results = append(report.Results, push.SkippedResults(plan.Skipped)...)

	if err := printReport(opts.streams.Out, report, opts.JSON); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	failed := 0
	for _, r := range report.Results {
		if r.Status == push.StatusFailed || r.Status == push.StatusCancelled {
			failed++
			fmt.Fprintf(opts.streams.Err, "cdkpush: %s to %s:%s: %s\n",
				r.Image, r.Repository, r.Tag, r.Error)
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d pushes failed: %w", failed, len(plan.Jobs), errReported)
	}
	return nil
}

func printReport(w io.Writer, report push.Report, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(report)
	}
	for _, r := range report.Results {
		if r.Status == push.StatusPushed || r.Status == push.StatusUpToDate {
			if _, err := fmt.Fprintf(w, "%s@%s\n", r.Repository, r.Digest); err != nil {
				return err
			}
		}
	}
	return nil
}
