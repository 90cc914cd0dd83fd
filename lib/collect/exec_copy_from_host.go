package collect

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
)

func init() { register("execCopyFromHost", newExecCopyFromHost) }

// Where the host and the output folder are mounted in the collector's
// container; the command is told through its own arguments.
const (
	hostMount   = "/host"
	outputMount = "/output"
	keeperMount = "/data"
)

// execCopyFromHost runs the spec's image with the host root at /host on every
// node (control-plane nodes when asked) and copies what it writes to /output
// into <name>/<node>/data/.
type execCopyFromHost struct {
	s                  *spec.ExecCopyFromHost
	timeout, dsTimeout time.Duration
}

func newExecCopyFromHost(s *spec.ExecCopyFromHost) (Collector, error) {
	if s.Name == "" {
		return nil, fmt.Errorf("name is required: it names the bundle folder")
	}
	if len(s.Command) == 0 && s.Image != "" {
		// Only our own image (image left empty) knows what to run.
		return nil, fmt.Errorf("command is required with image %q", s.Image)
	}
	timeout, dsTimeout, err := nodeTimeouts(s.Timeout, s.DaemonSetTimeout)
	if err != nil {
		return nil, err
	}
	return &execCopyFromHost{s: s, timeout: timeout, dsTimeout: dsTimeout}, nil
}

func (c *execCopyFromHost) Collect(ctx context.Context, env *Env) error {
	j, err := c.job(env)
	if err != nil {
		return err
	}
	return j.run(ctx, env)
}

// job builds the DaemonSet's pod: the command runs as an init container, so
// a pod is ready exactly when its node's output is complete, and the keeper
// holds the output until it is copied.
func (c *execCopyFromHost) job(env *Env) (*nodeJob, error) {
	s, timeout := c.s, c.timeout
	image := nodeImage(env, s.Image)
	command, args := s.Command, s.Args
	if len(command) == 0 {
		// Our node-collector image: its program and where things are.
		command = []string{"node-collector"}
		args = []string{"--host-root", hostMount, "--output", outputMount, "--timeout", timeout.String()}
	}
	sc := &corev1.SecurityContext{RunAsUser: s.RunAsUser, RunAsNonRoot: s.RunAsNonRoot}
	if s.Privileged {
		sc.Privileged = &s.Privileged
	}
	for _, cap := range s.Capabilities {
		if sc.Capabilities == nil {
			sc.Capabilities = &corev1.Capabilities{}
		}
		sc.Capabilities.Add = append(sc.Capabilities.Add, corev1.Capability(cap))
	}
	pauseImage := s.PauseImage
	if pauseImage == "" {
		pauseImage = image
	}
	hostType := corev1.HostPathDirectory
	pod := corev1.PodSpec{
		HostNetwork:      s.HostNetwork,
		HostPID:          s.HostPID,
		HostIPC:          s.HostIPC,
		ImagePullSecrets: pullSecrets(env, s.ImagePullSecret),
		Volumes: []corev1.Volume{
			{Name: "host", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/", Type: &hostType}}},
			{Name: "output", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
		},
		InitContainers: []corev1.Container{{
			Name:            collectorName,
			Image:           image,
			ImagePullPolicy: corev1.PullPolicy(s.ImagePullPolicy),
			Command:         command,
			Args:            args,
			WorkingDir:      s.WorkingDir,
			SecurityContext: sc,
			VolumeMounts: []corev1.VolumeMount{
				// Read-only: diagnosing a node must not change it.
				{Name: "host", MountPath: hostMount, ReadOnly: true},
				{Name: "output", MountPath: outputMount},
			},
		}},
		Containers: []corev1.Container{keeper(pauseImage, s.ImagePullPolicy, []corev1.VolumeMount{{Name: "output", MountPath: keeperMount}})},
	}
	if s.IncludeControlPlane {
		pod.Tolerations = append(pod.Tolerations, controlPlaneTolerations...)
	}
	ns := s.Namespace
	if ns == "" {
		ns = defaultNodeNamespace
	}
	return &nodeJob{
		key: "execCopyFromHost", name: s.Name, namespace: ns, pod: pod,
		copyDir: keeperMount, copyWhat: ".", sub: "data", extract: s.ExtractArchive,
		timeout: timeout, daemonSetTimeout: c.dsTimeout,
	}, nil
}
