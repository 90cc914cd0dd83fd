package bundle

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestLink: a link is a tar symlink relative to its folder, which tar
// unpacks to the target's content and ReadAll, List and Links read back.
func TestLink(t *testing.T) {
	w := newWriter(t, Options{})
	target := "cluster-resources/pods/logs/ns/web-1/main.log"
	// A link may come before its target.
	if err := w.Link("web/web-1/main.log", target); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, w, target, []byte("hello\n"))
	if err := w.Link("top.log", target); err != nil {
		t.Fatal(err)
	}
	if err := w.Link("web/web-1/main.log", target); !errors.Is(err, ErrDuplicate) {
		t.Errorf("second link at one path: %v, want ErrDuplicate", err)
	}
	if err := w.Link("x.log", "../outside"); !errors.Is(err, ErrInvalidPath) {
		t.Errorf("link out of the bundle: %v, want ErrInvalidPath", err)
	}
	mustClose(t, w)

	names := map[string]string{}
	f, err := os.Open(w.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeSymlink {
			names[h.Name] = h.Linkname
		}
	}
	want := map[string]string{
		wantName + "/web/web-1/main.log": "../../cluster-resources/pods/logs/ns/web-1/main.log",
		wantName + "/top.log":            target,
	}
	if len(names) != len(want) || names[wantName+"/web/web-1/main.log"] != want[wantName+"/web/web-1/main.log"] || names[wantName+"/top.log"] != target {
		t.Errorf("symlinks %v, want %v", names, want)
	}

	files, err := ReadAll(w.Path())
	if err != nil {
		t.Fatal(err)
	}
	if string(files["web/web-1/main.log"]) != "hello\n" || string(files["top.log"]) != "hello\n" {
		t.Errorf("links read as %q, %q", files["web/web-1/main.log"], files["top.log"])
	}
	links, err := Links(w.Path())
	if err != nil || len(links) != 2 || links["web/web-1/main.log"] != target {
		t.Errorf("Links: %v, %v", links, err)
	}
	list, err := List(w.Path())
	if err != nil || len(list) != 3 {
		t.Errorf("List: %v, %v", list, err)
	}

	// GNU tar, as a support engineer unpacks a bundle, follows the link.
	if _, err := exec.LookPath("tar"); err != nil {
		return
	}
	dir := t.TempDir()
	if out, err := exec.Command("tar", "xzf", w.Path(), "-C", dir).CombinedOutput(); err != nil {
		t.Fatalf("tar: %v: %s", err, out)
	}
	data, err := os.ReadFile(filepath.Join(dir, wantName, "web/web-1/main.log"))
	if err != nil || string(data) != "hello\n" {
		t.Errorf("unpacked link reads %q, %v", data, err)
	}
}
