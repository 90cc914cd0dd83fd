package collect

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

// TestSweepFirst: before collection, expired objects of earlier runs are
// removed in every namespace; objects of runs still going (not expired) and
// objects not ours are left alone.
func TestSweepFirst(t *testing.T) {
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	meta := func(ns, name string, expires time.Time, ours bool) metav1.ObjectMeta {
		m := metav1.ObjectMeta{Namespace: ns, Name: name}
		if ours {
			m.Labels = map[string]string{LabelManagedBy: ManagedBy}
			m.Annotations = map[string]string{AnnotationExpires: expires.Format(time.RFC3339)}
		}
		return m
	}
	past, future := now.Add(-time.Minute), now.Add(time.Hour)
	cs := fake.NewClientset(
		&appsv1.DaemonSet{ObjectMeta: meta("a", "old-ds", past, true)},
		&corev1.Pod{ObjectMeta: meta("b", "old-pod", past, true)},
		&corev1.Pod{ObjectMeta: meta("b", "live-pod", future, true)},
		&corev1.Pod{ObjectMeta: meta("b", "theirs", past, false)},
	)
	var log bytes.Buffer
	env := &Env{Client: cs, Log: slog.New(slog.NewTextHandler(&log, nil)), Options: &Options{Now: func() time.Time { return now }, Concurrency: 2}}
	sweepFirst(context.Background(), env)
	assert.NotContains(t, log.String(), "could not remove", log.String())

	ctx := context.Background()
	dss, err := cs.AppsV1().DaemonSets("").List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	assert.Empty(t, dss.Items)
	pods, err := cs.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	var names []string
	for _, p := range pods.Items {
		names = append(names, p.Name)
	}
	assert.ElementsMatch(t, []string{"live-pod", "theirs"}, names)
}

func TestNeedsSweep(t *testing.T) {
	assert.False(t, needsSweep([]planned{{key: "allLogs"}, {key: "clusterResources"}}))
	assert.False(t, needsSweep([]planned{{key: "runPod", excluded: true}}))
	assert.True(t, needsSweep([]planned{{key: "allLogs"}, {key: "execCopyFromHost"}}))
}
