package collect

import (
	"context"
	"fmt"
	"io"
	"maps"
	"path"
	"sort"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/mesosphere/dkp-diagnose/lib/collect/archive"
	"github.com/mesosphere/dkp-diagnose/lib/collect/internal/live"
	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
	"github.com/mesosphere/dkp-diagnose/lib/internal/podexec"
)

// Defaults shared by the DaemonSet collectors.
const (
	defaultNodeNamespace    = "default"
	defaultNodeTimeout      = 60 * time.Second
	defaultDaemonSetTimeout = 30 * time.Second
	// keeperName is the container that holds the output until it is
	// copied out; it only needs `sleep` and `tar`.
	keeperName = "keeper"
	// collectorName is the init container running the user's command.
	collectorName = "collector"
)

// Tolerations a node collector needs to reach control-plane nodes: kubeadm
// taints them with the current key, and clusters older than 1.24 with the
// old one.
var controlPlaneTolerations = []corev1.Toleration{
	{Key: "node-role.kubernetes.io/control-plane", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule},
	{Key: "node-role.kubernetes.io/master", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule},
}

// nodeTimeouts parses the two spec durations of the DaemonSet collectors:
// the command's timeout and the daemonSetTimeout for scheduling its pods.
func nodeTimeouts(timeout, daemonSetTimeout string) (time.Duration, time.Duration, error) {
	t, err := parseDurationOr("timeout", timeout, defaultNodeTimeout)
	if err != nil {
		return 0, 0, err
	}
	ds, err := parseDurationOr("daemonSetTimeout", daemonSetTimeout, defaultDaemonSetTimeout)
	return t, ds, err
}

// nodeJob is a DaemonSet that puts one pod on every node and a folder that is
// copied out of each pod's keeper container into <name>/<node>/<sub>.
type nodeJob struct {
	key       string // collector type, for labels
	name      string // bundle folder and base of the object name
	namespace string
	pod       corev1.PodSpec
	// copyDir is the folder in the keeper container that is archived, and
	// copyWhat the entry in it ("." for its content).
	copyDir, copyWhat string
	// sub is the folder under <name>/<node>/ the files go to ("data" for
	// execCopyFromHost, "" for copyFromHost).
	sub              string
	extract          bool
	timeout          time.Duration // the command, once the pods are scheduled
	daemonSetTimeout time.Duration // scheduling and pulling images
}

// nodeImage is the image of a node collector whose spec names none.
func nodeImage(env *Env, specImage string) string {
	switch {
	case specImage != "":
		return specImage
	case env.Options.NodeCollectorImage != "":
		return env.Options.NodeCollectorImage
	}
	return DefaultNodeCollectorImage(env.Options.ToolVersion)
}

// NodeCollectorImageRepository is where released node-collector images live.
const NodeCollectorImageRepository = "docker.io/mesosphere/dkp-diagnose-node-collector"

// DefaultNodeCollectorImage is the node-collector image matching a tool
// version; development builds use the "dev" tag a local build produces.
func DefaultNodeCollectorImage(toolVersion string) string {
	tag := "dev"
	if strings.HasPrefix(toolVersion, "v") {
		tag = toolVersion
	}
	return NodeCollectorImageRepository + ":" + tag
}

func pullSecrets(env *Env, s *spec.ImagePullSecret) []corev1.LocalObjectReference {
	switch {
	case s != nil && s.Name != "":
		return []corev1.LocalObjectReference{{Name: s.Name}}
	case env.Options.ImagePullSecret != "":
		return []corev1.LocalObjectReference{{Name: env.Options.ImagePullSecret}}
	}
	return nil
}

// keeper is the container that keeps the output folder for copying out. It
// sleeps; `sleep` in our image ends at once on SIGTERM, so removal is quick.
func keeper(image, pullPolicy string, mounts []corev1.VolumeMount) corev1.Container {
	return corev1.Container{
		Name:            keeperName,
		Image:           image,
		ImagePullPolicy: corev1.PullPolicy(pullPolicy),
		Command:         []string{"sleep", "2147483647"},
		VolumeMounts:    mounts,
	}
}

// daemonSet is the object a nodeJob creates.
func (j *nodeJob) daemonSet(env *Env) *appsv1.DaemonSet {
	meta := ownedMeta(env, j.key, objectName(env, j.name), j.namespace, j.daemonSetTimeout+j.timeout)
	sel := map[string]string{LabelRun: env.Options.runID, LabelObject: meta.Name}
	podLabels := maps.Clone(meta.Labels)
	pod := *j.pod.DeepCopy()
	grace := int64(2)
	noToken := false
	pod.TerminationGracePeriodSeconds = &grace
	pod.AutomountServiceAccountToken = &noToken
	if pod.NodeSelector == nil {
		pod.NodeSelector = map[string]string{"kubernetes.io/os": "linux"}
	}
	return &appsv1.DaemonSet{
		ObjectMeta: meta,
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: sel},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: podLabels, Annotations: maps.Clone(meta.Annotations)},
				Spec:       pod,
			},
		},
	}
}

