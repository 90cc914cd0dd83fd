package collect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/mesosphere/dkp-diagnose/lib/collect/bundle"
	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"

	"github.com/mesosphere/dkp-diagnose/lib/collect/internal/jsonscan"
	"github.com/mesosphere/dkp-diagnose/lib/collect/internal/liststream"
)

// Log limits applied when a spec sets none, as troubleshoot.sh does: enough
// for a diagnosis, bounded so that one chatty pod cannot fill the bundle.
const (
	defaultMaxLines   = 10000
	defaultMaxBytes   = 5 << 20
	defaultPodTimeout = 60 * time.Second
)

// logJob is what the logs and allLogs collectors share: which pods, which
// containers, which window, and where each log goes in the bundle.
type logJob struct {
	namespaces []string // empty: all namespaces
	selector   string
	containers []string // empty: all
	limits     *spec.LogLimits
	timestamps bool
	timeout    time.Duration // per pod
	// errorsFile records failures to list pods.
	errorsFile string
	// file returns the bundle path of a container's log; previous selects
	// the previous instance's log.
	file func(ns, pod, container string, previous bool) string
}

// podLogs is the part of a pod the log collectors need.
type podLogs struct {
	namespace, name string
	containers      []containerLog
}

type containerLog struct {
	name     string
	previous bool // it restarted: its previous instance's log is wanted too
}

func validateLimits(l *spec.LogLimits) error {
	if l == nil {
		return nil
	}
	if l.MaxLines < 0 {
		return fmt.Errorf("limits.maxLines %d is negative", l.MaxLines)
	}
	if l.MaxBytes < 0 {
		return fmt.Errorf("limits.maxBytes %d is negative", l.MaxBytes)
	}
	if l.MaxAge == "" {
		return nil
	}
	// A negative age would reach back into the future: every line.
	if d, err := time.ParseDuration(l.MaxAge); err != nil || d <= 0 {
		return fmt.Errorf("limits.maxAge %q is not a positive duration (like 48h)", l.MaxAge)
	}
	return nil
}

// run lists the selected pods and fetches their logs, several pods at once,
// each pod within its own timeout.
func (j *logJob) run(ctx context.Context, env *Env) error {
	pods, err := j.pods(ctx, env)
	if err != nil {
		return err
	}
	var g errgroup.Group
	g.SetLimit(env.Workers())
	for _, p := range pods {
		g.Go(func() error {
			pctx, cancel := context.WithTimeout(ctx, j.timeout)
			defer cancel()
			for _, c := range p.containers {
				if err := j.fetch(pctx, env, p, c.name, false); err != nil {
					return err
				}
				if c.previous {
					if err := j.fetch(pctx, env, p, c.name, true); err != nil {
						return err
					}
				}
			}
			return nil
		})
	}
	return g.Wait()
}

// pods lists the selected pods with one paginated LIST per namespace asked
// for (one cluster-wide LIST when all are).
func (j *logJob) pods(ctx context.Context, env *Env) ([]podLogs, error) {
	// Our own pods (a node collector's, running beside) are never the
	// cluster's: their logs are not collected.
	params := map[string]string{"labelSelector": withNotOurs(j.selector)}
	namespaces := j.namespaces
	if len(namespaces) == 0 {
		namespaces = []string{""}
	}
	var out []podLogs
	r := resourceKind{version: "v1", resource: "pods", namespaced: true}
	var errs []error
	for _, ns := range namespaces {
		errs = append(errs, liststream.Across(ctx, env.restClient(), r.path, ns, env.fallbackNamespaces(nil), params, func(_ liststream.Head, item json.RawMessage) error {
			p, err := j.decodePod(item)
			if err != nil {
				return err
			}
			if len(p.containers) > 0 {
				out = append(out, p)
			}
			return nil
		}).Errs...)
	}
	if err := recordErrors(env, j.errorsFile, errs); err != nil {
		return nil, err
	}
	return out, nil
}

