package troubleshoot

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mesosphere/dkp-diagnose/lib/analyze"
	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
)

func list(kind string, items ...string) []byte {
	return fmt.Appendf(nil, `{"kind":%q,"apiVersion":"v1","items":[%s]}`, kind+"List", join(items))
}

func join(items []string) string {
	out := ""
	for i, it := range items {
		if i > 0 {
			out += ","
		}
		out += it
	}
	return out
}

// fixture is a small bundle with something wrong in most places.
func fixture() fstest.MapFS {
	file := func(b []byte) *fstest.MapFile { return &fstest.MapFile{Data: b} }
	return fstest.MapFS{
		"version.yaml":                      file([]byte("apiVersion: troubleshoot.sh/v1beta2\n")),
		"cluster-info/cluster_version.json": file([]byte(`{"info":{},"string":"v1.31.2"}`)),
		"cluster-resources/nodes.json": file(list("Node",
			`{"metadata":{"name":"cp","labels":{"node-role.kubernetes.io/control-plane":""}},"spec":{"taints":[{"key":"node-role.kubernetes.io/control-plane","effect":"NoSchedule"}]},"status":{"capacity":{"cpu":"4","memory":"8Gi","pods":"110"},"allocatable":{"cpu":"3800m","memory":"7Gi","pods":"110"},"conditions":[{"type":"Ready","status":"True"}],"nodeInfo":{"architecture":"amd64"}}}`,
			`{"metadata":{"name":"w1"},"status":{"capacity":{"cpu":"2","memory":"4Gi","pods":"110"},"allocatable":{"cpu":"2","memory":"3Gi","pods":"110"},"conditions":[{"type":"Ready","status":"False"}],"nodeInfo":{"architecture":"amd64"}}}`)),
		"cluster-resources/deployments/default.json": file(list("Deployment",
			`{"metadata":{"name":"web","namespace":"default"},"status":{"replicas":2,"readyReplicas":1,"availableReplicas":1}}`,
			`{"metadata":{"name":"ok","namespace":"default"},"status":{"replicas":1,"readyReplicas":1,"availableReplicas":1}}`)),
		"cluster-resources/deployments/empty.json": file(list("Deployment")),
		"cluster-resources/statefulsets/default.json": file(list("StatefulSet",
			`{"metadata":{"name":"db","namespace":"default"},"status":{"replicas":3,"readyReplicas":2}}`)),
		"cluster-resources/jobs/default.json": file(list("Job",
			`{"metadata":{"name":"migrate","namespace":"default"},"spec":{"completions":1},"status":{"failed":2}}`,
			`{"metadata":{"name":"done","namespace":"default"},"spec":{"completions":1},"status":{"succeeded":1}}`)),
		"cluster-resources/replicasets/default.json": file(list("ReplicaSet",
			`{"metadata":{"name":"web-1","namespace":"default","labels":{"app":"web"}},"spec":{"replicas":2},"status":{"readyReplicas":1,"availableReplicas":1}}`)),
		"cluster-resources/pods/default.json": file(list("Pod",
			`{"metadata":{"name":"web-1-a","namespace":"default","uid":"u1"},"status":{"phase":"Running","conditions":[{"type":"Ready","status":"False"}],"containerStatuses":[{"name":"app","ready":false,"restartCount":5,"state":{"waiting":{"reason":"CrashLoopBackOff","message":"back-off"}},"lastState":{"terminated":{"reason":"OOMKilled","exitCode":137}}}]}}`,
			`{"metadata":{"name":"web-1-b","namespace":"default","uid":"u2"},"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}],"containerStatuses":[{"name":"app","ready":true,"restartCount":0,"state":{"running":{}}}]}}`,
			`{"metadata":{"name":"pending","namespace":"default","uid":"u3"},"status":{"phase":"Pending","conditions":[{"type":"PodScheduled","status":"False","message":"0/2 nodes are available"}]}}`)),
		"cluster-resources/pods/logs/default/web-1-a/app.log": file([]byte("starting\nERROR connection refused to db:5432\nversion=1.2.3 workers=4\n")),
		"cluster-resources/pods/logs/default/web-1-b/app.log": file([]byte("starting\nready\nversion=1.2.3 workers=1\n")),
		"cluster-resources/events/default.json": file(list("Event",
			`{"metadata":{"name":"e1","namespace":"default"},"involvedObject":{"kind":"Pod","name":"web-1-a","namespace":"default"},"reason":"BackOff","message":"Back-off restarting failed container","type":"Warning"}`)),
		"cluster-resources/custom-resource-definitions.json": file(list("CustomResourceDefinition",
			`{"metadata":{"name":"clusters.cluster.x-k8s.io"}}`)),
		"cluster-resources/storage-classes.json": file(list("StorageClass",
			`{"metadata":{"name":"standard","annotations":{"storageclass.kubernetes.io/is-default-class":"true"}}}`)),
		"cluster-resources/ingress/default.json":     file(list("Ingress")),
		"cluster-resources/pvcs/default.json":        file(list("PersistentVolumeClaim", `{"metadata":{"name":"data","namespace":"default"},"spec":{"resources":{"requests":{"storage":"10Gi"}}},"status":{"phase":"Pending"}}`)),
		"secrets/default/creds/password.json":        file([]byte(`{"namespace":"default","name":"creds","key":"password","secretExists":true,"keyExists":false}`)),
		"configmaps/kube-system/kubeadm-config.json": file([]byte(`{"namespace":"kube-system","name":"kubeadm-config","key":"","configMapExists":true,"keyExists":false}`)),
		"static/config.yaml":                         file([]byte("mode: fast\nreplicas: 3\nlist: [b, a]\n")),
		"static/config.json":                         file([]byte(`{"mode":"fast","list":["b","a"],"nested":{"items":[{"name":"x"}]}}`)),
	}
}

