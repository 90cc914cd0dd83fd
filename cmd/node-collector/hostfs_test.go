package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestResolveStaysInHostRoot: absolute links and ".." are resolved
// against the host root, never the container's /.
func TestResolveStaysInHostRoot(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "usr/lib/os-release", "ID=fixture\n")
	writeFile(t, root, "etc/passwd", "host-passwd\n")
	symlink(t, root, "../usr/lib/os-release", "etc/os-release")
	symlink(t, root, "/usr/lib/os-release", "etc/abs-link")
	symlink(t, root, "../../../../../../../etc/passwd", "etc/climbing-link")
	symlink(t, root, "/etc/loop-b", "etc/loop-a")
	symlink(t, root, "/etc/loop-a", "etc/loop-b")
	h := hostFS{root: root}
	for link, want := range map[string]string{
		"/etc/os-release":      "ID=fixture\n",
		"/etc/abs-link":        "ID=fixture\n",
		"/etc/climbing-link":   "host-passwd\n",
		"/../../etc/passwd":    "host-passwd\n",
		"/etc/../etc/./passwd": "host-passwd\n",
	} {
		data, err := h.readFile(link, 100)
		if err != nil || string(data) != want {
			t.Errorf("readFile(%s) = %q, %v; want %q", link, data, err, want)
		}
	}
	if _, err := h.readFile("/etc/loop-a", 100); err == nil || !strings.Contains(err.Error(), "too many symbolic links") {
		t.Errorf("loop: err = %v", err)
	}
	_, err := h.readFile("/etc/missing", 100)
	if !errors.Is(err, fs.ErrNotExist) || strings.Contains(err.Error(), root) {
		t.Errorf("missing file: err = %v, want not-exist naming only the host path", err)
	}
	if _, err := h.readFile("/etc", 100); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("folder: err = %v", err)
	}
}

func TestReadLimits(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "big", strings.Repeat("0123456789\n", 100))
	h := hostFS{root: root}
	data, err := h.readFile("/big", 50)
	if err != nil || !strings.HasSuffix(string(data), truncatedMarker) || len(data) != 50+len(truncatedMarker) {
		t.Errorf("readFile: %q, %v", data, err)
	}
	tail, skipped, err := h.readTail("/big", 50)
	if err != nil || !skipped || string(tail) != strings.Repeat("0123456789\n", 4) {
		t.Errorf("readTail: %q, %v, %v", tail, skipped, err)
	}
	whole, skipped, err := h.readTail("/big", 5000)
	if err != nil || skipped || len(whole) != 1100 {
		t.Errorf("readTail whole: %d bytes, %v, %v", len(whole), skipped, err)
	}
	_ = os.Remove(filepath.Join(root, "big"))
}
