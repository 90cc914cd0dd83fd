package collect

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/mesosphere/dkp-diagnose/lib/collect/internal/live"
	"github.com/mesosphere/dkp-diagnose/lib/collect/internal/liveness"
)

// Labels and annotations on everything dkp-diagnose creates in a cluster.
// The managed-by label is how a later run finds what a killed run left; the
// run label is how a run removes exactly its own objects.
const (
	LabelManagedBy    = "app.kubernetes.io/managed-by"
	ManagedBy         = "dkp-diagnose"
	LabelRun          = "diagnose.d2iq.io/run"
	LabelCollector    = "diagnose.d2iq.io/collector"
	AnnotationExpires = "diagnose.d2iq.io/expires-at"
)

// cleanupGrace bounds the removal of a collector's objects once it is done
// or interrupted: long enough for an API round trip and pod termination,
// short enough that Ctrl-C still ends the program promptly.
const cleanupGrace = 30 * time.Second

// newRunID names one run's objects.
func newRunID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// ownedMeta is the metadata of an object a collector creates: ours, this
// run's, and expiring after lifetime so a later run may remove it if this one
// never gets to.
func ownedMeta(env *Env, key, name, namespace string, lifetime time.Duration) metav1.ObjectMeta {
	l := ownedLabels(env, key)
	l[LabelObject] = name
	return metav1.ObjectMeta{
		Name:        name,
		Namespace:   namespace,
		Labels:      l,
		Annotations: map[string]string{AnnotationExpires: env.Options.Now().Add(lifetime + cleanupGrace).UTC().Format(time.RFC3339)},
	}
}

func ownedLabels(env *Env, key string) map[string]string {
	return map[string]string{LabelManagedBy: ManagedBy, LabelRun: env.Options.runID, LabelCollector: strings.ToLower(key)}
}

var nonDNS = regexp.MustCompile(`[^a-z0-9-]+`)

// objectName builds a DNS-1123 name from a collector's name and the run ID.
func objectName(env *Env, name string) string {
	n := strings.Trim(nonDNS.ReplaceAllString(strings.ToLower(name), "-"), "-")
	if len(n) > 40 {
		n = strings.Trim(n[:40], "-")
	}
	if n == "" {
		n = "collector"
	}
	return objectNamePrefix + n + "-" + env.Options.runID
}

// objectNamePrefix starts the name of every object a run creates.
const objectNamePrefix = "dkp-diagnose-"

// cleanupContext outlives the run's context: objects must be removed also
// when the run was interrupted or timed out. When the run ended because
// the API server stopped answering, removal gets one short try (the
// health check's time) instead of cleanupGrace: it most likely fails, and
// the caller reports what is left rather than keep the user waiting.
func cleanupContext(ctx context.Context, env *Env) (context.Context, context.CancelFunc) {
	grace := cleanupGrace
	var stall *liveness.StalledError
	if errors.As(context.Cause(ctx), &stall) {
		grace = env.Options.StallAfter / 2
	}
	return context.WithTimeout(context.WithoutCancel(ctx), grace)
}

// cleanupError is a failed removal of what a collector created.
type cleanupError struct{ err error }

func (e *cleanupError) Error() string { return "clean up: " + e.err.Error() }
func (e *cleanupError) Unwrap() error { return e.err }

// LabelObject names the object (DaemonSet or pod) a collector created on
// the object itself and on its pods, so that each collector removes only its
// own objects while others of the same run are still at work.
const LabelObject = "diagnose.d2iq.io/object"

// removeOwned deletes the DaemonSet or pod named object that this run
// created in namespace, with its pods, and waits until they are gone so
// nothing of ours outlives the run.
func removeOwned(ctx context.Context, env *Env, namespace, object string) error {
	sel := labels.Set{LabelManagedBy: ManagedBy, LabelRun: env.Options.runID, LabelObject: object}
	return removeMatching(ctx, env, namespace, sel.String(), nil)
}

// sweepLeftovers removes objects of earlier runs (killed before they could
// clean up) whose expiry has passed. Objects of runs still going are left
// alone: two operators may collect from one cluster at once.
func sweepLeftovers(ctx context.Context, env *Env, namespace string) error {
	now := env.Options.Now()
	expired := func(m metav1.Object) bool {
		t, err := time.Parse(time.RFC3339, m.GetAnnotations()[AnnotationExpires])
		return err != nil || t.Before(now)
	}
	sel := labels.Set{LabelManagedBy: ManagedBy}.String()
	return removeMatching(ctx, env, namespace, sel, expired)
}

