package troubleshoot

import (
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
)

// clusterPodStatuses and clusterContainerStatuses: every pod (or container)
// of the bundle, or of some namespaces, against outcomes whose when names a
// phase, a status reason or "Healthy".

func init() {
	register("clusterPodStatuses", func(b *bundle, s any) ([]*Result, error) {
		a := s.(*spec.ClusterPodStatusesAnalyze)
		rs, err := clusterPodStatuses(b, a)
		return setStrict(rs, a.AnalyzeMeta), err
	})
	register("clusterContainerStatuses", func(b *bundle, s any) ([]*Result, error) {
		return clusterContainerStatuses(b, s.(*spec.ClusterContainerStatusesAnalyze))
	})
}

// eachPodFile decodes the pod files of the namespaces selected (all when
// none is), one file at a time. A file is a PodList or a bare array.
func (b *bundle) eachPodFile(namespaces []string, fn func(name string, pods []corev1.Pod) error) error {
	return b.each("cluster-resources/pods/*.json", nil, func(name string, data []byte) error {
		ns := strings.TrimSuffix(path.Base(name), ".json")
		if len(namespaces) > 0 && !slices.Contains(namespaces, ns) {
			return nil
		}
		var list corev1.PodList
		if err := json.Unmarshal(data, &list); err != nil {
			var arr []corev1.Pod
			if err := json.Unmarshal(data, &arr); err != nil {
				return fmt.Errorf("failed to unmarshal pods list for namespace %s: %w", ns, err)
			}
			list.Items = arr
		}
		return fn(name, list.Items)
	})
}

// podWarnings returns, per pod name, the messages of Warning events about
// pods of namespace ns (read once per namespace).
func (b *bundle) podWarnings(cache map[string]map[string][]string, ns string) map[string][]string {
	if m, ok := cache[ns]; ok {
		return m
	}
	m := map[string][]string{}
	cache[ns] = m
	data, err := readQuiet(b, path.Join("cluster-resources/events", ns+".json"))
	if err != nil {
		return m
	}
	var events []corev1.Event
	if err := json.Unmarshal(data, &events); err != nil {
		var list corev1.EventList
		_ = json.Unmarshal(data, &list)
		events = list.Items
	}
	for _, e := range events {
		o := e.InvolvedObject
		if o.Kind == "Pod" && o.Namespace == ns && e.Type == "Warning" && e.Message != "" {
			m[o.Name] = append(m[o.Name], e.Message)
		}
	}
	return m
}

// readQuiet reads a file without making it the one results cite.
func readQuiet(b *bundle, name string) ([]byte, error) {
	last := b.lastFile
	data, err := b.read(name)
	b.lastFile = last
	return data, err
}

func clusterPodStatuses(b *bundle, a *spec.ClusterPodStatusesAnalyze) ([]*Result, error) {
	out := []*Result{}
	warnings := map[string]map[string][]string{}
	err := b.eachPodFile(a.Namespaces, func(name string, pods []corev1.Pod) error {
		for i := range pods {
			pod := &pods[i]
			if pod.Status.Reason == "" {
				pod.Status.Reason, pod.Status.Message = podStatusReason(pod)
			}
			if pod.Status.Message == "" {
				pod.Status.Message = strings.Join(b.podWarnings(warnings, pod.Namespace)[pod.Name], ". ")
			}
			for _, o := range a.Outcomes {
				r, when, ok := pick(o)
				if !ok {
					continue
				}
				if when != "" {
					parts := strings.Split(strings.TrimSpace(when), " ")
					if len(parts) < 2 {
						continue // troubleshoot logs an invalid when and goes on
					}
					op, reason := parts[0], parts[1]
					match := false
					switch op {
					case "=", "==", "===":
						if reason == "Healthy" {
							match = !podUnhealthy(pod)
						} else {
							match = reason == string(pod.Status.Phase) || reason == pod.Status.Reason
						}
					case "!=", "!==":
						if reason == "Healthy" {
							match = podUnhealthy(pod)
						} else {
							match = reason != string(pod.Status.Phase) && reason != pod.Status.Reason
						}
					}
					if !match {
						continue
					}
				}
				r.InvolvedObject = &corev1.ObjectReference{APIVersion: "v1", Kind: "Pod", Namespace: pod.Namespace, Name: pod.Name}
				r.Title = a.CheckName
				if r.Title == "" {
					r.Title = "Pod {{ .Namespace }}/{{ .Name }} status"
				}
				if r.Message == "" {
					r.Message = "Pod {{ .Namespace }}/{{ .Name }} status is {{ .Status.Reason }}. Message is: {{ .Status.Message }}"
				}
				if pod.Status.Message == "" {
					pod.Status.Message = "None"
				}
				title, err := render(r.Title, pod)
				if err != nil {
					return fmt.Errorf("failed to render template: %w", err)
				}
				msg, err := render(r.Message, pod)
				if err != nil {
					return fmt.Errorf("failed to create new title template: %w", err)
				}
				r.Title, r.Message, r.File = title, strings.TrimSpace(msg), name
				out = append(out, &r)
				break
			}
		}
		return nil
	})
	return out, err
}

