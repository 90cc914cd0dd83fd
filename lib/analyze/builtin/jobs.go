package builtin

import (
	"fmt"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/mesosphere/dkp-diagnose/lib/analyze"
)

// jobs finds Jobs whose Failed condition is True.
func (r *run) jobs() {
	for _, file := range resourceFiles(r.fsys, "jobs") {
		err := decodeEach(r.fsys, file, func(_ listHead, j *batchv1.Job) {
			for _, c := range j.Status.Conditions {
				if c.Type != batchv1.JobFailed || c.Status != corev1.ConditionTrue {
					continue
				}
				r.add(analyze.Finding{
					Analyzer: IDJobFailed, Severity: analyze.SeverityFail,
					Title:   fmt.Sprintf("Job %s/%s failed (%s)", j.Namespace, j.Name, orUnknown(c.Reason)),
					Message: conditionText(c.Reason, c.Message) + fmt.Sprintf(" (%d pods failed)", j.Status.Failed),
					Object:  object("Job", j.Namespace, j.Name), File: file,
				})
			}
		})
		r.unreadable(file, err)
	}
}
