package collect

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/mesosphere/dkp-diagnose/lib/collect/internal/liveness"
)

// TestCauseOfStall: under a stall, the errors that are only its symptom
// (cancelled requests, a clean-up out of time) say the stall; others stay
// as they are, and without a stall nothing changes.
func TestCauseOfStall(t *testing.T) {
	stall := &liveness.StalledError{Server: "https://api:6443", After: 12 * time.Second, Reason: "its etcd check fails"}
	ctx, stop := context.WithCancelCause(context.Background())
	stop(stall)
	want := "API server at https://api:6443 stopped answering after 12s (its etcd check fails)"

	assert.Equal(t, want, because(ctx, fmt.Errorf("list pods: %w", context.Canceled)))
	assert.Equal(t, want, because(ctx, fmt.Errorf("list pods: Get \"https://api:6443/api/v1/pods\": %w", stall)))
	assert.Equal(t, "clean up: "+want, because(ctx, &cleanupError{err: fmt.Errorf("list daemonsets: %w", context.DeadlineExceeded)}))
	assert.Equal(t, "pods is forbidden", because(ctx, errors.New("pods is forbidden")))

	plain, cancel := context.WithCancel(context.Background())
	cancel()
	assert.Equal(t, "list pods: context canceled", because(plain, fmt.Errorf("list pods: %w", context.Canceled)))
}

// TestCleanupAfterStallIsShort: a clean-up after a stall gets one short
// try instead of the full grace, so that the run ends promptly and says
// what it left.
func TestCleanupAfterStallIsShort(t *testing.T) {
	env := &Env{Options: &Options{StallAfter: 10 * time.Second}}
	ctx, stop := context.WithCancelCause(context.Background())
	stop(&liveness.StalledError{})
	cctx, cancel := cleanupContext(ctx, env)
	defer cancel()
	deadline, ok := cctx.Deadline()
	assert.True(t, ok)
	assert.WithinDuration(t, time.Now().Add(5*time.Second), deadline, time.Second)
	assert.NoError(t, cctx.Err(), "the clean-up outlives the run's context")

	cctx, cancel = cleanupContext(context.Background(), env)
	defer cancel()
	deadline, _ = cctx.Deadline()
	assert.WithinDuration(t, time.Now().Add(cleanupGrace), deadline, time.Second)
}