// decodePod reads what logsOf needs of one pod of a LIST: its names and
// container statuses. The rest of the pod (spec, managed fields), most of
// its bytes, is skipped without decoding.
func (j *logJob) decodePod(item json.RawMessage) (podLogs, error) {
	var p podLogs
	var status podStatus
	_, err := jsonscan.EachMember(item, jsonscan.SkipSpace(item, 0), func(key []byte, vs, ve int) (bool, error) {
		var err error
		switch {
		case jsonscan.KeyIs(key, "metadata"):
			p.namespace, p.name, err = liststream.MetaNames(item[vs:ve], false)
		case jsonscan.KeyIs(key, "status"):
			err = json.Unmarshal(item[vs:ve], &status)
		}
		return false, err
	})
	if err != nil {
		return podLogs{}, fmt.Errorf("decode pod: %w", err)
	}
	p.containers = j.logsOf(&status)
	return p, nil
}

// podStatus is the part of a pod's status (corev1.PodStatus) that says which
// containers have logs.
type podStatus struct {
	InitContainerStatuses      []containerStatus `json:"initContainerStatuses"`
	ContainerStatuses          []containerStatus `json:"containerStatuses"`
	EphemeralContainerStatuses []containerStatus `json:"ephemeralContainerStatuses"`
}

// containerStatus is the part of a corev1.ContainerStatus that logsOf reads;
// a state is non-nil when the API set it.
type containerStatus struct {
	Name         string `json:"name"`
	RestartCount int32  `json:"restartCount"`
	State        struct {
		Running    *struct{} `json:"running"`
		Terminated *struct{} `json:"terminated"`
	} `json:"state"`
	LastTerminationState struct {
		Terminated *struct{} `json:"terminated"`
	} `json:"lastState"`
}

// logsOf keeps the containers that have run: a container that never
// started has no log, and asking for one only produces noise.
func (j *logJob) logsOf(status *podStatus) []containerLog {
	var out []containerLog
	for _, sts := range [][]containerStatus{status.InitContainerStatuses, status.ContainerStatuses, status.EphemeralContainerStatuses} {
		for _, st := range sts {
			if len(j.containers) > 0 && !slices.Contains(j.containers, st.Name) {
				continue
			}
			started := st.State.Running != nil || st.State.Terminated != nil || st.LastTerminationState.Terminated != nil
			if !started {
				continue
			}
			out = append(out, containerLog{name: st.Name, previous: st.RestartCount > 0 && st.LastTerminationState.Terminated != nil})
		}
	}
	return out
}

// podLogsDir is where troubleshoot.sh keeps every container log it
// collects, whichever collector asked for it, and where its readers look:
// sbctl's `kubectl logs`, textAnalyze analyzers.
const podLogsDir = resourcesDir + "pods/logs"

// podLogFile is a container log's place under podLogsDir:
// <namespace>/<pod>/<container>.log, -previous.log for the previous instance.
func podLogFile(namespace, pod, container string, previous bool) string {
	name := container
	if previous {
		name += "-previous"
	}
	return path.Join(podLogsDir, namespace, pod, name+".log")
}

// fetch puts one container log in the bundle: the log itself at its place
// under podLogsDir, and a link to it at the collector's own path, so that
// a log two collectors ask for is stored once. A log that cannot be read is
// recorded beside both paths (<container>-logs-errors.log, which sbctl
// shows, and the collector's -errors.json), and the collector goes on; only
// a bundle write failure stops it.
func (j *logJob) fetch(ctx context.Context, env *Env, p podLogs, container string, previous bool) error {
	file := j.file(p.namespace, p.name, container, previous)
	canonical := podLogFile(p.namespace, p.name, container, previous)
	claim, first := env.Out.claim(canonical)
	if !first {
		// Another collector fetches it: wait for it, within this pod's time.
		select {
		case <-claim.done:
		case <-ctx.Done():
			return env.Out.WriteErrors(strings.TrimSuffix(file, ".log")+"-errors.json", []string{ctx.Err().Error()})
		}
		if !claim.ok {
			return nil // its errors are recorded by the collector that tried
		}
		return j.link(env, file, canonical)
	}
	ok, err := j.stream(ctx, env, p, container, previous, canonical, file)
	claim.finish(ok)
	if err != nil || !ok {
		return err
	}
	return j.link(env, file, canonical)
}