// containerMatch is what a clusterContainerStatuses message may template.
type containerMatch struct {
	Namespace     string
	PodName       string
	ContainerName string
	Ready         bool
	RestartCount  int32
	Message       string
}

func clusterContainerStatuses(b *bundle, a *spec.ClusterContainerStatusesAnalyze) ([]*Result, error) {
	title := a.CheckName
	if title == "" {
		title = "Cluster Container Status"
	}
	type podContainers struct {
		name, namespace, file string
		statuses              []corev1.ContainerStatus
	}
	// Pods with a container restarted at least restartCount times, each
	// with those containers only.
	var pods []podContainers
	err := b.eachPodFile(a.Namespaces, func(name string, list []corev1.Pod) error {
		for i := range list {
			p := podContainers{name: list[i].Name, namespace: list[i].Namespace, file: name}
			for _, cs := range list[i].Status.ContainerStatuses {
				if cs.RestartCount >= a.RestartCount {
					p.statuses = append(p.statuses, cs)
				}
			}
			if len(p.statuses) > 0 {
				pods = append(pods, p)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("failed to read collected pods: %w", err)
	}
	results := []*Result{}
	for _, o := range a.Outcomes {
		r, when, ok := pick(o)
		if !ok {
			continue
		}
		r.Title = title
		r.IconKey, r.IconURI = "kubernetes_container_statuses", "https://troubleshoot.sh/images/analyzer-icons/kubernetes.svg?w=16&h=16"
		if when == "" {
			if len(results) > 0 {
				return results, nil
			}
			return []*Result{&r}, nil
		}
		parts := strings.Split(strings.TrimSpace(when), " ")
		if len(parts) != 2 {
			return nil, fmt.Errorf("failed to analyze container statuses: failed to parse when: expected 2 parts in when %q", when)
		}
		var equal bool
		switch parts[0] {
		case "=", "==", "===":
			equal = true
		case "!=", "!==":
		default:
			return nil, fmt.Errorf("failed to analyze container statuses: failed to parse when: unexpected operator %q in containerStatuses reason", parts[0])
		}
		reason := parts[1]
		for _, p := range pods {
			matched, info := matchContainer(reason, p.name, p.namespace, p.statuses)
			if matched != equal {
				continue
			}
			// troubleshoot appends one shared result per match, so every
			// copy ends with the first match's message; each result here
			// has its own container's.
			one := r
			one.File = p.file
			one.Message = renderContainer(r.Message, &info)
			results = append(results, &one)
		}
	}
	return results, nil
}

func matchContainer(reason, pod, ns string, statuses []corev1.ContainerStatus) (bool, containerMatch) {
	matched := false
	info := containerMatch{Namespace: ns, PodName: pod}
	for _, cs := range statuses {
		info.ContainerName, info.Ready, info.RestartCount = cs.Name, cs.Ready, cs.RestartCount
		last, st := cs.LastTerminationState.Terminated, cs.State
		switch {
		case last != nil && strings.EqualFold(last.Reason, reason):
			matched, info.Message = true, last.Message
		case st.Terminated != nil && strings.EqualFold(st.Terminated.Reason, reason):
			matched, info.Message = true, st.Terminated.Message
		case st.Waiting != nil && strings.EqualFold(st.Waiting.Reason, reason):
			matched, info.Message = true, st.Waiting.Message
		}
	}
	return matched, info
}

func renderContainer(msg string, info *containerMatch) string {
	out, err := render(msg, info)
	if err != nil {
		return fmt.Sprintf("Container matched. Container: %s, Namespace: %s, Pod: %s", info.ContainerName, info.Namespace, info.PodName)
	}
	return strings.TrimSpace(out)
}

// podUnhealthy is troubleshoot's k8sutil.IsPodUnhealthy.
func podUnhealthy(pod *corev1.Pod) bool {
	switch pod.Status.Phase {
	case corev1.PodFailed, corev1.PodPending, corev1.PodUnknown:
		return true
	}
	reason, _ := podStatusReason(pod)
	if reason == "Completed" {
		return false
	}
	if reason != "Running" {
		return true
	}
	for _, cs := range pod.Status.ContainerStatuses {
		if !cs.Ready {
			return true
		}
	}
	return false
}

// podStatusReason is troubleshoot's k8sutil.GetPodStatusReason, itself
// kubectl's STATUS column, plus a message gathered on the way.
func podStatusReason(pod *corev1.Pod) (string, string) {
	reason := string(pod.Status.Phase)
	message := ""
	if pod.Status.Reason != "" {
		reason = pod.Status.Reason
	}
	initializing := false
	for i, c := range pod.Status.InitContainerStatuses {
		switch {
		case c.State.Terminated != nil && c.State.Terminated.ExitCode == 0:
			continue
		case c.State.Terminated != nil:
			switch {
			case c.State.Terminated.Reason != "":
				reason = "Init:" + c.State.Terminated.Reason
			case c.State.Terminated.Signal != 0:
				reason = fmt.Sprintf("Init:Signal:%d", c.State.Terminated.Signal)
			default:
				reason = fmt.Sprintf("Init:ExitCode:%d", c.State.Terminated.ExitCode)
			}
			initializing = true
		case c.State.Waiting != nil && c.State.Waiting.Reason != "" && c.State.Waiting.Reason != "PodInitializing":
			reason = "Init:" + c.State.Waiting.Reason
			initializing = true
		case nativeSidecar(pod, i) && c.State.Running != nil:
			continue
		default:
			reason = fmt.Sprintf("Init:%d/%d", i, len(pod.Spec.InitContainers))
			initializing = true
		}
		if t := c.LastTerminationState.Terminated; t != nil && t.Message != "" {
			message += t.Message
		}
		break
	}
	if !initializing {
		hasRunning := false
		for i := len(pod.Status.ContainerStatuses) - 1; i >= 0; i-- {
			c := pod.Status.ContainerStatuses[i]
			switch {
			case c.State.Waiting != nil && c.State.Waiting.Reason != "":
				reason = c.State.Waiting.Reason
				if t := c.LastTerminationState.Terminated; t != nil {
					if t.Message != "" {
						message += t.Message
					} else {
						message += fmt.Sprintf("ExitCode:%d", t.ExitCode)
					}
				}
			case c.State.Terminated != nil && c.State.Terminated.Reason != "":
				reason = c.State.Terminated.Reason
				message += fmt.Sprintf("ExitCode:%d", c.State.Terminated.ExitCode)
			case c.State.Terminated != nil:
				if c.State.Terminated.Signal != 0 {
					reason = fmt.Sprintf("Signal:%d", c.State.Terminated.Signal)
				} else {
					reason = fmt.Sprintf("ExitCode:%d", c.State.Terminated.ExitCode)
				}
			case c.Ready && c.State.Running != nil:
				hasRunning = true
			}
		}
		if reason == "Completed" && hasRunning {
			reason = "NotReady"
			for _, cond := range pod.Status.Conditions {
				if cond.Type == corev1.PodReady && cond.Status == corev1.ConditionTrue {
					reason = "Running"
				}
			}
		}
		for _, cond := range pod.Status.Conditions {
			if cond.Type == corev1.PodScheduled && cond.Status == corev1.ConditionFalse {
				message += cond.Message
			}
		}
	}
	if pod.DeletionTimestamp != nil && pod.Status.Reason == "NodeLost" {
		reason = "Unknown"
	} else if pod.DeletionTimestamp != nil {
		reason = "Terminating"
	}
	return reason, message
}

func nativeSidecar(pod *corev1.Pod, i int) bool {
	if i >= len(pod.Spec.InitContainers) {
		return false
	}
	p := pod.Spec.InitContainers[i].RestartPolicy
	return p != nil && *p == corev1.ContainerRestartPolicyAlways
}
