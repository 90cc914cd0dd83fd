package builtin

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/mesosphere/dkp-diagnose/lib/analyze"
)

// Waiting reasons of a container that cannot start.
var (
	imagePullReasons = map[string]bool{
		"ImagePullBackOff": true, "ErrImagePull": true, "InvalidImageName": true, "ErrImageNeverPull": true,
	}
	containerErrorReasons = map[string]bool{
		"CreateContainerConfigError": true, "CreateContainerError": true, "RunContainerError": true,
	}
)

// pods finds pods in CrashLoopBackOff, pods whose image cannot be pulled or
// whose container cannot be created (fail), pods the scheduler cannot place
// and containers killed for memory (warn). One finding per pod and kind of
// trouble, naming the containers.
func (r *run) pods() {
	for _, file := range resourceFiles(r.fsys, "pods") {
		err := decodeEach(r.fsys, file, func(_ listHead, p *podView) { r.pod(file, p) })
		r.unreadable(file, err)
	}
}

// podView is the part of a pod the analyzers read: decoding leaves the
// spec, most of a pod's bytes, unstored.
type podView struct {
	metav1.ObjectMeta `json:"metadata"`
	Status            corev1.PodStatus `json:"status"`
}

func (r *run) pod(file string, p *podView) {
	obj := object("Pod", p.Namespace, p.Name)
	var crash, pull, createErr, oom []string
	statuses := append(append([]corev1.ContainerStatus(nil), p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...)
	for _, cs := range statuses {
		if w := cs.State.Waiting; w != nil {
			switch {
			case w.Reason == "CrashLoopBackOff":
				s := fmt.Sprintf("%s (%d restarts", cs.Name, cs.RestartCount)
				if t := cs.LastTerminationState.Terminated; t != nil {
					s += fmt.Sprintf(", last exit %d %s", t.ExitCode, t.Reason)
				}
				crash = append(crash, s+")")
			case imagePullReasons[w.Reason]:
				pull = append(pull, fmt.Sprintf("%s: image %s: %s", cs.Name, cs.Image, conditionText(w.Reason, w.Message)))
			case containerErrorReasons[w.Reason]:
				createErr = append(createErr, fmt.Sprintf("%s: %s", cs.Name, conditionText(w.Reason, w.Message)))
			}
		}
		if oomKilled(cs.State.Terminated) || oomKilled(cs.LastTerminationState.Terminated) {
			oom = append(oom, fmt.Sprintf("%s (%d restarts)", cs.Name, cs.RestartCount))
		}
	}
	if len(crash) > 0 {
		r.add(analyze.Finding{
			Analyzer: IDPodCrashLoop, Severity: analyze.SeverityFail,
			Title:   fmt.Sprintf("Pod %s/%s is in CrashLoopBackOff", p.Namespace, p.Name),
			Message: "containers: " + strings.Join(crash, "; "), Object: obj, File: file,
		})
	}
	if len(pull) > 0 {
		r.add(analyze.Finding{
			Analyzer: IDPodImagePull, Severity: analyze.SeverityFail,
			Title:   fmt.Sprintf("Pod %s/%s cannot pull its image (ImagePullBackOff)", p.Namespace, p.Name),
			Message: strings.Join(pull, "; "), Object: obj, File: file,
		})
	}
	if len(createErr) > 0 {
		r.add(analyze.Finding{
			Analyzer: IDPodCannotStart, Severity: analyze.SeverityFail,
			Title:   fmt.Sprintf("Pod %s/%s cannot create its containers", p.Namespace, p.Name),
			Message: strings.Join(createErr, "; "), Object: obj, File: file,
		})
	}
	if len(oom) > 0 {
		r.add(analyze.Finding{
			Analyzer: IDPodOOMKilled, Severity: analyze.SeverityWarn,
			Title:   fmt.Sprintf("Pod %s/%s was OOMKilled", p.Namespace, p.Name),
			Message: "containers killed for exceeding their memory limit: " + strings.Join(oom, "; "), Object: obj, File: file,
		})
	}
	if p.Status.Phase == corev1.PodPending && p.DeletionTimestamp == nil {
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse {
				r.add(analyze.Finding{
					Analyzer: IDPodPending, Severity: analyze.SeverityWarn,
					Title:   fmt.Sprintf("Pod %s/%s is Pending: not scheduled (%s)", p.Namespace, p.Name, orUnknown(c.Reason)),
					Message: conditionText(c.Reason, c.Message) + fmt.Sprintf(" (pending for %s)", age(r.opts.Now, p.CreationTimestamp.Time)),
					Object:  obj, File: file,
				})
			}
		}
	}
}

func oomKilled(t *corev1.ContainerStateTerminated) bool {
	return t != nil && t.Reason == "OOMKilled"
}

func orUnknown(s string) string {
	if s == "" {
		return "no reason given"
	}
	return s
}
