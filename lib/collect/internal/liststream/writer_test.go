package liststream

import (
	"bytes"
	"encoding/json"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// listBuf is a bytes.Buffer that can be closed.
type listBuf struct{ bytes.Buffer }

func (*listBuf) Close() error { return nil }

// writeList splits a LIST response and writes it as a list file.
func writeList(t *testing.T, raw []byte) string {
	t.Helper()
	var out listBuf
	var lw *Writer
	head, err := splitPage(raw, func(head Head, item json.RawMessage) error {
		if lw == nil {
			var err error
			if lw, err = NewWriter(&out, head); err != nil {
				return err
			}
		}
		return lw.Add(item)
	})
	if err != nil {
		t.Fatal(err)
	}
	if lw == nil {
		if lw, err = NewWriter(&out, head); err != nil {
			t.Fatal(err)
		}
	}
	if err := lw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// TestListWriterMatchesTroubleshoot: a list file is byte for byte what
// troubleshoot.sh writes for the same list (typed items with their kind and
// apiVersion set, json.MarshalIndent), though the server sent the items
// without them.
func TestListWriterMatchesTroubleshoot(t *testing.T) {
	pods := &corev1.PodList{ListMeta: metav1.ListMeta{ResourceVersion: "42"}}
	for _, name := range []string{"a", "b"} {
		pods.Items = append(pods.Items, corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", Labels: map[string]string{"app": name}},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "main", Image: "img"}}},
		})
	}
	for _, n := range []int{2, 0} {
		list := pods.DeepCopy()
		list.Items = list.Items[:n]
		list.Kind, list.APIVersion = "PodList", "v1"
		raw, err := json.Marshal(list) // as the API server sends it
		if err != nil {
			t.Fatal(err)
		}
		for i := range list.Items {
			list.Items[i].Kind, list.Items[i].APIVersion = "Pod", "v1"
		}
		want, err := json.MarshalIndent(list, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if got := writeList(t, raw); got != string(want)+"\n" {
			t.Errorf("%d items:\ngot  %s\nwant %s", n, got, want)
		}
	}
}

// TestListWriterKeepsTypeMeta: items that carry kind and apiVersion (custom
// resources) get no second copy, and each item decodes on its own.
func TestListWriterKeepsTypeMeta(t *testing.T) {
	raw := `{"apiVersion":"example.com/v1","items":[{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w"}},{}],"kind":"WidgetList","metadata":{"resourceVersion":"7"}}`
	got := writeList(t, []byte(raw))
	var l struct {
		Items []map[string]any `json:"items"`
	}
	if err := json.Unmarshal([]byte(got), &l); err != nil {
		t.Fatal(err)
	}
	if len(l.Items) != 2 || l.Items[0]["kind"] != "Widget" || len(l.Items[1]) != 0 {
		t.Errorf("items %v", l.Items)
	}
	if n := bytes.Count([]byte(got), []byte(`"kind": "Widget"`)); n != 1 {
		t.Errorf("kind written %d times:\n%s", n, got)
	}
}
