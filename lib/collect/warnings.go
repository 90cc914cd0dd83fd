package collect

import (
	"log/slog"

	"k8s.io/client-go/rest"
)

// apiWarnings passes the warnings API servers send with responses
// ("v1 Endpoints is deprecated in v1.33+") to the run's logger at info
// level, instead of client-go's default of printing them raw on stderr:
// they are about the cluster's API, not about the run, and would break the
// caller's one-line-per-event output.
type apiWarnings struct{ log *slog.Logger }

func (w apiWarnings) HandleWarningHeader(code int, agent, text string) {
	if code != 299 || text == "" {
		return // what client-go's own handler ignores too
	}
	w.log.Info("API server warning", "warning", text)
}

// withWarnings returns a copy of cfg whose server warnings go to log,
// unless the caller chose a handler of its own.
func withWarnings(cfg *rest.Config, log *slog.Logger) *rest.Config {
	if cfg.WarningHandler != nil || cfg.WarningHandlerWithContext != nil {
		return cfg
	}
	c := rest.CopyConfig(cfg)
	c.WarningHandler = apiWarnings{log: log}
	return c
}
