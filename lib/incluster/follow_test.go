package incluster

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// TestPodLogFollowedAgain: a pod's log whose stream ended is read again
// from its start; only the lines not handed over yet are. A new stream
// waits refollowAfter, or until the run ends.
func TestPodLogFollowedAgain(t *testing.T) {
	cs := fake.NewClientset()
	log := []string{"a", "b"}
	streams := 0
	cs.PrependReactor("get", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() != "log" {
			return false, nil, nil
		}
		streams++
		out := strings.Join(log, "\n") + "\n"
		log = append(log, string(rune('b'+streams))) // the log grows between streams
		return true, &runtime.Unknown{Raw: []byte(out)}, nil
	})
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "p"}}
	var got []string
	pl := &podLog{}
	for range 3 {
		pl.last = time.Time{} // no wait between the test's streams
		pl.streaming.Store(true)
		pl.follow(context.Background(), cs, p, Shard{Count: 1}, func(_ Shard, l string) { got = append(got, l) })
		assert.False(t, pl.streaming.Load(), "ended")
	}
	assert.Equal(t, []string{"a", "b", "c", "d"}, got)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	pl.last = time.Now()
	pl.follow(ctx, cs, p, Shard{Count: 1}, func(Shard, string) { t.Error("no stream while waiting") })
	assert.Equal(t, 3, streams)
}
