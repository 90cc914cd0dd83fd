package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mesosphere/dkp-diagnose/lib/collect/archive"
)

func TestTarApplet(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "data", "kubelet"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "data", "kubelet", "config.yaml"), []byte("a: 1\n"), 0o644))
	require.NoError(t, os.Symlink("kubelet/config.yaml", filepath.Join(dir, "data", "current")))

	var out, errb bytes.Buffer
	code, ok := multiCall(context.Background(), "/bin/tar", []string{"cf", "-", "-C", filepath.Join(dir, "data"), "."}, &out, &errb)
	require.True(t, ok)
	require.Equal(t, 0, code, errb.String())

	// What the CLI's extraction makes of it.
	got := map[string]string{}
	res, err := archive.Extract(&out, func(name string) (io.WriteCloser, error) {
		return &closeBuffer{name: name, into: got}, nil
	}, archive.Limits{})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"kubelet/config.yaml": "a: 1\n"}, got)
	assert.Equal(t, []archive.Link{{Name: "current", Target: "kubelet/config.yaml"}}, res.Links)

	code, _ = multiCall(context.Background(), "tar", []string{"xf", "x.tar"}, &out, &errb)
	assert.Equal(t, 2, code)
}

type closeBuffer struct {
	bytes.Buffer
	name string
	into map[string]string
}

func (b *closeBuffer) Close() error { b.into[b.name] = b.String(); return nil }

func TestSleepAppletEndsOnSignal(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	var errb bytes.Buffer
	code, ok := multiCall(ctx, "sleep", []string{"infinity"}, nil, &errb)
	require.True(t, ok)
	assert.Equal(t, 0, code)
	code, _ = multiCall(ctx, "sleep", []string{"soon"}, nil, &errb)
	assert.Equal(t, 2, code)
	_, ok = multiCall(ctx, "node-collector", nil, nil, &errb)
	assert.False(t, ok)
}
