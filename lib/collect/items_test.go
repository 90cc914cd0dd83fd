package collect

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// splitPage splits one whole response the way listRaw splits a streamed one.
func splitPage(raw []byte, fn func(page listHead, item json.RawMessage) error) (listHead, error) {
	var ls listStream
	return ls.split(bytes.NewReader(raw), nil, fn)
}

// refPage is how encoding/json reads a list: the reference for splitPage.
type refPage struct {
	listHead
	Items []json.RawMessage `json:"items"`
}

func TestSplitPageMatchesEncodingJSON(t *testing.T) {
	indented := new(bytes.Buffer)
	if err := json.Indent(indented, podPage(), "", "  "); err != nil {
		t.Fatal(err)
	}
	pages := map[string][]byte{
		"pods":       podPage(),
		"indented":   indented.Bytes(),
		"empty":      []byte(`{"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"7"},"items":[]}`),
		"null items": []byte(`{"kind":"ConfigMapList","apiVersion":"v1","metadata":{},"items":null}`),
		"no items":   []byte(`{"kind":"ConfigMapList","apiVersion":"v1","metadata":{"continue":"abc"}}`),
		"head last":  []byte(` {"items":[{"a":1},{"b":[2,{"c":"]}"}]}],"metadata":{"continue":"x","resourceVersion":"9"},"kind":"L","apiVersion":"v9"} `),
		"escapes": []byte(`{"kind":"L\"ist","apiVersion":"v1","metadata":{},"items":[` +
			`{"data":{"k":"a \"quoted\" } ] value \\","e":"\\\\"}},` +
			`{"data":{"u":"\u007d\"","n":null,"t":true,"f":-1.5e3}},"plain",12,null,[],{}]}`),
	}
	for name, raw := range pages {
		t.Run(name, func(t *testing.T) {
			var want refPage
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatal(err)
			}
			var got []json.RawMessage
			head, err := splitPage(raw, func(page listHead, item json.RawMessage) error {
				if page != want.listHead {
					t.Errorf("fn got head %+v, want %+v", page, want.listHead)
				}
				got = append(got, bytes.Clone(item)) // fn may not keep item
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if head != want.listHead {
				t.Errorf("head %+v, want %+v", head, want.listHead)
			}
			if len(got) != len(want.Items) {
				t.Fatalf("%d items, want %d", len(got), len(want.Items))
			}
			for i := range got {
				if !bytes.Equal(got[i], want.Items[i]) {
					t.Errorf("item %d:\n got %s\nwant %s", i, got[i], want.Items[i])
				}
			}
		})
	}
}

func TestSplitPageErrors(t *testing.T) {
	for _, raw := range []string{
		``, `not json`, `[]`, `{"items":[{"a":1}`, `{"items":[1 2]}`, `{"kind":"x"} {}`,
		`{"kind":"unterminated}`, `{"kind" "x"}`, `{"items":{}}`, `{"kind":1}`, `{"metadata":[]}`, `{,}`,
	} {
		_, err := splitPage([]byte(raw), func(listHead, json.RawMessage) error { return nil })
		if !errors.Is(err, errBadList) {
			t.Errorf("splitPage(%q) = %v, want errBadList", raw, err)
		}
	}
	// An error of fn is returned as is, and stops the split.
	boom := errors.New("boom")
	n := 0
	_, err := splitPage([]byte(`{"items":[1,2,3]}`), func(listHead, json.RawMessage) error {
		n++
		return boom
	})
	if err != boom || n != 1 {
		t.Errorf("fn error: got %v after %d items, want boom after 1", err, n)
	}
}

func TestItemNamespace(t *testing.T) {
	for _, c := range []struct{ item, want string }{
		{`{"metadata":{"name":"a","namespace":"ns-1"}}`, "ns-1"},
		{`{"kind":"X","spec":{"namespace":"wrong"},"metadata":{"labels":{"namespace":"wrong"},"namespace":"right"}}`, "right"},
		{`{"metadata":{"name":"cluster-scoped"}}`, ""},
		{`{"metadata":null}`, ""},
		{`{"metadata":{"namespace":null}}`, ""},
		{`{}`, ""},
		{` { "metadata" : { "namespace" : "sp\u0061ced" } } `, "spaced"},
	} {
		got, err := itemNamespace(json.RawMessage(c.item))
		if err != nil || got != c.want {
			t.Errorf("itemNamespace(%s) = %q, %v; want %q", c.item, got, err, c.want)
		}
	}
	for _, bad := range []string{`5`, `"x"`, `{"metadata":{"namespace":5}}`, `{"metadata":[]}`, `{"metadata":{"namespace":"x`} {
		if _, err := itemNamespace(json.RawMessage(bad)); err == nil {
			t.Errorf("itemNamespace(%s) accepted", bad)
		}
	}
}

// refLogsOf is what allLogs read of a pod before decodePod: the typed pod,
// decoded whole.
func refLogsOf(t *testing.T, j *logJob, item []byte) podLogs {
	t.Helper()
	var pod corev1.Pod
	if err := json.Unmarshal(item, &pod); err != nil {
		t.Fatal(err)
	}
	p := podLogs{namespace: pod.Namespace, name: pod.Name}
	statuses := slices.Concat(pod.Status.InitContainerStatuses, pod.Status.ContainerStatuses, pod.Status.EphemeralContainerStatuses)
	for _, st := range statuses {
		if len(j.containers) > 0 && !slices.Contains(j.containers, st.Name) {
			continue
		}
		if st.State.Running == nil && st.State.Terminated == nil && st.LastTerminationState.Terminated == nil {
			continue
		}
		p.containers = append(p.containers, containerLog{name: st.Name, previous: st.RestartCount > 0 && st.LastTerminationState.Terminated != nil})
	}
	return p
}

func TestDecodePodMatchesTypedDecode(t *testing.T) {
	ts := metav1.NewTime(time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC))
	running := corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: ts}}
	done := corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1}}
	waiting := corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}}
	pod := corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns", Labels: map[string]string{"name": "x"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "main"}}},
		Status: corev1.PodStatus{
			InitContainerStatuses: []corev1.ContainerStatus{{Name: "init", State: done}},
			ContainerStatuses: []corev1.ContainerStatus{
				{Name: "main", State: running},
				{Name: "restarted", State: running, RestartCount: 2, LastTerminationState: done},
				{Name: "crashing", State: waiting, RestartCount: 5, LastTerminationState: done},
				{Name: "restarted-no-last", State: running, RestartCount: 1},
				{Name: "pending", State: waiting},
			},
			EphemeralContainerStatuses: []corev1.ContainerStatus{{Name: "debug", State: running}},
		},
	}
	podJSON, err := json.Marshal(pod)
	if err != nil {
		t.Fatal(err)
	}
	items := map[string][]byte{
		"typed":      podJSON,
		"podPage[0]": nil,
		"no status":  []byte(`{"metadata":{"namespace":"a","name":"b"},"spec":{}}`),
		"null parts": []byte(`{"metadata":{"namespace":"a","name":"b"},"status":{"containerStatuses":null,"initContainerStatuses":[{"name":"i","state":{"running":null,"terminated":{}}}]}}`),
	}
	_, _ = splitPage(podPage(), func(_ listHead, item json.RawMessage) error {
		if items["podPage[0]"] == nil {
			items["podPage[0]"] = bytes.Clone(item) // fn may not keep item
		}
		return nil
	})
	for name, item := range items {
		for _, j := range []*logJob{{}, {containers: []string{"main", "crashing", "i"}}} {
			t.Run(fmt.Sprintf("%s/containers=%v", name, j.containers), func(t *testing.T) {
				got, err := j.decodePod(item)
				if err != nil {
					t.Fatal(err)
				}
				want := refLogsOf(t, j, item)
				if got.namespace != want.namespace || got.name != want.name || !slices.Equal(got.containers, want.containers) {
					t.Errorf("decodePod = %+v, want %+v", got, want)
				}
			})
		}
	}
	for _, bad := range []string{`[]`, `{"status":{"containerStatuses":[{"restartCount":"x"}]}}`, `{"metadata":{"name":1}}`} {
		if _, err := (&logJob{}).decodePod(json.RawMessage(bad)); err == nil {
			t.Errorf("decodePod(%s) accepted", bad)
		}
	}
}
