package builtin

import (
	"encoding/json"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEachItem(t *testing.T) {
	fsys := fstest.MapFS{
		"list.json":   {Data: []byte(`{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"1"},"items":[{"a":1},{"a":2}],"extra":{"x":[1]}}`)},
		"array.json":  {Data: []byte(`[{"a":3}]`)},
		"null.json":   {Data: []byte(`{"kind":"PodList","items":null}`)},
		"empty.json":  {Data: nil},
		"string.json": {Data: []byte(`"x"`)},
		"bad.json":    {Data: []byte(`{"items":{}}`)},
	}
	read := func(name string) ([]int, listHead, error) {
		var got []int
		var h listHead
		err := eachItem(fsys, name, func(head listHead, dec *json.Decoder) error {
			var v struct{ A int }
			h = head
			if err := dec.Decode(&v); err != nil {
				return err
			}
			got = append(got, v.A)
			return nil
		})
		return got, h, err
	}
	got, head, err := read("list.json")
	require.NoError(t, err)
	assert.Equal(t, []int{1, 2}, got)
	assert.Equal(t, listHead{Kind: "PodList", APIVersion: "v1"}, head)
	assert.Equal(t, "Pod", head.itemKind())
	got, _, err = read("array.json")
	require.NoError(t, err)
	assert.Equal(t, []int{3}, got)
	got, _, err = read("null.json")
	require.NoError(t, err)
	assert.Empty(t, got)
	_, _, err = read("empty.json")
	assert.ErrorContains(t, err, "empty.json: empty file")
	_, _, err = read("string.json")
	assert.ErrorContains(t, err, "not a JSON list")
	_, _, err = read("bad.json")
	assert.ErrorContains(t, err, "items is not an array")
	_, _, err = read("missing.json")
	assert.Error(t, err)
}

func TestResourceFiles(t *testing.T) {
	fsys := fstest.MapFS{
		"cluster-resources/pods/a.json":                                                                     {},
		"cluster-resources/pods/b.1.json":                                                                   {},
		"cluster-resources/pods/logs/a/p/c.log":                                                             {},
		"cluster-resources/pods-errors.json":                                                                {},
		"cluster-resources/mutatingwebhookconfigurations.json":                                              {},
		"cluster-resources/custom-resources/dockerclusters.infrastructure.cluster.x-k8s.io/ns.json":         {},
		"cluster-resources/custom-resources/dockermachinetemplates.infrastructure.cluster.x-k8s.io/ns.json": {},
		"cluster-resources/custom-resources/custom-resources-errors.json":                                   {},
	}
	assert.Equal(t, []string{"cluster-resources/pods/a.json", "cluster-resources/pods/b.1.json"}, resourceFiles(fsys, "pods"))
	assert.Equal(t, []string{"cluster-resources/mutatingwebhookconfigurations.json"}, resourceFiles(fsys, "mutating-webhook-configurations", "mutatingwebhookconfigurations"))
	assert.Equal(t, []string{"dockerclusters.infrastructure.cluster.x-k8s.io", "dockermachinetemplates.infrastructure.cluster.x-k8s.io"}, customResourceDirs(fsys, groupInfrastructure))
}
