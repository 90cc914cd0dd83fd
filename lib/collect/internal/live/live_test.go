package live

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

func testPod(name string, phase corev1.PodPhase) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name}, Status: corev1.PodStatus{Phase: phase}}
}

// podsOf follows the pods of namespace ns on a fake clientset. Its second
// result is closed once a watch has started: the fake clientset does not
// replay events from a resourceVersion, so a change made before would be
// lost.
func podsOf(cs *fake.Clientset) (*Set, <-chan struct{}) {
	watching := make(chan struct{})
	var once sync.Once
	c := cs.CoreV1().Pods("ns")
	return NewSet("pods in ns", metav1.ListOptions{},
		func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) { return c.List(ctx, o) },
		func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			w, err := c.Watch(ctx, o)
			once.Do(func() { close(watching) })
			return w, err
		}), watching
}

// allPhase is a done func: every pod followed is in phase (and there is one).
func allPhase(s *Set, phase corev1.PodPhase) func() bool {
	return func() bool {
		for _, o := range s.Objects {
			if o.(*corev1.Pod).Status.Phase != phase {
				return false
			}
		}
		return len(s.Objects) > 0
	}
}

// then runs change once a watch started, after done was first asked (the
// sets have been read by then).
func then(watching <-chan struct{}, done func() bool, change func()) func() bool {
	var once sync.Once
	return func() bool {
		once.Do(func() {
			go func() {
				<-watching
				change()
			}()
		})
		return done()
	}
}

// finish sets the pod's phase to Succeeded through the API.
func finish(t *testing.T, cs *fake.Clientset, name string) func() {
	return func() {
		_, err := cs.CoreV1().Pods("ns").UpdateStatus(context.Background(), testPod(name, corev1.PodSucceeded), metav1.UpdateOptions{})
		assert.NoError(t, err)
	}
}

func TestWaitUntilFollowsWatch(t *testing.T) {
	cs := fake.NewClientset(testPod("a", corev1.PodRunning))
	var lists atomic.Int32
	cs.PrependReactor("list", "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
		lists.Add(1)
		return false, nil, nil
	})
	s, watching := podsOf(cs)
	done, err := WaitUntil(t.Context(), time.Now().Add(10*time.Second), []*Set{s}, then(watching, allPhase(s, corev1.PodSucceeded), finish(t, cs, "a")))
	require.NoError(t, err)
	assert.True(t, done)
	assert.Equal(t, int32(1), lists.Load(), "the change came through the watch, not a new LIST")
}

func TestWaitUntilPollsWithoutWatch(t *testing.T) {
	cs := fake.NewClientset(testPod("a", corev1.PodRunning))
	cs.PrependWatchReactor("pods", func(k8stesting.Action) (bool, watch.Interface, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "", nil)
	})
	s, watching := podsOf(cs)
	done, err := WaitUntil(t.Context(), time.Now().Add(10*time.Second), []*Set{s}, then(watching, allPhase(s, corev1.PodSucceeded), finish(t, cs, "a")))
	require.NoError(t, err)
	assert.True(t, done, "without the watch verb, the set is read again every pollInterval")
}

func TestWaitUntilReturnsDenialAtOnce(t *testing.T) {
	cs := fake.NewClientset()
	cs.PrependReactor("list", "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "", nil)
	})
	s, _ := podsOf(cs)
	called := false
	done, err := WaitUntil(t.Context(), time.Now().Add(time.Minute), []*Set{s}, func() bool { called = true; return true })
	require.Error(t, err)
	assert.True(t, apierrors.IsForbidden(err), "%v", err)
	assert.Contains(t, err.Error(), "list pods in ns")
	assert.False(t, done)
	assert.False(t, called, "done is not asked before the set was read")
}

func TestWaitUntilRetriesPassingFailure(t *testing.T) {
	cs := fake.NewClientset(testPod("a", corev1.PodSucceeded))
	var fails atomic.Int32
	cs.PrependReactor("list", "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
		if fails.Add(1) <= 2 {
			return true, nil, apierrors.NewServiceUnavailable("etcd is busy")
		}
		return false, nil, nil
	})
	s, _ := podsOf(cs)
	done, err := WaitUntil(t.Context(), time.Now().Add(10*time.Second), []*Set{s}, allPhase(s, corev1.PodSucceeded))
	require.NoError(t, err)
	assert.True(t, done)
	assert.Equal(t, int32(3), fails.Load())
}

func TestWaitUntilDeadlineAndCancel(t *testing.T) {
	cs := fake.NewClientset(testPod("a", corev1.PodRunning))
	s, _ := podsOf(cs)
	done, err := WaitUntil(t.Context(), time.Now().Add(100*time.Millisecond), []*Set{s}, allPhase(s, corev1.PodSucceeded))
	require.NoError(t, err, "the deadline is no error: the caller reads the set as it is")
	assert.False(t, done)
	assert.Len(t, s.Objects, 1)

	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(50*time.Millisecond, cancel)
	done, err = WaitUntil(ctx, time.Now().Add(time.Minute), []*Set{s}, allPhase(s, corev1.PodSucceeded))
	assert.ErrorIs(t, err, context.Canceled)
	assert.False(t, done)
}

func TestWaitUntilSeesDeletions(t *testing.T) {
	cs := fake.NewClientset(testPod("a", corev1.PodRunning), testPod("b", corev1.PodRunning))
	s, watching := podsOf(cs)
	gone := func() bool { return len(s.Objects) == 0 }
	done, err := WaitUntil(t.Context(), time.Now().Add(10*time.Second), []*Set{s}, then(watching, gone, func() {
		for _, n := range []string{"a", "b"} {
			assert.NoError(t, cs.CoreV1().Pods("ns").Delete(context.Background(), n, metav1.DeleteOptions{}))
		}
	}))
	require.NoError(t, err)
	assert.True(t, done)
}
