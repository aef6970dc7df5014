package main

import (
	"io"
	"log/slog"
)

// newLogger logs to w as key=value text without timestamps: INFO messages
// bare, others with their level. verbose adds DEBUG messages; quiet, unless
// verbose, leaves only warnings and errors.
func newLogger(w io.Writer, verbose, quiet bool) *slog.Logger {
	level := slog.LevelInfo
	switch {
	case verbose:
		level = slog.LevelDebug
	case quiet:
		level = slog.LevelWarn
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{
		Level: level,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) > 0 {
				return a
			}
			switch a.Key {
			case slog.TimeKey:
				return slog.Attr{}
			case slog.LevelKey:
				if a.Value.Any() == slog.LevelInfo {
					return slog.Attr{}
				}
			}
			return a
		},
	}))
}
