package spec

import corev1 "k8s.io/api/core/v1"

// ImagePullSecret names an existing secret of type
// kubernetes.io/dockerconfigjson in the collector's namespace.
type ImagePullSecret struct {
	Name string `json:"name"`
}

// ExecCopyFromHost runs an image on every node (a DaemonSet) with the host's
// root filesystem at /host and copies what its command writes into /output
// to <name>/<node>/data/. It is D2iQ's extension of troubleshoot.sh.
type ExecCopyFromHost struct {
	CollectorMeta   `json:",inline"`
	Name            string           `json:"name,omitempty"`
	Namespace       string           `json:"namespace,omitempty"`
	Image           string           `json:"image,omitempty"`
	ImagePullPolicy string           `json:"imagePullPolicy,omitempty"`
	ImagePullSecret *ImagePullSecret `json:"imagePullSecret,omitempty"`
	// PauseImage runs the container that keeps the output until it is
	// copied out; it needs `tar` and `sleep`. Empty: the collector image.
	PauseImage string `json:"pauseImage,omitempty"`
	// Timeout bounds the command on each node, counted once the DaemonSet is
	// ready; DaemonSetTimeout bounds the wait for it to become ready.
	Timeout             string   `json:"timeout,omitempty"`
	DaemonSetTimeout    string   `json:"daemonSetTimeout,omitempty"`
	Command             []string `json:"command,omitempty"`
	Args                []string `json:"args,omitempty"`
	WorkingDir          string   `json:"workingDir,omitempty"`
	IncludeControlPlane bool     `json:"includeControlPlane,omitempty"`
	Privileged          bool     `json:"privileged,omitempty"`
	Capabilities        []string `json:"capabilities,omitempty"`
	RunAsUser           *int64   `json:"runAsUser,omitempty"`
	RunAsNonRoot        *bool    `json:"runAsNonRoot,omitempty"`
	HostNetwork         bool     `json:"hostNetwork,omitempty"`
	HostPID             bool     `json:"hostPID,omitempty"`
	HostIPC             bool     `json:"hostIPC,omitempty"`
	ExtractArchive      bool     `json:"extractArchive,omitempty"`
}

// CopyFromHost copies a host path from every node into <name>/<node>/.
type CopyFromHost struct {
	CollectorMeta       `json:",inline"`
	Name                string           `json:"name,omitempty"`
	Namespace           string           `json:"namespace,omitempty"`
	Image               string           `json:"image,omitempty"`
	ImagePullPolicy     string           `json:"imagePullPolicy,omitempty"`
	ImagePullSecret     *ImagePullSecret `json:"imagePullSecret,omitempty"`
	Timeout             string           `json:"timeout,omitempty"`
	DaemonSetTimeout    string           `json:"daemonSetTimeout,omitempty"`
	HostPath            string           `json:"hostPath"`
	IncludeControlPlane bool             `json:"includeControlPlane,omitempty"`
	ExtractArchive      bool             `json:"extractArchive,omitempty"`
}

// Exec runs a command in the selected pods and keeps its output.
type Exec struct {
	CollectorMeta `json:",inline"`
	Name          string   `json:"name,omitempty"`
	Selector      []string `json:"selector,omitempty"`
	Namespace     string   `json:"namespace,omitempty"`
	ContainerName string   `json:"containerName,omitempty"`
	Command       []string `json:"command,omitempty"`
	Args          []string `json:"args,omitempty"`
	Timeout       string   `json:"timeout,omitempty"`
}

// Copy copies a path out of the selected pods' containers.
type Copy struct {
	CollectorMeta  `json:",inline"`
	Name           string   `json:"name,omitempty"`
	Selector       []string `json:"selector,omitempty"`
	Namespace      string   `json:"namespace,omitempty"`
	ContainerPath  string   `json:"containerPath"`
	ContainerName  string   `json:"containerName,omitempty"`
	ExtractArchive bool     `json:"extractArchive,omitempty"`
	Timeout        string   `json:"timeout,omitempty"`
}

// RunPod runs a pod to completion and keeps its logs and final state.
type RunPod struct {
	CollectorMeta   `json:",inline"`
	Name            string            `json:"name,omitempty"`
	Namespace       string            `json:"namespace,omitempty"`
	Timeout         string            `json:"timeout,omitempty"`
	ImagePullSecret *ImagePullSecret  `json:"imagePullSecret,omitempty"`
	PodSpec         corev1.PodSpec    `json:"podSpec"`
	Annotations     map[string]string `json:"annotations,omitempty"`
}
