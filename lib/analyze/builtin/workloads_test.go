package builtin

import (
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mesosphere/dkp-diagnose/lib/analyze"
)

func TestWorkloads(t *testing.T) {
	fsys := fstest.MapFS{
		"execution-data/summary.json": {Data: []byte(`{"started":"2026-12-04T12:00:00Z"}`)},
		"cluster-resources/nodes.json": list("NodeList", "v1",
			`{"metadata":{"name":"good"},"status":{"conditions":[{"type":"Ready","status":"True"},{"type":"MemoryPressure","status":"False"}]}}`,
			`{"metadata":{"name":"bad"},"status":{"conditions":[{"type":"Ready","status":"Unknown","reason":"NodeStatusUnknown","message":"Kubelet stopped posting node status."},{"type":"DiskPressure","status":"True","reason":"KubeletHasDiskPressure"}]}}`),
		"cluster-resources/pods/app.json": list("PodList", "v1",
			`{"metadata":{"name":"crash","namespace":"app"},"status":{"phase":"Running","containerStatuses":[{"name":"main","restartCount":7,"state":{"waiting":{"reason":"CrashLoopBackOff","message":"back-off 5m0s"}},"lastState":{"terminated":{"exitCode":137,"reason":"OOMKilled"}}}]}}`,
			`{"metadata":{"name":"pull","namespace":"app"},"status":{"phase":"Pending","conditions":[{"type":"PodScheduled","status":"True"}],"containerStatuses":[{"name":"main","image":"nope:1","state":{"waiting":{"reason":"ImagePullBackOff","message":"Back-off pulling image \"nope:1\""}}}]}}`,
			`{"metadata":{"name":"unsched","namespace":"app","creationTimestamp":"2026-12-04T11:00:00Z"},"status":{"phase":"Pending","conditions":[{"type":"PodScheduled","status":"False","reason":"Unschedulable","message":"0/3 nodes are available: 3 Insufficient cpu."}]}}`,
			`{"metadata":{"name":"cfg","namespace":"app"},"status":{"phase":"Pending","containerStatuses":[{"name":"main","state":{"waiting":{"reason":"CreateContainerConfigError","message":"secret \"x\" not found"}}}]}}`,
			`{"metadata":{"name":"fine","namespace":"app"},"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}],"containerStatuses":[{"name":"main","ready":true,"state":{"running":{}}}]}}`),
		"cluster-resources/pods/empty.json": list("PodList", "v1"),
		"cluster-resources/jobs/app.json": list("JobList", "batch/v1",
			`{"metadata":{"name":"migrate","namespace":"app"},"status":{"failed":6,"conditions":[{"type":"Failed","status":"True","reason":"BackoffLimitExceeded","message":"Job has reached the specified backoff limit"}]}}`,
			`{"metadata":{"name":"ok","namespace":"app"},"status":{"succeeded":1,"conditions":[{"type":"Complete","status":"True"}]}}`),
		"cluster-resources/pvcs/app.json": list("PersistentVolumeClaimList", "v1",
			`{"metadata":{"name":"data","namespace":"app"},"spec":{"storageClassName":"missing"},"status":{"phase":"Pending"}}`,
			`{"metadata":{"name":"bound","namespace":"app"},"status":{"phase":"Bound"}}`),
		"cluster-resources/events/app.json": list("EventList", "v1",
			`{"metadata":{"name":"e1","namespace":"app"},"type":"Warning","reason":"BackOff","involvedObject":{"kind":"Pod","name":"crash"},"count":5,"message":"Back-off restarting","lastTimestamp":"2026-12-04T11:00:00Z"}`,
			`{"metadata":{"name":"e2","namespace":"app"},"type":"Warning","reason":"BackOff","involvedObject":{"kind":"Pod","name":"pull"},"count":3,"message":"Back-off pulling","lastTimestamp":"2026-12-04T11:30:00Z"}`,
			`{"metadata":{"name":"e3","namespace":"app"},"type":"Normal","reason":"Pulled","involvedObject":{"kind":"Pod","name":"fine"}}`),
		"cluster-resources/events-errors.json": {Data: []byte(`["forbidden"]`)},
	}
	got := Analyze(fsys, Options{})

	f := one(t, got, IDNodeNotReady, "Node bad")
	assert.Equal(t, analyze.SeverityFail, f.Severity)
	assert.Contains(t, f.Message, "Kubelet stopped posting")
	assert.Equal(t, "cluster-resources/nodes.json", f.File)
	assert.Equal(t, analyze.SeverityWarn, one(t, got, IDNodePressure, "Node bad").Severity)
	assert.Empty(t, byAnalyzer(got, IDNodeNotReady)[1:], "good node is fine")

	f = one(t, got, IDPodCrashLoop, "Pod app/crash")
	assert.Equal(t, analyze.SeverityFail, f.Severity)
	assert.Contains(t, f.Message, "main (7 restarts, last exit 137 OOMKilled)")
	assert.Equal(t, "cluster-resources/pods/app.json", f.File)
	assert.Equal(t, analyze.SeverityWarn, one(t, got, IDPodOOMKilled, "Pod app/crash").Severity)
	f = one(t, got, IDPodImagePull, "Pod app/pull")
	assert.Equal(t, analyze.SeverityFail, f.Severity)
	assert.Contains(t, f.Message, "image nope:1")
	f = one(t, got, IDPodPending, "Pod app/unsched")
	assert.Equal(t, analyze.SeverityWarn, f.Severity)
	assert.Contains(t, f.Title, "Unschedulable")
	assert.Contains(t, f.Message, "3 Insufficient cpu")
	assert.Contains(t, f.Message, "pending for 1h0m")
	assert.Contains(t, one(t, got, IDPodCannotStart, "Pod app/cfg").Message, `secret "x" not found`)
	for _, fi := range got {
		assert.NotEqual(t, "Pod app/fine", fi.Object)
	}

	f = one(t, got, IDJobFailed, "Job app/migrate")
	assert.Equal(t, analyze.SeverityFail, f.Severity)
	assert.Contains(t, f.Title, "BackoffLimitExceeded")
	assert.Equal(t, "cluster-resources/jobs/app.json", f.File)
	assert.Len(t, byAnalyzer(got, IDJobFailed), 1)

	f = one(t, got, IDPVCPending, "PersistentVolumeClaim app/data")
	assert.Equal(t, analyze.SeverityWarn, f.Severity)
	assert.Contains(t, f.Message, "storage class missing")

	ev := byAnalyzer(got, IDWarningEvents)
	require.Len(t, ev, 1)
	assert.Equal(t, 8, ev[0].Count)
	assert.Equal(t, analyze.SeverityInfo, ev[0].Severity)
	assert.Contains(t, ev[0].Message, "crash, pull")
	assert.Contains(t, ev[0].Message, "latest: Back-off pulling")
	assert.Equal(t, "cluster-resources/events/app.json", ev[0].File)

	assert.Empty(t, byAnalyzer(got, IDUnreadable))
	assert.Equal(t, analyze.SeverityFail, got[0].Severity, "sorted worst first")
}

