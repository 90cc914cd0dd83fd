package bundle

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestFileName(t *testing.T) {
	berlin := time.FixedZone("CET", 3600)
	for _, tc := range []struct {
		prefix string
		t      time.Time
		want   string
	}{
		{"", now, "support-bundle-2026-11-25T09_10_11.tar.gz"},
		{"mgmt-konvoy-", now, "mgmt-konvoy-support-bundle-2026-11-25T09_10_11.tar.gz"},
		// Converted to UTC; sub-seconds dropped.
		{"", time.Date(2026, 1, 2, 4, 5, 6, 999_000_000, berlin), "support-bundle-2026-01-02T03_05_06.tar.gz"},
	} {
		if got := FileName(tc.prefix, tc.t); got != tc.want {
			t.Errorf("FileName(%q, %v) = %q, want %q", tc.prefix, tc.t, got, tc.want)
		}
	}
}

func TestRootFolderEqualsName(t *testing.T) {
	dir := t.TempDir()
	w, err := Create(dir, "wl-prod-", now)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := w.Name(), "wl-prod-"+wantName; got != want {
		t.Errorf("Name() = %q, want %q", got, want)
	}
	if got, want := w.Path(), filepath.Join(dir, "wl-prod-"+wantName+".tar.gz"); got != want {
		t.Errorf("Path() = %q, want %q", got, want)
	}
	if _, err := os.Stat(w.Path()); !os.IsNotExist(err) {
		t.Errorf("final file exists before Close: %v", err)
	}
	mustWrite(t, w, "version.yaml", []byte("apiVersion: troubleshoot.sh/v1beta2\n"))
	mustClose(t, w)

	root, err := RootName(w.Path())
	if err != nil {
		t.Fatal(err)
	}
	if root != w.Name() {
		t.Errorf("root folder %q, want %q", root, w.Name())
	}
	for _, h := range headers(t, w.Path()) {
		if !strings.HasPrefix(h.Name, w.Name()+"/") {
			t.Errorf("entry %q not under root %q", h.Name, w.Name())
		}
	}
	if got, want := dirNames(t, dir), []string{"wl-prod-" + wantName + ".tar.gz"}; !slices.Equal(got, want) {
		t.Errorf("dir holds %q, want %q", got, want)
	}
}

func TestCreateCollisions(t *testing.T) {
	dir := t.TempDir()
	// A finished bundle takes the plain name.
	if err := os.WriteFile(filepath.Join(dir, wantName+".tar.gz"), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Another run is writing "-1".
	if err := os.WriteFile(filepath.Join(dir, "."+wantName+"-1.tar.gz.partial"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	w2, err := Create(dir, "", now)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := w2.Name(), wantName+"-2"; got != want {
		t.Fatalf("Name() = %q, want %q", got, want)
	}
	// While w2 is open its name is taken too.
	w3, err := Create(dir, "", now)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := w3.Name(), wantName+"-3"; got != want {
		t.Fatalf("Name() = %q, want %q", got, want)
	}
	mustWrite(t, w2, "a", []byte("two"))
	mustWrite(t, w3, "a", []byte("three"))
	mustClose(t, w2)
	mustClose(t, w3)
	// Once "-2" is final, the next writer skips it as well; "-1" stays taken
	// by the other run's partial file.
	w4, err := Create(dir, "", now)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := w4.Name(), wantName+"-4"; got != want {
		t.Fatalf("Name() = %q, want %q", got, want)
	}
	if err := w4.Abort(); err != nil {
		t.Fatal(err)
	}
	for _, w := range []*Writer{w2, w3} {
		if root, err := RootName(w.Path()); err != nil || root != w.Name() {
			t.Errorf("RootName(%s) = %q, %v; want %q", w.Path(), root, err, w.Name())
		}
	}
	if got := mustReadAll(t, w3.Path())["a"]; string(got) != "three" {
		t.Errorf("w3 content %q", got)
	}
	// The old final file was not touched.
	if b, _ := os.ReadFile(filepath.Join(dir, wantName+".tar.gz")); string(b) != "old" {
		t.Errorf("existing bundle overwritten: %q", b)
	}
	// An aborted writer frees its name.
	w5, err := Create(dir, "", now)
	if err != nil {
		t.Fatal(err)
	}
	defer w5.Abort()
	if got, want := w5.Name(), wantName+"-4"; got != want {
		t.Errorf("after Abort, Name() = %q, want %q", got, want)
	}
}

func TestCreateConcurrentNames(t *testing.T) {
	dir := t.TempDir()
	const n = 20
	ws := make([]*Writer, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			ws[i], errs[i] = Create(dir, "", now)
			if errs[i] == nil {
				errs[i] = ws[i].WriteFile("who", []byte(ws[i].Name()))
			}
			if errs[i] == nil {
				errs[i] = ws[i].Close()
			}
		})
	}
	wg.Wait()
	var names []string
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("writer %d: %v", i, errs[i])
		}
		names = append(names, ws[i].Name())
		got := mustReadAll(t, ws[i].Path())
		if string(got["who"]) != ws[i].Name() {
			t.Errorf("%s holds %q", ws[i].Path(), got["who"])
		}
	}
	sort.Strings(names)
	want := []string{wantName}
	for i := 1; i < n; i++ {
		want = append(want, fmt.Sprintf("%s-%d", wantName, i))
	}
	sort.Strings(want)
	if !slices.Equal(names, want) {
		t.Errorf("names %q, want %q", names, want)
	}
	if got := len(dirNames(t, dir)); got != n {
		t.Errorf("dir holds %d entries, want %d: %q", got, n, dirNames(t, dir))
	}
}