// run creates the DaemonSet, waits for its pods, copies each node's folder
// out and removes everything it created, also when ctx is cancelled.
func (j *nodeJob) run(ctx context.Context, env *Env) (err error) {
	ds := j.daemonSet(env)
	// The phases are logged with their times (-vv): where node
	// diagnostics are slow, it says whether scheduling, the copy or the
	// cleanup is.
	began := time.Now()
	defer func() {
		cctx, cancel := cleanupContext(ctx, env)
		defer cancel()
		removing := time.Now()
		if cerr := removeOwned(cctx, env, j.namespace, ds.Name); cerr != nil {
			cerr = causeOf(ctx, &cleanupError{err: cerr})
			env.Partial(cerr)
			env.left.add(env, "DaemonSet", ds.ObjectMeta, cerr)
		}
		env.Log.Debug("daemonset removed", "daemonset", j.namespace+"/"+ds.Name, "took", time.Since(removing))
	}()
	if _, err := env.Client.AppsV1().DaemonSets(j.namespace).Create(ctx, ds, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create daemonset %s/%s: %w", j.namespace, ds.Name, err)
	}
	env.Log.Info("daemonset created", "daemonset", j.namespace+"/"+ds.Name)
	pods, err := j.waitPods(ctx, env, ds)
	if err != nil {
		return err
	}
	env.Log.Debug("daemonset pods settled", "daemonset", j.namespace+"/"+ds.Name, "pods", len(pods), "took", time.Since(began))
	copying := time.Now()
	var g errgroup.Group
	g.SetLimit(env.Workers())
	for _, p := range pods {
		g.Go(func() error { return j.collectNode(ctx, env, p) })
	}
	err = g.Wait()
	env.Log.Debug("copied from nodes", "daemonset", j.namespace+"/"+ds.Name, "took", time.Since(copying))
	return err
}