const specYAML = `apiVersion: troubleshoot.sh/v1beta2
kind: Analyzer
metadata: {name: t}
spec:
  analyzers:
  - clusterVersion:
      outcomes:
      - fail: {when: "< 1.28.0", message: too old}
      - pass: {message: "ok"}
  - nodeResources:
      checkName: node count
      outcomes:
      - fail: {when: "count() < 3", message: "{{ .NodeCount }} nodes"}
      - pass: {message: enough}
  - nodeResources:
      checkName: not ready
      outcomes:
      - warn: {when: "nodeCondition(Ready) == False", message: a node is not ready}
      - pass: {message: all ready}
  - nodeResources:
      checkName: cpu
      filters: {cpuCapacity: "3"}
      outcomes:
      - fail: {when: "sum(cpuCapacity) < 4", message: "few cpus"}
      - pass: {message: "{{ .NodeCount }} big node(s)"}
  - deploymentStatus: {name: web, namespace: default, outcomes: [{fail: {when: "< 2", message: degraded}}, {pass: {message: fine}}]}
  - deploymentStatus: {name: gone, namespace: empty, outcomes: [{fail: {when: absent, message: missing}}, {pass: {message: fine}}]}
  - deploymentStatus: {name: gone, namespace: empty, outcomes: [{pass: {when: ">= 1", message: fine}}]}
  - deploymentStatus: {name: web, namespace: nowhere, outcomes: [{pass: {message: fine}}]}
  - deploymentStatus: {}
  - statefulsetStatus: {}
  - jobStatus: {namespace: default}
  - jobStatus: {name: migrate, namespace: default, outcomes: [{fail: {when: "failed > 0", message: "job failed"}}]}
  - replicasetStatus: {selector: ["app=web"]}
  - clusterPodStatuses:
      outcomes:
      - fail: {when: "== CrashLoopBackOff"}
      - warn: {when: "!= Healthy", message: "{{ .Name }} unhealthy: {{ .Status.Reason }}"}
  - clusterContainerStatuses:
      restartCount: 3
      outcomes:
      - fail: {when: "== OOMKilled", message: "{{ .PodName }}/{{ .ContainerName }} OOMKilled after {{ .RestartCount }} restarts"}
      - pass: {message: none}
  - event:
      reason: backoff
      kind: Pod
      outcomes:
      - fail: {when: "true", message: "{{ .InvolvedObject.Name }}: {{ .Message }}"}
      - pass: {when: "false", message: no back-off}
  - textAnalyze:
      checkName: db errors
      fileName: cluster-resources/pods/logs/default/*/app.log
      regex: connection refused
      outcomes:
      - fail: {when: "true", message: db unreachable}
      - pass: {when: "false", message: db fine}
  - textAnalyze:
      checkName: workers
      collectorName: cluster-resources/pods/logs/default
      fileName: "*/app.log"
      regexGroups: 'workers=(?P<Workers>\d+)'
      outcomes:
      - warn: {when: "Workers < 2", message: "only {{ .Workers }} worker"}
      - pass: {message: "{{ .Workers }} workers"}
  - textAnalyze: {checkName: nothing, fileName: none/*.log, regex: x, outcomes: [{pass: {message: p}}]}
  - customResourceDefinition: {customResourceDefinitionName: clusters.cluster.x-k8s.io, outcomes: [{fail: {message: no capi}}, {pass: {message: capi}}]}
  - customResourceDefinition: {customResourceDefinitionName: machines.cluster.x-k8s.io, outcomes: [{warn: {message: no machines}}, {pass: {message: machines}}]}
  - storageClass: {outcomes: [{fail: {message: no default}}]}
  - ingress: {ingressName: web, namespace: default, outcomes: [{fail: {message: no ingress}}, {pass: {message: ingress}}]}
  - secret: {secretName: creds, namespace: default, key: password, outcomes: [{fail: {message: no password}}, {pass: {message: password}}]}
  - configMap: {configMapName: kubeadm-config, namespace: kube-system, outcomes: [{fail: {message: none}}, {pass: {message: found}}]}
  - clusterResource: {kind: pvc, namespace: default, name: data, yamlPath: status.phase, expectedValue: Bound, outcomes: [{pass: {when: "true", message: bound}}, {fail: {message: not bound}}]}
  - clusterResource: {checkName: size, kind: pvc, namespace: default, name: data, yamlPath: spec.resources.requests.storage, outcomes: [{fail: {when: "< 20Gi", message: small}}, {pass: {message: big}}]}
  - clusterResource: {checkName: missing, kind: pvc, namespace: default, name: nope, yamlPath: status.phase, outcomes: [{pass: {message: x}}]}
  - yamlCompare: {checkName: mode, fileName: static/config.yaml, path: mode, value: slow, outcomes: [{fail: {when: "false", message: "mode is {{ .mode }}"}}, {pass: {message: slow}}]}
  - jsonCompare: {checkName: list, fileName: static/config.json, path: list, value: '["a","b"]', outcomes: [{fail: {when: "false", message: differ}}, {pass: {message: same}}]}
  - jsonCompare: {checkName: jsonpath, fileName: static/config.json, jsonPath: "{.nested.items[0].name}", value: '"x"', outcomes: [{fail: {when: "false", message: differ}}, {pass: {message: same}}]}
  - clusterVersion: {checkName: skipped, exclude: true, outcomes: [{fail: {message: never}}]}
  - clusterVersion: {checkName: strict one, strict: "true", outcomes: [{pass: {message: ok}}]}
  - longhorn: {namespace: longhorn-system}
  - velero: {exclude: true}
`

