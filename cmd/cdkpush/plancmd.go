package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/cdkpush/cdkpush/push"
	"github.com/cdkpush/cdkpush/stackinfo"
)

// planReport is what `cdkpush plan --json` prints.
type planReport struct {
	Stacks       []stackinfo.Stack      `json:"stacks"`
	Repositories []stackinfo.Repository `json:"repositories"`
	Pushes       []planPush             `json:"pushes"`
	Skipped      []push.Result          `json:"skipped"`
}

// planPush is one push the plan would make.
type planPush struct {
	Image      string `json:"image"`
	ImageID    string `json:"imageId"`
	Repository string `json:"repository"`
	Path       string `json:"path"`
	Tag        string `json:"tag"`
	Target     string `json:"target"`
}

// runPlan resolves and matches like push, then prints the plan. It logs in
// nowhere and pushes nothing. Without a reachable Docker Engine it still
// lists the repositories, with a warning that no image was matched.
func runPlan(cmd *cobra.Command, opts *options) error {
	ctx := cmd.Context()
	s, err := newSession(cmd, opts)
	if err != nil {
		return err
	}
	report := planReport{
		Stacks:       nonNil(s.project.Stacks),
		Repositories: nonNil(s.project.Repositories),
		Pushes:       []planPush{},
		Skipped:      []push.Result{},
	}
	engine, err := push.Connect(ctx, opts.DockerHost)
	if err != nil {
		s.log.Warn("local images not matched", "error", err)
		for _, r := range s.project.Repositories {
			report.Skipped = append(report.Skipped, push.Result{Repository: r.URI,
				Path: r.Path, Status: push.StatusSkipped, Reason: "docker engine not reachable"})
		}
	} else {
		defer engine.Close()
		plan, err := s.plan(ctx, engine)
		if err != nil {
			return err
		}
		for _, j := range plan.Jobs {
			report.Pushes = append(report.Pushes, planPush{
				Image:      j.Image,
				ImageID:    j.ImageID,
				Repository: j.Repository.URI,
				Path:       j.Repository.Path,
				Tag:        j.Tag,
				Target:     j.Target(),
			})
		}
		report.Skipped = push.SkippedResults(plan.Skipped)
	}

	out := opts.streams.Out
	if opts.JSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(report)
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REPOSITORY\tTAG\tIMAGE\tCONSTRUCT PATH")
	for _, p := range report.Pushes {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.Repository, p.Tag, p.Image, p.Path)
	}
	for _, r := range report.Skipped {
		fmt.Fprintf(tw, "%s\t-\t(skipped: %s)\t%s\n", orDash(r.Repository), r.Reason, r.Path)
	}
	return tw.Flush()
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
