package bundle

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCopy: the files CopyFiles selects — written whole, spooled in memory
// or spilled to disk, and links — are also in CopyDir, same content, same
// layout; the others are not; the archive holds everything either way.
func TestCopy(t *testing.T) {
	copyDir := filepath.Join(t.TempDir(), "copy")
	w := newWriter(t, Options{SpoolThreshold: 1 << 10, CopyDir: copyDir,
		CopyFiles: func(p string) bool { return !strings.HasPrefix(p, "logs/") }})
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<10) // spills past the threshold
	mustWrite(t, w, "version.yaml", []byte("v"))
	mustWrite(t, w, "logs/a.log", []byte("not copied"))
	for name, data := range map[string][]byte{"cluster-resources/pods/ns.json": []byte("small"), "cluster-resources/big.json": big, "logs/big.log": big} {
		f, err := w.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write(data); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Link("cluster-resources/link.json", "cluster-resources/big.json"); err != nil {
		t.Fatal(err)
	}
	mustClose(t, w)
	if err := w.CopyErr(); err != nil {
		t.Fatal(err)
	}

	got := map[string]string{}
	err := filepath.WalkDir(copyDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(copyDir, p)
		if d.Type()&fs.ModeSymlink != 0 {
			target, err := os.Readlink(p)
			got[filepath.ToSlash(rel)] = "-> " + target
			return err
		}
		data, err := os.ReadFile(p)
		got[filepath.ToSlash(rel)] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"version.yaml":                   "v",
		"cluster-resources/pods/ns.json": "small",
		"cluster-resources/big.json":     string(big),
		"cluster-resources/link.json":    "-> big.json",
	}
	if len(got) != len(want) {
		t.Errorf("copied %d files, want %d: %v", len(got), len(want), keys(got))
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("copy of %s: %d bytes %.20q, want %d bytes %.20q", k, len(got[k]), got[k], len(v), v)
		}
	}
	all, err := ReadAll(w.Path())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"version.yaml", "logs/a.log", "logs/big.log", "cluster-resources/big.json"} {
		if _, ok := all[p]; !ok {
			t.Errorf("archive lacks %s", p)
		}
	}
}

// TestCopyFailureKeepsBundle: a copy that cannot be written stops the
// copying, reported by CopyErr, and the bundle is written all the same.
func TestCopyFailureKeepsBundle(t *testing.T) {
	copyDir := filepath.Join(t.TempDir(), "copy")
	w := newWriter(t, Options{CopyDir: copyDir, CopyFiles: func(string) bool { return true }})
	// A file where the copy needs a folder.
	if err := os.WriteFile(filepath.Join(copyDir, "cluster-resources"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, w, "cluster-resources/a.json", []byte("a"))
	mustWrite(t, w, "version.yaml", []byte("v"))
	mustClose(t, w)
	if err := w.CopyErr(); err == nil || !strings.Contains(err.Error(), "cluster-resources/a.json") {
		t.Errorf("CopyErr = %v, want the failed copy of cluster-resources/a.json", err)
	}
	if _, err := os.Stat(filepath.Join(copyDir, "version.yaml")); err == nil {
		t.Error("copying went on after a failure")
	}
	all, err := ReadAll(w.Path())
	if err != nil {
		t.Fatal(err)
	}
	if string(all["cluster-resources/a.json"]) != "a" {
		t.Errorf("archive: %q", all["cluster-resources/a.json"])
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
