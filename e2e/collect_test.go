package e2e

import (
	"context"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/mesosphere/dkp-diagnose/e2e/clitest"
	"github.com/mesosphere/dkp-diagnose/e2e/framework"
	"github.com/mesosphere/dkp-diagnose/lib/collect/bundle"
)

// collectCluster is a cluster seeded with what the collector tests look for:
// workloads in two namespaces, a config map and a secret holding secrets,
// custom resources of a namespaced and a cluster-scoped CRD, and a pod whose
// logs leak a password, a bearer token and a private key.
type collectCluster struct {
	*framework.Cluster
	webPods []corev1.Pod
}

func startCollectCluster(t *testing.T) *collectCluster {
	t.Helper()
	c := framework.Start(t, framework.Options{Name: "collect"})
	ctx := context.Background()
	for _, ns := range []string{"app-a", "app-b"} {
		mustCreateNamespace(t, c.Client, ns)
	}
	createDeployment(t, c.Client, "app-a", "web", 2)
	_, err := c.Client.CoreV1().ConfigMaps("app-a").Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "app-config", Labels: map[string]string{"app": "web"}},
		Data:       map[string]string{"endpoint": "https://api.example.internal", "config.yaml": "db:\n  password: " + configPassword + "\n"},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = c.Client.CoreV1().Secrets("app-b").Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "db-creds"},
		Data:       secretData(),
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = c.Client.CoreV1().Secrets("kube-system").Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "cloud-creds"},
		Data:       map[string][]byte{"token": []byte(secretToken)},
	}, metav1.CreateOptions{})
	require.NoError(t, err)

	createCRD(t, c.Dynamic, widgets)
	createCRD(t, c.Dynamic, gadgets)
	createCustomObject(t, c.Dynamic, widgets, "app-a", "w-one")
	createCustomObject(t, c.Dynamic, widgets, "app-a", "w-two")
	createCustomObject(t, c.Dynamic, widgets, "app-b", "w-three")
	createCustomObject(t, c.Dynamic, gadgets, "", "g-one")
	createCustomObject(t, c.Dynamic, gadgets, "", "g-two")

	require.NoError(t, c.SetPodLogs(ctx, "app-b", "logger", map[string]string{"main": fixtureLog()}))
	createPod(t, c.Client, "app-b", "logger", map[string]string{"app": "logger"}, "main")
	waitPodsRunning(t, c.Client, "app-b", "app=logger", 1)
	require.NoError(t, c.SetPodLogs(ctx, "app-b", "logger", map[string]string{"main": fixtureLog()}))
	return &collectCluster{Cluster: c, webPods: waitPodsRunning(t, c.Client, "app-a", "app=web", 2)}
}

var bundleName = regexp.MustCompile(`^support-bundle-\d{4}-\d\d-\d\dT\d\d_\d\d_\d\d(-\d+)?\.tar\.gz$`)

