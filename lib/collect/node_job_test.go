package collect

import (
	"archive/tar"
	"bytes"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mesosphere/dkp-diagnose/lib/collect/bundle"
)

// TestExtractIntoEmptyCopy: a node collector's copy that holds no file (a
// command that wrote nothing) makes the collector partial, saying which
// node; a copy with files does not.
func TestExtractIntoEmptyCopy(t *testing.T) {
	tarOf := func(files ...string) io.Reader {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		require.NoError(t, tw.WriteHeader(&tar.Header{Name: "./", Typeflag: tar.TypeDir, Mode: 0o755}))
		for _, f := range files {
			require.NoError(t, tw.WriteHeader(&tar.Header{Name: "./" + f, Typeflag: tar.TypeReg, Mode: 0o644, Size: 2}))
			_, err := tw.Write([]byte("x\n"))
			require.NoError(t, err)
		}
		require.NoError(t, tw.Close())
		return &buf
	}
	for _, c := range []struct {
		name    string
		files   []string
		partial string
	}{
		{"empty", nil, "node n1: the collector wrote no file"},
		{"files", []string{"a.txt"}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			bw, err := bundle.Create(t.TempDir(), "", time.Now())
			require.NoError(t, err)
			defer bw.Close()
			env := &Env{Out: &Output{bundle: bw}, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Options: &Options{}}
			require.NoError(t, extractInto(env, tarOf(c.files...), "nd/n1/data", "nd/n1", "node n1"))
			var got []string
			for _, e := range env.partialErrors() {
				got = append(got, e.Error())
			}
			if c.partial == "" {
				assert.Empty(t, got)
				return
			}
			assert.Equal(t, c.partial, strings.Join(got, "; "))
		})
	}
}
