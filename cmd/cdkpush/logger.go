package main

import (
	"io"
	"log/slog"
)

// newLogger logs to w as key=value text without timestamps: INFO messages
// bare, others with their level. verbose adds DEBUG messages.
func newLogger(w io.Writer, verbose bool) *slog.Logger {
	level := slog.LevelInfo
	if verbose {
		level = slog.LevelDebug
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
