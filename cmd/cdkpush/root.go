package main

import (
	"github.com/spf13/cobra"
)

// newRootCmd builds the command tree. The root command itself pushes.
func newRootCmd(s Streams) *cobra.Command {
	opts := &options{streams: s}
	root := &cobra.Command{
		Use:   "cdkpush",
		Short: "Push a CDK project's container images to its ECR repositories",
		Long: `cdkpush finds the ECR repositories of an AWS CDK project (cdk.json, the
synthesized cdk.out, the --outputs-file JSON and the deployed stacks), logs in
to ECR through the AWS SDK, and pushes the matching local images through the
Docker Engine API.

A repository gets the local images whose name equals the repository name
(local web-api:1.2.3 goes to repository web-api, tag 1.2.3), or the image
that --image maps to it by repository name or construct path.

Settings come from flags, then CDKPUSH_* environment variables (CDKPUSH_PROFILE,
CDKPUSH_REGISTRY_ENDPOINT, ...), then cdkpush.yaml in the project folder.`,
		Example: `  cdkpush
  cdkpush --stack 'Prod/*' --image WebApiStack/WorkerRepo=worker:dev --tag latest
  cdkpush plan --json`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPush(cmd, opts)
		},
	}
	root.SetOut(s.Out)
	root.SetErr(s.Err)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	addFlags(root, opts)
	root.AddCommand(newPushCmd(opts), newPlanCmd(opts), newLoginCmd(opts), newVersionCmd(s))
	return root
}

func newPushCmd(opts *options) *cobra.Command {
	return &cobra.Command{
		Use:   "push",
		Short: "Push local images to the project's ECR repositories (the default)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPush(cmd, opts)
		},
	}
}

func newPlanCmd(opts *options) *cobra.Command {
	return &cobra.Command{
		Use:   "plan",
		Short: "Print what would be pushed where, without logging in or pushing",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPlan(cmd, opts)
		},
	}
}

func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("unexpected argument %q for %q", args[0], cmd.CommandPath())
	}
	return nil
}
