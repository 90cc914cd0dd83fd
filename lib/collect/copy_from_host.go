package collect

import (
	"context"
	"fmt"
	"path"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
)

func init() { register("copyFromHost", newCopyFromHost) }

// copyFromHost copies a host path from every node into <name>/<node>/<base>,
// through a DaemonSet that mounts the path read-only.
type copyFromHost struct {
	s                  *spec.CopyFromHost
	timeout, dsTimeout time.Duration
}

func newCopyFromHost(s *spec.CopyFromHost) (Collector, error) {
	if s.Name == "" {
		return nil, fmt.Errorf("name is required: it names the bundle folder")
	}
	if !path.IsAbs(s.HostPath) || path.Clean(s.HostPath) == "/" {
		return nil, fmt.Errorf("hostPath %q must be an absolute path below /", s.HostPath)
	}
	timeout, dsTimeout, err := nodeTimeouts(s.Timeout, s.DaemonSetTimeout)
	if err != nil {
		return nil, err
	}
	return &copyFromHost{s: s, timeout: timeout, dsTimeout: dsTimeout}, nil
}

func (c *copyFromHost) Collect(ctx context.Context, env *Env) error {
	s := c.s
	hostPath := path.Clean(s.HostPath)
	mount := path.Join(hostMount, hostPath)
	pod := corev1.PodSpec{
		ImagePullSecrets: pullSecrets(env, s.ImagePullSecret),
		Volumes: []corev1.Volume{{Name: "host-path", VolumeSource: corev1.VolumeSource{
			HostPath: &corev1.HostPathVolumeSource{Path: hostPath}}}},
		Containers: []corev1.Container{keeper(nodeImage(env, s.Image), s.ImagePullPolicy,
			[]corev1.VolumeMount{{Name: "host-path", MountPath: mount, ReadOnly: true}})},
	}
	if s.IncludeControlPlane {
		pod.Tolerations = append(pod.Tolerations, controlPlaneTolerations...)
	}
	ns := s.Namespace
	if ns == "" {
		ns = defaultNodeNamespace
	}
	j := &nodeJob{
		key: "copyFromHost", name: s.Name, namespace: ns, pod: pod,
		copyDir: path.Dir(mount), copyWhat: path.Base(mount), extract: s.ExtractArchive,
		timeout: c.timeout, daemonSetTimeout: c.dsTimeout,
	}
	return j.run(ctx, env)
}