// waitPods waits until every pod of the DaemonSet is ready or has failed,
// for daemonSetTimeout plus timeout (the command runs before a pod is
// ready), and returns the pods by node. Pods still not ready then are
// returned as they are; collectNode records why.
func (j *nodeJob) waitPods(ctx context.Context, env *Env, ds *appsv1.DaemonSet) ([]corev1.Pod, error) {
	limit := j.daemonSetTimeout + j.timeout
	what := "daemonset " + j.namespace + "/" + ds.Name
	daemonSets := live.DaemonSets(env.Client, j.namespace, what, metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("metadata.name", ds.Name).String()})
	pods := live.Pods(env.Client, j.namespace, "pods of "+what, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(ds.Spec.Selector.MatchLabels).String()})
	// want is what the DaemonSet controller says it schedules, 0 before it
	// has said.
	want := func() int {
		cur, ok := daemonSets.Objects[j.namespace+"/"+ds.Name].(*appsv1.DaemonSet)
		if !ok || cur.Status.ObservedGeneration < cur.Generation {
			return 0
		}
		return int(cur.Status.DesiredNumberScheduled)
	}
	// settled is asked on every change: it looks at the pods in place.
	settled := func() bool {
		if n := want(); n == 0 || len(pods.Objects) < n {
			return false
		}
		for _, o := range pods.Objects {
			if p := o.(*corev1.Pod); !podReady(p) && podFailure(p) == "" {
				return false
			}
		}
		return true
	}
	if _, err := live.WaitUntil(ctx, time.Now().Add(limit), []*live.Set{daemonSets, pods}, settled); err != nil {
		return nil, err
	}
	// The pods as they are, settled or at the deadline.
	list := make([]corev1.Pod, 0, len(pods.Objects))
	for _, o := range pods.Objects {
		list = append(list, *o.(*corev1.Pod))
	}
	if want() == 0 && len(list) == 0 {
		// Nothing seen may mean nothing was asked: an API server that
		// went away during the wait is the truthful reason, not the
		// DaemonSet's.
		if ctx.Err() == nil {
			if err := probe(ctx, env); err != nil {
				return nil, fmt.Errorf("%s: waited %s for its pods: %w", what, limit, err)
			}
		}
		return nil, fmt.Errorf("%s placed no pod on any node within %s", what, limit)
	}
	sort.Slice(list, func(a, b int) bool { return list[a].Spec.NodeName < list[b].Spec.NodeName })
	return list, nil
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// podFailure says why a pod will not become ready on its own (the command
// failed, the image cannot be pulled), or "" while it may still.
func podFailure(p *corev1.Pod) string {
	for _, st := range append(append([]corev1.ContainerStatus{}, p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...) {
		if t := st.State.Terminated; t != nil && t.ExitCode != 0 {
			return fmt.Sprintf("container %s exited with code %d (%s)", st.Name, t.ExitCode, t.Reason)
		}
		if t := st.LastTerminationState.Terminated; t != nil && t.ExitCode != 0 {
			return fmt.Sprintf("container %s exited with code %d (%s)", st.Name, t.ExitCode, t.Reason)
		}
		if w := st.State.Waiting; w != nil {
			switch w.Reason {
			case "ErrImagePull", "ImagePullBackOff", "InvalidImageName", "CreateContainerConfigError", "CreateContainerError":
				return fmt.Sprintf("container %s is waiting: %s: %s", st.Name, w.Reason, w.Message)
			}
		}
	}
	if p.Status.Phase == corev1.PodFailed {
		return "pod failed: " + p.Status.Reason + " " + p.Status.Message
	}
	return ""
}

// collectNode copies one node's folder out, or records why it could not:
// the pod itself, its collector's output and an error file.
func (j *nodeJob) collectNode(ctx context.Context, env *Env, p corev1.Pod) error {
	node := p.Spec.NodeName
	if node == "" {
		node = "unscheduled-" + p.Name
	}
	dir := path.Join(pathSafe(j.name), pathSafe(node))
	if !podReady(&p) {
		why := podFailure(&p)
		if why == "" {
			why = fmt.Sprintf("pod %s/%s is not ready after %s (phase %s)", p.Namespace, p.Name, j.daemonSetTimeout+j.timeout, p.Status.Phase)
		}
		return j.recordFailure(ctx, env, &p, dir, "pod-not-ready-error.txt", why)
	}
	target := dir
	if j.sub != "" {
		target = path.Join(dir, j.sub)
	}
	cmd := []string{"tar", "cf", "-", "-C", j.copyDir, j.copyWhat}
	if !j.extract {
		err := podexec.Tar(ctx, env.Client, env.Config, p.Namespace, p.Name, keeperName, cmd, func(r io.Reader) error {
			return env.Out.copyTar(target+".tar", r)
		})
		if err != nil {
			return j.recordFailure(ctx, env, &p, dir, "file-copy-error.txt", err.Error())
		}
		return nil
	}
	err := podexec.Tar(ctx, env.Client, env.Config, p.Namespace, p.Name, keeperName, cmd, func(r io.Reader) error {
		return extractInto(env, r, target, dir, "node "+node)
	})
	if err != nil {
		return j.recordFailure(ctx, env, &p, dir, "file-copy-error.txt", err.Error())
	}
	return nil
}

// extractInto extracts a tar stream into the bundle folder target, listing
// what was refused (and links, which bundles cannot hold) in
// reportDir/extract-report.json.
func extractInto(env *Env, r io.Reader, target, reportDir, what string) error {
	res, err := archive.Extract(r, func(name string) (io.WriteCloser, error) {
		return env.Out.Create(path.Join(target, name))
	}, archive.Limits{})
	if len(res.Refused) > 0 || len(res.Links) > 0 {
		if werr := env.Out.WriteJSON(path.Join(reportDir, "extract-report.json"), res); werr != nil {
			return werr
		}
	}
	if len(res.Refused) > 0 {
		env.Partial(fmt.Errorf("%s: %d archive entries refused (see %s/extract-report.json)", what, len(res.Refused), reportDir))
	}
	if err == nil && res.Files == 0 && len(res.Refused) == 0 && len(res.Links) == 0 {
		// A collector that ran and wrote nothing (a command that found
		// nothing to copy, an output folder it did not use) leaves an
		// empty folder a support engineer would take for "nothing
		// there": said in the bundle and the run's status instead.
		env.Partial(fmt.Errorf("%s: the collector wrote no file", what))
	}
	return err
}

// recordFailure writes what a support engineer needs to see why a node gave
// nothing: the pod, its collector container's output and the error.
func (j *nodeJob) recordFailure(ctx context.Context, env *Env, p *corev1.Pod, dir, errFile, msg string) error {
	env.Partial(fmt.Errorf("node %s: %s", p.Spec.NodeName, firstLine(msg)))
	stamp := env.Options.Now().UTC().Format(time.RFC3339)
	if err := env.Out.WriteFile(path.Join(dir, errFile), []byte(stamp+" "+msg+"\n")); err != nil {
		return err
	}
	if err := env.Out.WriteJSON(path.Join(dir, "pod-collector.json"), p); err != nil {
		return err
	}
	container := keeperName
	if len(p.Spec.InitContainers) > 0 {
		container = p.Spec.InitContainers[0].Name
	}
	stream, err := env.Client.CoreV1().Pods(p.Namespace).GetLogs(p.Name, &corev1.PodLogOptions{Container: container}).Stream(ctx)
	if err != nil {
		return env.Out.WriteFile(path.Join(dir, "pod-collector-log-error.txt"), []byte(stamp+" logs of container "+container+": "+err.Error()+"\n"))
	}
	defer stream.Close()
	return env.Out.copy(path.Join(dir, "pod-collector.log"), stream)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}
