// Package liveness tells when an API server stopped answering: requests
// accepted and never answered, as when its etcd is stopped, or refused, as
// when the server process is gone. Without it, every request and wait of a
// run against such a server sits out its own deadline (minutes), one after
// the other, and the run cannot say why.
//
// A Watchdog sees the bytes of every response through a wrapped transport.
// When requests wait without receiving anything for a while, or fail
// without an answer, it asks the server a cheap question that needs its
// storage (GET /readyz/etcd). The server is declared stalled when that
// question fails too and nothing has arrived for StallAfter: a big LIST
// that is merely slow keeps sending bytes and is never cut off. A single
// request that waits RequestIdle while the server answers the question (a
// log stream from a hanging kubelet) is cancelled alone.
package liveness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/client-go/rest"
)

// DefaultStallAfter is how long a server may send nothing while requests
// wait, its health check failing, before it is declared stalled.
const DefaultStallAfter = 10 * time.Second

// StalledError is the cause a Watchdog cancels its context with.
type StalledError struct {
	// Server is the API server's address.
	Server string
	// After is how long nothing had arrived from it.
	After time.Duration
	// Reason is what the last health check got: "its etcd check fails",
	// "a health check got no answer within 5s", a connection error.
	Reason string
	// Unreachable says the health check could not connect at all (the
	// server process is gone, or the network to it).
	Unreachable bool
}

// Error says which server, since when and why.
func (e *StalledError) Error() string {
	if e.Unreachable {
		return fmt.Sprintf("API server at %s unreachable, nothing received for %s (%s)", e.Server, e.After.Round(time.Second), e.Reason)
	}
	return fmt.Sprintf("API server at %s stopped answering after %s (%s)", e.Server, e.After.Round(time.Second), e.Reason)
}

// Probe asks the server whether it still serves requests: nil when it
// does, else why not. It must return within ctx.
type Probe func(ctx context.Context) error