// TestCollectDefaultSpec runs the built-in spec and checks every collector's
// files, the layout, redaction and execution data.
func TestCollectDefaultSpec(t *testing.T) {
	c := startCollectCluster(t)
	out := t.TempDir()
	res := clitest.Run(t, "--kubeconfig", c.KubeconfigPath, "--output-dir", out)
	require.Equal(t, 0, res.Code, res.Stderr)
	paths := res.BundlePaths()
	require.Len(t, paths, 1)
	assert.Regexp(t, bundleName, filepath.Base(paths[0]))
	assert.Equal(t, []string{filepath.Base(paths[0])}, bundleFilesIn(t, out), "only the final bundle is left")
	// node-diagnostics ran its DaemonSet and removed it.
	assertNothingOfOurs(t, c.Client)
	files := clitest.OpenBundle(t, paths[0])

	t.Run("layout", func(t *testing.T) {
		assert.Contains(t, string(files["version.yaml"]), "apiVersion: troubleshoot.sh/v1beta2")
		assert.Contains(t, string(files["cluster-info/cluster_version.json"]), `"gitVersion": "v1.37.2"`)
	})

	t.Run("clusterResources", func(t *testing.T) {
		ns := clitest.ListNames(t, files["cluster-resources/namespaces.json"])
		assert.Subset(t, ns, []string{"app-a", "app-b", "default", "kube-system"})
		assert.ElementsMatch(t, c.NodeNames(), clitest.ListNames(t, files["cluster-resources/nodes.json"]))
		var webNames []string
		for _, p := range c.webPods {
			webNames = append(webNames, p.Name)
		}
		assert.ElementsMatch(t, webNames, clitest.ListNames(t, files["cluster-resources/pods/app-a.json"]))
		assert.Equal(t, []string{"logger"}, clitest.ListNames(t, files["cluster-resources/pods/app-b.json"]))
		assert.Equal(t, []string{"web"}, clitest.ListNames(t, files["cluster-resources/deployments/app-a.json"]))
		assert.Len(t, clitest.ListNames(t, files["cluster-resources/replicasets/app-a.json"]), 1)
		assert.Contains(t, clitest.ListNames(t, files["cluster-resources/configmaps/app-a.json"]), "app-config")
		assert.Contains(t, clitest.ListNames(t, files["cluster-resources/clusterroles.json"]), "cluster-admin")
		assert.Contains(t, clitest.ListNames(t, files["cluster-resources/serviceaccounts/app-a.json"]), "default")
		assert.NotEmpty(t, clitest.ListNames(t, files["cluster-resources/events/app-a.json"]))
		assert.Contains(t, files, "cluster-resources/storage-classes.json")
		assert.Contains(t, files, "cluster-resources/groups.json")
		assert.Contains(t, files, "cluster-resources/resources.json")
		for name := range files {
			assert.False(t, strings.HasPrefix(name, "cluster-resources/secrets"), "secrets are never in cluster-resources: %s", name)
			if name == "cluster-resources/auth-cani-list-errors.json" {
				// The Node authorizer cannot list rules, so every review
				// is incomplete; troubleshoot.sh records that too.
				assert.Contains(t, string(files[name]), "node authorizer")
				continue
			}
			assert.False(t, strings.HasSuffix(name, "-errors.json"), "no errors expected for an admin: %s: %s", name, files[name])
		}
		assert.Contains(t, string(files["cluster-resources/auth-cani-list/app-a.json"]), `"verbs"`)
		assert.Empty(t, clitest.ListNames(t, files["cluster-resources/statefulsets/app-a.json"]), "a namespace without any has an empty list")
		assert.Contains(t, files, "cluster-resources/mutating-webhook-configurations.json")
		assert.Contains(t, files, "cluster-resources/validating-webhook-configurations.json")
		assert.Contains(t, string(files["execution-data/summary.txt"]), "clusterResources (S)")
	})

	t.Run("customResources", func(t *testing.T) {
		assert.Subset(t, clitest.ListNames(t, files["cluster-resources/custom-resource-definitions.json"]), []string{widgets.name(), gadgets.name()})
		base := "cluster-resources/custom-resources/"
		assert.ElementsMatch(t, []string{"w-one", "w-two"}, clitest.ListNames(t, files[base+widgets.name()+"/app-a.json"]))
		assert.ElementsMatch(t, []string{"w-three"}, clitest.ListNames(t, files[base+widgets.name()+"/app-b.json"]))
		assert.ElementsMatch(t, []string{"g-one", "g-two"}, clitest.ListNames(t, files[base+gadgets.name()+".json"]))
	})

	t.Run("configMapsAndSecretsKeysOnly", func(t *testing.T) {
		var cm map[string]any
		require.NoError(t, json.Unmarshal(files["configmaps/app-a/app-config.json"], &cm))
		assert.Equal(t, []any{"config.yaml", "endpoint"}, cm["keys"])
		assert.Nil(t, cm["data"])
		var sec map[string]any
		require.NoError(t, json.Unmarshal(files["secrets/app-b/db-creds.json"], &sec))
		assert.Equal(t, []any{"password", "token"}, sec["keys"])
		assert.Equal(t, true, sec["secretExists"])
		assert.Nil(t, sec["value"])
		assert.Nil(t, sec["data"])
		assert.Contains(t, files, "secrets/kube-system/cloud-creds.json", "all namespaces")
	})

	t.Run("allLogs", func(t *testing.T) {
		log := string(files["cluster-resources/pods/logs/app-b/logger/main.log"])
		assert.Contains(t, log, "starting logger")
		assert.Contains(t, log, "ready to serve")
		links, err := bundle.Links(paths[0])
		require.NoError(t, err)
		assert.Equal(t, "cluster-resources/pods/logs/app-b/logger/main.log", links["allPodLogs/app-b/logger-main.log"], "the AllLogs path links to the log")
		for _, p := range c.webPods {
			assert.Equal(t, "cluster-resources/pods/logs/app-a/"+p.Name+"/main.log", links["allPodLogs/app-a/"+p.Name+"-main.log"])
		}
	})

	t.Run("redaction", func(t *testing.T) {
		assertNoSecrets(t, files)
		var report struct {
			Total int `json:"total"`
			Files []struct {
				File     string `json:"file"`
				Redactor string `json:"redactor"`
				Matches  int    `json:"matches"`
			} `json:"files"`
		}
		require.NoError(t, json.Unmarshal(files["execution-data/redaction-report.json"], &report))
		redactedFiles := map[string]bool{}
		for _, f := range report.Files {
			assert.Positive(t, f.Matches)
			redactedFiles[f.File] = true
		}
		assert.True(t, redactedFiles["cluster-resources/pods/logs/app-b/logger/main.log"], "report lists the log: %v", redactedFiles)
		assert.True(t, redactedFiles["cluster-resources/configmaps/app-a.json"], "report lists the config maps: %v", redactedFiles)
		assert.GreaterOrEqual(t, report.Total, 4)
		assert.NotContains(t, string(files["execution-data/redaction-report.json"]), logPassword)
	})

	t.Run("executionData", func(t *testing.T) {
		var sum struct {
			Collectors []struct {
				Collector string `json:"collector"`
				Outcome   string `json:"outcome"`
			} `json:"collectors"`
		}
		require.NoError(t, json.Unmarshal(files["execution-data/summary.json"], &sum))
		var got []string
		for _, col := range sum.Collectors {
			assert.Equal(t, "ok", col.Outcome, col.Collector)
			got = append(got, col.Collector)
		}
		assert.Equal(t, []string{"clusterInfo", "clusterResources", "allLogs", "configMap", "secret", "execCopyFromHost"}, got)
		assert.Contains(t, string(files["execution-data/spec.yaml"]), "allLogs")
	})
}

