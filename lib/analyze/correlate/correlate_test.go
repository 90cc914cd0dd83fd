package correlate

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mesosphere/dkp-diagnose/lib/analyze"
	"github.com/mesosphere/dkp-diagnose/lib/targets"
)

func list(kind, apiVersion string, items ...string) *fstest.MapFile {
	return &fstest.MapFile{Data: []byte(`{"kind":"` + kind + `","apiVersion":"` + apiVersion + `","items":[` + strings.Join(items, ",") + `]}`)}
}

const (
	clusters = "cluster-resources/custom-resources/clusters.cluster.x-k8s.io/fleet.json"
	machines = "cluster-resources/custom-resources/machines.cluster.x-k8s.io/fleet.json"
)

func cluster(name string, initialized, paused bool) string {
	init := "false"
	if initialized {
		init = "true"
	}
	p := "false"
	if paused {
		p = "true"
	}
	return `{"metadata":{"name":"` + name + `","namespace":"fleet"},"spec":{"paused":` + p + `},"status":{"initialization":{"controlPlaneInitialized":` + init + `}}}`
}

func machine(name, cluster, phase, node string) string {
	return `{"metadata":{"name":"` + name + `","namespace":"fleet"},"spec":{"clusterName":"` + cluster + `"},"status":{"phase":"` + phase + `","nodeRef":{"name":"` + node + `"}}}`
}

func node(name, ready string) string {
	return `{"metadata":{"name":"` + name + `"},"status":{"conditions":[{"type":"Ready","status":"` + ready + `"}]}}`
}