type outcome struct{ sev, title, msg string }

func sevOf(r *Result) string {
	switch {
	case r.IsFail:
		return "fail"
	case r.IsWarn:
		return "warn"
	case r.IsPass:
		return "pass"
	}
	return "none"
}

func TestRunAnalyzers(t *testing.T) {
	s, err := spec.Parse("t.yaml", []byte(specYAML))
	require.NoError(t, err)
	rs, err := Run(context.Background(), fixture(), s.Analyzers)
	require.NoError(t, err)
	var got []outcome
	for _, r := range rs {
		got = append(got, outcome{sevOf(r), r.Title, r.Message})
	}
	want := []outcome{
		{"pass", "Required Kubernetes Version", "ok"},
		{"fail", "node count", "2 nodes"},
		{"warn", "not ready", "a node is not ready"},
		{"pass", "cpu", "1 big node(s)"},
		{"fail", "web Status", "degraded"},
		{"fail", "gone Status", "missing"},
		{"fail", "gone Status", `The deployment "gone" was not found`},
		// deploymentStatus of a namespace with no file: no result, as troubleshoot.
		{"fail", "default/web Deployment Status", "The deployment default/web has 1/2 replicas"},
		{"fail", "default/db Statefulset Status", "The statefulset default/db has 2/3 replicas"},
		{"fail", "default/migrate Job Status", "The job default/migrate is not complete"},
		{"fail", "migrate Status", "job failed"},
		{"fail", "default/web-1 ReplicaSet Status", "The replicaset default/web-1 is not ready"},
		{"fail", "Pod default/web-1-a status", "Pod default/web-1-a status is CrashLoopBackOff. Message is: ExitCode:137"},
		{"warn", "Pod default/pending status", "pending unhealthy: Pending"},
		{"fail", "Cluster Container Status", "web-1-a/app OOMKilled after 5 restarts"},
		{"fail", "Event", "web-1-a: Back-off restarting failed container"},
		{"fail", "db errors", "db unreachable"},
		{"pass", "db errors", "db fine"},
		{"pass", "workers", "4 workers"},
		{"warn", "workers", "only 1 worker"},
		{"warn", "nothing", "No matching files"},
		{"pass", "Custom resource definition clusters.cluster.x-k8s.io", "capi"},
		{"warn", "Custom resource definition machines.cluster.x-k8s.io", "no machines"},
		{"pass", "Default Storage Class", "Default Storage Class found"},
		{"fail", "Ingress web", "no ingress"},
		{"fail", "Secret creds", "no password"},
		{"pass", "ConfigMap kubeadm-config", "found"},
		{"fail", "", "not bound"},
		{"fail", "size", "small"},
		{"fail", "missing", "pvc nope in namespace default does not exist"},
		{"fail", "mode", "mode is fast"},
		{"pass", "list", "same"},
		{"pass", "jsonpath", "same"},
		{"pass", "strict one", "ok"},
		{"warn", "longhorn analyzer", "dkp-diagnose does not run longhorn analyzers (t.yaml:80): not analyzed"},
	}
	assert.Equal(t, want, got)

	byTitle := map[string]*Result{}
	for _, r := range rs {
		if byTitle[r.Title] == nil {
			byTitle[r.Title] = r
		}
	}
	assert.True(t, byTitle["strict one"].Strict)
	assert.Equal(t, "cluster-resources/deployments/default.json", byTitle["web Status"].File)
	assert.Equal(t, "cluster-resources/pods/logs/default/web-1-a/app.log", byTitle["db errors"].File)
	f := byTitle["Pod default/pending status"].Finding()
	assert.Equal(t, analyze.Finding{Analyzer: "clusterPodStatuses/Pod default/pending status", Severity: analyze.SeverityWarn,
		Title: "Pod default/pending status", Message: "pending unhealthy: Pending", Object: "Pod default/pending",
		File: "cluster-resources/pods/default.json"}, f)
	assert.Equal(t, "deploymentStatus/web Status", byTitle["web Status"].Finding().Analyzer)
}

