package bundlefs

import (
	"archive/tar"
	"compress/gzip"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type entry struct {
	name, body, link string
	typ              byte
}

func writeTarGz(t *testing.T, p string, entries []entry) {
	t.Helper()
	f, err := os.Create(p)
	require.NoError(t, err)
	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		typ := e.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		h := &tar.Header{Name: e.name, Typeflag: typ, Mode: 0o644, Size: int64(len(e.body)), Linkname: e.link}
		if typ != tar.TypeReg {
			h.Size = 0
		}
		require.NoError(t, tw.WriteHeader(h))
		if typ == tar.TypeReg {
			_, err := tw.Write([]byte(e.body))
			require.NoError(t, err)
		}
	}
	require.NoError(t, tw.Close())
	require.NoError(t, gz.Close())
	require.NoError(t, f.Close())
}

func TestOpenArchiveWithLinks(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "support-bundle-x.tar.gz")
	writeTarGz(t, p, []entry{
		{name: "support-bundle-x/", typ: tar.TypeDir},
		{name: "support-bundle-x/version.yaml", body: "v"},
		{name: "support-bundle-x/cluster-resources/pods/logs/ns/p/c.log", body: "log line"},
		{name: "support-bundle-x/ns/p/c.log", typ: tar.TypeSymlink, link: "../../cluster-resources/pods/logs/ns/p/c.log"},
		{name: "support-bundle-x/allPodLogs/ns/p-c.log", typ: tar.TypeLink, link: "support-bundle-x/cluster-resources/pods/logs/ns/p/c.log"},
		{name: "support-bundle-x/evil", typ: tar.TypeSymlink, link: "/etc/passwd"},
		{name: "support-bundle-x/../escape", body: "x"},
	})
	b, err := Open(p, Options{TempDir: dir})
	require.NoError(t, err)
	assert.Equal(t, "support-bundle-x", b.Name())
	require.NoError(t, fstest.TestFS(b, "version.yaml", "cluster-resources/pods/logs/ns/p/c.log", "ns/p/c.log", "allPodLogs/ns/p-c.log"))
	for _, name := range []string{"ns/p/c.log", "allPodLogs/ns/p-c.log"} {
		data, err := fs.ReadFile(b, name)
		require.NoError(t, err, name)
		assert.Equal(t, "log line", string(data), name)
	}
	_, err = fs.ReadFile(b, "evil")
	assert.Error(t, err)
	assert.Len(t, b.Refused(), 2)
	extracted := b.Dir()
	require.NoError(t, b.Close())
	_, err = os.Stat(extracted)
	assert.True(t, os.IsNotExist(err), "extracted copy removed")
	_, err = os.Stat(filepath.Join(dir, "escape"))
	assert.True(t, os.IsNotExist(err))
}

// TestOpenLargeFiles: files spanning many of the disk writer's chunks
// arrive whole and in order.
func TestOpenLargeFiles(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "b.tar.gz")
	big := make([]byte, 3*chunkBytes+123)
	for i := range big {
		big[i] = byte(i % 251)
	}
	var entries []entry
	for _, n := range []string{"b/version.yaml", "b/a.log", "b/empty", "b/c/d.log"} {
		body := string(big)
		if n == "b/empty" {
			body = ""
		}
		entries = append(entries, entry{name: n, body: body})
	}
	writeTarGz(t, p, entries)
	b, err := Open(p, Options{TempDir: dir})
	require.NoError(t, err)
	defer b.Close()
	for _, n := range []string{"a.log", "c/d.log"} {
		data, err := fs.ReadFile(b, n)
		require.NoError(t, err)
		assert.Equal(t, big, data, n)
	}
	data, err := fs.ReadFile(b, "empty")
	require.NoError(t, err)
	assert.Empty(t, data)
}

func TestOpenRefusesLinkChainOut(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "outside"), []byte("secret"), 0o600))
	p := filepath.Join(dir, "b.tar.gz")
	// Each link's target stays inside by name; together they climb out.
	writeTarGz(t, p, []entry{
		{name: "b/version.yaml", body: "v"},
		{name: "b/a/s", typ: tar.TypeSymlink, link: "../.."},
		{name: "b/a/t", typ: tar.TypeSymlink, link: "s/.."},
	})
	b, err := Open(p, Options{TempDir: dir})
	require.NoError(t, err)
	defer b.Close()
	_, err = fs.ReadDir(b, "a/t")
	assert.Error(t, err, "a link chain leaving the bundle is not followed")
}

