package builtin

import (
	"fmt"
	"strings"

	"github.com/mesosphere/dkp-diagnose/lib/analyze"
)

// negativeConditions are v1beta2 condition types where True is the
// unusual state (a rollout, a deletion): False there is no problem.
var negativeConditions = map[string]bool{
	"Paused": true, "Deleting": true, "RollingOut": true, "ScalingUp": true,
	"ScalingDown": true, "Remediating": true, "Updating": true,
}

// summaryType is the condition that sums an object up: v1beta2's
// Available for a Cluster, control plane, MachineDeployment and
// MachinePool and Ready for the rest; v1beta1's Ready for everything.
func (o *Object) summaryType() string {
	if !o.V1Beta1Conditions {
		switch o.Kind {
		case "Cluster", "MachineDeployment", "MachinePool":
			return "Available"
		}
		if o.Condition("Available") != nil {
			return "Available" // control planes
		}
	}
	return "Ready"
}

// Summary is the object's summary condition, or nil when it reports none.
func (o *Object) Summary() *Condition { return o.Condition(o.summaryType()) }

// Cause is the first condition that is false (true for a negative one
// such as Deleting is not counted), besides the summary, in the order the
// object lists them: what `clusterctl describe` points at. When no other
// condition is false it is the summary itself, when that is false.
func (o *Object) Cause() *Condition {
	sum := o.summaryType()
	for i := range o.Conditions {
		c := &o.Conditions[i]
		if c.Type != sum && c.Status == "False" && !negativeConditions[c.Type] {
			return c
		}
	}
	if s := o.Summary(); s != nil && s.Status == "False" {
		return s
	}
	return nil
}

// Unhealthy tells whether the summary condition is False or a v1beta1
// failure is set.
func (o *Object) Unhealthy() bool {
	s := o.Summary()
	return o.Failure != "" || (s != nil && s.Status == "False")
}

// clusterAPI reports, for each Cluster, its condition tree (the Cluster
// fails when its summary condition is False) and, for the objects in it,
// false summary conditions, Machines without a node or stuck, replica
// counts not met and MachineHealthChecks that found unhealthy Machines.
func (r *run) clusterAPI() {
	c, errs := ReadClusterAPI(r.fsys)
	for _, e := range errs {
		r.unreadable(e.File, e.Err)
	}
	for _, cl := range c.Clusters {
		r.clusterFinding(c, cl)
	}
	for _, o := range c.ControlPlanes {
		r.conditionFinding(o, true)
	}
	for _, objs := range [][]*Object{c.Infrastructure, c.MachineDeployments, c.MachinePools, c.Machines} {
		for _, o := range objs {
			r.conditionFinding(o, false)
		}
	}
	for _, m := range c.Machines {
		r.machine(m)
	}
	for _, objs := range [][]*Object{c.ControlPlanes, c.MachineDeployments, c.MachinePools} {
		for _, o := range objs {
			r.replicas(o)
		}
	}
	for _, h := range c.MachineHealthChecks {
		r.healthCheck(c, h)
	}
}

func (r *run) clusterFinding(c *ClusterAPI, cl *Object) {
	tree := Tree(c, cl)
	f := analyze.Finding{
		Analyzer: IDClusterAPICluster, Object: cl.ID(), File: cl.File,
		Severity: analyze.SeverityInfo,
	}
	sum := cl.Summary()
	switch {
	case cl.Unhealthy():
		f.Severity = analyze.SeverityFail
		f.Title = fmt.Sprintf("Cluster %s/%s is not %s", cl.Namespace, cl.Name, cl.summaryType())
		f.Message = causeText(cl)
	case sum == nil:
		f.Title = fmt.Sprintf("Cluster %s/%s reports no %s condition", cl.Namespace, cl.Name, cl.summaryType())
		f.Message = "phase " + orUnknown(cl.Phase)
	case sum.Status != "True":
		f.Severity = analyze.SeverityWarn
		f.Title = fmt.Sprintf("Cluster %s/%s: %s is %s", cl.Namespace, cl.Name, sum.Type, sum.Status)
		f.Message = conditionText(sum.Reason, sum.Message)
	default:
		f.Title = fmt.Sprintf("Cluster %s/%s is %s", cl.Namespace, cl.Name, sum.Type)
	}
	f.Message = strings.TrimSpace(f.Message + "\n\n" + tree)
	r.add(f)
}

