package builtin

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mesosphere/dkp-diagnose/lib/analyze"
)

const crDir = "cluster-resources/custom-resources/"

// v1beta2Fleet is a workload cluster "w1" in namespace fleet as Cluster
// API v1.11+ reports it (v1beta2): the infrastructure is not ready, a
// worker Machine has no node, one Machine is stuck deleting, the
// MachineDeployment misses a replica and the MachineHealthCheck blocks
// remediation.
func v1beta2Fleet() fstest.MapFS {
	return fstest.MapFS{
		crDir + "clusters.cluster.x-k8s.io/fleet.json": list("ClusterList", "cluster.x-k8s.io/v1beta2",
			`{"metadata":{"name":"w1","namespace":"fleet"},"spec":{"controlPlaneRef":{"apiGroup":"controlplane.cluster.x-k8s.io","kind":"KubeadmControlPlane","name":"w1-cp"},"infrastructureRef":{"apiGroup":"infrastructure.cluster.x-k8s.io","kind":"DockerCluster","name":"w1"}},
			  "status":{"phase":"Provisioned","initialization":{"controlPlaneInitialized":true},"conditions":[
			    {"type":"Available","status":"False","reason":"NotAvailable","message":"* InfrastructureReady: load balancer down","lastTransitionTime":"2026-12-04T11:00:00Z"},
			    {"type":"RollingOut","status":"False","reason":"NotRollingOut","lastTransitionTime":"2026-12-04T11:00:00Z"},
			    {"type":"InfrastructureReady","status":"False","reason":"LoadBalancerFailed","message":"load balancer down","lastTransitionTime":"2026-12-04T11:00:00Z"},
			    {"type":"ControlPlaneInitialized","status":"True","reason":"Initialized","lastTransitionTime":"2026-12-04T10:00:00Z"}]}}`,
			`{"metadata":{"name":"ok","namespace":"fleet"},"status":{"conditions":[{"type":"Available","status":"True","reason":"Available","lastTransitionTime":"2026-12-04T10:00:00Z"}]}}`),
		crDir + "dockerclusters.infrastructure.cluster.x-k8s.io/fleet.json": list("DockerClusterList", "infrastructure.cluster.x-k8s.io/v1beta2",
			`{"metadata":{"name":"w1","namespace":"fleet","labels":{"cluster.x-k8s.io/cluster-name":"w1"}},"status":{"initialization":{"provisioned":false},"conditions":[{"type":"Ready","status":"False","reason":"LoadBalancerFailed","message":"load balancer down"}]}}`),
		crDir + "kubeadmcontrolplanes.controlplane.cluster.x-k8s.io/fleet.json": list("KubeadmControlPlaneList", "controlplane.cluster.x-k8s.io/v1beta2",
			`{"metadata":{"name":"w1-cp","namespace":"fleet","labels":{"cluster.x-k8s.io/cluster-name":"w1"}},"spec":{"replicas":1},"status":{"availableReplicas":1,"conditions":[{"type":"Available","status":"True","reason":"Available"}]}}`),
		crDir + "machinedeployments.cluster.x-k8s.io/fleet.json": list("MachineDeploymentList", "cluster.x-k8s.io/v1beta2",
			`{"metadata":{"name":"w1-md","namespace":"fleet"},"spec":{"clusterName":"w1","replicas":2},"status":{"availableReplicas":1,"conditions":[{"type":"Available","status":"False","reason":"NotAvailable","message":"1 available replicas, at least 2 required"}]}}`),
		crDir + "machines.cluster.x-k8s.io/fleet.json": list("MachineList", "cluster.x-k8s.io/v1beta2",
			`{"metadata":{"name":"w1-cp-0","namespace":"fleet","creationTimestamp":"2026-12-04T10:00:00Z","labels":{"cluster.x-k8s.io/cluster-name":"w1","cluster.x-k8s.io/control-plane":""}},"spec":{"clusterName":"w1"},"status":{"phase":"Running","nodeRef":{"name":"w1-cp-0"},"conditions":[{"type":"Ready","status":"True","reason":"Ready"}]}}`,
			`{"metadata":{"name":"w1-md-a","namespace":"fleet","creationTimestamp":"2026-12-04T10:00:00Z","labels":{"cluster.x-k8s.io/cluster-name":"w1","cluster.x-k8s.io/deployment-name":"w1-md"}},"spec":{"clusterName":"w1"},"status":{"phase":"Provisioning","conditions":[
			   {"type":"Ready","status":"False","reason":"NotReady"},{"type":"InfrastructureReady","status":"False","reason":"WaitingForInfrastructure","message":"VM not created"},
			   {"type":"HealthCheckSucceeded","status":"False","reason":"NodeStartupTimeout","message":"Node failed to report startup in 10m"}]}}`,
			`{"metadata":{"name":"w1-md-b","namespace":"fleet","creationTimestamp":"2026-12-04T09:00:00Z","deletionTimestamp":"2026-12-04T11:00:00Z","labels":{"cluster.x-k8s.io/cluster-name":"w1","cluster.x-k8s.io/deployment-name":"w1-md"}},"spec":{"clusterName":"w1"},"status":{"phase":"Deleting","nodeRef":{"name":"w1-md-b"},"conditions":[
			   {"type":"Ready","status":"True"},{"type":"Deleting","status":"True","reason":"DrainingNode","message":"Drain not completed yet: pod app/x has a PDB"}]}}`),
		crDir + "machinehealthchecks.cluster.x-k8s.io/fleet.json": list("MachineHealthCheckList", "cluster.x-k8s.io/v1beta2",
			`{"metadata":{"name":"w1-mhc","namespace":"fleet"},"spec":{"clusterName":"w1"},"status":{"expectedMachines":3,"currentHealthy":2,"remediationsAllowed":0,"conditions":[{"type":"RemediationAllowed","status":"False","reason":"TooManyUnhealthy","message":"Remediation is not allowed, the number of not started or unhealthy machines exceeds maxUnhealthy"}]}}`),
	}
}