func TestAnalyzerErrorsAreResults(t *testing.T) {
	s, err := spec.Parse("t.yaml", []byte(`apiVersion: troubleshoot.sh/v1beta2
kind: SupportBundle
spec:
  analyzers:
  - event: {checkName: events, namespace: nowhere, reason: X, outcomes: [{pass: {when: "true"}}]}
  - textAnalyze: {checkName: bad regex, fileName: version.yaml, regex: "(", outcomes: [{pass: {}}]}
`))
	require.NoError(t, err)
	rs, err := Run(context.Background(), fixture(), s.Analyzers)
	require.NoError(t, err)
	require.Len(t, rs, 2)
	assert.True(t, rs[0].IsFail)
	assert.Contains(t, rs[0].Message, "Analyzer Failed: failed to read collected events for namespace: nowhere")
	assert.Equal(t, "cluster-resources/events/nowhere.json", rs[0].File)
	assert.Contains(t, rs[1].Message, "failed to compile regex")
}

func TestAnalysisJSON(t *testing.T) {
	rs := []*Result{
		{IsFail: true, Title: "Pod default/x status", Message: "bad", IconKey: "k", InvolvedObject: nil},
		{IsPass: true, Title: "ok", Message: "fine"},
		{Title: "no outcome"},
	}
	data, err := MarshalAnalysis(rs)
	require.NoError(t, err)
	var entries []map[string]any
	require.NoError(t, json.Unmarshal(data, &entries))
	require.Len(t, entries, 3)
	assert.Equal(t, "pod.default.x.status", entries[0]["name"])
	assert.Equal(t, "error", entries[0]["severity"])
	assert.Equal(t, "bad", entries[0]["error"])
	assert.Equal(t, map[string]any{"name": "pod.default.x.status", "labels": map[string]any{"iconKey": "k", "iconUri": ""}, "primary": "Pod default/x status", "detail": "bad", "severity": "error"}, entries[0]["insight"])
	assert.Equal(t, "debug", entries[1]["severity"])
	assert.Equal(t, "", entries[2]["severity"])
	back, err := ParseAnalysis(data)
	require.NoError(t, err)
	assert.True(t, back[0].IsFail)
	assert.True(t, back[1].IsPass)
	assert.Equal(t, "fine", back[1].Message)
}

func TestSpecErrorsHaveLines(t *testing.T) {
	for name, tc := range map[string]struct{ doc, want string }{
		"unknown field": {`apiVersion: troubleshoot.sh/v1beta2
kind: Analyzer
spec:
  analyzers:
  - deploymentStatus:
      nam: web
`, `t.yaml:6: unknown field "nam" in spec.analyzers[0].deploymentStatus`},
		"unknown type": {`apiVersion: troubleshoot.sh/v1beta2
kind: Analyzer
spec:
  analyzers:
  - deploymentStatuss: {}
`, `t.yaml:5: unknown analyzer type "deploymentStatuss"`},
		"two types": {`apiVersion: troubleshoot.sh/v1beta2
kind: Analyzer
spec:
  analyzers:
  - {clusterVersion: {}, nodeResources: {}}
`, `t.yaml:5: spec.analyzers[0] must be a mapping with one analyzer type`},
		"quote when": {`apiVersion: troubleshoot.sh/v1beta2
kind: SupportBundle
spec:
  analyzers:
  - textAnalyze:
      outcomes:
      - pass: {when: true}
`, `t.yaml:7: spec.analyzers[0].textAnalyze.outcomes[0].pass.when must be a string (quote it)`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := spec.Parse("t.yaml", []byte(tc.doc))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}
