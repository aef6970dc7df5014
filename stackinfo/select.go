package stackinfo

import (
	"errors"
	"fmt"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// selectStacks returns the indexes of the stacks whose name or display path
// matches one of the patterns; no pattern selects them all. A pattern that
// matches nothing is an error, as a typo would otherwise push nothing in
// silence.
func selectStacks(stacks []Stack, patterns []string) ([]int, error) {
	var out []int
	used := make([]bool, len(patterns))
	for i, s := range stacks {
		keep := len(patterns) == 0
		for j, pat := range patterns {
			ok, err := matchStack(pat, s)
			if err != nil {
				return nil, err
			}
			if ok {
				used[j], keep = true, true
			}
		}
		if keep {
			out = append(out, i)
		}
	}
	for i, pat := range patterns {
		if !used[i] {
			names := make([]string, len(stacks))
			for j, s := range stacks {
				names[j] = s.Path
			}
			return nil, fmt.Errorf("stack pattern %q matches no stack (stacks: %s): %w",
				pat, strings.Join(names, ", "), ErrStackSelection)
		}
	}
	return out, nil
}

// ErrStackSelection marks a stack pattern that is malformed or matches no
// stack: a mistake in what the user asked for.
var ErrStackSelection = errors.New("check the stack selection")

// matchStack reports whether pattern matches the stack's name or display
// path. Display paths always use '/', whatever the OS.
func matchStack(pattern string, s Stack) (bool, error) {
	for _, name := range []string{s.Name, s.Path} {
		ok, err := doublestar.Match(pattern, name)
		if err != nil {
			return false, fmt.Errorf("stack pattern %q: %w: %w", pattern, err, ErrStackSelection)
		}
		if ok {
			return true, nil
		}
	}
	return false, nil
}
