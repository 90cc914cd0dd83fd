package app

import (
	"io"
	"log/slog"

	"k8s.io/klog/v2"
)

// routeKlog sends what client-go logs through klog (a failed stream copy
// on interrupt, "Copying stdout failed", runtime error handlers) to w in
// our own line format, at our verbosity, instead of klog's raw lines on
// stderr. klog is process-wide; the last run's display wins.
func routeKlog(w io.Writer, v verbosity) {
	h := slog.NewTextHandler(w, &slog.HandlerOptions{
		Level: v.logLevel(),
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	})
	klog.SetSlogLogger(slog.New(h).With("from", "client-go"))
}