// sweepFirst runs sweepLeftovers in every namespace before any collector
// starts: a leftover swept beside collection could be listed by allLogs and
// then deleted under it, failing the run on its own clean-up. A leftover
// not yet expired now stays untouched for the whole run. A failure (no
// cluster-wide rights) is logged; the collectors still run.
func sweepFirst(ctx context.Context, env *Env) {
	sctx, cancel := context.WithTimeout(ctx, cleanupGrace)
	defer cancel()
	if err := sweepLeftovers(sctx, env, metav1.NamespaceAll); err != nil {
		env.Log.Warn("could not remove the expired leftovers of earlier runs", "error", err)
	}
}

// removeMatching deletes the DaemonSets and pods in namespace matching sel
// (and keep, when set), then waits for them to be gone.
func removeMatching(ctx context.Context, env *Env, namespace, sel string, pick func(metav1.Object) bool) error {
	if pick == nil {
		pick = func(metav1.Object) bool { return true }
	}
	apps := env.Client.AppsV1().DaemonSets(namespace)
	pods := env.Client.CoreV1().Pods(namespace)
	grace := int64(1)
	fg := metav1.DeletePropagationForeground
	// Reads and deletes go side by side: one request after another would
	// cost a round trip per node over a slow link.
	var dss *appsv1.DaemonSetList
	var ps *corev1.PodList
	var lists errgroup.Group
	lists.Go(func() (err error) {
		if dss, err = apps.List(ctx, metav1.ListOptions{LabelSelector: sel}); err != nil {
			return fmt.Errorf("list daemonsets of ours in %s: %w", namespace, err)
		}
		return nil
	})
	lists.Go(func() (err error) {
		if ps, err = pods.List(ctx, metav1.ListOptions{LabelSelector: sel}); err != nil {
			return fmt.Errorf("list pods of ours in %s: %w", namespace, err)
		}
		return nil
	})
	if err := lists.Wait(); err != nil {
		return err
	}
	var names []string
	var deletes errgroup.Group
	deletes.SetLimit(env.Workers())
	for _, ds := range dss.Items {
		if !pick(&ds) {
			continue
		}
		names = append(names, "daemonset/"+ds.Namespace+"/"+ds.Name)
		deletes.Go(func() error {
			// The object's own namespace: a sweep looks in all of them.
			err := env.Client.AppsV1().DaemonSets(ds.Namespace).Delete(ctx, ds.Name, metav1.DeleteOptions{GracePeriodSeconds: &grace, PropagationPolicy: &fg})
			if err != nil && !apierrors.IsNotFound(err) {
				return fmt.Errorf("delete daemonset %s/%s: %w", ds.Namespace, ds.Name, err)
			}
			return nil
		})
	}
	for _, p := range ps.Items {
		if !pick(&p) {
			continue
		}
		names = append(names, "pod/"+p.Namespace+"/"+p.Name)
		deletes.Go(func() error {
			err := env.Client.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{GracePeriodSeconds: &grace})
			if err != nil && !apierrors.IsNotFound(err) {
				return fmt.Errorf("delete pod %s/%s: %w", p.Namespace, p.Name, err)
			}
			return nil
		})
	}
	if err := deletes.Wait(); err != nil {
		return err
	}
	if len(names) == 0 {
		return nil
	}
	env.Log.Debug("removing objects", "namespace", namespace, "objects", names)
	// Removal is waited for, so that a run leaves nothing behind; the
	// cleanup context bounds it.
	ours := []*live.Set{
		live.DaemonSets(env.Client, namespace, "daemonsets of ours in "+namespace, metav1.ListOptions{LabelSelector: sel}),
		live.Pods(env.Client, namespace, "pods of ours in "+namespace, metav1.ListOptions{LabelSelector: sel}),
	}
	gone := func() bool {
		for _, s := range ours {
			for _, o := range s.Objects {
				if m, err := meta.Accessor(o); err == nil && pick(m) {
					return false
				}
			}
		}
		return true
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(cleanupGrace)
	}
	removed, err := live.WaitUntil(ctx, deadline, ours, gone)
	if err == nil && !removed {
		err = context.DeadlineExceeded
	}
	if err != nil {
		return fmt.Errorf("wait for %s in %s to be removed: %w", strings.Join(names, ", "), namespace, err)
	}
	return nil
}

// needsSweep reports whether a run creates objects in the cluster (node
// collectors, runPod): only such a run has the rights to remove leftovers,
// and only then is a sweep worth its two cluster-wide lists.
func needsSweep(cs []planned) bool {
	for _, p := range cs {
		switch p.key {
		case "execCopyFromHost", "copyFromHost", "runPod":
			if !p.excluded {
				return true
			}
		}
	}
	return false
}
