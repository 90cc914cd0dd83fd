package archive

import (
	"archive/tar"
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/mesosphere/dkp-diagnose/lib/collect/redact"
)

func TestRepackRedactsEntryByEntry(t *testing.T) {
	big := strings.Repeat("ordinary log line with nothing to hide\n", (spoolMem/38)+10) + "password: inBigFile1\n"
	var in bytes.Buffer
	tw := tar.NewWriter(&in)
	add := func(h *tar.Header, body string) {
		h.Size = int64(len(body))
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	add(&tar.Header{Name: "etc/", Typeflag: tar.TypeDir, Mode: 0o755}, "")
	add(&tar.Header{Name: "etc/app.conf", Typeflag: tar.TypeReg, Mode: 0o644}, "user: admin\npassword: hunter2secret\n")
	add(&tar.Header{Name: "etc/link", Typeflag: tar.TypeSymlink, Linkname: "app.conf"}, "")
	add(&tar.Header{Name: "var/big.log", Typeflag: tar.TypeReg, Mode: 0o644}, big)
	add(&tar.Header{Name: "etc/clean", Typeflag: tar.TypeReg, Mode: 0o644}, "nothing here\n")
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}

	s, err := redact.New(nil, true)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	res, err := Repack(&in, &out, func(name string, dst io.WriteCloser) io.WriteCloser {
		return s.Writer("c/archive.tar/"+name, dst)
	}, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Files != 3 {
		t.Errorf("files = %d, want 3", res.Files)
	}
	got := map[string]string{}
	tr := tar.NewReader(&out)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("repacked archive is broken: %v", err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		got[h.Name] = string(b)
		if h.Typeflag == tar.TypeSymlink && h.Linkname != "app.conf" {
			t.Errorf("link target %q", h.Linkname)
		}
	}
	if c := got["etc/app.conf"]; strings.Contains(c, "hunter2secret") || !strings.Contains(c, "user: admin") || !strings.Contains(c, redact.Mask) {
		t.Errorf("app.conf = %q", c)
	}
	if c := got["var/big.log"]; strings.Contains(c, "inBigFile1") || !strings.HasPrefix(c, "ordinary log line") {
		t.Errorf("big.log not redacted (%d bytes)", len(c))
	}
	if got["etc/clean"] != "nothing here\n" {
		t.Errorf("clean = %q", got["etc/clean"])
	}
	if _, ok := got["etc/link"]; !ok {
		t.Errorf("symlink lost: %v", got)
	}
	var report bool
	for _, f := range s.Report().Files {
		if f.File == "c/archive.tar/etc/app.conf" && f.Redactor == "builtin.password" {
			report = true
		}
	}
	if !report {
		t.Errorf("report does not name the entry: %+v", s.Report().Files)
	}
}

func TestRepackBadStream(t *testing.T) {
	_, err := Repack(strings.NewReader("not a tar stream at all, just text that is long enough to fill a header block"+strings.Repeat("x", 600)), io.Discard,
		func(_ string, dst io.WriteCloser) io.WriteCloser { return dst }, Limits{})
	if err == nil {
		t.Fatal("no error for a broken stream")
	}
}
