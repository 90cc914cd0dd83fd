package app

import (
	"context"
	"io"
	"log/slog"
	"os"
	"sync/atomic"

	"k8s.io/klog/v2"
)

// routeKlog sends what client-go logs through klog (a failed stream copy
// on interrupt, "Copying stdout failed", runtime error handlers) to w in
// our own line format, at our verbosity, instead of klog's raw lines on
// stderr. klog's logger is process-wide and may not be replaced while
// goroutines log (klog.SetLogger is not safe for that), so it is set once,
// at init, to a handler that forwards to the latest run's; the last run
// wins.
func routeKlog(w io.Writer, v verbosity) {
	h := slog.Handler(slog.NewTextHandler(w, &slog.HandlerOptions{
		Level: v.logLevel(),
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	})).WithAttrs([]slog.Attr{slog.String("from", "client-go")})
	klogTarget.Store(&h)
}

var klogTarget atomic.Pointer[slog.Handler]

func init() {
	routeKlog((&plainDisplay{w: &syncWriter{w: os.Stderr}, v: normal}).logWriter(), normal)
	klog.SetSlogLogger(slog.New(klogForward{}))
}

// klogForward is the handler klog keeps: it hands each record to the
// handler of the latest routeKlog, with the attributes and groups klog
// added on the way.
type klogForward struct {
	attrs  []slog.Attr
	groups []string
}

func (f klogForward) target() slog.Handler {
	h := *klogTarget.Load()
	for _, g := range f.groups {
		h = h.WithGroup(g)
	}
	if len(f.attrs) > 0 {
		h = h.WithAttrs(f.attrs)
	}
	return h
}

func (f klogForward) Enabled(ctx context.Context, l slog.Level) bool {
	return (*klogTarget.Load()).Enabled(ctx, l)
}

func (f klogForward) Handle(ctx context.Context, r slog.Record) error {
	return f.target().Handle(ctx, r)
}

func (f klogForward) WithAttrs(as []slog.Attr) slog.Handler {
	return klogForward{attrs: append(append([]slog.Attr{}, f.attrs...), as...), groups: f.groups}
}

func (f klogForward) WithGroup(g string) slog.Handler {
	return klogForward{attrs: f.attrs, groups: append(append([]string{}, f.groups...), g)}
}
