package bundle

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
)

// Snapshot returns the archive's tar stream as it stands: every file
// committed so far, decompressed, without the trailer Close adds. It is how
// a bundle is read before it is finished (to analyze what was collected and
// add the result, analysis.json, before Close): the compressed stream is
// flushed to a sync point and read back from the temporary file, so that
// nothing is held in memory or written twice. Files committed after the
// call are not in the snapshot. The caller closes the reader.
func (w *Writer) Snapshot() (io.ReadCloser, error) {
	w.commitMu.Lock()
	defer w.commitMu.Unlock()
	if st := w.st.Load(); st != stateOpen {
		return nil, fmt.Errorf("snapshot bundle %q: %w", w.path, ErrClosed)
	}
	w.mu.Lock()
	sticky := w.err
	w.mu.Unlock()
	if sticky != nil {
		return nil, fmt.Errorf("snapshot bundle %q: earlier write failed: %w", w.path, sticky)
	}
	err := w.tw.Flush()
	if err == nil {
		err = w.comp.Flush()
	}
	if err == nil {
		err = w.bw.Flush()
	}
	if err != nil {
		w.mu.Lock()
		w.err = err
		w.mu.Unlock()
		return nil, fmt.Errorf("snapshot bundle %q: %w", w.path, err)
	}
	size := w.written.Load()
	f, err := os.Open(w.tmp)
	if err != nil {
		return nil, fmt.Errorf("snapshot bundle %q: %w", w.path, err)
	}
	gz, err := gzip.NewReader(io.NewSectionReader(f, 0, size))
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("snapshot bundle %q: %w", w.path, err)
	}
	return &snapshotReader{gz: gz, f: f}, nil
}

// snapshotReader ends at the sync point: the gzip stream has no trailer
// there, which a gzip reader reports as io.ErrUnexpectedEOF.
type snapshotReader struct {
	gz *gzip.Reader
	f  *os.File
}

func (s *snapshotReader) Read(p []byte) (int, error) {
	n, err := s.gz.Read(p)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = io.EOF
	}
	return n, err
}

func (s *snapshotReader) Close() error {
	_ = s.gz.Close()
	return s.f.Close()
}