// TestCreateAcrossProcesses runs several copies of the test binary that each
// write a bundle with the same time into one directory.
func TestCreateAcrossProcesses(t *testing.T) {
	if os.Getenv("BUNDLE_TEST_HELPER_DIR") != "" {
		t.Skip("in helper")
	}
	dir := t.TempDir()
	const n = 6
	cmds := make([]*exec.Cmd, n)
	outs := make([]*bytes.Buffer, n)
	for i := range n {
		cmds[i] = exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
		cmds[i].Env = append(os.Environ(), "BUNDLE_TEST_HELPER_DIR="+dir)
		outs[i] = &bytes.Buffer{}
		cmds[i].Stdout, cmds[i].Stderr = outs[i], outs[i]
		if err := cmds[i].Start(); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		if err := cmds[i].Wait(); err != nil {
			t.Fatalf("helper %d: %v\n%s", i, err, outs[i])
		}
	}
	names := dirNames(t, dir)
	if len(names) != n {
		t.Fatalf("dir holds %q, want %d bundles", names, n)
	}
	for _, name := range names {
		if !strings.HasPrefix(name, wantName) || !strings.HasSuffix(name, ".tar.gz") {
			t.Errorf("unexpected file %q", name)
			continue
		}
		p := filepath.Join(dir, name)
		got := mustReadAll(t, p)
		if root, _ := RootName(p); root+".tar.gz" != name || string(got["who"]) != root {
			t.Errorf("%s: root %q, who %q", name, root, got["who"])
		}
	}
}

// TestHelperProcess is TestCreateAcrossProcesses' child.
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv("BUNDLE_TEST_HELPER_DIR")
	if dir == "" {
		t.Skip("helper for TestCreateAcrossProcesses")
	}
	w, err := Create(dir, "", now)
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, w, "who", []byte(w.Name()))
	time.Sleep(20 * time.Millisecond) // overlap with the other processes
	mustClose(t, w)
}

func TestCreateBadPrefix(t *testing.T) {
	for _, p := range []string{"a/b-", "../", ".hidden-", "nul\x00"} {
		_, err := Create(t.TempDir(), p, now)
		if err == nil || !strings.Contains(err.Error(), "invalid prefix") {
			t.Errorf("Create(prefix %q) = %v, want invalid prefix", p, err)
		}
	}
}

func TestCreateMakesDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	w, err := Create(dir, "", now)
	if err != nil {
		t.Fatal(err)
	}
	mustClose(t, w)
	if _, err := os.Stat(filepath.Join(dir, wantName+".tar.gz")); err != nil {
		t.Error(err)
	}
}

func TestUnwritableDir(t *testing.T) {
	check := func(t *testing.T, dir string, wantErr error, wantText string) {
		t.Helper()
		w, err := Create(dir, "", now)
		if err == nil {
			_ = w.Abort()
			t.Fatalf("Create(%q) succeeded", dir)
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, fmt.Sprintf("create bundle in %q: ", dir)) {
			t.Errorf("error %q does not start with the dir", msg)
		}
		if strings.Contains(msg, "\n") {
			t.Errorf("error is not one line: %q", msg)
		}
		if wantErr != nil && !errors.Is(err, wantErr) {
			t.Errorf("error %q does not wrap %v", msg, wantErr)
		}
		if !strings.Contains(msg, wantText) {
			t.Errorf("error %q does not say %q", msg, wantText)
		}
	}
	t.Run("under a file", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "file")
		if err := os.WriteFile(file, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		check(t, filepath.Join(file, "out"), nil, "not a directory")
		check(t, file, nil, "not a directory")
	})
	t.Run("permission denied", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("root ignores permissions")
		}
		dir := t.TempDir()
		if err := os.Chmod(dir, 0o555); err != nil {
			t.Fatal(err)
		}
		defer os.Chmod(dir, 0o755)
		check(t, dir, os.ErrPermission, "permission denied")
		check(t, filepath.Join(dir, "sub"), os.ErrPermission, "mkdir "+filepath.Join(dir, "sub")+": permission denied")
	})
	t.Run("read-only filesystem", func(t *testing.T) {
		dir := mountTmpfs(t, "size=1m,ro")
		check(t, dir, nil, "read-only file system")
		check(t, filepath.Join(dir, "sub"), nil, "read-only file system")
	})
}