// link puts the collector's link to the log, unless the collector's path
// is the log's own. A path taken already (two pods of one name in two
// namespaces, for a logs collector's <name>/<pod>/<container>.log) keeps
// the first link, as troubleshoot.sh does.
func (j *logJob) link(env *Env, file, canonical string) error {
	if file == canonical {
		return nil
	}
	if err := env.Out.Link(file, canonical); err != nil && !errors.Is(err, bundle.ErrDuplicate) {
		return err
	}
	return nil
}

// stream copies one container log to canonical; ok tells whether the file
// was written (maybe cut short).
func (j *logJob) stream(ctx context.Context, env *Env, p podLogs, container string, previous bool, canonical, file string) (ok bool, err error) {
	opts := j.options(env, container, previous)
	stream, err := env.Client.CoreV1().Pods(p.namespace).GetLogs(p.name, opts).Stream(ctx)
	if err != nil {
		env.Partial(fmt.Errorf("logs of %s/%s container %s: %w", p.namespace, p.name, container, err))
		return false, j.logErrors(env, canonical, file, err)
	}
	defer stream.Close()
	// A Redactor naming the collector's path (allPodLogs/*) still applies.
	w, err := env.Out.Create(canonical, file)
	if err != nil {
		return false, err
	}
	buf := logCopyBufs.Get().(*[]byte)
	_, cerr := io.CopyBuffer(w, stream, *buf)
	logCopyBufs.Put(buf)
	if err := w.Close(); err != nil {
		return false, err
	}
	if cerr != nil {
		env.Partial(fmt.Errorf("logs of %s/%s container %s cut short: %w", p.namespace, p.name, container, cerr))
		return true, j.logErrors(env, canonical, file, cerr)
	}
	return true, nil
}

// logErrors records a log's failure where troubleshoot.sh's readers look
// (<container>-logs-errors.log, plain text) and beside the collector's path.
func (j *logJob) logErrors(env *Env, canonical, file string, err error) error {
	if werr := env.Out.WriteFile(strings.TrimSuffix(canonical, ".log")+"-logs-errors.log", []byte(err.Error())); werr != nil && !errors.Is(werr, bundle.ErrDuplicate) {
		return werr
	}
	return env.Out.WriteErrors(strings.TrimSuffix(file, ".log")+"-errors.json", []string{err.Error()})
}

// logCopyBufs recycles the buffers logs are copied through: neither the
// response body nor the redacting writer offers io.Copy a way around one,
// so it would allocate a buffer for every log fetched.
var logCopyBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

func (j *logJob) options(env *Env, container string, previous bool) *corev1.PodLogOptions {
	o := &corev1.PodLogOptions{Container: container, Previous: previous, Timestamps: j.timestamps}
	lines, bytes := int64(defaultMaxLines), int64(defaultMaxBytes)
	if l := j.limits; l != nil {
		if l.MaxLines > 0 {
			lines = l.MaxLines
		}
		if l.MaxBytes > 0 {
			bytes = l.MaxBytes
		}
		if l.MaxAge != "" {
			if d, err := time.ParseDuration(l.MaxAge); err == nil {
				s := int64(d.Seconds())
				o.SinceSeconds = &s
			}
		}
		if l.SinceTime != nil {
			o.SinceTime = &metav1.Time{Time: l.SinceTime.Time}
			o.SinceSeconds = nil
		}
	}
	o.TailLines, o.LimitBytes = &lines, &bytes
	return o
}
