// Package live follows sets of Kubernetes objects (a LIST kept current by
// a WATCH) and waits on them: WaitUntil reacts to a pod becoming ready or
// going away when it happens, and falls back to polling when the watch
// verb is missing or the server ends a watch. It takes a kubernetes
// client (or list and watch functions) and plain values; what to wait for
// is the caller's done function.
package live

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
)

// pollInterval paces re-reads when a set cannot be watched (a role without
// the watch verb, a watch the server ended) or a read failed for a reason
// that may pass.
const pollInterval = 250 * time.Millisecond

// Set is the objects one LIST selects, kept current by a WATCH from the
// list's resourceVersion. Waits built on it react to a pod becoming ready or
// going away when it happens, not at the next poll: over a slow link or on a
// busy cluster a poll interval is added to every wait, once per target.
type Set struct {
	what  string // for errors: "pods of daemonset default/x"
	list  func(context.Context, metav1.ListOptions) (runtime.Object, error)
	watch func(context.Context, metav1.ListOptions) (watch.Interface, error)
	opts  metav1.ListOptions
	// Objects are the set's objects by namespace/name, changed only by
	// WaitUntil: read them from its done func or after it returned.
	Objects map[string]runtime.Object
	readAt  time.Time // of the last LIST, to pace re-reads
}

// NewSet follows what list and watch select with opts.
func NewSet(what string, opts metav1.ListOptions,
	list func(context.Context, metav1.ListOptions) (runtime.Object, error),
	watch func(context.Context, metav1.ListOptions) (watch.Interface, error)) *Set {
	return &Set{what: what, opts: opts, list: list, watch: watch}
}

// Pods follows the pods opts selects in namespace.
func Pods(client kubernetes.Interface, namespace, what string, opts metav1.ListOptions) *Set {
	c := client.CoreV1().Pods(namespace)
	return NewSet(what, opts,
		func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) { return c.List(ctx, o) },
		func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) { return c.Watch(ctx, o) })
}

// DaemonSets follows the DaemonSets opts selects in namespace.
func DaemonSets(client kubernetes.Interface, namespace, what string, opts metav1.ListOptions) *Set {
	c := client.AppsV1().DaemonSets(namespace)
	return NewSet(what, opts,
		func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) { return c.List(ctx, o) },
		func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) { return c.Watch(ctx, o) })
}

// load replaces the set by a fresh LIST and returns its resourceVersion.
func (s *Set) load(ctx context.Context) (string, error) {
	list, err := s.list(ctx, s.opts)
	if err != nil {
		return "", fmt.Errorf("list %s: %w", s.what, err)
	}
	items, err := meta.ExtractList(list)
	if err != nil {
		return "", fmt.Errorf("list %s: %w", s.what, err)
	}
	lm, err := meta.ListAccessor(list)
	if err != nil {
		return "", fmt.Errorf("list %s: %w", s.what, err)
	}
	s.readAt = time.Now()
	s.Objects = make(map[string]runtime.Object, len(items))
	for _, o := range items {
		s.put(o)
	}
	return lm.GetResourceVersion(), nil
}

func (s *Set) put(o runtime.Object) {
	if m, err := meta.Accessor(o); err == nil {
		s.Objects[m.GetNamespace()+"/"+m.GetName()] = o
	}
}

func (s *Set) remove(o runtime.Object) {
	if m, err := meta.Accessor(o); err == nil {
		delete(s.Objects, m.GetNamespace()+"/"+m.GetName())
	}
}

// setEvent is what a set's watch says, or that it ended (ended) and the set
// is to be read again.
type setEvent struct {
	set   int
	ev    watch.Event
	ended bool
}

