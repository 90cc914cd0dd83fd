package spec

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const goodSpec = `apiVersion: troubleshoot.sh/v1beta2
kind: SupportBundle
metadata:
  name: example
spec:
  collectors:
    - clusterResources:
        namespaces: [default, kube-system]
    - logs:
        collectorName: app
        selector: ["app=web"]
        namespace: default
        limits:
          maxLines: 100
          maxAge: 48h
          sinceTime: "2026-11-25T08:00:00Z"
    - allLogs:
        namespaces: ["*"]
    - secret:
        selector: [""]
        exclude: "true"
---
apiVersion: troubleshoot.sh/v1beta2
kind: Redactor
metadata:
  name: extra
spec:
  redactors:
    - name: internal-host
      fileSelector:
        files: ["allPodLogs/*/*"]
      removals:
        values: ["db.internal"]
        regex:
          - redactor: 'apikey=(?P<mask>\w+)'
`

func TestParseMergesDocuments(t *testing.T) {
	s, err := Parse("good.yaml", []byte(goodSpec))
	require.NoError(t, err)
	require.Len(t, s.Collectors, 4)
	require.Len(t, s.Redactors, 1)

	key, val, err := s.Collectors[1].Collector()
	require.NoError(t, err)
	assert.Equal(t, "logs", key)
	logs := val.(*Logs)
	assert.Equal(t, "app", logs.CollectorName)
	assert.EqualValues(t, 100, logs.Limits.MaxLines)
	assert.Equal(t, "2026-11-25T08:00:00Z", logs.Limits.SinceTime.UTC().Format("2006-01-02T15:04:05Z"))
	assert.True(t, s.Collectors[3].Meta().IsExcluded(), "exclude given as a string")
	assert.False(t, s.Collectors[0].Meta().IsExcluded())
	assert.Equal(t, []string{"db.internal"}, s.Redactors[0].Removals.Values)
}

func TestParseErrorsNameFileAndLine(t *testing.T) {
	cases := map[string]struct {
		doc  string
		want string
	}{
		"unknown field": {
			doc:  "apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\nspec:\n  collectors:\n    - logs:\n        selector: [a=b]\n        namspace: x\n",
			want: `bad.yaml:7: unknown field "namspace" in spec.collectors[0].logs`,
		},
		"unknown collector": {
			doc:  "apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\nspec:\n  collectors:\n    - clusterInfo: {}\n    - postgresql:\n        uri: x\n",
			want: `bad.yaml:6: unknown collector type "postgresql" (known: `,
		},
		"unknown kind": {
			doc:  "apiVersion: troubleshoot.sh/v1beta2\nkind: Preflight\nspec: {}\n",
			want: `bad.yaml:1: unknown kind "Preflight"`,
		},
		"wrong apiVersion": {
			doc:  "apiVersion: troubleshoot.replicated.com/v1beta1\nkind: SupportBundle\n",
			want: `bad.yaml:1: apiVersion "troubleshoot.replicated.com/v1beta1" is not supported`,
		},
		"malformed yaml": {
			doc:  "apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\nspec:\n  collectors: [\n",
			want: "bad.yaml: ",
		},
		"wrong type": {
			doc:  "apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\nspec:\n  collectors:\n    - logs:\n        selector: [a=b]\n        limits:\n          maxLines: lots\n",
			want: "bad.yaml:8: spec.collectors[0].logs.limits.maxLines must be an integer",
		},
		"two collectors in one entry": {
			doc:  "apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\nspec:\n  collectors:\n    - clusterInfo: {}\n      clusterResources: {}\n",
			want: `bad.yaml:5: spec.collectors[0]: one collector per entry`,
		},
		"empty file": {doc: "", want: "bad.yaml: no SupportBundle, Analyzer or Redactor document"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Parse("bad.yaml", []byte(tc.doc))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.NotContains(t, err.Error(), "\n", "errors are one line")
		})
	}
}

func TestLoadFilesMergesInOrder(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.yaml")
	b := filepath.Join(dir, "b.yaml")
	require.NoError(t, os.WriteFile(a, []byte("apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\nspec:\n  collectors:\n    - data:\n        name: a.txt\n        data: a\n"), 0o644))
	require.NoError(t, os.WriteFile(b, []byte("apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\nspec:\n  collectors:\n    - data:\n        name: b.txt\n        data: b\n"), 0o644))
	s, err := LoadFiles(a, b)
	require.NoError(t, err)
	require.Len(t, s.Collectors, 2)
	assert.Equal(t, "a.txt", s.Collectors[0].Data.Name)
	assert.Equal(t, "b.txt", s.Collectors[1].Data.Name)
	assert.Equal(t, []string{a, b}, s.Sources)

	_, err = LoadFiles(filepath.Join(dir, "missing.yaml"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "missing.yaml")
}

// TestReadFilesThenParse: ReadFiles keeps each file's name and bytes in
// order, ParseFiles of them is what LoadFiles gives, and a pipe (as
// /dev/stdin or a shell's <(...)) is read once and parsed from the bytes.
func TestReadFilesThenParse(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.yaml")
	doc := "apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\nspec:\n  collectors:\n    - data:\n        name: a.txt\n        data: a\n"
	require.NoError(t, os.WriteFile(a, []byte(doc), 0o644))
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	_, err = w.WriteString(strings.Replace(doc, "a.txt", "piped.txt", 1))
	require.NoError(t, err)
	require.NoError(t, w.Close())
	piped := fmt.Sprintf("/dev/fd/%d", r.Fd())

	files, err := ReadFiles(a, piped)
	require.NoError(t, err)
	require.Len(t, files, 2)
	assert.Equal(t, File{Name: a, Data: []byte(doc)}, files[0])
	assert.Equal(t, piped, files[1].Name)
	s, err := ParseFiles(files...)
	require.NoError(t, err)
	require.Len(t, s.Collectors, 2)
	assert.Equal(t, "piped.txt", s.Collectors[1].Data.Name)
	assert.Equal(t, []string{a, piped}, s.Sources)

	_, err = ReadRedactorFiles(filepath.Join(dir, "missing.yaml"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "read redactors: ")
	assert.Contains(t, err.Error(), "missing.yaml")
}

func TestWithDefaultsAddsClusterInfoAndResources(t *testing.T) {
	s := (&Spec{Collectors: []*Collect{{Data: &Data{Name: "x"}}}}).WithDefaults()
	var keys []string
	for _, c := range s.Collectors {
		k, _, err := c.Collector()
		require.NoError(t, err)
		keys = append(keys, k)
	}
	assert.Equal(t, "clusterInfo,clusterResources,data", strings.Join(keys, ","))

	excluded := &Spec{Collectors: []*Collect{{ClusterResources: &ClusterResources{CollectorMeta: CollectorMeta{Exclude: NewBool(true)}}}}}
	got := excluded.WithDefaults()
	require.Len(t, got.Collectors, 2, "an excluded clusterResources is kept, not re-added")
	assert.True(t, got.Collectors[1].Meta().IsExcluded())
}
