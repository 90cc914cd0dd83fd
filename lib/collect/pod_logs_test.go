package collect

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/mesosphere/dkp-diagnose/lib/collect/internal/fixtures"
	"github.com/mesosphere/dkp-diagnose/lib/collect/internal/liststream"
)

// splitPage splits one whole LIST response as the list code splits a
// streamed one.
func splitPage(raw []byte, fn func(page liststream.Head, item json.RawMessage) error) (liststream.Head, error) {
	var ls liststream.Stream
	return ls.Split(bytes.NewReader(raw), nil, fn)
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
	_, _ = splitPage(fixtures.PodPage(), func(_ liststream.Head, item json.RawMessage) error {
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

// BenchmarkListPagePods: what allLogs does with one page of pods: pick out
// the containers whose logs to fetch.
func BenchmarkListPagePods(b *testing.B) {
	j := &logJob{}
	fixtures.BenchPage(b, func(page []byte) error {
		n := 0
		_, err := splitPage(page, func(_ liststream.Head, item json.RawMessage) error {
			p, err := j.decodePod(item)
			if err != nil {
				return err
			}
			n += len(p.containers)
			return nil
		})
		if n != fixtures.PagePods {
			return fmt.Errorf("%d containers, want %d", n, fixtures.PagePods)
		}
		return err
	})
}