// causeText says why an unhealthy object is so: its v1beta1 failure and
// its first false condition.
func causeText(o *Object) string {
	var parts []string
	if o.Failure != "" {
		parts = append(parts, "failure: "+o.Failure)
	}
	if c := o.Cause(); c != nil {
		s := fmt.Sprintf("%s=False: %s", c.Type, conditionText(orUnknown(c.Reason), c.Message))
		if c.Severity != "" {
			s += " (severity " + c.Severity + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

// conditionFinding reports an object in a Cluster's tree whose summary
// condition is False: a failure for a control plane or a v1beta1 Error,
// else a warning.
func (r *run) conditionFinding(o *Object, controlPlane bool) {
	if !o.Unhealthy() {
		return
	}
	sev := analyze.SeverityWarn
	c := o.Cause()
	if controlPlane || o.Failure != "" || (c != nil && c.Severity == "Error") {
		sev = analyze.SeverityFail
	}
	title := fmt.Sprintf("%s %s/%s is not %s", o.Kind, o.Namespace, o.Name, o.summaryType())
	if c != nil && c.Reason != "" {
		title += " (" + c.Reason + ")"
	}
	r.add(analyze.Finding{
		Analyzer: IDClusterAPIConditions, Severity: sev, Title: title,
		Message: causeText(o), Object: o.ID(), File: o.File,
	})
}

// machine reports a Machine without a node (warn), one provisioning past
// StuckAfter without a node, and one deleting past StuckAfter (fail).
func (r *run) machine(m *Object) {
	if m.Deleting != nil {
		if d := r.opts.Now.Sub(*m.Deleting); d > r.opts.StuckAfter {
			msg := fmt.Sprintf("deletion started %s ago", age(r.opts.Now, *m.Deleting))
			if c := m.Condition("Deleting"); c != nil && c.Message != "" {
				msg += "; " + conditionText(c.Reason, c.Message)
			} else if c := m.Condition("DrainingSucceeded"); c != nil && c.Status == "False" {
				msg += "; " + conditionText(c.Reason, c.Message)
			}
			r.add(analyze.Finding{
				Analyzer: IDMachineStuck, Severity: analyze.SeverityFail,
				Title:   fmt.Sprintf("Machine %s/%s is stuck deleting", m.Namespace, m.Name),
				Message: msg, Object: m.ID(), File: m.File,
			})
		}
		return
	}
	if m.NodeName != "" || m.Phase == "Failed" {
		return
	}
	why := "phase " + orUnknown(m.Phase)
	if c := m.Cause(); c != nil {
		why += "; " + c.Type + "=False: " + conditionText(c.Reason, c.Message)
	}
	r.add(analyze.Finding{
		Analyzer: IDMachineNoNode, Severity: analyze.SeverityWarn,
		Title:   fmt.Sprintf("Machine %s/%s has no node", m.Namespace, m.Name),
		Message: fmt.Sprintf("no status.nodeRef %s after creation; %s", age(r.opts.Now, m.Created), why),
		Object:  m.ID(), File: m.File,
	})
	if !m.Created.IsZero() && r.opts.Now.Sub(m.Created) > r.opts.StuckAfter {
		r.add(analyze.Finding{
			Analyzer: IDMachineStuck, Severity: analyze.SeverityFail,
			Title:   fmt.Sprintf("Machine %s/%s is stuck provisioning", m.Namespace, m.Name),
			Message: fmt.Sprintf("created %s ago, still without a node (threshold %s); %s", age(r.opts.Now, m.Created), r.opts.StuckAfter, why),
			Object:  m.ID(), File: m.File,
		})
	}
}

// replicas reports a control plane, MachineDeployment or MachinePool
// with fewer available replicas than it asks for.
func (r *run) replicas(o *Object) {
	if o.DesiredReplicas == nil || o.AvailableReplicas == nil || *o.AvailableReplicas >= *o.DesiredReplicas || o.Deleting != nil {
		return
	}
	r.add(analyze.Finding{
		Analyzer: IDReplicas, Severity: analyze.SeverityWarn,
		Title:   fmt.Sprintf("%s %s/%s has %d of %d replicas available", o.Kind, o.Namespace, o.Name, *o.AvailableReplicas, *o.DesiredReplicas),
		Message: causeText(o),
		Object:  o.ID(), File: o.File,
	})
}

// healthCheck reports a MachineHealthCheck that counts unhealthy
// Machines, naming those it marked and whether remediation is blocked.
func (r *run) healthCheck(c *ClusterAPI, h *Object) {
	if h.ExpectedMachines == nil || h.CurrentHealthy == nil || *h.CurrentHealthy >= *h.ExpectedMachines {
		return
	}
	var unhealthy []string
	for _, m := range c.Machines {
		if m.Namespace != h.Namespace || m.ClusterName != h.ClusterName {
			continue
		}
		if hc := m.Condition("HealthCheckSucceeded"); hc != nil && hc.Status == "False" {
			unhealthy = append(unhealthy, fmt.Sprintf("%s (%s)", m.Name, conditionText(hc.Reason, hc.Message)))
		}
	}
	msg := fmt.Sprintf("%d of %d machines healthy", *h.CurrentHealthy, *h.ExpectedMachines)
	if len(unhealthy) > 0 {
		msg += "; unhealthy: " + strings.Join(unhealthy, ", ")
	}
	title := fmt.Sprintf("MachineHealthCheck %s/%s: %d of %d machines unhealthy", h.Namespace, h.Name, *h.ExpectedMachines-*h.CurrentHealthy, *h.ExpectedMachines)
	if h.RemediationsAllowed != nil && *h.RemediationsAllowed == 0 {
		title += ", remediation blocked"
		msg += "; no remediation allowed (maxUnhealthy/unhealthyRange exceeded)"
		if rc := h.Condition("RemediationAllowed"); rc != nil && rc.Status == "False" {
			msg += ": " + conditionText(rc.Reason, rc.Message)
		}
	}
	r.add(analyze.Finding{
		Analyzer: IDMachineHealthCheck, Severity: analyze.SeverityWarn,
		Title: title, Message: msg, Object: h.ID(), File: h.File,
	})
}
