// Package correlate puts the bundles of one run side by side: what a
// management (or bootstrap) cluster's Cluster API objects say of a
// workload cluster against what the workload cluster's own bundle, or its
// failure to answer, shows.
package correlate

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/mesosphere/dkp-diagnose/lib/analyze"
	"github.com/mesosphere/dkp-diagnose/lib/analyze/builtin"
	"github.com/mesosphere/dkp-diagnose/lib/targets"
)

// Analyzer IDs of the findings.
const (
	IDMachineNode       = "fleet/machine-node"
	IDUnreachable       = "fleet/unreachable"
	IDNoKubeconfig      = "fleet/no-kubeconfig"
	IDBootstrapLeftover = "fleet/bootstrap-leftover"
)

// Target statuses, as the run summary writes them.
const (
	StatusOK      = "ok"
	StatusPartial = "partial"
	StatusFailed  = "failed"
	StatusSkipped = "skipped"
)

// Target is one cluster of the run.
type Target struct {
	// ID names the target in findings (their Cluster field), e.g.
	// "workload/fleet/w1".
	ID   string
	Role targets.Role
	// Name and Namespace: a workload target's are its Cluster object's.
	Name, Namespace string
	// Bundle is the bundle's file name, for findings; FS its content
	// rooted at the bundle root, nil when there is none.
	Bundle string
	FS     fs.FS
	// Status is ok, partial, failed or skipped; Error says why it failed
	// or was skipped.
	Status, Error string
}

// secretsDir is where the secret collector writes a secret's record.
const secretsDir = "secrets"

// Reads reports whether correlation reads the bundle file name (relative
// to the bundle's root): the files the built-in analyzers read (the
// Cluster API objects and nodes among them) and the secret records. A
// Target's FS may hold only these.
func Reads(name string) bool {
	return builtin.Reads(name) || strings.HasPrefix(name, secretsDir+"/")
}

// Findings correlates the targets of one run. Each finding's Cluster is
// the target it is about (the workload cluster for a Machine or an
// unreachable API server), its Bundle and File where the evidence was read.
func Findings(ts []Target) []analyze.Finding {
	workloads := map[string]*Target{}
	for i := range ts {
		if ts[i].Role == targets.RoleWorkload {
			workloads[ts[i].Namespace+"/"+ts[i].Name] = &ts[i]
		}
	}
	var out []analyze.Finding
	mgmtClusters := map[string]*builtin.Object{} // clusters the current (management) cluster holds
	var bootstraps []*Target
	capis := map[*Target]*builtin.ClusterAPI{}
	for i := range ts {
		t := &ts[i]
		if t.FS == nil || t.Role == targets.RoleWorkload {
			continue
		}
		c, _ := builtin.ReadClusterAPI(t.FS) // unreadable files are the builtin analyzers' findings
		capis[t] = c
		if t.Role == targets.RoleBootstrap {
			bootstraps = append(bootstraps, t)
		} else {
			for _, cl := range c.Clusters {
				mgmtClusters[cl.Namespace+"/"+cl.Name] = cl
			}
		}
	}
	for i := range ts {
		mgmt := &ts[i]
		c := capis[mgmt]
		if c == nil {
			continue
		}
		for _, cl := range c.Clusters {
			w := workloads[cl.Namespace+"/"+cl.Name]
			if mgmt.Role == targets.RoleBootstrap && mgmtClusters[cl.Namespace+"/"+cl.Name] != nil {
				w = nil // moved: the management cluster's copy is the one that counts
			}
			out = append(out, kubeconfig(mgmt, cl, w)...)
			if w == nil {
				continue
			}
			out = append(out, unreachable(mgmt, cl, w)...)
			out = append(out, machineNodes(mgmt, c, cl, w)...)
		}
	}
	for _, b := range bootstraps {
		out = append(out, leftovers(b, capis[b], mgmtClusters)...)
	}
	analyze.Sort(out)
	return out
}

// clusterLabel is "namespace/name" of a Cluster object.
func clusterLabel(cl *builtin.Object) string { return cl.Namespace + "/" + cl.Name }

// kubeconfig finds a Cluster without its "<name>-kubeconfig" secret: from
// the management bundle's secrets/<namespace>/ (when secrets were
// collected there), else
// from the workload target skipped for want of one. Once the control plane
// is initialized the secret must exist: a failure; before, a warning.
func kubeconfig(mgmt *Target, cl *builtin.Object, w *Target) []analyze.Finding {
	secret := path.Join(secretsDir, cl.Namespace, cl.Name+"-kubeconfig.json")
	missing, evidence := false, ""
	// Secrets were collected in the Cluster's namespace (it always holds
	// some: the Cluster's CA, …) when that folder exists.
	if _, err := fs.Stat(mgmt.FS, path.Join(secretsDir, cl.Namespace)); err == nil {
		if _, err := fs.Stat(mgmt.FS, secret); errors.Is(err, fs.ErrNotExist) {
			missing, evidence = true, "no "+secret+" in the bundle"
		}
	} else if w != nil && w.Status == StatusSkipped && w.Error != "" {
		missing, evidence = true, "target skipped: "+w.Error
	}
	if !missing {
		return nil
	}
	f := analyze.Finding{
		Analyzer: IDNoKubeconfig, Severity: analyze.SeverityWarn,
		Title:   fmt.Sprintf("Cluster %s has no kubeconfig secret %s-kubeconfig", clusterLabel(cl), cl.Name),
		Message: evidence + "; the cluster is not provisioned yet, so Cluster API may not have written it",
		Object:  cl.ID(), Cluster: targetID(mgmt, w), Bundle: mgmt.Bundle, File: cl.File,
	}
	if cl.ControlPlaneInitialized {
		f.Severity = analyze.SeverityFail
		f.Message = evidence + "; its control plane is initialized, so Cluster API should have written it: nothing can reach the cluster through Cluster API"
	}
	return []analyze.Finding{f}
}