func TestFindings(t *testing.T) {
	mgmt := fstest.MapFS{
		clusters: list("ClusterList", "cluster.x-k8s.io/v1beta2",
			cluster("w1", true, false), cluster("dead", true, false), cluster("new", false, false), cluster("nosecret", true, false)),
		machines: list("MachineList", "cluster.x-k8s.io/v1beta2",
			machine("w1-a", "w1", "Running", "w1-a"), machine("w1-b", "w1", "Running", "w1-b"),
			machine("w1-c", "w1", "Running", "w1-c"), machine("w1-d", "w1", "Provisioning", "")),
		"secrets/fleet/w1-kubeconfig.json":   {Data: []byte(`{"secretExists":true}`)},
		"secrets/fleet/dead-kubeconfig.json": {Data: []byte(`{"secretExists":true}`)},
	}
	w1 := fstest.MapFS{"cluster-resources/nodes.json": list("NodeList", "v1", node("w1-a", "True"), node("w1-b", "Unknown"))}
	boot := fstest.MapFS{clusters: list("ClusterList", "cluster.x-k8s.io/v1beta1",
		`{"metadata":{"name":"w1","namespace":"fleet"},"spec":{"paused":true}}`,
		`{"metadata":{"name":"dead","namespace":"fleet"},"spec":{}}`)}
	got := Findings([]Target{
		{ID: "current/mgmt", Role: targets.RoleCurrent, Name: "mgmt", Bundle: "current-mgmt-support-bundle.tar.gz", FS: mgmt, Status: StatusOK},
		{ID: "bootstrap/kind", Role: targets.RoleBootstrap, Name: "kind", Bundle: "bootstrap-kind-support-bundle.tar.gz", FS: boot, Status: StatusOK},
		{ID: "workload/fleet/w1", Role: targets.RoleWorkload, Namespace: "fleet", Name: "w1", Bundle: "workload-fleet-w1.tar.gz", FS: w1, Status: StatusOK},
		{ID: "workload/fleet/dead", Role: targets.RoleWorkload, Namespace: "fleet", Name: "dead", Bundle: "workload-fleet-dead.tar.gz", Status: StatusFailed, Error: "cluster unreachable: dial tcp: connection refused"},
		{ID: "workload/fleet/new", Role: targets.RoleWorkload, Namespace: "fleet", Name: "new", Status: StatusSkipped, Error: "no kubeconfig secret fleet/new-kubeconfig"},
	})
	by := map[string][]analyze.Finding{}
	for _, f := range got {
		by[f.Analyzer+" "+f.Object] = append(by[f.Analyzer+" "+f.Object], f)
		t.Logf("%s %s [%s] %s — %s (%s %s)", f.Severity, f.Analyzer, f.Cluster, f.Title, f.Message, f.Bundle, f.File)
	}

	get := func(key string) analyze.Finding {
		t.Helper()
		require.Len(t, by[key], 1, key)
		return by[key][0]
	}
	f := get(IDMachineNode + " Machine fleet/w1-b")
	assert.Equal(t, analyze.SeverityFail, f.Severity)
	assert.Contains(t, f.Title, "node w1-b is NotReady")
	assert.Equal(t, "workload/fleet/w1", f.Cluster)
	assert.Equal(t, "current-mgmt-support-bundle.tar.gz", f.Bundle)
	assert.Equal(t, machines, f.File)
	assert.Contains(t, get(IDMachineNode+" Machine fleet/w1-c").Title, "node w1-c is missing")
	assert.Empty(t, by[IDMachineNode+" Machine fleet/w1-a"], "Ready node")
	assert.Empty(t, by[IDMachineNode+" Machine fleet/w1-d"], "not Running")

	f = get(IDUnreachable + " Cluster fleet/dead")
	assert.Equal(t, analyze.SeverityFail, f.Severity)
	assert.Equal(t, "workload/fleet/dead", f.Cluster)
	assert.Contains(t, f.Message, "connection refused")
	assert.Equal(t, clusters, f.File)

	f = get(IDNoKubeconfig + " Cluster fleet/nosecret")
	assert.Equal(t, analyze.SeverityFail, f.Severity, "initialized: the secret must exist")
	assert.Contains(t, f.Message, "no secrets/fleet/nosecret-kubeconfig.json")
	assert.Equal(t, "current/mgmt", f.Cluster, "no workload target for it")
	f = get(IDNoKubeconfig + " Cluster fleet/new")
	assert.Equal(t, analyze.SeverityWarn, f.Severity, "not initialized yet")
	assert.Equal(t, "workload/fleet/new", f.Cluster)

	f = get(IDBootstrapLeftover + " Cluster fleet/w1")
	assert.Equal(t, analyze.SeverityWarn, f.Severity, "paused in the bootstrap cluster")
	assert.Equal(t, "bootstrap/kind", f.Cluster)
	assert.Equal(t, "bootstrap-kind-support-bundle.tar.gz", f.Bundle)
	assert.Equal(t, analyze.SeverityFail, get(IDBootstrapLeftover+" Cluster fleet/dead").Severity)
	assert.Len(t, got, 7)
	assert.Equal(t, analyze.SeverityFail, got[0].Severity)

	// The bootstrap cluster's own copy is not correlated with the workload
	// clusters (no kubeconfig findings from it: secrets not collected there).
	for _, f := range got {
		if f.Bundle == "bootstrap-kind-support-bundle.tar.gz" {
			assert.Equal(t, IDBootstrapLeftover, f.Analyzer)
		}
	}
}

func TestHealthyFleet(t *testing.T) {
	mgmt := fstest.MapFS{
		clusters:                           list("ClusterList", "cluster.x-k8s.io/v1beta1", `{"metadata":{"name":"w1","namespace":"fleet"},"status":{"controlPlaneReady":true}}`),
		machines:                           list("MachineList", "cluster.x-k8s.io/v1beta1", machine("w1-a", "w1", "Running", "w1-a")),
		"secrets/fleet/w1-kubeconfig.json": {Data: []byte(`{}`)},
	}
	w1 := fstest.MapFS{"cluster-resources/nodes.json": list("NodeList", "v1", node("w1-a", "True"))}
	got := Findings([]Target{
		{ID: "current/mgmt", Role: targets.RoleCurrent, Name: "mgmt", FS: mgmt, Status: StatusOK},
		{ID: "workload/fleet/w1", Role: targets.RoleWorkload, Namespace: "fleet", Name: "w1", FS: w1, Status: StatusOK},
	})
	assert.Empty(t, got)
}