func TestClusterAPIv1beta2(t *testing.T) {
	got := Analyze(v1beta2Fleet(), Options{Now: now})
	file := func(res string) string { return crDir + res + "/fleet.json" }

	f := one(t, got, IDClusterAPICluster, "Cluster fleet/w1")
	assert.Equal(t, analyze.SeverityFail, f.Severity)
	assert.Equal(t, "Cluster fleet/w1 is not Available", f.Title)
	assert.Contains(t, f.Message, "InfrastructureReady=False: LoadBalancerFailed: load balancer down", "first false condition, RollingOut=False skipped")
	assert.Equal(t, file("clusters.cluster.x-k8s.io"), f.File)
	for _, line := range []string{
		"Cluster/w1 ", "├─ClusterInfrastructure DockerCluster/w1 ", "├─ControlPlane KubeadmControlPlane/w1-cp ",
		"│ └─Machine/w1-cp-0 → Node/w1-cp-0 ", "└─Workers", "  └─MachineDeployment/w1-md ", "    ├─Machine/w1-md-a ",
		"Available=False  InfrastructureReady=False: LoadBalancerFailed: load balancer down",
		"Ready=True (deleting)",
	} {
		assert.Contains(t, f.Message, line)
	}
	t.Logf("tree:\n%s", f.Message)
	ok := one(t, got, IDClusterAPICluster, "Cluster fleet/ok")
	assert.Equal(t, analyze.SeverityInfo, ok.Severity)
	assert.Equal(t, "Cluster fleet/ok is Available", ok.Title)

	f = one(t, got, IDClusterAPIConditions, "DockerCluster fleet/w1")
	assert.Equal(t, analyze.SeverityWarn, f.Severity)
	assert.Equal(t, file("dockerclusters.infrastructure.cluster.x-k8s.io"), f.File)
	f = one(t, got, IDClusterAPIConditions, "Machine fleet/w1-md-a")
	assert.Contains(t, f.Message, "InfrastructureReady=False: WaitingForInfrastructure: VM not created")
	assert.Equal(t, file("machines.cluster.x-k8s.io"), f.File)
	one(t, got, IDClusterAPIConditions, "MachineDeployment fleet/w1-md")

	f = one(t, got, IDMachineNoNode, "Machine fleet/w1-md-a")
	assert.Equal(t, analyze.SeverityWarn, f.Severity)
	assert.Contains(t, f.Message, "no status.nodeRef 2h0m after creation; phase Provisioning")
	stuck := byAnalyzer(got, IDMachineStuck)
	require.Len(t, stuck, 2)
	for _, s := range stuck {
		assert.Equal(t, analyze.SeverityFail, s.Severity)
	}
	assert.Contains(t, one(t, got, IDMachineStuck, "Machine fleet/w1-md-a").Title, "stuck provisioning")
	f = one(t, got, IDMachineStuck, "Machine fleet/w1-md-b")
	assert.Contains(t, f.Title, "stuck deleting")
	assert.Contains(t, f.Message, "Drain not completed yet")

	f = one(t, got, IDReplicas, "MachineDeployment fleet/w1-md")
	assert.Equal(t, "MachineDeployment fleet/w1-md has 1 of 2 replicas available", f.Title)
	f = one(t, got, IDMachineHealthCheck, "MachineHealthCheck fleet/w1-mhc")
	assert.Contains(t, f.Title, "1 of 3 machines unhealthy, remediation blocked")
	assert.Contains(t, f.Message, "w1-md-a (NodeStartupTimeout: Node failed to report startup in 10m)")
	assert.Contains(t, f.Message, "TooManyUnhealthy")

	for _, fi := range got {
		assert.NotContains(t, fi.Object, "w1-cp", "healthy control plane: %+v", fi)
	}
	// A longer threshold: nothing is stuck.
	assert.Empty(t, byAnalyzer(Analyze(v1beta2Fleet(), Options{Now: now, StuckAfter: 5 * 60 * 60 * 1e9}), IDMachineStuck))
}

