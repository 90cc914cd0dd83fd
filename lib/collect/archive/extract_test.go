package archive

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type entry struct {
	name, body, link string
	typ              byte
}

func tarOf(t *testing.T, entries ...entry) *bytes.Reader {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Linkname: e.link, Mode: 0o644, Size: int64(len(e.body))}
		if e.typ != tar.TypeReg {
			h.Size = 0
		}
		require.NoError(t, tw.WriteHeader(h))
		if e.typ == tar.TypeReg {
			_, err := tw.Write([]byte(e.body))
			require.NoError(t, err)
		}
	}
	require.NoError(t, tw.Close())
	return bytes.NewReader(buf.Bytes())
}

// dirSink extracts onto disk the way a careless caller would (joining the
// name it is given to the folder), so a name that escapes would land
// outside the folder and the test would see it.
func dirSink(dir string) CreateFunc {
	return func(name string) (io.WriteCloser, error) {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, err
		}
		return os.Create(p)
	}
}

func TestExtractRefusesEscapes(t *testing.T) {
	root := t.TempDir()
	dst := filepath.Join(root, "dst")
	require.NoError(t, os.Mkdir(dst, 0o755))
	in := tarOf(t,
		entry{name: "./", typ: tar.TypeDir},
		entry{name: "./etc/kubelet.conf", body: "ok\n", typ: tar.TypeReg},
		entry{name: "../escaped.txt", body: "evil", typ: tar.TypeReg},
		entry{name: "a/../../escaped2.txt", body: "evil", typ: tar.TypeReg},
		entry{name: "/abs/file.txt", body: "abs is made relative", typ: tar.TypeReg},
		entry{name: "link-out", link: "../../etc/shadow", typ: tar.TypeSymlink},
		entry{name: "link-abs", link: "/etc/shadow", typ: tar.TypeSymlink},
		entry{name: "etc/link-in", link: "kubelet.conf", typ: tar.TypeSymlink},
		entry{name: "hard-out", link: "../x", typ: tar.TypeLink},
		entry{name: "dev/sda", typ: tar.TypeBlock},
		entry{name: "fifo", typ: tar.TypeFifo},
	)
	res, err := Extract(in, dirSink(dst), Limits{})
	require.NoError(t, err)

	assert.Equal(t, 2, res.Files)
	got, err := os.ReadFile(filepath.Join(dst, "etc", "kubelet.conf"))
	require.NoError(t, err)
	assert.Equal(t, "ok\n", string(got))
	assert.FileExists(t, filepath.Join(dst, "abs", "file.txt"))

	// Nothing was written beside the target folder.
	outside, err := os.ReadDir(root)
	require.NoError(t, err)
	require.Len(t, outside, 1)
	assert.Equal(t, "dst", outside[0].Name())

	refused := map[string]string{}
	for _, r := range res.Refused {
		refused[r.Name] = r.Reason
	}
	for _, name := range []string{"../escaped.txt", "a/../../escaped2.txt", "link-out", "link-abs", "hard-out", "dev/sda", "fifo"} {
		assert.Contains(t, refused, name)
	}
	assert.Contains(t, refused["link-out"], "leaves the target folder")
	assert.Contains(t, refused["dev/sda"], "device")
	assert.Equal(t, []Link{{Name: "etc/link-in", Target: "kubelet.conf"}}, res.Links)
}

func TestExtractLimits(t *testing.T) {
	dst := t.TempDir()
	in := tarOf(t,
		entry{name: "small", body: "1234", typ: tar.TypeReg},
		entry{name: "big", body: strings.Repeat("x", 100), typ: tar.TypeReg},
		entry{name: "second", body: "123456", typ: tar.TypeReg},
		entry{name: "third", body: "1", typ: tar.TypeReg},
	)
	res, err := Extract(in, dirSink(dst), Limits{MaxFileBytes: 10, MaxTotalBytes: 10})
	require.NoError(t, err)
	assert.Equal(t, 2, res.Files) // small + second = 10 bytes
	assert.EqualValues(t, 10, res.Bytes)
	require.Len(t, res.Refused, 2)
	assert.Equal(t, "big", res.Refused[0].Name)
	assert.Contains(t, res.Refused[0].Reason, "file limit")
	assert.Equal(t, "third", res.Refused[1].Name)
	assert.NoFileExists(t, filepath.Join(dst, "big"))
}

func TestExtractBrokenStream(t *testing.T) {
	_, err := Extract(strings.NewReader("not a tar stream, but long enough to be read as a header block......"+strings.Repeat("z", 600)), dirSink(t.TempDir()), Limits{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "read archive")
}

func TestClean(t *testing.T) {
	for in, want := range map[string]string{"./a/b": "a/b", "/a//b/": "a/b", "a/./b": "a/b"} {
		got, ok := Clean(in)
		assert.True(t, ok, in)
		assert.Equal(t, want, got)
	}
	for _, in := range []string{"..", "../a", "a/..", ".", "/", "", "a\\b", "a\x00b"} {
		_, ok := Clean(in)
		assert.False(t, ok, in)
	}
}