func TestOpenFolderAndRootDetection(t *testing.T) {
	dir := t.TempDir()
	inner := filepath.Join(dir, "support-bundle-y")
	require.NoError(t, os.MkdirAll(filepath.Join(inner, "cluster-info"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(inner, "cluster-info", "cluster_version.json"), []byte("{}"), 0o644))
	for _, p := range []string{dir, inner} {
		b, err := Open(p, Options{})
		require.NoError(t, err, p)
		assert.Equal(t, "support-bundle-y", b.Name())
		_, err = fs.Stat(b, "cluster-info/cluster_version.json")
		assert.NoError(t, err)
		require.NoError(t, b.Close())
		_, err = os.Stat(inner)
		assert.NoError(t, err, "Close leaves a folder bundle alone")
	}
	assert.True(t, IsBundleDir(inner))

	// A folder of archives is not a bundle; Archives lists them.
	run := t.TempDir()
	writeTarGz(t, filepath.Join(run, "b-support-bundle-1.tar.gz"), []entry{{name: "b/version.yaml", body: "v"}})
	writeTarGz(t, filepath.Join(run, "a-support-bundle-1.tar.gz"), []entry{{name: "a/version.yaml", body: "v"}})
	require.NoError(t, os.WriteFile(filepath.Join(run, "summary.json"), []byte("{}"), 0o644))
	assert.False(t, IsBundleDir(run))
	got, err := Archives(run)
	require.NoError(t, err)
	assert.Equal(t, []string{filepath.Join(run, "a-support-bundle-1.tar.gz"), filepath.Join(run, "b-support-bundle-1.tar.gz")}, got)
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := Open(filepath.Join(dir, "missing.tar.gz"), Options{})
	assert.ErrorContains(t, err, "missing.tar.gz")
	notgz := filepath.Join(dir, "x.tar.gz")
	require.NoError(t, os.WriteFile(notgz, []byte("plain"), 0o644))
	_, err = Open(notgz, Options{})
	assert.ErrorContains(t, err, "not a .tar.gz")
	two := filepath.Join(dir, "two.tar.gz")
	writeTarGz(t, two, []entry{{name: "a/x", body: "1"}, {name: "b/y", body: "2"}})
	_, err = Open(two, Options{TempDir: dir})
	assert.ErrorContains(t, err, "no bundle root folder")
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		assert.NotContains(t, e.Name(), "dkp-diagnose-bundle-", "a failed open leaves nothing behind")
	}
}

// TestOpenWant: only wanted files are extracted (and version.yaml); a
// wanted link to a file that was not wanted gets its target all the same.
func TestOpenWant(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "support-bundle-x.tar.gz")
	writeTarGz(t, p, []entry{
		{name: "support-bundle-x/", typ: tar.TypeDir},
		{name: "support-bundle-x/version.yaml", body: "v"},
		{name: "support-bundle-x/cluster-resources/pods/ns.json", body: "{}"},
		{name: "support-bundle-x/cluster-resources/pods/logs/ns/p/c.log", body: "log line"},
		{name: "support-bundle-x/cluster-resources/pods/logs/ns/q/c.log", body: "other"},
		{name: "support-bundle-x/wanted/p.log", typ: tar.TypeSymlink, link: "../cluster-resources/pods/logs/ns/p/c.log"},
		{name: "support-bundle-x/unwanted/p.log", typ: tar.TypeSymlink, link: "../cluster-resources/pods/logs/ns/p/c.log"},
		{name: "support-bundle-x/evil", typ: tar.TypeSymlink, link: "/etc/passwd"},
	})
	want := func(name string) bool {
		return name == "cluster-resources/pods/ns.json" || name == "wanted/p.log"
	}
	b, err := Open(p, Options{TempDir: dir, Want: want})
	require.NoError(t, err)
	defer b.Close()
	require.NoError(t, fstest.TestFS(b, "version.yaml", "cluster-resources/pods/ns.json", "wanted/p.log"))
	data, err := fs.ReadFile(b, "wanted/p.log")
	require.NoError(t, err)
	assert.Equal(t, "log line", string(data))
	for _, name := range []string{"cluster-resources/pods/logs/ns/q/c.log", "unwanted/p.log"} {
		_, err := fs.Stat(b, name)
		assert.ErrorIs(t, err, fs.ErrNotExist, name)
	}
	assert.Len(t, b.Refused(), 1, "the link out is refused, once")
}
