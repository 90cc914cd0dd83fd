package bundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// writeMixed writes a bundle of small files and big ones (own members),
// some bigger than a member, and returns its path and content.
func writeMixed(t *testing.T) (string, map[string][]byte) {
	t.Helper()
	w := newWriter(t, Options{SpoolThreshold: 64 << 10})
	want := map[string][]byte{}
	sizes := []int{100, bigFile - 1, bigFile, bigFile + 1, 3*maxMember + 7, 10, 2 * maxMember, 0, 1}
	for i, n := range sizes {
		name := "cluster-resources/f" + strings.Repeat("x", i) + ".json"
		if n >= bigFile {
			name = "logs/big" + strings.Repeat("x", i) + ".log"
		}
		data := randomBytes(uint64(i), n)
		want[name] = data
		if i%2 == 0 {
			mustWrite(t, w, name, data)
			continue
		}
		f, err := w.Create(name) // spooled, spilled past the threshold
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
	mustClose(t, w)
	return w.Path(), want
}

func skipReader(t *testing.T, p string) *SkipReader {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	fi, _ := f.Stat()
	sr, ok, err := NewSkipReader(f, fi.Size())
	if err != nil || !ok {
		t.Fatalf("NewSkipReader: %v, %v", ok, err)
	}
	return sr
}

// TestSkipReader: a bundle read through a SkipReader is the bundle; files
// skipped by archive/tar (which seeks) are not decompressed; gzip readers
// read the members as one stream.
func TestSkipReader(t *testing.T) {
	p, want := writeMixed(t)
	var total, big int64
	for name, data := range want {
		total += int64(len(data))
		if strings.HasPrefix(name, "logs/") {
			big += int64(len(data))
		}
	}
	for _, skipBig := range []bool{false, true} {
		sr := skipReader(t, p)
		tr := tar.NewReader(sr)
		got := map[string][]byte{}
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			name := h.Name[strings.IndexByte(h.Name, '/')+1:]
			if h.Typeflag != tar.TypeReg || (skipBig && strings.HasPrefix(name, "logs/")) {
				continue
			}
			data, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			got[name] = data
		}
		for name, data := range want {
			if skipBig && strings.HasPrefix(name, "logs/") {
				continue
			}
			if !bytes.Equal(got[name], data) {
				t.Errorf("skip=%v: %s: %d bytes, want %d", skipBig, name, len(got[name]), len(data))
			}
		}
		if skipBig && sr.inflated > total-big+64<<10 {
			t.Errorf("decompressed %d bytes skipping the big files, want about %d", sr.inflated, total-big)
		}
		if !skipBig && sr.inflated < total {
			t.Errorf("decompressed %d bytes reading everything, want ≥ %d", sr.inflated, total)
		}
	}
	all, err := ReadAll(p) // compress/gzip, as any reader
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range want {
		if !bytes.Equal(all[name], data) {
			t.Errorf("ReadAll: %s differs", name)
		}
	}
	if gz, err := exec.LookPath("gzip"); err == nil {
		if out, err := exec.Command(gz, "-t", p).CombinedOutput(); err != nil {
			t.Errorf("gzip -t: %v: %s", err, out)
		}
	}
}

// TestSkipReaderOtherGzip: a gzip file without member sizes is told apart.
func TestSkipReaderOtherGzip(t *testing.T) {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte("plain"))
	zw.Close()
	_, ok, err := NewSkipReader(bytes.NewReader(b.Bytes()), int64(b.Len()))
	if ok || err != nil {
		t.Errorf("NewSkipReader of plain gzip: %v, %v; want false, nil", ok, err)
	}
}

// TestSkipReaderCorrupt: a member whose content does not match its CRC
// fails the read.
func TestSkipReaderCorrupt(t *testing.T) {
	p, _ := writeMixed(t)
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := readMembers(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	crc := ms[0].off + ms[0].clen - 8
	data[crc] ^= 0xff
	sr, ok, err := NewSkipReader(bytes.NewReader(data), int64(len(data)))
	if !ok || err != nil {
		t.Fatal(ok, err)
	}
	if _, err := io.Copy(io.Discard, sr); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Errorf("read of a corrupt member: %v, want a checksum error", err)
	}
}
