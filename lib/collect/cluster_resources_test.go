package collect

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/mesosphere/dkp-diagnose/lib/collect/bundle"
)

// TestClusterResourcesLayout runs clusterResources against a fake API server
// with two namespaces and pods in one: every list asks the server to leave
// our own objects out, items carry kind and apiVersion, the namespace
// without pods gets an empty list, and each namespace its auth-cani-list.
func TestClusterResourcesLayout(t *testing.T) {
	var mu sync.Mutex
	selectors := map[string]string{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		mu.Lock()
		selectors[r.URL.Path] = r.URL.Query().Get("labelSelector")
		mu.Unlock()
		switch {
		case r.URL.Path == "/api/v1/namespaces":
			fmt.Fprint(w, `{"kind":"NamespaceList","apiVersion":"v1","metadata":{"resourceVersion":"5"},"items":[{"metadata":{"name":"a"}},{"metadata":{"name":"b"}}]}`)
		case r.URL.Path == "/api/v1/pods":
			fmt.Fprint(w, `{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"6"},"items":[{"metadata":{"name":"web","namespace":"a"},"spec":{}}]}`)
		case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/selfsubjectrulesreviews"):
			review := map[string]any{"kind": "SelfSubjectRulesReview", "apiVersion": "authorization.k8s.io/v1"}
			review["status"] = map[string]any{"resourceRules": []any{map[string]any{"verbs": []string{"get"}, "apiGroups": []string{""}, "resources": []string{"pods"}}}, "incomplete": false}
			_ = json.NewEncoder(w).Encode(review)
		default:
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}`)
		}
	}))
	t.Cleanup(srv.Close)
	cs, err := kubernetes.NewForConfig(&rest.Config{Host: srv.URL, QPS: -1})
	if err != nil {
		t.Fatal(err)
	}
	bw, err := bundle.Create(t.TempDir(), "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	env := &Env{Client: cs, Out: &Output{bundle: bw}, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Title: "clusterResources", Options: &Options{Concurrency: 4}}
	if err := (&clusterResources{}).Collect(context.Background(), env); err != nil {
		t.Fatal(err)
	}
	if err := bw.Close(); err != nil {
		t.Fatal(err)
	}
	files, err := bundle.ReadAll(bw.Path())
	if err != nil {
		t.Fatal(err)
	}

	for _, p := range []string{"/api/v1/namespaces", "/api/v1/pods", "/apis/apps/v1/daemonsets"} {
		if selectors[p] != "app.kubernetes.io/managed-by!=dkp-diagnose" {
			t.Errorf("%s: labelSelector %q", p, selectors[p])
		}
	}
	var pods struct {
		Items []struct {
			Kind       string `json:"kind"`
			APIVersion string `json:"apiVersion"`
		} `json:"items"`
	}
	if err := json.Unmarshal(files["cluster-resources/pods/a.json"], &pods); err != nil || len(pods.Items) != 1 || pods.Items[0].Kind != "Pod" || pods.Items[0].APIVersion != "v1" {
		t.Errorf("pods/a.json: %v %s", err, files["cluster-resources/pods/a.json"])
	}
	want := "{\n  \"kind\": \"PodList\",\n  \"apiVersion\": \"v1\",\n  \"metadata\": {\n    \"resourceVersion\": \"6\"\n  },\n  \"items\": []\n}\n"
	if got := string(files["cluster-resources/pods/b.json"]); got != want {
		t.Errorf("pods/b.json, a namespace without pods:\n%s\nwant\n%s", got, want)
	}
	if !strings.Contains(string(files["cluster-resources/auth-cani-list/b.json"]), `"pods"`) {
		t.Errorf("auth-cani-list/b.json: %s", files["cluster-resources/auth-cani-list/b.json"])
	}
	if _, ok := files["cluster-resources/deployments/a.json"]; ok {
		t.Error("a resource the server does not serve got a list")
	}
}
