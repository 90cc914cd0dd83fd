package collect

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/httpstream"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/remotecommand"
)

// execInPod runs cmd in a container and streams its output. It speaks
// WebSocket first and falls back to SPDY for servers that cannot upgrade, as
// kubectl does.
func execInPod(ctx context.Context, env *Env, namespace, pod, container string, cmd []string, stdout, stderr io.Writer) error {
	req := env.Client.CoreV1().RESTClient().Post().Resource("pods").Namespace(namespace).Name(pod).
		SubResource("exec").VersionedParams(&corev1.PodExecOptions{
		Container: container,
		Command:   cmd,
		Stdout:    stdout != nil,
		Stderr:    stderr != nil,
	}, scheme.ParameterCodec)
	spdy, err := remotecommand.NewSPDYExecutor(env.Config, http.MethodPost, req.URL())
	if err != nil {
		return fmt.Errorf("spdy executor: %w", err)
	}
	ws, err := remotecommand.NewWebSocketExecutor(env.Config, http.MethodGet, req.URL().String())
	if err != nil {
		return fmt.Errorf("websocket executor: %w", err)
	}
	ex, err := remotecommand.NewFallbackExecutor(ws, spdy, func(err error) bool {
		return httpstream.IsUpgradeFailure(err) || httpstream.IsHTTPSProxyError(err)
	})
	if err != nil {
		return fmt.Errorf("exec executor: %w", err)
	}
	if err := ex.StreamWithContext(ctx, remotecommand.StreamOptions{Stdout: stdout, Stderr: stderr}); err != nil {
		return fmt.Errorf("exec %q in %s/%s container %s: %w", cmd, namespace, pod, container, err)
	}
	return nil
}

// execTar runs a `tar cf -` command in a container and hands its output to
// consume. When consume is done early, the rest of the stream is read so
// that tar ends normally; when consume fails, the exec is cut off. Errors
// carry tar's stderr.
func execTar(ctx context.Context, env *Env, namespace, pod, container string, cmd []string, consume func(io.Reader) error) error {
	pr, pw := io.Pipe()
	var stderr bytes.Buffer
	done := make(chan error, 1)
	go func() {
		err := execInPod(ctx, env, namespace, pod, container, cmd, pw, &stderr)
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

var errStopped = errors.New("copy stopped")
