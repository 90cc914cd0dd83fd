// Package podexec runs commands in a pod's container over the API server,
// as kubectl exec does: WebSocket first, SPDY for servers that cannot
// upgrade. Tar streams a `tar cf -` out of a container for the copy
// collectors. It takes a kubernetes client and its rest.Config, never a
// collector's environment.
package podexec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/httpstream"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/remotecommand"
)

// Run runs cmd in a container and streams its output (a nil writer: that
// stream is not asked for). It speaks WebSocket first and falls back to
// SPDY for servers that cannot upgrade, as kubectl does. config is the one
// client was made from: the executors dial with it.
func Run(ctx context.Context, client kubernetes.Interface, config *rest.Config, namespace, pod, container string, cmd []string, stdout, stderr io.Writer) error {
	req := client.CoreV1().RESTClient().Post().Resource("pods").Namespace(namespace).Name(pod).
		SubResource("exec").VersionedParams(&corev1.PodExecOptions{
		Container: container,
		Command:   cmd,
		Stdout:    stdout != nil,
		Stderr:    stderr != nil,
	}, scheme.ParameterCodec)
	spdy, err := remotecommand.NewSPDYExecutor(config, http.MethodPost, req.URL())
	if err != nil {
		return fmt.Errorf("spdy executor: %w", err)
	}
	ws, err := remotecommand.NewWebSocketExecutor(config, http.MethodGet, req.URL().String())
	if err != nil {
		return fmt.Errorf("websocket executor: %w", err)
	}
	ex, err := remotecommand.NewFallbackExecutor(ws, spdy, func(err error) bool {
		return httpstream.IsUpgradeFailure(err) || httpstream.IsHTTPSProxyError(err)
	})
	if err != nil {
		return fmt.Errorf("exec executor: %w", err)
	}
	g := &gate{}
	err = ex.StreamWithContext(ctx, remotecommand.StreamOptions{Stdout: g.writer(stdout), Stderr: g.writer(stderr)})
	g.close()
	if err != nil {
		return fmt.Errorf("exec %q in %s/%s container %s: %w", cmd, namespace, pod, container, err)
	}
	return nil
}

// Tar runs a `tar cf -` command in a container and hands its output to
// consume. When consume is done early, the rest of the stream is read so
// that tar ends normally; when consume fails, the exec is cut off. Errors
// carry tar's stderr.
func Tar(ctx context.Context, client kubernetes.Interface, config *rest.Config, namespace, pod, container string, cmd []string, consume func(io.Reader) error) error {
	pr, pw := io.Pipe()
	var stderr bytes.Buffer
	done := make(chan error, 1)
	go func() {
		err := Run(ctx, client, config, namespace, pod, container, cmd, pw, &stderr)
		pw.CloseWithError(err)
		done <- err
	}()
	err := consume(pr)
	if err == nil {
		_, err = io.Copy(io.Discard, pr) // tar's end-of-archive padding
	}
	pr.CloseWithError(errors.Join(err, errStopped))
	if execErr := <-done; err == nil {
		err = execErr
	}
	if err != nil && strings.TrimSpace(stderr.String()) != "" {
		return fmt.Errorf("%w (stderr: %s)", err, strings.TrimSpace(stderr.String()))
	}
	return err
}

// gate passes writes on to the caller's writers until the exec returned:
// when ctx ends, client-go's executor returns while its goroutines may
// still copy the streams (seen by the race detector on Ctrl-C), and the
// caller then reads its buffers. Writes after close are dropped.
type gate struct {
	mu     sync.Mutex
	closed bool
}

func (g *gate) writer(w io.Writer) io.Writer {
	if w == nil {
		return nil
	}
	return gatedWriter{g: g, w: w}
}

func (g *gate) close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
}

type gatedWriter struct {
	g *gate
	w io.Writer
}

func (w gatedWriter) Write(p []byte) (int, error) {
	w.g.mu.Lock()
	defer w.g.mu.Unlock()
	if w.g.closed {
		return 0, io.ErrClosedPipe
	}
	return w.w.Write(p)
}

// errStopped ends the exec when consume stopped reading.
var errStopped = errors.New("copy stopped")