func TestUnreadableFile(t *testing.T) {
	got := Analyze(fstest.MapFS{
		"cluster-resources/pods/x.json": {Data: []byte(`{"items":[{"metadata":`)},
		"cluster-resources/nodes.json":  {Data: []byte(`[]`)},
	}, Options{})
	require.Len(t, got, 1)
	assert.Equal(t, IDUnreadable, got[0].Analyzer)
	assert.Equal(t, "cluster-resources/pods/x.json", got[0].File)
}

func TestWebhooks(t *testing.T) {
	hook := func(name, svcNS, svc, policy string) string {
		return `{"name":"` + name + `","failurePolicy":"` + policy + `","clientConfig":{"service":{"namespace":"` + svcNS + `","name":"` + svc + `"}}}`
	}
	fsys := fstest.MapFS{
		// Our current name and troubleshoot's: both are read.
		"cluster-resources/mutatingwebhookconfigurations.json": list("MutatingWebhookConfigurationList", "admissionregistration.k8s.io/v1",
			`{"metadata":{"name":"m"},"webhooks":[`+hook("down.example.com", "hooks", "down", "Fail")+`,`+hook("up.example.com", "hooks", "up", "Fail")+`]}`),
		"cluster-resources/validating-webhook-configurations.json": list("ValidatingWebhookConfigurationList", "admissionregistration.k8s.io/v1",
			`{"metadata":{"name":"v"},"webhooks":[`+hook("soft.example.com", "hooks", "notready", "Ignore")+`,`+hook("elsewhere.example.com", "uncollected", "x", "Fail")+`,{"name":"url.example.com","clientConfig":{"url":"https://x"}}]}`),
		"cluster-resources/endpointslices/hooks.json": list("EndpointSliceList", "discovery.k8s.io/v1",
			`{"metadata":{"name":"up-1","labels":{"kubernetes.io/service-name":"up"}},"endpoints":[{"addresses":["10.0.0.1"],"conditions":{"ready":true}}]}`,
			`{"metadata":{"name":"nr-1","labels":{"kubernetes.io/service-name":"notready"}},"endpoints":[{"addresses":["10.0.0.2"],"conditions":{"ready":false}}]}`),
	}
	got := byAnalyzer(Analyze(fsys, Options{}), IDWebhookNoEndpoints)
	require.Len(t, got, 2, "%+v", got)
	assert.Equal(t, analyze.SeverityFail, got[0].Severity)
	assert.Equal(t, "MutatingWebhookConfiguration m", got[0].Object)
	assert.Contains(t, got[0].Title, "hooks/down has no endpoints")
	assert.Equal(t, "cluster-resources/mutatingwebhookconfigurations.json", got[0].File)
	assert.Equal(t, analyze.SeverityWarn, got[1].Severity)
	assert.Contains(t, got[1].Title, "hooks/notready has no ready endpoint")
	assert.Equal(t, "cluster-resources/validating-webhook-configurations.json", got[1].File)

	// Without EndpointSlices, Endpoints tell.
	delete(fsys, "cluster-resources/endpointslices/hooks.json")
	fsys["cluster-resources/endpoints/hooks.json"] = list("EndpointsList", "v1",
		`{"metadata":{"name":"up"},"subsets":[{"addresses":[{"ip":"10.0.0.1"}]}]}`,
		`{"metadata":{"name":"notready"},"subsets":[{"notReadyAddresses":[{"ip":"10.0.0.2"}]}]}`)
	got = byAnalyzer(Analyze(fsys, Options{}), IDWebhookNoEndpoints)
	require.Len(t, got, 2, "%+v", got)
	assert.Contains(t, got[0].Message, "read from cluster-resources/endpoints/hooks.json")
}

