package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"runtime/debug"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/cdkpush/cdkpush/push"
	"github.com/cdkpush/cdkpush/stackinfo"
)

// planReport is what `cdkpush plan --json` prints. Its schema is a public
// interface, documented in the README: add to it, never rename or remove.
type planReport struct {
	// Sources are what the project was resolved from.
	Sources      []string               `json:"sources"`
	Stacks       []stackinfo.Stack      `json:"stacks"`
	Repositories []stackinfo.Repository `json:"repositories"`
	Assets       []stackinfo.ImageAsset `json:"assets"`
	Warnings     []string               `json:"warnings"`
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

// planGCPercent is the garbage collector's target percentage during a plan.
const planGCPercent = 300

// runPlan resolves and matches like push, then prints the plan. It logs in
// nowhere and pushes nothing. Without a reachable Docker Engine it still
// lists the repositories, with a warning that no image was matched.
func runPlan(cmd *cobra.Command, opts *options) (err error) {
	// A script that asked for JSON gets JSON on an error too.
	defer func() {
		if err != nil && opts.JSON {
			enc := json.NewEncoder(opts.streams.Out)
			enc.SetIndent("", "  ")
			err = errors.Join(err, enc.Encode(struct {
				Error string `json:"error"`
			}{err.Error()}))
		}
	}()
	// A plan is one short burst of allocation (reading every assembly file,
	// writing megabytes of JSON for a large project) by a process that then
	// exits: collecting garbage less often saves a good part of its time,
	// for a peak heap still far below 64 MB on 500 stacks. GOGC, when set,
	// is the user's choice and kept.
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(planGCPercent))
	}
	ctx := cmd.Context()
	s, err := newSession(cmd, opts)
	if err != nil {
		return err
	}
	p := s.project
	report := planReport{
		Sources:      nonNil(p.Sources),
		Stacks:       nonNil(p.Stacks),
		Repositories: nonNil(p.Repositories),
		Assets:       nonNil(p.Assets),
		Warnings:     nonNil(p.Warnings),
		Pushes:       []planPush{},
		Skipped:      []push.Result{},
	}
	engine, err := push.Connect(ctx, opts.DockerHost)
	if err != nil {
		s.log.Warn("local images not matched", "error", err)
		for _, r := range p.Repositories {
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
		return writeIndentedJSON(out, report)
	}
	return printPlan(out, report)
}

// writeIndentedJSON writes v, a struct, as a json.Encoder indenting by two
// spaces would, but marshals its fields in parallel: the plan of a large
// project is megabytes of JSON, and encoding it is a good part of the run.
func writeIndentedJSON(w io.Writer, v any) error {
	rv := reflect.ValueOf(v)
	rt := rv.Type()
	type field struct {
		key  []byte
		data []byte
		err  error
	}
	fields := make([]field, rt.NumField())
	var wg sync.WaitGroup
	for i := range fields {
		name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
		if name == "" || name == "-" || !rt.Field(i).IsExported() {
			return fmt.Errorf("encoding the report: field %s has no JSON name",
				rt.Field(i).Name)
		}
		fields[i].key, _ = json.Marshal(name)
		wg.Go(func() {
			fields[i].data, fields[i].err = json.MarshalIndent(rv.Field(i).Interface(), "  ",
				"  ")
		})
	}
	wg.Wait()
	size := 4
	for _, f := range fields {
		size += len(f.key) + len(f.data) + 6
	}
	b := bytes.NewBuffer(make([]byte, 0, size))
	b.WriteString("{\n")
	for i, f := range fields {
		if f.err != nil {
			return fmt.Errorf("encoding the report: %w", f.err)
		}
		b.WriteString("  ")
		b.Write(f.key)
		b.WriteString(": ")
		b.Write(f.data)
		if i < len(fields)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("}\n")
	_, err := w.Write(b.Bytes())
	return err
}

// printPlan writes the plan as tables: stacks, repositories, image assets,
// then the pushes and skips. Unknown values are "-".
func printPlan(w io.Writer, r planReport) error {
	fmt.Fprintf(w, "Sources: %s\n", strings.Join(r.Sources, ", "))
	var rows [][]string
	for _, s := range r.Stacks {
		status := s.Status
		if status == "" {
			status = "unknown (" + strings.TrimPrefix(s.StatusReason, "not looked up: ") + ")"
		}
		rows = append(rows, []string{s.Path, s.Name, withSource(s.Account, s.AccountSource),
			withSource(s.Region, s.RegionSource), status})
	}
	table(w, []string{"STACK", "NAME", "ACCOUNT", "REGION", "STATUS"}, rows)
	rows = nil
	for _, repo := range r.Repositories {
		rows = append(rows, []string{orDash(repo.URI), orDash(repo.Name), orDash(repo.Source),
			repo.Path})
	}
	table(w, []string{"REPOSITORY", "NAME", "SOURCE", "CONSTRUCT PATH"}, rows)
	rows = nil
	for _, a := range r.Assets {
		from := a.Source.Directory
		if len(a.Source.Executable) > 0 {
			from = "$ " + strings.Join(a.Source.Executable, " ")
		}
		for _, d := range a.Destinations {
			rows = append(rows, []string{a.DisplayName, a.StackPath, orDash(d.Image), from})
		}
	}
	if len(rows) > 0 {
		table(w, []string{"IMAGE ASSET", "STACK", "DESTINATION", "BUILT FROM"}, rows)
	}
	rows = nil
	for _, p := range r.Pushes {
		rows = append(rows, []string{p.Repository, p.Tag, p.Image, p.Path})
	}
	for _, s := range r.Skipped {
		rows = append(rows, []string{orDash(s.Repository), "-", "(skipped: " + s.Reason + ")",
			s.Path})
	}
	table(w, []string{"PUSH TO", "TAG", "IMAGE", "CONSTRUCT PATH"}, rows)
	switch n := len(r.Warnings); n {
	case 0:
	case 1:
		fmt.Fprintln(w, "\n1 warning (on stderr)")
	default:
		fmt.Fprintf(w, "\n%d warnings (on stderr)\n", n)
	}
	_, err := fmt.Fprint(w)
	return err
}

// table writes a blank line, then header and rows in aligned columns.
func table(w io.Writer, header []string, rows [][]string) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, row := range rows {
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	_ = tw.Flush()
}

// withSource writes a value with where it came from, unless that is the
// assembly; "-" when the value is unknown.
func withSource(v, source string) string {
	switch {
	case v == "":
		return "-"
	case source == "" || source == stackinfo.EnvAssembly:
		return v
	}
	return v + " (" + source + ")"
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
