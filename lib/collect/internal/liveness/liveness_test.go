package liveness

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const stallAfter = 400 * time.Millisecond

// serve starts a server whose /hang never answers, /slow streams a byte
// every 20 ms for 4 × stallAfter, /fail answers 503 and everything else
// answers at once.
func serve(t *testing.T) *httptest.Server {
	t.Helper()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/hang":
			select {
			case <-release:
			case <-r.Context().Done():
			}
		case "/slow":
			for end := time.Now().Add(4 * stallAfter); time.Now().Before(end); {
				_, _ = w.Write([]byte("x"))
				w.(http.Flusher).Flush()
				time.Sleep(20 * time.Millisecond)
			}
		case "/fail":
			w.WriteHeader(http.StatusServiceUnavailable)
		default:
			_, _ = w.Write([]byte("ok"))
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	return srv
}

// watched runs a watchdog over the requests of the returned client until
// the test ends; the returned channel gets its verdict.
func watched(t *testing.T, srv *httptest.Server, probe Probe) (*http.Client, context.Context, <-chan *StalledError) {
	t.Helper()
	w := New(srv.URL, probe, Options{StallAfter: stallAfter})
	ctx, stop := context.WithCancelCause(context.Background())
	t.Cleanup(func() { stop(nil) })
	verdict := make(chan *StalledError, 1)
	go func() { verdict <- w.Run(ctx, 20*time.Millisecond, stop) }()
	return &http.Client{Transport: w.Wrap(http.DefaultTransport)}, ctx, verdict
}

func get(ctx context.Context, c *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

var errStorage = errors.New("its etcd check fails")

// TestStalledRequestIsDetected: a request that gets nothing while the
// health check fails ends with the watchdog's cause, not its own timeout.
func TestStalledRequestIsDetected(t *testing.T) {
	srv := serve(t)
	c, ctx, verdict := watched(t, srv, func(context.Context) error { return errStorage })
	err := get(ctx, c, srv.URL+"/hang")
	var stall *StalledError
	require.ErrorAs(t, err, &stall, "the request fails with the cause")
	require.ErrorAs(t, context.Cause(ctx), &stall)
	assert.Equal(t, srv.URL, stall.Server)
	assert.GreaterOrEqual(t, stall.After, stallAfter)
	assert.Contains(t, stall.Error(), "API server at "+srv.URL+" stopped answering after")
	assert.Contains(t, stall.Error(), "(its etcd check fails)")
	assert.Same(t, stall, <-verdict)
}

// TestSlowResponseIsNotStalled: a response that keeps sending bytes for
// longer than StallAfter is slow, not stalled, even while the health check
// fails.
func TestSlowResponseIsNotStalled(t *testing.T) {
	srv := serve(t)
	c, ctx, _ := watched(t, srv, func(context.Context) error { return errStorage })
	require.NoError(t, get(ctx, c, srv.URL+"/slow"))
	assert.NoError(t, context.Cause(ctx))
}

// TestAnsweringServerIsNotStalled: a request that hangs while the server
// answers its health check is left to its own deadline.
func TestAnsweringServerIsNotStalled(t *testing.T) {
	srv := serve(t)
	c, ctx, _ := watched(t, srv, func(context.Context) error { return nil })
	rctx, cancel := context.WithTimeout(ctx, 4*stallAfter)
	defer cancel()
	require.ErrorIs(t, get(rctx, c, srv.URL+"/hang"), context.DeadlineExceeded)
	assert.NoError(t, context.Cause(ctx))
}

// TestServerErrorsAreNoProgress: requests that keep failing with server
// errors (a wait retrying while etcd is gone) do not keep the server
// looking alive.
func TestServerErrorsAreNoProgress(t *testing.T) {
	srv := serve(t)
	c, ctx, verdict := watched(t, srv, func(context.Context) error { return errStorage })
	for ctx.Err() == nil {
		_ = get(ctx, c, srv.URL+"/fail")
		time.Sleep(10 * time.Millisecond)
	}
	require.NotNil(t, <-verdict)
}

// TestUnreachableServer: a health check that cannot connect says so.
func TestUnreachableServer(t *testing.T) {
	srv := serve(t)
	url := srv.URL
	c, ctx, verdict := watched(t, srv, func(ctx context.Context) error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/readyz/etcd", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	})
	require.NoError(t, get(ctx, c, url+"/"))
	srv.Close()
	for ctx.Err() == nil {
		_ = get(ctx, c, url+"/")
		time.Sleep(10 * time.Millisecond)
	}
	stall := <-verdict
	require.NotNil(t, stall)
	assert.True(t, stall.Unreachable, stall.Error())
	assert.True(t, strings.HasPrefix(stall.Error(), "API server at "+url+" unreachable"), stall.Error())
}

// TestCheckAfterFailures: requests that all failed at once, before Run
// could decide, get their cause from Check; without failures it asks
// nothing.
func TestCheckAfterFailures(t *testing.T) {
	srv := serve(t)
	asked := 0
	w := New(srv.URL, func(context.Context) error { asked++; return errStorage }, Options{StallAfter: time.Hour})
	c := &http.Client{Transport: w.Wrap(http.DefaultTransport)}
	require.NoError(t, get(context.Background(), c, srv.URL+"/"))
	assert.Nil(t, w.Check(context.Background()))
	assert.Zero(t, asked, "nothing failed: nothing to ask")
	_ = get(context.Background(), c, srv.URL+"/fail")
	stall := w.Check(context.Background())
	require.NotNil(t, stall)
	assert.Equal(t, 1, asked)
	assert.Contains(t, stall.Error(), "(its etcd check fails)")
}

// TestIdleRequestIsCancelled: one request that waits for long while the
// server answers its health checks (a log stream from a hanging kubelet)
// is cancelled on its own, saying why; the run goes on.
func TestIdleRequestIsCancelled(t *testing.T) {
	srv := serve(t)
	w := New(srv.URL, func(context.Context) error { return nil }, Options{StallAfter: stallAfter, RequestIdle: 2 * stallAfter})
	ctx, stop := context.WithCancelCause(context.Background())
	defer stop(nil)
	go w.Run(ctx, 20*time.Millisecond, stop)
	c := &http.Client{Transport: w.Wrap(http.DefaultTransport)}
	err := get(ctx, c, srv.URL+"/hang")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no data from the API server at "+srv.URL+" for")
	assert.NoError(t, context.Cause(ctx), "the run goes on")
	require.NoError(t, get(ctx, c, srv.URL+"/slow"), "a response that keeps coming is not idle")
}

// TestUnreadResponseIsNotWaiting: a response its reader leaves unread
// (the bundle busy with another file) does not make the server suspect.
func TestUnreadResponseIsNotWaiting(t *testing.T) {
	srv := serve(t)
	w := New(srv.URL, func(context.Context) error { return nil }, Options{StallAfter: stallAfter})
	c := &http.Client{Transport: w.Wrap(http.DefaultTransport)}
	resp, err := c.Get(srv.URL + "/")
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.False(t, w.suspect(time.Now().Add(10*stallAfter)))
}