func TestCerts(t *testing.T) {
	report := `/etc/kubernetes/pki/apiserver.crt subject="CN=kube-apiserver" issuer="CN=kubernetes" notBefore=2025-12-01T00:00:00Z notAfter=2026-12-20T00:00:00Z daysLeft=15
/etc/kubernetes/pki/ca.crt subject="CN=kubernetes" issuer="CN=kubernetes" notBefore=2016-12-01T00:00:00Z notAfter=2036-12-01T00:00:00Z daysLeft=3649
/etc/kubernetes/pki/front-proxy-client.crt subject="CN=front-proxy-client" issuer="CN=front-proxy-ca" notBefore=2025-01-01T00:00:00Z notAfter=2026-01-01T00:00:00Z daysLeft=-337 EXPIRED
/etc/kubernetes/pki/broken.crt error: no PEM certificate
`
	fsys := fstest.MapFS{"node-diagnostics/cp-0/data/certs_expiration": {Data: []byte(report)}}
	got := byAnalyzer(Analyze(fsys, Options{}), IDCertExpiry)
	require.Len(t, got, 2)
	assert.Equal(t, analyze.SeverityFail, got[0].Severity)
	assert.Equal(t, "Certificate /etc/kubernetes/pki/front-proxy-client.crt on node cp-0 has expired", got[0].Title)
	assert.Contains(t, got[0].Message, "CN=front-proxy-client")
	assert.Equal(t, "node-diagnostics/cp-0/data/certs_expiration", got[0].File)
	assert.Equal(t, "Node cp-0", got[0].Object)
	assert.Equal(t, analyze.SeverityWarn, got[1].Severity)
	assert.Contains(t, got[1].Title, "apiserver.crt on node cp-0 expires in 15 days")
}

func TestTroubleshootArrayForm(t *testing.T) {
	// troubleshoot writes custom resources as a bare array of items, each
	// with its kind and apiVersion.
	fsys := fstest.MapFS{
		"cluster-resources/custom-resources/machines.cluster.x-k8s.io/default.json": {Data: []byte(
			`[{"apiVersion":"cluster.x-k8s.io/v1beta1","kind":"Machine","metadata":{"name":"m","namespace":"default","creationTimestamp":"2026-12-04T11:59:00Z"},"spec":{"clusterName":"c"},"status":{"phase":"Provisioning"}}]`)},
	}
	got := Analyze(fsys, Options{Now: now})
	f := one(t, got, IDMachineNoNode, "Machine default/m")
	assert.Contains(t, f.Message, "phase Provisioning")
	assert.Empty(t, byAnalyzer(got, IDMachineStuck), "one minute is not stuck")
}
