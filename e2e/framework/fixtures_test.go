package framework

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestCRILog(t *testing.T) {
	got := string(criLog("one\ntwo\n"))
	want := "2026-11-25T06:20:34.845420003Z stdout F one\n2026-11-25T06:20:34.846420003Z stdout F two\n"
	if got != want {
		t.Errorf("criLog = %q, want %q", got, want)
	}
	if got := criLog(""); len(got) != 0 {
		t.Errorf("criLog(\"\") = %q, want nothing", got)
	}
	if got := ExpectedLog("a\nb"); got != "a\nb\n" {
		t.Errorf("ExpectedLog = %q", got)
	}
}

// The tar shim is what keeps exec in fake pods off the real host; it needs
// no cluster to test.
func TestTarShim(t *testing.T) {
	if _, err := exec.LookPath("tar"); err != nil {
		t.Skip("no tar on this host")
	}
	shims := t.TempDir()
	if err := writeShims(shims); err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "var/log/app.log"), "hello")
	writeFile(t, filepath.Join(root, "etc/os-release"), "fake")

	run := func(env []string, args ...string) ([]byte, error) {
		cmd := exec.Command(filepath.Join(shims, "tar"), args...)
		cmd.Env = append(os.Environ(), env...)
		cmd.Dir = "/"
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			err = errors.Join(err, errors.New(stderr.String()))
		}
		return out, err
	}

	out, err := run([]string{"FAKEROOT=" + root}, "cf", "-", "/var/log")
	if err != nil {
		t.Fatalf("tar in fake root: %v", err)
	}
	if names := tarNames(t, out); !slices.Equal(names, []string{"var/log/", "var/log/app.log"}) {
		t.Errorf("archive holds %v", names)
	}
	if _, err := run([]string{"FAKEROOT="}, "cf", "-", "/etc"); err == nil {
		t.Error("tar without FAKEROOT succeeded; it must refuse to read the host")
	}
	if _, err := run([]string{"FAKEROOT=" + root}, "cf", "-", "/var/../../etc"); err == nil {
		t.Error("tar of a path leaving the fake root succeeded")
	}
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func tarNames(t *testing.T, data []byte) []string {
	t.Helper()
	var names []string
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			slices.Sort(names)
			return names
		}
		if err != nil {
			t.Fatalf("read tar: %v", err)
		}
		names = append(names, strings.TrimPrefix(h.Name, "./"))
	}
}