// WaitUntil reads every set, then follows their watches until done() holds
// (true, nil), ctx ends (false, ctx.Err()) or the deadline passes (false,
// nil: the caller decides what the sets as they are mean). done is asked
// only once every set was read. A read the
// server refuses (forbidden, bad request) is returned at once rather than
// waited out; other read failures, like a watch that cannot start or ends,
// are retried every pollInterval.
func WaitUntil(ctx context.Context, deadline time.Time, sets []*Set, done func() bool) (bool, error) {
	wctx, cancel := context.WithDeadline(ctx, deadline)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	events := make(chan setEvent)
	send := func(e setEvent) {
		select {
		case events <- e:
		case <-wctx.Done():
		}
	}
	// again re-reads set i after pollInterval, through the event loop.
	again := func(i int) {
		wg.Go(func() {
			select {
			case <-time.After(pollInterval):
				send(setEvent{set: i, ended: true})
			case <-wctx.Done():
			}
		})
	}
	// watchFrom follows set i's changes after rv; the watch starts in its
	// own goroutine so that a wait does not take a round trip per set
	// before it can first look at the sets.
	watchFrom := func(i int, rv string) {
		wg.Go(func() {
			opts := sets[i].opts
			opts.ResourceVersion = rv
			w, err := sets[i].watch(wctx, opts)
			if err != nil {
				again(i)
				return
			}
			defer w.Stop()
			for {
				select {
				case <-wctx.Done():
					return
				case ev, ok := <-w.ResultChan():
					if !ok || ev.Type == watch.Error {
						// Ended, or an expired resourceVersion, say: read again.
						send(setEvent{set: i, ended: true})
						return
					}
					send(setEvent{set: i, ev: ev})
				}
			}
		})
	}
	// follow reads set i and watches it from there; a read that may pass is
	// tried again later.
	follow := func(i int, rv string, err error) error {
		switch {
		case err == nil:
			watchFrom(i, rv)
		case permanent(err):
			return err
		default:
			again(i)
		}
		return nil
	}
	// The first reads go side by side, for the same reason; nothing else
	// touches the sets yet.
	rvs, errs := make([]string, len(sets)), make([]error, len(sets))
	var reads sync.WaitGroup
	for i, s := range sets {
		reads.Go(func() { rvs[i], errs[i] = s.load(wctx) })
	}
	reads.Wait()
	for i := range sets {
		if err := follow(i, rvs[i], errs[i]); err != nil {
			return false, outcome(ctx, wctx, err)
		}
	}
	for !loaded(sets) || !done() {
		select {
		case <-wctx.Done():
			return false, outcome(ctx, wctx, nil)
		case e := <-events:
			switch {
			case e.ended && time.Since(sets[e.set].readAt) < pollInterval:
				again(e.set) // a watch the server keeps ending
			case e.ended:
				// Watches are started once per set and again only
				// after this one ended, so a set has one at a time.
				rv, err := sets[e.set].load(wctx)
				if err := follow(e.set, rv, err); err != nil {
					return false, outcome(ctx, wctx, err)
				}
			case e.ev.Type == watch.Deleted:
				sets[e.set].remove(e.ev.Object)
			case e.ev.Type == watch.Added || e.ev.Type == watch.Modified:
				sets[e.set].put(e.ev.Object)
			}
		}
	}
	return true, nil
}

// loaded says whether every set was read at least once: before that, an
// empty set means nothing.
func loaded(sets []*Set) bool {
	for _, s := range sets {
		if s.Objects == nil {
			return false
		}
	}
	return true
}

// outcome is WaitUntil's error: the caller's cancellation wins, the
// deadline is no error (the sets are returned as they are), else err.
func outcome(ctx, wctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if wctx.Err() != nil && (err == nil || errors.Is(err, context.DeadlineExceeded)) {
		return nil
	}
	return err
}

// permanent says whether a failed read will fail again however long one
// waits: a denial or a request the server cannot serve.
func permanent(err error) bool {
	switch apierrors.ReasonForError(err) {
	case metav1.StatusReasonForbidden, metav1.StatusReasonUnauthorized, metav1.StatusReasonBadRequest,
		metav1.StatusReasonInvalid, metav1.StatusReasonMethodNotAllowed, metav1.StatusReasonNotAcceptable:
		return true
	}
	return false
}
