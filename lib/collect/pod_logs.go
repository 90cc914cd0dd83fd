package collect

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
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
	if l == nil || l.MaxAge == "" {
		return nil
	}
	if _, err := time.ParseDuration(l.MaxAge); err != nil {
		return fmt.Errorf("limits.maxAge %q is not a duration (like 48h): %w", l.MaxAge, err)
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
	params := map[string]string{}
	if j.selector != "" {
		params["labelSelector"] = j.selector
	}
	namespaces := j.namespaces
	if len(namespaces) == 0 {
		namespaces = []string{""}
	}
	var out []podLogs
	r := resourceKind{version: "v1", resource: "pods", namespaced: true}
	var errs []error
	for _, ns := range namespaces {
		errs = append(errs, listAcross(ctx, env, r, ns, env.fallbackNamespaces(nil), params, func(_ listHead, item json.RawMessage) error {
			p, err := j.decodePod(item)
			if err != nil {
				return err
			}
			if len(p.containers) > 0 {
				out = append(out, p)
			}
			return nil
		})...)
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
	_, err := eachMember(item, skipSpace(item, 0), func(key []byte, vs, ve int) (bool, error) {
		var err error
		switch {
		case keyIs(key, "metadata"):
			p.namespace, p.name, err = metaNames(item[vs:ve], false)
		case keyIs(key, "status"):
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

// fetch streams one container log into the bundle. A log that cannot be
// read is recorded in an errors file beside where it would be, and the
// collector goes on; only a bundle write failure stops it.
func (j *logJob) fetch(ctx context.Context, env *Env, p podLogs, container string, previous bool) error {
	file := j.file(p.namespace, p.name, container, previous)
	opts := j.options(env, container, previous)
	stream, err := env.Client.CoreV1().Pods(p.namespace).GetLogs(p.name, opts).Stream(ctx)
	if err != nil {
		env.Partial(fmt.Errorf("logs of %s/%s container %s: %w", p.namespace, p.name, container, err))
		return env.Out.WriteErrors(strings.TrimSuffix(file, ".log")+"-errors.json", []string{err.Error()})
	}
	defer stream.Close()
	w, err := env.Out.Create(file)
	if err != nil {
		return err
	}
	buf := logCopyBufs.Get().(*[]byte)
	_, cerr := io.CopyBuffer(w, stream, *buf)
	logCopyBufs.Put(buf)
	if err := w.Close(); err != nil {
		return err
	}
	if cerr != nil {
		env.Partial(fmt.Errorf("logs of %s/%s container %s cut short: %w", p.namespace, p.name, container, cerr))
		return env.Out.WriteErrors(strings.TrimSuffix(file, ".log")+"-errors.json", []string{cerr.Error()})
	}
	return nil
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
