package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/cdkpush/cdkpush/push"
	"github.com/cdkpush/cdkpush/stackinfo"
)

// Exit codes.
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2
	exitInterrupted = 130
)

// Streams are the command's standard streams.
type Streams struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
}

// usageError marks a mistake in the command line or the configuration.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// failures says how many of a run's pushes or logins failed; each was
// already printed in detail.
type failures struct {
	failed, total int
	what          string // "pushes", "registry logins"
}

func (e failures) Error() string {
	return fmt.Sprintf("%d of %d %s failed", e.failed, e.total, e.what)
}

// printError prints err with every line marked as cdkpush's: an error may
// join several.
func printError(w io.Writer, err error) {
	fmt.Fprintln(w, "cdkpush: "+strings.ReplaceAll(err.Error(), "\n", "\ncdkpush: "))
}

// Main runs cdkpush with args and returns the process exit code.
func Main(ctx context.Context, args []string, s Streams) int {
	root := newRootCmd(s)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	switch {
	case err == nil:
		return exitOK
	case ctx.Err() != nil:
		fmt.Fprintln(s.Err, "cdkpush: interrupted")
		return exitInterrupted
	case errors.As(err, new(failures)):
		printError(s.Err, err)
		return exitFailure
	}
	printError(s.Err, err)
	var u usageError
	if errors.As(err, &u) || errors.Is(err, push.ErrUsage) ||
		errors.Is(err, stackinfo.ErrStackSelection) {
		fmt.Fprintln(s.Err, "Run 'cdkpush --help' for usage.")
		return exitUsage
	}
	return exitFailure
}
