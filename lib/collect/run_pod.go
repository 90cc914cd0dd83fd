package collect

import (
	"context"
	"fmt"
	"path"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"

	"github.com/mesosphere/dkp-diagnose/lib/collect/internal/live"
	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
)

func init() { register("runPod", newRunPod) }

// runPod runs a pod to completion (or its timeout) and keeps its final state
// at <name>/<name>.json and each container's log at
// <name>/<name>-<container>.log (<name>/<name>.log with one container).
type runPod struct {
	s       *spec.RunPod
	name    string
	timeout time.Duration
}

func newRunPod(s *spec.RunPod) (Collector, error) {
	if len(s.PodSpec.Containers) == 0 {
		return nil, fmt.Errorf("podSpec.containers is required")
	}
	timeout, err := parseDurationOr("timeout", s.Timeout, defaultPodTimeout)
	if err != nil {
		return nil, err
	}
	return &runPod{s: s, name: folderName(s.Name, s.CollectorName, "run-pod"), timeout: timeout}, nil
}

func (c *runPod) Collect(ctx context.Context, env *Env) error {
	ns := c.s.Namespace
	if ns == "" {
		ns = defaultNodeNamespace
	}
	pod := &corev1.Pod{ObjectMeta: ownedMeta(env, "runPod", objectName(env, c.name), ns, c.timeout), Spec: *c.s.PodSpec.DeepCopy()}
	for k, v := range c.s.Annotations {
		pod.Annotations[k] = v
	}
	if pod.Spec.RestartPolicy == "" {
		pod.Spec.RestartPolicy = corev1.RestartPolicyNever
	}
	pod.Spec.ImagePullSecrets = append(pod.Spec.ImagePullSecrets, pullSecrets(env, c.s.ImagePullSecret)...)
	defer func() {
		cctx, cancel := cleanupContext(ctx, env)
		defer cancel()
		if err := removeOwned(cctx, env, ns, pod.Name); err != nil {
			err = causeOf(ctx, &cleanupError{err: err})
			env.Partial(err)
			env.left.add(env, "Pod", pod.ObjectMeta, err)
		}
	}()
	if _, err := env.Client.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create pod %s/%s: %w", ns, pod.Name, err)
	}
	final, waitErr := c.wait(ctx, env, ns, pod.Name)
	if final != nil {
		if err := env.Out.WriteJSON(path.Join(c.name, c.name+".json"), final); err != nil {
			return err
		}
	}
	var errs []string
	if waitErr != nil {
		errs = append(errs, waitErr.Error())
		env.Partial(waitErr)
	}
	for _, ctr := range pod.Spec.Containers {
		file := path.Join(c.name, c.name+".log")
		if len(pod.Spec.Containers) > 1 {
			file = path.Join(c.name, c.name+"-"+pathSafe(ctr.Name)+".log")
		}
		stream, err := env.Client.CoreV1().Pods(ns).GetLogs(pod.Name, &corev1.PodLogOptions{Container: ctr.Name}).Stream(ctx)
		if err != nil {
			errs = append(errs, fmt.Sprintf("logs of container %s: %v", ctr.Name, err))
			env.Partial(fmt.Errorf("logs of pod %s/%s container %s: %w", ns, pod.Name, ctr.Name, err))
			continue
		}
		err = env.Out.copy(file, stream)
		stream.Close()
		if err != nil {
			return err
		}
	}
	return env.Out.WriteErrors(path.Join(c.name, c.name+"-errors.json"), errs)
}

// wait returns the pod once it has finished, or as it is at the timeout
// with an error saying so.
func (c *runPod) wait(ctx context.Context, env *Env, ns, name string) (*corev1.Pod, error) {
	pods := live.Pods(env.Client, ns, "pod "+ns+"/"+name, metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("metadata.name", name).String()})
	var last *corev1.Pod
	finished := func() bool {
		if p, ok := pods.Objects[ns+"/"+name].(*corev1.Pod); ok {
			last = p
		}
		return last != nil && (last.Status.Phase == corev1.PodSucceeded || last.Status.Phase == corev1.PodFailed)
	}
	ok, err := live.WaitUntil(ctx, time.Now().Add(c.timeout), []*live.Set{pods}, finished)
	if err != nil {
		return last, fmt.Errorf("wait for pod %s/%s: %w", ns, name, err)
	}
	if !ok {
		phase := "unknown"
		if last != nil {
			phase = string(last.Status.Phase)
		}
		return last, fmt.Errorf("pod %s/%s did not finish within %s (phase %s)", ns, name, c.timeout, phase)
	}
	if last.Status.Phase == corev1.PodFailed {
		return last, fmt.Errorf("pod %s/%s failed: %s %s", ns, name, last.Status.Reason, last.Status.Message)
	}
	return last, nil
}
