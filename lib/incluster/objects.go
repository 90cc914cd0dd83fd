package incluster

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/mesosphere/dkp-diagnose/lib/collect"
)

// OutputPath is the folder of a Job pod the bundles and the shard result
// are written to (an emptyDir), and copied out of.
const OutputPath = "/output"

// SpecPath is the folder of a Job pod holding the run's spec and redactor
// files: the keys of RunSpec.SpecSecret, mounted read-only.
const SpecPath = "/etc/dkp-diagnose/spec"

// WorkerContainer is the name of the Job pod's container.
const WorkerContainer = "worker"

// collectorLabel is the collector label's value on the objects of an
// in-cluster run (node collectors put their spec key there).
const collectorLabel = "in-cluster"

var runIDShape = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,18}[a-z0-9])?$`)

// CheckRunID accepts a run ID that can name objects: lower-case letters,
// digits and dashes, at most 20 characters.
func CheckRunID(id string) error {
	if !runIDShape.MatchString(id) {
		return fmt.Errorf("run ID %q: want 1 to 20 lower-case letters, digits or dashes", id)
	}
	return nil
}

// RunSpec says what an in-cluster run creates in the management cluster.
type RunSpec struct {
	// RunID names the run's objects: namespace, ClusterRole and binding
	// dkp-diagnose-<RunID>; a second Create with the same ID finds them.
	RunID string
	// Image is the dkp-diagnose image the pods run; PullPolicy and
	// PullSecret (in the run's namespace) as for node collectors.
	Image      string
	PullPolicy corev1.PullPolicy
	PullSecret string
	// Shards is the number of Job indexes (completions = parallelism).
	Shards int
	// Command and Args are the worker container's: the caller's command
	// line for a shard, which reads its index from JOB_COMPLETION_INDEX.
	Command, Args []string
	// Env is added to the worker container; SecretEnv, when set, is the
	// name of a Secret (created by the caller in the run's namespace, see
	// Secret) whose keys become environment variables: upload credentials.
	Env       []corev1.EnvVar
	SecretEnv string
	// SpecSecret, when set, is the name of a Secret (created by the caller
	// in the run's namespace, see Secret) mounted read-only at SpecPath,
	// one file per key: the caller's spec and redactor files, which Args
	// name. A Secret, not a ConfigMap: specs may hold credentials (an HTTP
	// collector's headers) and redactors may name what is secret.
	SpecSecret string
	// Lifetime bounds the Job (activeDeadlineSeconds) and is when a later
	// run may sweep the objects if this one never removes them.
	Lifetime time.Duration
	// Now is the clock of the expiry annotation; nil means time.Now.
	Now func() time.Time
}

func (r *RunSpec) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// Name is the name of the run's namespace, ClusterRole, binding and Job.
func (r *RunSpec) Name() string { return "dkp-diagnose-" + r.RunID }

// Labels are on every object of the run: ours (managed-by), this run's.
func (r *RunSpec) Labels() map[string]string {
	return map[string]string{collect.LabelManagedBy: collect.ManagedBy, collect.LabelRun: r.RunID, collect.LabelCollector: collectorLabel}
}

func (r *RunSpec) meta(namespace string) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name: r.Name(), Namespace: namespace, Labels: r.Labels(),
		Annotations: map[string]string{collect.AnnotationExpires: r.now().Add(r.Lifetime).UTC().Format(time.RFC3339)},
	}
}

// Rules are what the worker's service account may do in the management
// cluster: read everything (the collectors list every resource type, read
// logs and custom resources, list Cluster API clusters and read their
// kubeconfig secrets), and what the default spec's node collector does
// there: create and delete its DaemonSet and pods, exec into them to copy
// their output. Nothing else is written.
var Rules = []rbacv1.PolicyRule{
	{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"get", "list", "watch"}},
	{APIGroups: []string{"apps"}, Resources: []string{"daemonsets"}, Verbs: []string{"create", "delete"}},
	{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"create", "delete"}},
	{APIGroups: []string{""}, Resources: []string{"pods/exec"}, Verbs: []string{"create"}},
}

// Objects are the objects of a run, in the order they are created.
type Objects struct {
	Namespace          *corev1.Namespace
	ServiceAccount     *corev1.ServiceAccount
	ClusterRole        *rbacv1.ClusterRole
	ClusterRoleBinding *rbacv1.ClusterRoleBinding
	Job                *batchv1.Job
}

// Objects builds the run's objects.
func (r *RunSpec) Objects() *Objects {
	ns := r.Name()
	o := &Objects{
		Namespace:      &corev1.Namespace{ObjectMeta: r.meta("")},
		ServiceAccount: &corev1.ServiceAccount{ObjectMeta: r.meta(ns)},
		ClusterRole:    &rbacv1.ClusterRole{ObjectMeta: r.meta(""), Rules: Rules},
	}
	o.ClusterRoleBinding = &rbacv1.ClusterRoleBinding{
		ObjectMeta: r.meta(""),
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: r.Name()},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: r.Name(), Namespace: ns}},
	}
	o.Job = r.job(ns)
	return o
}

func (r *RunSpec) job(ns string) *batchv1.Job {
	meta := r.meta(ns)
	c := corev1.Container{
		Name: WorkerContainer, Image: r.Image, ImagePullPolicy: r.PullPolicy,
		Command: r.Command, Args: r.Args, Env: r.Env,
		VolumeMounts: []corev1.VolumeMount{{Name: "output", MountPath: OutputPath}, {Name: "tmp", MountPath: "/tmp"}},
		// A pod collecting many clusters at once holds little in memory
		// (bundles stream to disk), but it may use a core.
		Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
			corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")}},
		SecurityContext: &corev1.SecurityContext{
			AllowPrivilegeEscalation: ptr.To(false), ReadOnlyRootFilesystem: ptr.To(true),
			Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		},
	}
	if r.SecretEnv != "" {
		c.EnvFrom = []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: r.SecretEnv}}}}
	}
	volumes := []corev1.Volume{
		{Name: "output", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
		{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
	}
	if r.SpecSecret != "" {
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: "spec", MountPath: SpecPath, ReadOnly: true})
		// Readable by the pod's group (fsGroup owns the files) only.
		volumes = append(volumes, corev1.Volume{Name: "spec", VolumeSource: corev1.VolumeSource{
			Secret: &corev1.SecretVolumeSource{SecretName: r.SpecSecret, DefaultMode: ptr.To(int32(0o440))}}})
	}
	pod := corev1.PodSpec{
		ServiceAccountName: r.Name(),
		RestartPolicy:      corev1.RestartPolicyNever,
		// The image's binary only needs its files: no root, no
		// privileges (scratch, static).
		SecurityContext: &corev1.PodSecurityContext{
			RunAsNonRoot: ptr.To(true), RunAsUser: ptr.To(int64(65532)), RunAsGroup: ptr.To(int64(65532)), FSGroup: ptr.To(int64(65532)),
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		},
		TerminationGracePeriodSeconds: ptr.To(int64(5)),
		NodeSelector:                  map[string]string{"kubernetes.io/os": "linux"},
		Containers:                    []corev1.Container{c},
		Volumes:                       volumes,
	}
	if r.PullSecret != "" {
		pod.ImagePullSecrets = []corev1.LocalObjectReference{{Name: r.PullSecret}}
	}
	n := int32(r.Shards)
	return &batchv1.Job{
		ObjectMeta: meta,
		Spec: batchv1.JobSpec{
			CompletionMode: ptr.To(batchv1.IndexedCompletion),
			Completions:    &n, Parallelism: &n,
			// A failed shard is reported, not retried: its pod may have
			// collected part of its clusters already.
			BackoffLimit:          ptr.To(int32(0)),
			ActiveDeadlineSeconds: ptr.To(int64(max(r.Lifetime, time.Minute) / time.Second)),
			// A safety net when the CLI never comes back: Kubernetes
			// removes the finished Job and its pods by itself.
			TTLSecondsAfterFinished: ptr.To(int32(600)),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: meta.Labels, Annotations: meta.Annotations},
				Spec:       pod,
			},
		},
	}
}

// Secret is a Secret in the run's namespace holding data (upload
// credentials), for RunSpec.SecretEnv; it goes with the namespace. Bytes
// that must stay as they are (files for RunSpec.SpecSecret) go in its Data.
func (r *RunSpec) Secret(name string, data map[string]string) *corev1.Secret {
	m := r.meta(r.Name())
	m.Name = name
	return &corev1.Secret{ObjectMeta: m, StringData: data}
}

// Create creates the run's objects, and the extra ones given (a Secret),
// in order. An object that exists already is left as it is: a second Create
// with the same run ID resumes that run.
func Create(ctx context.Context, cs kubernetes.Interface, r *RunSpec, extra ...*corev1.Secret) error {
	if err := CheckRunID(r.RunID); err != nil {
		return err
	}
	if r.Shards < 1 || r.Shards > MaxShards {
		return fmt.Errorf("shards: %d, want 1 to %d", r.Shards, MaxShards)
	}
	o := r.Objects()
	ns := o.Namespace.Name
	steps := []struct {
		what string
		do   func() error
	}{
		{"namespace " + ns, func() error {
			_, err := cs.CoreV1().Namespaces().Create(ctx, o.Namespace, metav1.CreateOptions{})
			return err
		}},
		{"serviceaccount " + ns + "/" + o.ServiceAccount.Name, func() error {
			_, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, o.ServiceAccount, metav1.CreateOptions{})
			return err
		}},
		{"clusterrole " + o.ClusterRole.Name, func() error {
			_, err := cs.RbacV1().ClusterRoles().Create(ctx, o.ClusterRole, metav1.CreateOptions{})
			return err
		}},
		{"clusterrolebinding " + o.ClusterRoleBinding.Name, func() error {
			_, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, o.ClusterRoleBinding, metav1.CreateOptions{})
			return err
		}},
	}
	for _, s := range extra {
		steps = append(steps, struct {
			what string
			do   func() error
		}{"secret " + ns + "/" + s.Name, func() error {
			_, err := cs.CoreV1().Secrets(ns).Create(ctx, s, metav1.CreateOptions{})
			return err
		}})
	}
	steps = append(steps, struct {
		what string
		do   func() error
	}{"job " + ns + "/" + o.Job.Name, func() error {
		_, err := cs.BatchV1().Jobs(ns).Create(ctx, o.Job, metav1.CreateOptions{})
		return err
	}})
	for _, s := range steps {
		if err := s.do(); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create %s: %w", s.what, err)
		}
	}
	return nil
}

// FindRun returns the Job of run ID, nil when there is none: a run to
// resume, whose shard count is the Job's completions.
func FindRun(ctx context.Context, cs kubernetes.Interface, runID string) (*batchv1.Job, error) {
	r := &RunSpec{RunID: runID}
	j, err := cs.BatchV1().Jobs(r.Name()).Get(ctx, r.Name(), metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("look for run %s: %w", runID, err)
	}
	return j, nil
}

// Remove deletes everything run ID created (its namespace, which takes the
// service account, Job, pods and secrets with it, and its ClusterRole and
// binding) and waits, within ctx, until the namespace is gone: a run
// leaves nothing behind.
func Remove(ctx context.Context, cs kubernetes.Interface, runID string) error {
	sel := labels.Set{collect.LabelManagedBy: collect.ManagedBy, collect.LabelRun: runID, collect.LabelCollector: collectorLabel}.String()
	return removeMatching(ctx, cs, sel, nil)
}

// SweepExpired removes the objects of in-cluster runs whose expiry has
// passed at now (runs whose CLI never came back to remove them); runs still
// going are left alone.
func SweepExpired(ctx context.Context, cs kubernetes.Interface, now time.Time) error {
	sel := labels.Set{collect.LabelManagedBy: collect.ManagedBy, collect.LabelCollector: collectorLabel}.String()
	return removeMatching(ctx, cs, sel, func(m metav1.Object) bool {
		t, err := time.Parse(time.RFC3339, m.GetAnnotations()[collect.AnnotationExpires])
		return err != nil || t.Before(now)
	})
}

func removeMatching(ctx context.Context, cs kubernetes.Interface, sel string, pick func(metav1.Object) bool) error {
	if pick == nil {
		pick = func(metav1.Object) bool { return true }
	}
	opts := metav1.ListOptions{LabelSelector: sel}
	bg := metav1.DeletePropagationBackground
	del := metav1.DeleteOptions{PropagationPolicy: &bg}
	var errs []error
	keep := func(err error, what string) {
		if err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("delete %s: %w", what, err))
		}
	}
	var gone []string
	if l, err := cs.CoreV1().Namespaces().List(ctx, opts); err != nil {
		errs = append(errs, fmt.Errorf("list namespaces of ours: %w", err))
	} else {
		for _, o := range l.Items {
			if pick(&o) {
				gone = append(gone, o.Name)
			}
		}
	}
	// The Job first, and its pods waited for: a worker told to stop
	// removes what it made (its node collectors' DaemonSets) with its
	// service account's rights, which must outlive it.
	for _, ns := range gone {
		keep(cs.BatchV1().Jobs(ns).Delete(ctx, ns, del), "job "+ns+"/"+ns)
	}
	for _, ns := range gone {
		if err := waitPodsGone(ctx, cs, ns); err != nil {
			errs = append(errs, err)
		}
	}
	if l, err := cs.RbacV1().ClusterRoleBindings().List(ctx, opts); err != nil {
		errs = append(errs, fmt.Errorf("list clusterrolebindings of ours: %w", err))
	} else {
		for _, o := range l.Items {
			if pick(&o) {
				keep(cs.RbacV1().ClusterRoleBindings().Delete(ctx, o.Name, del), "clusterrolebinding "+o.Name)
			}
		}
	}
	if l, err := cs.RbacV1().ClusterRoles().List(ctx, opts); err != nil {
		errs = append(errs, fmt.Errorf("list clusterroles of ours: %w", err))
	} else {
		for _, o := range l.Items {
			if pick(&o) {
				keep(cs.RbacV1().ClusterRoles().Delete(ctx, o.Name, del), "clusterrole "+o.Name)
			}
		}
	}
	for _, ns := range gone {
		keep(cs.CoreV1().Namespaces().Delete(ctx, ns, del), "namespace "+ns)
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	// Waited for, so that "nothing left" is true when Remove returns.
	for _, ns := range gone {
		err := wait.PollUntilContextCancel(ctx, 500*time.Millisecond, true, func(ctx context.Context) (bool, error) {
			_, err := cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				return true, nil
			}
			return false, err
		})
		if err != nil {
			return fmt.Errorf("wait for namespace %s to be removed: %w", ns, err)
		}
	}
	return nil
}

// podsGoneWait bounds the wait for a run's pods to end before its rights
// are taken away: their grace period (5 s) and the time the garbage
// collector takes to delete them. A pod that takes longer (its node is
// gone) is left to the namespace's removal.
const podsGoneWait = 30 * time.Second

// waitPodsGone waits until namespace ns has no pod, at most podsGoneWait.
func waitPodsGone(ctx context.Context, cs kubernetes.Interface, ns string) error {
	wctx, cancel := context.WithTimeout(ctx, podsGoneWait)
	defer cancel()
	err := wait.PollUntilContextCancel(wctx, 250*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		l, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, nil // the namespace is going: keep trying until the bound
		}
		return len(l.Items) == 0, nil
	})
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("wait for the pods of %s to end: %w", ns, ctx.Err())
	}
	return nil
}

// IndexOf is the Job completion index of one of the run's pods, -1 when
// it has none.
func IndexOf(p *corev1.Pod) int {
	i, err := strconv.Atoi(p.Annotations[batchv1.JobCompletionIndexAnnotation])
	if err != nil {
		return -1
	}
	return i
}

// ImageRepository is where released dkp-diagnose images live.
const ImageRepository = "docker.io/mesosphere/dkp-diagnose"

// DefaultImage is the dkp-diagnose image matching a tool version, as the
// node-collector image is chosen: a release's own tag, "dev" for
// development builds (what a local build produces).
func DefaultImage(toolVersion string) string {
	tag := "dev"
	if len(toolVersion) > 1 && toolVersion[0] == 'v' {
		tag = toolVersion
	}
	return ImageRepository + ":" + tag
}
