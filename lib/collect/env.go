package collect

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/mesosphere/dkp-diagnose/lib/collect/internal/liveness"
)

// Env is what one collector gets to do its work.
type Env struct {
	Client  kubernetes.Interface
	Dynamic dynamic.Interface
	Config  *rest.Config
	Out     *Output
	Log     *slog.Logger
	// Title names the collector (its type, and collectorName when set).
	Title string
	// Options are the run's settings (log windows, concurrency, …).
	Options *Options

	mu      sync.Mutex
	partial []error
	// left is shared by the run's collectors: what they could not remove.
	left *leftovers
	// watchdog sees the run's requests (nil in unit tests).
	watchdog *liveness.Watchdog
}

// Partial records an error that did not stop the collector (one namespace
// denied, one pod's logs unavailable). The collector's outcome becomes
// "partial" and the message is listed in execution-data.
func (e *Env) Partial(err error) {
	if err == nil {
		return
	}
	e.mu.Lock()
	e.partial = append(e.partial, err)
	e.mu.Unlock()
}

func (e *Env) partialErrors() []error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]error(nil), e.partial...)
}

// Workers is how many things a collector may do at once (log streams, lists).
func (e *Env) Workers() int {
	if e.Options.Concurrency < 1 {
		return 1
	}
	return e.Options.Concurrency
}

// errCanceled reports whether err comes from the run being stopped.
func errCanceled(ctx context.Context, err error) bool {
	return ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded))
}

// parseDurationOr parses a spec duration field; empty means def.
func parseDurationOr(field, s string, def time.Duration) (time.Duration, error) {
	if s == "" {
		return def, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s %q is not a positive duration", field, s)
	}
	return d, nil
}

// restClient is the client raw requests go through. The core client is
// used for every group because it decodes the API's Status errors, so that
// callers can tell a denial (apierrors.IsForbidden) from an outage.
func (e *Env) restClient() rest.Interface { return e.Client.CoreV1().RESTClient() }

// fallbackNamespaces is where namespaced lists go when a cluster-wide one is
// denied: the namespaces a spec names, else the kubeconfig context's.
func (e *Env) fallbackNamespaces(specNamespaces []string) []string {
	if len(specNamespaces) > 0 {
		return specNamespaces
	}
	if e.Options.Namespace != "" {
		return []string{e.Options.Namespace}
	}
	return []string{"default"}
}
