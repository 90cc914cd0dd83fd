package app

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTar: the image's tar writes the named files and folders relative to
// -C, and a missing name fails with nothing written (the CLI's "not yet").
func TestTar(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.tar.gz"), []byte("bundle"), 0o644))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "sub"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "sub", "b.json"), []byte("{}"), 0o644))
	var out, errOut bytes.Buffer
	require.Equal(t, 0, Tar([]string{"cf", "-", "-C", dir, "."}, &out, &errOut), errOut.String())
	files := map[string]string{}
	tr := tar.NewReader(&out)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		data, _ := io.ReadAll(tr)
		files[h.Name] = string(data)
	}
	assert.Equal(t, "bundle", files["a.tar.gz"])
	assert.Equal(t, "{}", files["sub/b.json"])

	out.Reset()
	assert.Equal(t, 2, Tar([]string{"cf", "-", "-C", dir, "shard-0-of-3.json"}, &out, &errOut))
	assert.Zero(t, out.Len())
	assert.Contains(t, errOut.String(), "shard-0-of-3.json")
	assert.Equal(t, 2, Tar([]string{"xf", "-"}, &out, &errOut))
}