// TestCollectSpecCollectors drives logs (with limits), data, secret with
// includeValue and configMap with includeAllData from a user spec, with a
// bundle prefix and a custom Redactor.
func TestCollectSpecCollectors(t *testing.T) {
	c := startCollectCluster(t)
	dir := t.TempDir()
	specFile := writeFile(t, dir, "spec.yaml", `apiVersion: troubleshoot.sh/v1beta2
kind: SupportBundle
metadata:
  name: custom
spec:
  collectors:
    - logs:
        collectorName: web-logs
        name: web
        selector: ["app=web"]
        namespace: app-a
        limits:
          maxLines: 2
    - logs:
        name: everywhere
        selector: ["app=logger"]
    - data:
        name: notes/hello.txt
        data: "hello from the spec, api-host=internal.example"
    - configMap:
        name: app-config
        namespace: app-a
        includeAllData: true
    - secret:
        name: db-creds
        namespace: app-b
        key: password
        includeValue: true
    - secret:
        name: missing
        namespace: app-b
---
apiVersion: troubleshoot.sh/v1beta2
kind: Redactor
metadata:
  name: hosts
spec:
  redactors:
    - name: internal-host
      fileSelector:
        files: ["notes/*"]
      removals:
        values: ["internal.example"]
`)
	require.NoError(t, c.SetPodLogs(context.Background(), "app-a", c.webPods[0].Name, map[string]string{"main": "one\ntwo\nthree\nfour\n"}))
	out := t.TempDir()
	res := clitest.Run(t, "--kubeconfig", c.KubeconfigPath, "--output-dir", out, "--bundle-prefix", "mgmt-", specFile)
	require.Equal(t, 0, res.Code, res.Stderr)
	paths := res.BundlePaths()
	require.Len(t, paths, 1)
	assert.True(t, strings.HasPrefix(filepath.Base(paths[0]), "mgmt-support-bundle-"), paths[0])
	files := clitest.OpenBundle(t, paths[0])

	assert.Equal(t, "three\nfour\n", string(files["web/"+c.webPods[0].Name+"/main.log"]), "maxLines keeps the last lines")
	assert.Contains(t, files, "web/"+c.webPods[1].Name+"/main.log")
	assert.Contains(t, string(files["everywhere/logger/main.log"]), "starting logger", "logs are under <name>/<pod>, in all namespaces too")
	assert.Contains(t, string(files["cluster-resources/pods/logs/app-b/logger/main.log"]), "starting logger")
	assert.Equal(t, "hello from the spec, api-host=***HIDDEN***", string(files["notes/hello.txt"]))

	var cm struct {
		Data map[string]string `json:"data"`
	}
	require.NoError(t, json.Unmarshal(files["configmaps/app-a/app-config.json"], &cm))
	assert.Equal(t, "https://api.example.internal", cm.Data["endpoint"])

	var sec struct {
		KeyExists bool   `json:"keyExists"`
		Value     string `json:"value"`
	}
	require.NoError(t, json.Unmarshal(files["secrets/app-b/db-creds/password.json"], &sec))
	assert.True(t, sec.KeyExists)
	assert.Equal(t, "***HIDDEN***", sec.Value, "even an included value is redacted while redaction is on")
	var missing struct {
		SecretExists bool `json:"secretExists"`
	}
	require.NoError(t, json.Unmarshal(files["secrets/app-b/missing.json"], &missing))
	assert.False(t, missing.SecretExists)
	assertNoSecrets(t, files)

	t.Run("redactOff", func(t *testing.T) {
		out := t.TempDir()
		res := clitest.Run(t, "--kubeconfig", c.KubeconfigPath, "--output-dir", out, "--redact=false", specFile)
		require.Equal(t, 0, res.Code, res.Stderr)
		files := clitest.OpenBundle(t, res.BundlePaths()[0])
		require.NoError(t, json.Unmarshal(files["secrets/app-b/db-creds/password.json"], &sec))
		assert.Equal(t, secretPassword, sec.Value, "with --redact=false an asked-for value is written")
		assert.Equal(t, "hello from the spec, api-host=***HIDDEN***", string(files["notes/hello.txt"]), "Redactor specs still apply")
	})
}

