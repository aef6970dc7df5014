package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/google/renameio/v2"
	"github.com/spf13/cobra"

	"github.com/cdkpush/cdkpush/login"
	"github.com/cdkpush/cdkpush/push"
)

// runPush resolves and plans, checks that every target repository exists,
// then pushes with progress on stderr, and prints one REPOSITORY@DIGEST line
// per pushed or up-to-date tag on stdout, or the JSON report with --json.
// --report writes the JSON report to a file as well. When interrupted, it
// still prints and writes what finished.
func runPush(cmd *cobra.Command, opts *options) (err error) {
	ctx := cmd.Context()
	// A script that asked for JSON gets JSON even when the run stops
	// before pushing: no results, and the error.
	reported := false
	// So does --report FILE: an older report must not outlive a run that
	// failed.
	defer func() {
		if err == nil || reported {
			return
		}
		report := push.Report{Results: []push.Result{}, Error: err.Error()}
		if opts.JSON {
			err = errors.Join(err, encodeReport(opts.streams.Out, report))
		}
		if opts.Report != "" {
			err = errors.Join(err, writeReport(opts.Report, report))
		}
	}()
	s, err := newSession(cmd, opts)
	if err != nil {
		return err
	}
	if len(s.project.Repositories) == 0 {
		s.log.Warn("no ECR repositories in the selected stacks",
			"assembly", s.project.AssemblyDir)
	}
	engine, err := connectEngine(ctx, opts)
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
	jobs := plan.Jobs
	if len(jobs) > 0 {
		jobs, err = push.CheckRepositories(ctx, ecrRepositories(s.aws), jobs,
			opts.Concurrency)
		if err != nil {
			return err
		}
	}

	provider := s.aws.loginProvider()
	prog := newProgress(opts.streams.Err, jobs,
		chooseProgress(opts, opts.streams.Err, os.Getenv))
	pusher := &push.Pusher{
		Engine: engine,
		Credentials: func(ctx context.Context, account, region string) (login.Credentials, error) {
			return provider.Credentials(ctx, account, region)
		},
		Concurrency: opts.Concurrency,
		Upload:      s.upload,
		OnEvent:     prog.event,
		Logger:      newLogger(prog.writer(), opts.Verbose, opts.Quiet),
	}
	// After the registry refuses a token, the pusher drops it and asks
	// for a new one, where the provider can forget tokens.
	if inv, ok := any(provider).(interface{ Invalidate(account, region string) }); ok {
		pusher.Invalidate = inv.Invalidate
	}
	results := pusher.Push(ctx, jobs)
	prog.close()

	report := push.Report{Results: append([]push.Result{}, results...)}
	report.Results = append(report.Results, push.SkippedResults(plan.Skipped)...)
	var reportErr error
	if opts.Report != "" {
		reportErr = writeReport(opts.Report, report)
	}
	reported = true
	if err := printReport(opts.streams.Out, report, opts.JSON); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if reportErr != nil {
		return reportErr
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
		return failures{failed: failed, total: len(plan.Jobs), what: "pushes"}
	}
	return nil
}

// ecrRepositories returns the regional ECR clients of the repository
// check, one per region.
func ecrRepositories(a *awsClients) push.RepositoryClientFunc {
	var mu sync.Mutex
	clients := map[string]*ecr.Client{}
	return func(ctx context.Context, region string) (push.RepositoryAPI, error) {
		cfg, err := a.config(ctx)
		if err != nil {
			return nil, err
		}
		mu.Lock()
		defer mu.Unlock()
		c, ok := clients[region]
		if !ok {
			c = ecr.NewFromConfig(cfg, func(o *ecr.Options) { o.Region = region })
			clients[region] = c
		}
		return c, nil
	}
}

func printReport(w io.Writer, report push.Report, asJSON bool) error {
	if asJSON {
		return encodeReport(w, report)
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

func encodeReport(w io.Writer, report push.Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(report)
}

// writeReport writes the JSON report to path atomically: a reader sees the
// old file or the whole new one, never a part.
func writeReport(path string, report push.Report) error {
	f, err := renameio.NewPendingFile(path, renameio.WithPermissions(0o644))
	if err != nil {
		return fmt.Errorf("writing the report %s: %w", path, err)
	}
	defer f.Cleanup()
	if err := encodeReport(f, report); err != nil {
		return fmt.Errorf("writing the report %s: %w", path, err)
	}
	if err := f.CloseAtomicallyReplace(); err != nil {
		return fmt.Errorf("writing the report %s: %w", path, err)
	}
	return nil
}
