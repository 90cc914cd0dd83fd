package builtin

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/mesosphere/dkp-diagnose/lib/analyze"
)

// pvcs finds PersistentVolumeClaims still Pending (warn) or Lost (fail).
func (r *run) pvcs() {
	for _, file := range resourceFiles(r.fsys, "pvcs", "persistentvolumeclaims") {
		err := decodeEach(r.fsys, file, func(_ listHead, c *corev1.PersistentVolumeClaim) {
			obj := object("PersistentVolumeClaim", c.Namespace, c.Name)
			class := "(default)"
			if c.Spec.StorageClassName != nil {
				class = *c.Spec.StorageClassName
			}
			switch c.Status.Phase {
			case corev1.ClaimPending:
				r.add(analyze.Finding{
					Analyzer: IDPVCPending, Severity: analyze.SeverityWarn,
					Title: fmt.Sprintf("PVC %s/%s is Pending", c.Namespace, c.Name),
					Message: fmt.Sprintf("no volume bound after %s; storage class %s; see the claim's events",
						age(r.opts.Now, c.CreationTimestamp.Time), class),
					Object: obj, File: file,
				})
			case corev1.ClaimLost:
				r.add(analyze.Finding{
					Analyzer: IDPVCPending, Severity: analyze.SeverityFail,
					Title:   fmt.Sprintf("PVC %s/%s is Lost", c.Namespace, c.Name),
					Message: fmt.Sprintf("its volume %s is gone; storage class %s", c.Spec.VolumeName, class),
					Object:  obj, File: file,
				})
			}
		})
		r.unreadable(file, err)
	}
}
