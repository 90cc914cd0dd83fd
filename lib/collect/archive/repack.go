package archive

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
)

// FilterFunc wraps the destination of one regular file's content (name is
// the entry's clean path): what is written to the returned writer is
// filtered (redacted) into dst. Closing it must close dst.
type FilterFunc func(name string, dst io.WriteCloser) io.WriteCloser

// spoolMem is how much filtered content of one entry is held in memory; a
// larger entry spills to a temporary file. A tar header states the size
// before the content, and filtering changes sizes, so each entry's content
// is filtered completely before it is written.
const spoolMem = 4 << 20

// Repack copies the tar stream r to w entry by entry, each regular file's
// content passed through filter, so that redaction works on the files and
// never on the bytes of the stream (masking bytes inside a tar corrupts
// it: sizes, checksums and padding no longer agree). Folders and links are
// copied as they are; device files and FIFOs keep their header (they have
// no content). Names that leave the folder are kept in the header as they
// are: nothing is extracted, and the reader of the bundle sees what the
// source held. Entries over lim.MaxFileBytes are left out, as Extract does.
func Repack(r io.Reader, w io.Writer, filter FilterFunc, lim Limits) (*Result, error) {
	if lim.MaxFileBytes <= 0 {
		lim.MaxFileBytes = DefaultMaxFileBytes
	}
	res := &Result{}
	tr := tar.NewReader(r)
	tw := tar.NewWriter(w)
	sp := &spool{}
	defer sp.remove()
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return res, fmt.Errorf("read archive: %w", err)
		}
		if h.Typeflag != tar.TypeReg && h.Typeflag != tar.TypeRegA {
			h.Size = 0
			if err := tw.WriteHeader(h); err != nil {
				return res, fmt.Errorf("write archive: %w", err)
			}
			continue
		}
		if h.Size > lim.MaxFileBytes {
			res.refuse(h.Name, fmt.Sprintf("%d bytes is over the %d-byte file limit", h.Size, lim.MaxFileBytes))
			continue
		}
		name, _ := Clean(h.Name)
		if name == "" {
			name = h.Name
		}
		if err := sp.reset(); err != nil {
			return res, err
		}
		fw := filter(name, sp)
		_, err = io.Copy(fw, tr)
		if cerr := fw.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return res, fmt.Errorf("filter %s: %w", h.Name, err)
		}
		h.Typeflag = tar.TypeReg
		h.Size = sp.size
		if err := tw.WriteHeader(h); err != nil {
			return res, fmt.Errorf("write archive: %w", err)
		}
		if err := sp.copyTo(tw); err != nil {
			return res, fmt.Errorf("write archive: %w", err)
		}
		res.Files++
		res.Bytes += h.Size
	}
	if err := tw.Close(); err != nil {
		return res, fmt.Errorf("write archive: %w", err)
	}
	return res, nil
}

// spool holds one entry's filtered content: in memory up to spoolMem, then
// in a temporary file (reused for the next large entry).
type spool struct {
	mem  bytes.Buffer
	file *os.File
	size int64
}

func (s *spool) reset() error {
	s.mem.Reset()
	s.size = 0
	if s.file != nil {
		if err := s.file.Truncate(0); err != nil {
			return fmt.Errorf("spool: %w", err)
		}
		if _, err := s.file.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("spool: %w", err)
		}
	}
	return nil
}

func (s *spool) Write(p []byte) (int, error) {
	if s.size+int64(len(p)) > spoolMem && s.file == nil {
		f, err := os.CreateTemp("", "dkp-diagnose-tar-*")
		if err != nil {
			return 0, fmt.Errorf("spool: %w", err)
		}
		s.file = f
	}
	if s.file != nil && (s.mem.Len() > 0 || s.size+int64(len(p)) > spoolMem) {
		if s.mem.Len() > 0 {
			if _, err := s.file.Write(s.mem.Bytes()); err != nil {
				return 0, fmt.Errorf("spool: %w", err)
			}
			s.mem.Reset()
		}
		n, err := s.file.Write(p)
		s.size += int64(n)
		return n, err
	}
	n, _ := s.mem.Write(p)
	s.size += int64(n)
	return n, nil
}

// Close is a no-op: the filter closes its destination.
func (s *spool) Close() error { return nil }

func (s *spool) copyTo(w io.Writer) error {
	if s.mem.Len() > 0 || s.file == nil || s.size == 0 {
		_, err := w.Write(s.mem.Bytes())
		return err
	}
	if _, err := s.file.Seek(0, io.SeekStart); err != nil {
		return err
	}
	_, err := io.CopyN(w, s.file, s.size)
	return err
}

func (s *spool) remove() {
	if s.file != nil {
		s.file.Close()
		os.Remove(s.file.Name())
	}
}
