package bundle

import (
	"archive/tar"
	"errors"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSnapshotThenAppend(t *testing.T) {
	dir := t.TempDir()
	w, err := Create(dir, "", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	require.NoError(t, err)
	require.NoError(t, w.WriteFile("cluster-info/cluster_version.json", []byte(`{"string":"v1.31.0"}`)))
	big := make([]byte, 3*chunkSize+17) // spans chunks still queued for the compressor
	for i := range big {
		big[i] = byte(i * 7)
	}
	require.NoError(t, w.WriteFile("cluster-resources/pods/default.json", big))

	r, err := w.Snapshot()
	require.NoError(t, err)
	got := map[string][]byte{}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		if h.Typeflag == tar.TypeReg {
			data, err := io.ReadAll(tr)
			require.NoError(t, err)
			got[h.Name] = data
		}
	}
	require.NoError(t, r.Close())
	root := w.Name() + "/"
	assert.Equal(t, `{"string":"v1.31.0"}`, string(got[root+"cluster-info/cluster_version.json"]))
	assert.Equal(t, big, got[root+"cluster-resources/pods/default.json"])

	// The archive goes on after the snapshot and closes as usual.
	require.NoError(t, w.WriteFile("analysis.json", []byte("[]")))
	require.NoError(t, w.Close())
	files, err := ReadAll(filepath.Join(dir, w.Name()+Ext))
	require.NoError(t, err)
	assert.Equal(t, "[]", string(files["analysis.json"]))
	assert.Equal(t, big, files["cluster-resources/pods/default.json"])

	_, err = w.Snapshot()
	assert.ErrorIs(t, err, ErrClosed)
}
