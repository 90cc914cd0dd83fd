package collect

import (
	"context"
	"fmt"
	"path"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// runningPods lists the running pods a selector picks in a namespace (all
// namespaces when empty): exec and copy need a live container.
func runningPods(ctx context.Context, env *Env, namespace string, selector []string) ([]corev1.Pod, error) {
	sel := strings.Join(nonEmpty(selector), ",")
	list, err := env.Client.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return nil, fmt.Errorf("list pods %q in namespace %q: %w", sel, namespace, err)
	}
	var out []corev1.Pod
	for _, p := range list.Items {
		if p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp == nil {
			out = append(out, p)
		}
	}
	return out, nil
}

// containerOf picks the named container, or the pod's first one.
func containerOf(p *corev1.Pod, name string) (string, error) {
	if name == "" {
		return p.Spec.Containers[0].Name, nil
	}
	for _, c := range p.Spec.Containers {
		if c.Name == name {
			return name, nil
		}
	}
	return "", fmt.Errorf("pod %s/%s has no container %q", p.Namespace, p.Name, name)
}

// folderName is where a collector's files go: its name, else its
// collectorName, else its type.
func folderName(name, collectorName, key string) string {
	for _, s := range []string{name, collectorName} {
		if s != "" {
			return pathSafe(s)
		}
	}
	return key
}

// podQuery is what the exec and copy collectors select, and where each pod's
// files and errors go.
type podQuery struct {
	namespace  string
	selector   []string
	container  string // empty: each pod's first container
	folder     string
	errorsFile string
	timeout    time.Duration // per pod
}

// eachPod runs work in every running pod q selects, several at once, each
// within q.timeout, with dir = <folder>/<namespace>/<pod>. A pod's failure
// is written to dir/<errorsFile> and makes the collector partial; the other
// pods go on. (A failed bundle write also fails the run: Output notes it.)
func eachPod(ctx context.Context, env *Env, q podQuery, work func(ctx context.Context, p *corev1.Pod, container, dir string) error) error {
	pods, err := runningPods(ctx, env, q.namespace, q.selector)
	if err != nil {
		return err
	}
	if len(pods) == 0 {
		env.Partial(fmt.Errorf("no running pod matches %q in namespace %q", q.selector, q.namespace))
		return nil
	}
	var g errgroup.Group
	g.SetLimit(env.Workers())
	for _, p := range pods {
		g.Go(func() error {
			dir := path.Join(q.folder, p.Namespace, p.Name)
			container, err := containerOf(&p, q.container)
			if err == nil {
				pctx, cancel := context.WithTimeout(ctx, q.timeout)
				err = work(pctx, &p, container, dir)
				cancel()
			}
			if err != nil {
				env.Partial(err)
				return env.Out.WriteErrors(path.Join(dir, q.errorsFile), []string{err.Error()})
			}
			return nil
		})
	}
	return g.Wait()
}
