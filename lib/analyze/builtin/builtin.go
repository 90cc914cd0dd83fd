package builtin

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/mesosphere/dkp-diagnose/lib/analyze"
)

// Defaults of [Options].
const (
	DefaultStuckAfter   = 30 * time.Minute
	DefaultCertWarnDays = 30
)

// Options tunes the built-in analyzers; the zero value is the default.
type Options struct {
	// Now is the time ages are measured against (how long a Machine has
	// been provisioning). Zero: when the bundle was collected, read from
	// execution-data/summary.json, else the current time.
	Now time.Time
	// StuckAfter is how long a Machine may provision or delete before it
	// counts as stuck. Zero: DefaultStuckAfter.
	StuckAfter time.Duration
	// CertWarnDays: a certificate with fewer days left is a warning.
	// Zero: DefaultCertWarnDays.
	CertWarnDays int
}

// Analyzer IDs, the Analyzer field of the findings.
const (
	IDClusterAPICluster    = "capi/cluster"
	IDClusterAPIConditions = "capi/conditions"
	IDMachineNoNode        = "capi/machine-no-node"
	IDMachineStuck         = "capi/machine-stuck"
	IDReplicas             = "capi/replicas"
	IDMachineHealthCheck   = "capi/machinehealthcheck"
	IDNodeNotReady         = "nodes/not-ready"
	IDNodePressure         = "nodes/pressure"
	IDPodCrashLoop         = "pods/crashloop"
	IDPodImagePull         = "pods/image-pull"
	IDPodCannotStart       = "pods/container-error"
	IDPodPending           = "pods/pending"
	IDPodOOMKilled         = "pods/oomkilled"
	IDJobFailed            = "jobs/failed"
	IDPVCPending           = "pvcs/pending"
	IDWebhookNoEndpoints   = "webhooks/no-endpoints"
	IDWarningEvents        = "events/warning"
	IDCertExpiry           = "certs/expiry"
	IDUnreadable           = "builtin/unreadable"
)

// run is one analysis of one bundle: its files, options and findings.
type run struct {
	fsys     fs.FS
	opts     Options
	findings []analyze.Finding
}

// Analyze runs every built-in analyzer over one bundle, fsys rooted at the
// bundle's root folder, and returns the findings sorted worst first. A file
// that cannot be read or decoded becomes an IDUnreadable warning rather
// than stopping the others; files the bundle lacks (a collector that did
// not run, a cluster without Cluster API) are no finding.
func Analyze(fsys fs.FS, opts Options) []analyze.Finding {
	if opts.Now.IsZero() {
		opts.Now = collectedAt(fsys)
	}
	if opts.StuckAfter <= 0 {
		opts.StuckAfter = DefaultStuckAfter
	}
	if opts.CertWarnDays <= 0 {
		opts.CertWarnDays = DefaultCertWarnDays
	}
	r := &run{fsys: fsys, opts: opts}
	r.clusterAPI()
	r.nodes()
	r.pods()
	r.jobs()
	r.pvcs()
	r.webhooks()
	r.events()
	r.certs()
	analyze.Sort(r.findings)
	return r.findings
}

// add records a finding.
func (r *run) add(f analyze.Finding) { r.findings = append(r.findings, f) }

// unreadable records that file could not be read; a missing file is no
// finding.
func (r *run) unreadable(file string, err error) {
	if err == nil || errors.Is(err, fs.ErrNotExist) {
		return
	}
	r.add(analyze.Finding{
		Analyzer: IDUnreadable,
		Severity: analyze.SeverityWarn,
		Title:    "Bundle file could not be analyzed",
		Message:  err.Error(),
		File:     file,
	})
}

// executionSummary is our run's record (lib/collect's execution data).
const executionSummary = "execution-data/summary.json"

// collectedAt is when the bundle was collected: the start time in our
// execution-data/summary.json, else now (a troubleshoot bundle).
func collectedAt(fsys fs.FS) time.Time {
	data, err := fs.ReadFile(fsys, executionSummary)
	if err == nil {
		var s struct {
			Started time.Time `json:"started"`
		}
		if json.Unmarshal(data, &s) == nil && !s.Started.IsZero() {
			return s.Started
		}
	}
	return time.Now()
}

// object formats a finding's Object: "Kind namespace/name", or
// "Kind name" for a cluster-scoped object.
func object(kind, namespace, name string) string {
	if namespace == "" {
		return kind + " " + name
	}
	return fmt.Sprintf("%s %s/%s", kind, namespace, name)
}

// age formats how long ago t was, relative to now, in whole units.
func age(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < 0:
		return "0s"
	case d < time.Minute:
		return d.Truncate(time.Second).String()
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}