// unreachable finds a Cluster its management cluster calls provisioned
// (control plane initialized, or Available) whose API server did not
// answer the run.
func unreachable(mgmt *Target, cl *builtin.Object, w *Target) []analyze.Finding {
	if w.Status != StatusFailed {
		return nil
	}
	avail := cl.Condition("Available")
	provisioned := cl.ControlPlaneInitialized || (avail != nil && avail.Status == "True")
	if !provisioned {
		return nil
	}
	why := "ControlPlaneInitialized"
	if avail != nil && avail.Status == "True" {
		why = "Available"
	}
	return []analyze.Finding{{
		Analyzer: IDUnreachable, Severity: analyze.SeverityFail,
		Title:   fmt.Sprintf("Cluster %s is %s on %s but its API server did not answer", clusterLabel(cl), why, mgmt.ID),
		Message: fmt.Sprintf("collection from %s failed: %s", w.ID, w.Error),
		Object:  cl.ID(), Cluster: w.ID, Bundle: mgmt.Bundle, File: cl.File,
	}}
}

// machineNodes finds Machines Running on the management cluster whose
// node is missing from, or NotReady in, the workload cluster's own bundle.
func machineNodes(mgmt *Target, c *builtin.ClusterAPI, cl *builtin.Object, w *Target) []analyze.Finding {
	if w.FS == nil {
		return nil
	}
	nodes, err := builtin.ReadNodes(w.FS)
	if err != nil {
		return nil // no node list: nothing to compare with
	}
	var out []analyze.Finding
	for _, m := range c.Machines {
		if m.Namespace != cl.Namespace || m.ClusterName != cl.Name || m.Deleting != nil || m.Phase != "Running" {
			continue
		}
		f := analyze.Finding{
			Analyzer: IDMachineNode, Severity: analyze.SeverityFail,
			Object: m.ID(), Cluster: w.ID, Bundle: mgmt.Bundle, File: m.File,
		}
		ready, found := nodes[m.NodeName]
		switch {
		case m.NodeName == "":
			continue // the Machine's own findings say it has no node
		case !found:
			f.Title = fmt.Sprintf("Machine %s/%s is Running but node %s is missing from cluster %s", m.Namespace, m.Name, m.NodeName, clusterLabel(cl))
			f.Message = fmt.Sprintf("the workload bundle %s lists no node %s in %s: the node was deleted or never joined", w.Bundle, m.NodeName, builtin.NodesFile)
		case !ready:
			f.Title = fmt.Sprintf("Machine %s/%s is Running but node %s is NotReady in cluster %s", m.Namespace, m.Name, m.NodeName, clusterLabel(cl))
			f.Message = fmt.Sprintf("the workload bundle %s shows node %s NotReady in %s", w.Bundle, m.NodeName, builtin.NodesFile)
		default:
			continue
		}
		out = append(out, f)
	}
	return out
}

// leftovers finds Clusters a bootstrap cluster still holds that the
// management cluster holds too: a clusterctl move that did not finish or
// was not cleaned up. Unpaused there, two sets of controllers reconcile
// the same machines: a failure; paused, a warning.
func leftovers(b *Target, c *builtin.ClusterAPI, mgmt map[string]*builtin.Object) []analyze.Finding {
	var out []analyze.Finding
	for _, cl := range c.Clusters {
		if mgmt[clusterLabel(cl)] == nil {
			continue
		}
		f := analyze.Finding{
			Analyzer: IDBootstrapLeftover, Severity: analyze.SeverityWarn,
			Title:   fmt.Sprintf("Bootstrap cluster %s still holds Cluster %s, which the management cluster holds too", b.Name, clusterLabel(cl)),
			Message: "it is paused there: a clusterctl move that stopped before deleting the source objects; delete them from the bootstrap cluster once the management cluster's copy is healthy",
			Object:  cl.ID(), Cluster: b.ID, Bundle: b.Bundle, File: cl.File,
		}
		if !cl.Paused {
			f.Severity = analyze.SeverityFail
			f.Message = "it is not paused there: the bootstrap cluster's controllers reconcile the same infrastructure as the management cluster's"
		}
		out = append(out, f)
	}
	return out
}

// targetID is the workload target's ID when there is one, else the
// management target's.
func targetID(mgmt, w *Target) string {
	if w != nil {
		return w.ID
	}
	return mgmt.ID
}