func TestClusterAPIv1beta1(t *testing.T) {
	fsys := fstest.MapFS{
		crDir + "clusters.cluster.x-k8s.io/default.json": list("ClusterList", "cluster.x-k8s.io/v1beta1",
			`{"metadata":{"name":"old","namespace":"default"},"spec":{"controlPlaneRef":{"kind":"KubeadmControlPlane","name":"old-cp"},"infrastructureRef":{"kind":"AWSCluster","name":"old"}},
			  "status":{"phase":"Provisioned","controlPlaneReady":true,"infrastructureReady":true,"conditions":[
			    {"type":"Ready","status":"False","severity":"Error","reason":"ScalingUp","message":"Scaling up control plane to 3 replicas (actual 1)","lastTransitionTime":"2026-12-04T11:00:00Z"},
			    {"type":"ControlPlaneReady","status":"False","severity":"Error","reason":"ScalingUp","message":"Scaling up control plane to 3 replicas (actual 1)","lastTransitionTime":"2026-12-04T11:00:00Z"},
			    {"type":"InfrastructureReady","status":"True","lastTransitionTime":"2026-12-04T10:00:00Z"}]}}`),
		crDir + "kubeadmcontrolplanes.controlplane.cluster.x-k8s.io/default.json": list("KubeadmControlPlaneList", "controlplane.cluster.x-k8s.io/v1beta1",
			`{"metadata":{"name":"old-cp","namespace":"default","labels":{"cluster.x-k8s.io/cluster-name":"old"}},"spec":{"replicas":3},"status":{"readyReplicas":1,"initialized":true,"conditions":[
			    {"type":"Ready","status":"False","severity":"Warning","reason":"ScalingUp","message":"Scaling up control plane to 3 replicas (actual 1)"},
			    {"type":"Available","status":"True"}]}}`),
		crDir + "machines.cluster.x-k8s.io/default.json": list("MachineList", "cluster.x-k8s.io/v1beta1",
			`{"metadata":{"name":"old-cp-1","namespace":"default","creationTimestamp":"2026-12-04T11:50:00Z","labels":{"cluster.x-k8s.io/cluster-name":"old","cluster.x-k8s.io/control-plane":""}},"spec":{"clusterName":"old","infrastructureRef":{"kind":"AWSMachine","name":"old-cp-1"}},
			  "status":{"phase":"Provisioning","bootstrapReady":true,"conditions":[{"type":"Ready","status":"False","severity":"Info","reason":"WaitingForInfrastructure"},{"type":"InfrastructureReady","status":"False","severity":"Info","reason":"WaitingForInfrastructure","message":"instance pending"}]}}`,
			`{"metadata":{"name":"old-cp-0","namespace":"default","creationTimestamp":"2026-12-04T10:00:00Z","labels":{"cluster.x-k8s.io/cluster-name":"old","cluster.x-k8s.io/control-plane":""}},"spec":{"clusterName":"old"},
			  "status":{"phase":"Running","nodeRef":{"kind":"Node","name":"ip-10-0-0-1"},"conditions":[{"type":"Ready","status":"True"}]}}`,
			`{"metadata":{"name":"old-md-y","namespace":"default","labels":{"cluster.x-k8s.io/deployment-name":"old-md"}},"spec":{"clusterName":"old"},"status":{"phase":"Running","nodeRef":{"name":"n-y"},"conditions":[{"type":"Ready","status":"True"}]}}`,
			`{"metadata":{"name":"old-md-x","namespace":"default","creationTimestamp":"2026-12-04T10:00:00Z"},"spec":{"clusterName":"old"},
			  "status":{"phase":"Failed","failureReason":"CreateError","failureMessage":"instance terminated","conditions":[{"type":"Ready","status":"False","severity":"Error","reason":"InstanceTerminated"}]}}`),
		crDir + "machinehealthchecks.cluster.x-k8s.io/default.json": list("MachineHealthCheckList", "cluster.x-k8s.io/v1beta1",
			`{"metadata":{"name":"h","namespace":"default"},"spec":{"clusterName":"old"},"status":{"expectedMachines":2,"currentHealthy":2,"remediationsAllowed":1}}`),
	}
	got := Analyze(fsys, Options{Now: now})
	f := one(t, got, IDClusterAPICluster, "Cluster default/old")
	assert.Equal(t, analyze.SeverityFail, f.Severity)
	assert.Equal(t, "Cluster default/old is not Ready", f.Title)
	assert.Contains(t, f.Message, "ControlPlaneReady=False: ScalingUp: Scaling up control plane to 3 replicas (actual 1) (severity Error)")
	assert.Contains(t, f.Message, "│ └─Machine/old-cp-1 ")
	assert.Regexp(t, `├─ClusterInfrastructure AWSCluster/old +\(not in the bundle\)`, f.Message)
	assert.Regexp(t, `└─Workers\n  ├─MachineDeployment/old-md +\(not in the bundle\)\n  │ └─Machine/old-md-y → Node/n-y +Ready=True\n  └─Machine/old-md-x `, f.Message)
	assert.Regexp(t, `├─ControlPlane KubeadmControlPlane/old-cp +Ready=False  ScalingUp: Scaling up`, f.Message)

	f = one(t, got, IDClusterAPIConditions, "KubeadmControlPlane default/old-cp")
	assert.Equal(t, analyze.SeverityFail, f.Severity, "a control plane not Ready fails")
	f = one(t, got, IDReplicas, "KubeadmControlPlane default/old-cp")
	assert.Contains(t, f.Title, "1 of 3 replicas")
	f = one(t, got, IDClusterAPIConditions, "Machine default/old-cp-1")
	assert.Equal(t, analyze.SeverityWarn, f.Severity)
	assert.Contains(t, f.Message, "InfrastructureReady=False: WaitingForInfrastructure: instance pending (severity Info)")
	f = one(t, got, IDClusterAPIConditions, "Machine default/old-md-x")
	assert.Equal(t, analyze.SeverityFail, f.Severity)
	assert.Contains(t, f.Message, "failure: CreateError: instance terminated")
	one(t, got, IDMachineNoNode, "Machine default/old-cp-1")
	assert.Empty(t, byAnalyzer(got, IDMachineStuck), "10 minutes is not stuck; a Failed machine is no longer provisioning")
	assert.Empty(t, byAnalyzer(got, IDMachineHealthCheck), "all healthy")
	for _, fi := range got {
		assert.False(t, strings.Contains(fi.Object, "old-cp-0"), "healthy machine: %+v", fi)
	}
}

func TestReadClusterAPI(t *testing.T) {
	c, errs := ReadClusterAPI(v1beta2Fleet())
	require.Empty(t, errs)
	require.Len(t, c.Clusters, 2)
	w1 := c.Clusters[0]
	assert.Equal(t, "w1", w1.Name)
	assert.True(t, w1.ControlPlaneInitialized)
	assert.Equal(t, "cluster.x-k8s.io/v1beta2", w1.APIVersion)
	require.Len(t, c.Machines, 3)
	assert.Equal(t, "w1-cp-0", c.Machines[0].NodeName)
	assert.Equal(t, "w1", c.Machines[0].ClusterName)
}