// Options shape a Watchdog.
type Options struct {
	// StallAfter: see DefaultStallAfter (used when zero). The watchdog
	// starts asking after half of it, and each question gets half of it
	// to be answered.
	StallAfter time.Duration
	// RequestIdle bounds how long one request (not a watch, followed log
	// or exec stream) may wait without receiving a byte while the server
	// itself answers: a log stream from a node whose kubelet hangs. It is
	// then cancelled with an error saying so. Zero means six times
	// StallAfter; it is never below StallAfter.
	RequestIdle time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Watchdog follows the requests to one API server.
type Watchdog struct {
	server      string
	probe       Probe
	stallAfter  time.Duration
	requestIdle time.Duration
	now         func() time.Time

	mu       sync.Mutex
	inflight map[*request]struct{}
	lastByte time.Time // of any response, or the watchdog's start
	failed   bool      // a request failed without an answer since lastByte
}

// request is one request in flight.
type request struct {
	// long marks requests that may rightly stay silent (watches, followed
	// logs, upgraded exec streams): they do not make the server suspect.
	long bool
	// waiting is when the client began waiting for the server (sent the
	// request, or called Read on the body) and has received nothing
	// since, in unix nanoseconds; 0 while it is not waiting. A response
	// its reader leaves unread for a while (the bundle busy elsewhere) is
	// no sign of a silent server.
	waiting atomic.Int64
	cancel  context.CancelCauseFunc
	done    atomic.Bool
}

// wait marks req as waiting for the server from now on.
func (w *Watchdog) wait(req *request) {
	req.waiting.CompareAndSwap(0, w.now().UnixNano())
}

// New returns a watchdog for the server at server, asking probe when in
// doubt.
func New(server string, probe Probe, o Options) *Watchdog {
	if o.StallAfter <= 0 {
		o.StallAfter = DefaultStallAfter
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.RequestIdle <= 0 {
		o.RequestIdle = 6 * o.StallAfter
	}
	o.RequestIdle = max(o.RequestIdle, o.StallAfter)
	return &Watchdog{server: server, probe: probe, stallAfter: o.StallAfter, requestIdle: o.RequestIdle, now: o.Now,
		inflight: map[*request]struct{}{}, lastByte: o.Now()}
}

// Wrap is a transport wrapper (rest.Config.Wrap) that lets the watchdog
// see the requests of a client.
func (w *Watchdog) Wrap(rt http.RoundTripper) http.RoundTripper {
	return &tracker{w: w, next: rt}
}

type tracker struct {
	w    *Watchdog
	next http.RoundTripper
}

// longRunning says whether a request may rightly send nothing for long.
func longRunning(r *http.Request) bool {
	q := r.URL.Query()
	return q.Get("watch") == "true" || q.Get("watch") == "1" || q.Get("follow") == "true" ||
		r.Header.Get("Upgrade") != ""
}

func (t *tracker) RoundTrip(r *http.Request) (*http.Response, error) {
	w := t.w
	caller := r.Context()
	ctx, cancel := context.WithCancelCause(caller)
	r = r.WithContext(ctx)
	req := &request{long: longRunning(r), cancel: cancel}
	w.wait(req)
	w.mu.Lock()
	w.inflight[req] = struct{}{}
	w.mu.Unlock()
	resp, err := t.next.RoundTrip(r)
	if err != nil {
		// Our own cancellation is no sign of the server's health.
		w.finish(req, ctx.Err() == nil)
		cancel(nil)
		return nil, err
	}
	// A server error is no sign of life: an API server whose etcd is gone
	// answers with them, quickly, and waits that retry on them would
	// otherwise look busy forever.
	failed := resp.StatusCode >= 500
	if !failed {
		w.progress(req)
	}
	if resp.Body == nil || resp.Body == http.NoBody {
		w.finish(req, failed)
		cancel(nil)
		return resp, nil
	}
	resp.Body = &body{ReadCloser: resp.Body, w: w, req: req, failed: failed}
	return resp, nil
}

// progress records that req received something.
func (w *Watchdog) progress(req *request) {
	now := w.now()
	req.waiting.Store(0)
	w.mu.Lock()
	if now.After(w.lastByte) {
		w.lastByte = now
	}
	w.failed = false
	w.mu.Unlock()
}

// finish forgets req; failed says it ended without an answer.
func (w *Watchdog) finish(req *request, failed bool) {
	if req.done.Swap(true) {
		return
	}
	req.waiting.Store(0)
	w.mu.Lock()
	delete(w.inflight, req)
	if failed {
		w.failed = true
	}
	w.mu.Unlock()
}

// body sees the bytes of a response as they are read.
type body struct {
	io.ReadCloser
	w      *Watchdog
	req    *request
	failed bool // a server error: its bytes are no progress
}

func (b *body) Read(p []byte) (int, error) {
	b.w.wait(b.req)
	n, err := b.ReadCloser.Read(p)
	switch {
	case n > 0 && !b.failed:
		b.w.progress(b.req)
	case n > 0:
		b.req.waiting.Store(0)
	}
	if err != nil {
		b.w.finish(b.req, b.failed)
	}
	return n, err
}

func (b *body) Close() error {
	b.w.finish(b.req, b.failed)
	err := b.ReadCloser.Close()
	b.req.cancel(nil)
	return err
}

// suspect says whether the server might have stopped answering: a request
// waits without a byte for half of StallAfter, a request failed without an
// answer, or long-running requests are open and nothing arrived for that
// long (a wait on watches while the server's storage is stopped).
func (w *Watchdog) suspect(now time.Time) bool {
	quiet := w.stallAfter / 2
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.failed {
		return true
	}
	for req := range w.inflight {
		if req.long {
			if now.Sub(w.lastByte) >= quiet {
				return true
			}
			continue
		}
		if ns := req.waiting.Load(); ns != 0 && now.Sub(time.Unix(0, ns)) >= quiet {
			return true
		}
	}
	return false
}

// cancelIdle cancels the requests that waited RequestIdle for a byte.
func (w *Watchdog) cancelIdle(now time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for req := range w.inflight {
		ns := req.waiting.Load()
		if req.long || ns == 0 {
			continue
		}
		if idle := now.Sub(time.Unix(0, ns)); idle >= w.requestIdle {
			req.cancel(fmt.Errorf("no data from the API server at %s for %s while it answers health checks", w.server, idle.Round(time.Second)))
		}
	}
}

// silence is how long nothing arrived from the server.
func (w *Watchdog) silence(now time.Time) time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return now.Sub(w.lastByte)
}

// Check asks the server once, when a request failed without an answer
// since it last sent anything, and returns why it does not answer, or nil.
// It is for the end of a run whose requests all failed at once (a server
// that went away refuses connections) before Run had seen enough silence
// to decide: the cause of their failures is then known all the same.
func (w *Watchdog) Check(ctx context.Context) *StalledError {
	w.mu.Lock()
	failed := w.failed
	w.mu.Unlock()
	if !failed {
		return nil
	}
	return w.ask(ctx, 0)
}

// ask runs the probe and returns a *StalledError when it fails and nothing
// arrived from the server for at least silent; a probe that succeeds
// counts as a sign of life.
func (w *Watchdog) ask(ctx context.Context, silent time.Duration) *StalledError {
	pctx, cancel := context.WithTimeout(ctx, w.stallAfter/2)
	err := w.probe(pctx)
	timedOut := pctx.Err() != nil
	cancel()
	if ctx.Err() != nil {
		return nil
	}
	if err == nil {
		// It answers: whatever waits is slow, not stalled. Ask again
		// only after another quiet spell.
		w.mu.Lock()
		w.lastByte, w.failed = w.now(), false
		w.mu.Unlock()
		return nil
	}
	reason := err.Error()
	var netErr net.Error
	unreachable := !timedOut && errors.As(err, &netErr)
	if timedOut {
		reason = fmt.Sprintf("a health check got no answer within %s", w.stallAfter/2)
	}
	if s := w.silence(w.now()); s >= silent {
		return &StalledError{Server: w.server, After: s, Reason: reason, Unreachable: unreachable}
	}
	return nil
}

// Run watches until ctx ends, checking every tick (a second when zero).
// When the server stopped answering it calls stop with a *StalledError and
// returns it.
func (w *Watchdog) Run(ctx context.Context, tick time.Duration, stop context.CancelCauseFunc) *StalledError {
	if tick <= 0 {
		tick = time.Second
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if !w.suspect(w.now()) {
			continue
		}
		if e := w.ask(ctx, w.stallAfter); e != nil {
			stop(e)
			return e
		}
		// The server answers: a request that still waits for long is
		// stuck behind it (a hanging kubelet), not the server.
		w.cancelIdle(w.now())
	}
}

// ReadyzProbe asks c's server GET /readyz/etcd (GET /readyz where that
// check does not exist): a question that needs the server's storage, open
// to every authenticated user, answered within the server's own etcd check
// timeout (2 s by default) also when etcd is stopped. Any answer but a
// server error counts as alive: a server that denies the question still
// answers. c should have no client-side rate limit, so that a busy run does
// not delay the question.
func ReadyzProbe(c rest.Interface) Probe {
	return func(ctx context.Context) error {
		check := "etcd"
		var code int
		err := c.Get().AbsPath("/readyz/etcd").Do(ctx).StatusCode(&code).Error()
		if code == http.StatusNotFound {
			check, code = "readyz", 0
			err = c.Get().AbsPath("/readyz").Do(ctx).StatusCode(&code).Error()
		}
		switch {
		case code >= 500:
			return fmt.Errorf("its %s check fails", check)
		case code != 0:
			return nil
		case err != nil:
			// Get "https://…/readyz/etcd": dial tcp …: connection refused
			// says the address twice; the cause is enough.
			var ue *url.Error
			if errors.As(err, &ue) {
				return ue.Err
			}
			return err
		}
		return nil
	}
}
