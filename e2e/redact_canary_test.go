package e2e

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/yaml"

	"github.com/mesosphere/dkp-diagnose/e2e/canary"
	"github.com/mesosphere/dkp-diagnose/e2e/clitest"
	"github.com/mesosphere/dkp-diagnose/e2e/framework"
)

// TestRedactionCanaries seeds the canary corpus (e2e/canary: secrets in
// Secrets, ConfigMaps, Helm releases, pod specs and logs, custom resources
// of Dex, Cluster API, a federation and a GitOps tool, last-applied
// annotations; ordinary values support needs beside them), collects with
// the default spec and a site Redactor, and searches every file of the
// bundle: no canary in any form, every beacon intact.
func TestRedactionCanaries(t *testing.T) {
	c := framework.Start(t, framework.Options{Name: "canary"})
	ctx := context.Background()
	corpus := canary.Build()
	seedCanaries(ctx, t, c, corpus)

	redactors := writeFile(t, t.TempDir(), "site-redactors.yaml", siteRedactor(t, corpus.RedactorLiterals))
	out := t.TempDir()
	res := clitest.Run(t, "--kubeconfig", c.KubeconfigPath, "--output-dir", out, "--redactors", redactors)
	require.Equal(t, 0, res.Code, res.Stderr)
	paths := res.BundlePaths()
	require.Len(t, paths, 1)
	files := clitest.OpenBundle(t, paths[0])

	// The seed reached the bundle at all: a test that finds no canary
	// because nothing was collected proves nothing.
	require.Contains(t, files, "cluster-resources/configmaps/"+canary.Namespace+".json")
	require.Contains(t, files, "cluster-resources/pods/"+canary.Namespace+".json")
	require.Contains(t, string(files["cluster-resources/configmaps/"+canary.Namespace+".json"]), "sh.helm.release.v1.web.v3")
	for _, d := range canary.CRDs {
		require.Contains(t, files, "cluster-resources/custom-resources/"+d.Name()+"/"+canary.Namespace+".json", "custom resources of %s", d.Kind)
	}
	var logged bool
	for name := range files {
		if strings.HasPrefix(name, "allPodLogs/"+canary.Namespace+"/") {
			logged = true
		}
	}
	require.True(t, logged, "the pod's logs are in the bundle")

	leaks, missing := corpus.Check(files)
	byClass := map[string][]string{}
	leaked := map[string]bool{}
	for _, l := range leaks {
		if !leaked[l.Marker] {
			byClass[l.Class] = append(byClass[l.Class], fmt.Sprintf("%s (%s) in %s [%s]", l.Marker, l.Where, l.File, l.Form))
		}
		leaked[l.Marker] = true
	}
	t.Logf("canaries: %d seeded %v, %d leaked; beacons: %d seeded, %d intact",
		len(corpus.Canaries), corpus.Summary(), len(leaked), len(corpus.Beacons), len(corpus.Beacons)-len(missing))
	classes := make([]string, 0, len(byClass))
	for class := range byClass {
		classes = append(classes, class)
	}
	sort.Strings(classes)
	for _, class := range classes {
		t.Errorf("%d %s canaries leaked:\n  %s", len(byClass[class]), class, strings.Join(byClass[class], "\n  "))
	}
	for _, b := range missing {
		t.Errorf("beacon lost (%s): %q", b.Where, b.Text)
	}
	report := string(files["execution-data/redaction-report.json"])
	assert.Contains(t, report, "structure.secret-data")
	assert.Contains(t, report, "structure.encoded-payload")
}

// seedCanaries creates the corpus's CRDs, objects and pod logs.
func seedCanaries(ctx context.Context, t *testing.T, c *framework.Cluster, corpus *canary.Corpus) {
	t.Helper()
	crdGVR := schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	for _, d := range canary.CRDs {
		_, err := c.Dynamic.Resource(crdGVR).Create(ctx, canary.CRDObject(d), metav1.CreateOptions{})
		require.NoError(t, err, "create CRD %s", d.Name())
	}
	for _, d := range canary.CRDs {
		err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
			_, err := c.Dynamic.Resource(d.GVR()).List(ctx, metav1.ListOptions{Limit: 1})
			return err == nil, nil
		})
		require.NoError(t, err, "CRD %s never served", d.Name())
	}
	for _, o := range corpus.Objects {
		ri := c.Dynamic.Resource(o.GVR)
		var err error
		if ns := o.Obj.GetNamespace(); ns != "" {
			_, err = ri.Namespace(ns).Create(ctx, o.Obj, metav1.CreateOptions{})
		} else {
			_, err = ri.Create(ctx, o.Obj, metav1.CreateOptions{})
		}
		require.NoError(t, err, "create %s %s", o.Obj.GetKind(), o.Obj.GetName())
	}
	waitPodsRunning(t, c.Client, canary.Namespace, "app=worker", 1)
	// kwok serves the corpus's logs once the pod runs (SetPodLogs waits).
	for _, pl := range corpus.Logs {
		require.NoError(t, c.SetPodLogs(ctx, pl.Namespace, pl.Pod, pl.Logs))
	}
}

// siteRedactor is a site's Redactor whose literal values cover the pod
// logs only: the spec copy in execution-data must not echo them.
func siteRedactor(t *testing.T, literals []string) string {
	t.Helper()
	doc := map[string]any{
		"apiVersion": "troubleshoot.sh/v1beta2", "kind": "Redactor", "metadata": map[string]any{"name": "site-literals"},
		"spec": map[string]any{"redactors": []any{map[string]any{
			"name":         "site-values",
			"fileSelector": map[string]any{"files": []any{"allPodLogs", "cluster-resources/pods/logs"}},
			"removals":     map[string]any{"values": literals},
		}}},
	}
	b, err := yaml.Marshal(doc)
	require.NoError(t, err)
	return string(b)
}
