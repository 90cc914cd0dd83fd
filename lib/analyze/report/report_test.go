package report

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mesosphere/dkp-diagnose/lib/analyze"
	"github.com/mesosphere/dkp-diagnose/lib/targets"
)

func sampleRun() Run {
	return Run{
		Tool:      "dkp-diagnose v1.2.3",
		Generated: time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC),
		Clusters: []Cluster{
			{ID: "current/mgmt", Role: targets.RoleCurrent, Name: "mgmt", Bundle: "current-mgmt-support-bundle-2026-12-04T12_00_00.tar.gz", Status: "ok"},
			{ID: "workload/fleet/w1", Role: targets.RoleWorkload, Namespace: "fleet", Name: "w1", Status: "failed", Error: "cluster unreachable: <refused>"},
			{ID: "workload/fleet/quiet", Role: targets.RoleWorkload, Namespace: "fleet", Name: "quiet", Status: "ok"},
		},
		Findings: []analyze.Finding{
			{Analyzer: "events/warning", Severity: analyze.SeverityInfo, Title: "3 Warning events BackOff on Pod in app", Cluster: "current/mgmt", Count: 3, File: "cluster-resources/events/app.json"},
			{Analyzer: "pods/crashloop", Severity: analyze.SeverityFail, Title: "Pod app/<script>alert(1)</script> is in CrashLoopBackOff", Message: "containers: main (7 restarts) | *bold* `tick`",
				Object: "Pod app/x", Cluster: "current/mgmt", Bundle: "current-mgmt-support-bundle-2026-12-04T12_00_00.tar.gz", File: "cluster-resources/pods/app.json"},
			{Analyzer: "capi/cluster", Severity: analyze.SeverityFail, Title: "Cluster fleet/w1 is not Available", Message: "InfrastructureReady=False\n\nCluster/w1  Available=False\n└─Workers\n```", Cluster: "workload/fleet/w1", File: "cluster-resources/custom-resources/clusters.cluster.x-k8s.io/fleet.json"},
			{Analyzer: "nodes/pressure", Severity: analyze.SeverityWarn, Title: "Node n1 has DiskPressure", Cluster: "current/mgmt", File: "cluster-resources/nodes.json"},
			{Analyzer: "fleet/x", Severity: analyze.SeverityWarn, Title: "stray", Cluster: "nowhere"},
		},
	}
}

func TestHTML(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, WriteHTML(&b, sampleRun()))
	h := b.String()
	assert.NotContains(t, h, "<script>alert(1)</script>", "bundle text is escaped")
	assert.Contains(t, h, "&lt;script&gt;alert(1)&lt;/script&gt;")
	assert.NotContains(t, h, "<script", "no scripts at all")
	assert.NotContains(t, h, "http://")
	assert.NotContains(t, h, "https://")
	assert.NotContains(t, h, "<link")
	for _, want := range []string{
		`data-cluster="current/mgmt"`, `data-cluster="workload/fleet/w1"`, `data-cluster="workload/fleet/quiet"`,
		"current cluster mgmt", "workload cluster fleet/w1", "No findings.", "Other findings",
		"cluster unreachable: &lt;refused&gt;", "<pre>InfrastructureReady=False\n\nCluster/w1  Available=False\n└─Workers\n```</pre>",
		"<code>cluster-resources/pods/app.json</code>", "2 failures · 2 warnings", "×3",
	} {
		assert.Contains(t, h, want)
	}
	// Worst first within a cluster.
	assert.Less(t, strings.Index(h, "CrashLoopBackOff"), strings.Index(h, "DiskPressure"))
	assert.Less(t, strings.Index(h, "DiskPressure"), strings.Index(h, "3 Warning events"))
}

func TestMarkdown(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, WriteMarkdown(&b, sampleRun()))
	md := b.String()
	for _, want := range []string{
		"## current cluster mgmt — FAIL", "## workload cluster fleet/w1 — FAIL", "## workload cluster fleet/quiet — PASS", "No findings.",
		`Pod app/&lt;script&gt;alert\(1\)&lt;/script&gt; is in CrashLoopBackOff`,
		`containers: main \(7 restarts\) \| \*bold\* \` + "`tick\\`",
		"  ````text\n  InfrastructureReady=False\n", "  └─Workers\n  ```\n  ````\n",
		"from ` current-mgmt-support-bundle-2026-12-04T12_00_00.tar.gz ` › ` cluster-resources/pods/app.json `",
		"| fleet/w1 | workload | failed | 1 | 0 | 0 |  |",
		"## Other findings",
	} {
		assert.Contains(t, md, want)
	}
}

func TestTop(t *testing.T) {
	top := Top(sampleRun().Findings, 1)
	require.Len(t, top["current/mgmt"], 1)
	assert.Equal(t, "pods/crashloop", top["current/mgmt"][0].Analyzer)
	assert.Len(t, top["workload/fleet/w1"], 1)
	assert.NotContains(t, top, "workload/fleet/quiet")
	top = Top(sampleRun().Findings, 5)
	assert.Len(t, top["current/mgmt"], 2, "info is left out")
}

func TestWriteFiles(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, WriteFiles(dir, sampleRun()))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.Equal(t, []string{HTMLFile, MarkdownFile}, names, "no temporary files left")
	data, err := os.ReadFile(filepath.Join(dir, HTMLFile))
	require.NoError(t, err)
	assert.True(t, bytes.HasPrefix(data, []byte("<!DOCTYPE html>")))
	assert.ErrorContains(t, WriteFiles(filepath.Join(dir, "missing"), sampleRun()), "write report")
}