// TestCollectNamespaceLimitedUser: a user who may read one namespace only
// still gets a bundle, with errors where the API said no, and exit 3.
func TestCollectNamespaceLimitedUser(t *testing.T) {
	c := startCollectCluster(t)
	grantNamespaceReader(t, c.Client, "app-a", "alice")
	kubeconfig := c.UserKubeconfig(t, "alice")
	out := t.TempDir()
	res := clitest.Run(t, "--kubeconfig", kubeconfig, "--namespace", "app-a", "--output-dir", out)
	require.Equal(t, 3, res.Code, "a partial run exits 3")
	paths := res.BundlePaths()
	require.Len(t, paths, 1)
	files := clitest.OpenBundle(t, paths[0])

	var webNames []string
	for _, p := range c.webPods {
		webNames = append(webNames, p.Name)
	}
	assert.ElementsMatch(t, webNames, clitest.ListNames(t, files["cluster-resources/pods/app-a.json"]), "the allowed namespace is collected")
	assert.NotContains(t, files, "cluster-resources/pods/app-b.json")
	assert.Contains(t, string(files["cluster-resources/pods-errors.json"]), "forbidden")
	assert.Contains(t, string(files["cluster-resources/nodes-errors.json"]), "forbidden")
	assert.NotContains(t, files, "cluster-resources/nodes.json")
	assert.Contains(t, files, "configmaps/app-a/app-config.json")
	for _, p := range c.webPods {
		assert.Contains(t, files, "allPodLogs/app-a/"+p.Name+"-main.log")
	}
	assertNoSecrets(t, files)

	var sum struct {
		Collectors []struct {
			Collector string   `json:"collector"`
			Outcome   string   `json:"outcome"`
			Errors    []string `json:"errors"`
		} `json:"collectors"`
	}
	require.NoError(t, json.Unmarshal(files["execution-data/summary.json"], &sum))
	outcomes := map[string]string{}
	for _, col := range sum.Collectors {
		outcomes[col.Collector] = col.Outcome
	}
	assert.Equal(t, "ok", outcomes["clusterInfo"])
	assert.Equal(t, "partial", outcomes["clusterResources"])
}

// assertNoSecrets searches every file of a bundle for the seeded secrets.
func assertNoSecrets(t *testing.T, files map[string][]byte) {
	t.Helper()
	require.NotEmpty(t, files)
	for name, content := range files {
		for _, s := range seededSecrets {
			assert.NotContains(t, string(content), s, "secret leaked into %s", name)
		}
	}
}
