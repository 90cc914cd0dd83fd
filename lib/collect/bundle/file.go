package bundle

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// fileWriter spools one file until Close appends it to the archive: in buf up
// to the Writer's threshold, then in an unlinked temporary file for which buf
// serves as write buffer (and, on Close, as copy buffer). So a file never
// holds more than threshold bytes of memory.
type fileWriter struct {
	w    *Writer
	path string

	buf  []byte
	bufp *[]byte // the pool's handle for buf, if it came from the pool
	size int64   // bytes written in all

	spill     *os.File
	spillName string // set only if the spill file could not be unlinked at once

	err    error // first write error; the file cannot be committed
	closed bool
}

var (
	_ io.WriteCloser = (*fileWriter)(nil)
	_ io.ReaderFrom  = (*fileWriter)(nil)
)

func (f *fileWriter) usable() error {
	if f.closed {
		return fmt.Errorf("write %q to bundle %q: %w", f.path, f.w.path, os.ErrClosed)
	}
	if f.err != nil {
		return f.err
	}
	switch f.w.st.Load() {
	case stateAborted, stateFailed:
		return fmt.Errorf("write %q to bundle %q: %w", f.path, f.w.path, ErrClosed)
	}
	return nil
}

func (f *fileWriter) fail(err error) error {
	f.err = fmt.Errorf("write %q to bundle %q: %w", f.path, f.w.path, err)
	return f.err
}

// Write implements io.Writer.
func (f *fileWriter) Write(p []byte) (int, error) {
	if err := f.usable(); err != nil {
		return 0, err
	}
	n := 0
	for len(p) > 0 {
		if cap(f.buf)-len(f.buf) < len(p) && cap(f.buf) < f.w.threshold {
			f.grow(len(p))
		}
		if len(f.buf) == cap(f.buf) {
			if err := f.flush(); err != nil {
				return n, f.fail(err)
			}
			if len(p) >= cap(f.buf) { // the buffer would not save a system call
				m, err := f.spill.Write(p)
				n += m
				f.size += int64(m)
				if err != nil {
					return n, f.fail(err)
				}
				return n, nil
			}
		}
		c := copy(f.buf[len(f.buf):cap(f.buf)], p)
		f.buf = f.buf[:len(f.buf)+c]
		p = p[c:]
		n += c
		f.size += int64(c)
	}
	return n, nil
}

// WriteString implements io.StringWriter.
func (f *fileWriter) WriteString(s string) (int, error) {
	if err := f.usable(); err != nil {
		return 0, err
	}
	n := 0
	for len(s) > 0 {
		if cap(f.buf)-len(f.buf) < len(s) && cap(f.buf) < f.w.threshold {
			f.grow(len(s))
		}
		if len(f.buf) == cap(f.buf) {
			if err := f.flush(); err != nil {
				return n, f.fail(err)
			}
		}
		c := copy(f.buf[len(f.buf):cap(f.buf)], s)
		f.buf = f.buf[:len(f.buf)+c]
		s = s[c:]
		n += c
		f.size += int64(c)
	}
	return n, nil
}

// ReadFrom implements io.ReaderFrom, so io.Copy reads straight into the spool
// buffer. An error from r is returned as is and leaves the file usable.
func (f *fileWriter) ReadFrom(r io.Reader) (int64, error) {
	if err := f.usable(); err != nil {
		return 0, err
	}
	var total int64
	for {
		if len(f.buf) == cap(f.buf) {
			switch {
			case cap(f.buf) < f.w.threshold:
				f.grow(1)
			case f.spill == nil:
				// Full in memory: spill only if r has more.
				probe := make([]byte, 512)
				m, err := r.Read(probe)
				if m > 0 {
					if _, werr := f.Write(probe[:m]); werr != nil {
						return total, werr
					}
					total += int64(m)
				}
				if errors.Is(err, io.EOF) {
					return total, nil
				}
				if err != nil {
					return total, err
				}
				continue
			default:
				if err := f.flush(); err != nil {
					return total, f.fail(err)
				}
			}
		}
		m, err := r.Read(f.buf[len(f.buf):cap(f.buf)])
		if m < 0 || m > cap(f.buf)-len(f.buf) {
			return total, fmt.Errorf("write %q to bundle %q: reader returned %d bytes", f.path, f.w.path, m)
		}
		f.buf = f.buf[:len(f.buf)+m]
		f.size += int64(m)
		total += int64(m)
		if errors.Is(err, io.EOF) {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// grow makes room for need more bytes, doubling, within the threshold.
func (f *fileWriter) grow(need int) {
	c := max(2*cap(f.buf), len(f.buf)+need, minSpoolBuffer)
	c = min(c, f.w.threshold)
	if c <= cap(f.buf) {
		return
	}
	nb := make([]byte, len(f.buf), c)
	copy(nb, f.buf)
	f.buf = nb
}

// flush writes buf to the spill file, creating that first.
func (f *fileWriter) flush() error {
	if f.spill == nil {
		sf, err := os.CreateTemp(f.w.dir, "."+f.w.name+".spool-*")
		if err != nil {
			return err
		}
		// Unlinked at once on platforms that allow it, so that nothing is
		// left behind even if the process dies.
		if os.Remove(sf.Name()) != nil {
			f.spillName = sf.Name()
		}
		f.spill = sf
		f.w.spills.Add(1)
	}
	if len(f.buf) == 0 {
		return nil
	}
	_, err := f.spill.Write(f.buf)
	f.buf = f.buf[:0]
	return err
}

// Close appends the file to the archive and releases its buffer and spill
// file. A second Close returns an error wrapping os.ErrClosed.
func (f *fileWriter) Close() error {
	if f.closed {
		return fmt.Errorf("close %q in bundle %q: %w", f.path, f.w.path, os.ErrClosed)
	}
	f.closed = true
	defer f.release()
	if f.err != nil {
		return f.err
	}
	if f.spill == nil {
		f.w.copy.file(f.path, f.buf, nil, 0)
		return f.w.commit(f.path, f.buf, nil, f.size, nil)
	}
	if err := f.flush(); err != nil {
		return f.fail(err)
	}
	// Copied before the commit, outside the archive's lock; the seek
	// below undoes the copy's reading.
	f.w.copy.file(f.path, nil, f.spill, f.size)
	if _, err := f.spill.Seek(0, io.SeekStart); err != nil {
		return f.fail(err)
	}
	return f.w.commit(f.path, nil, f.spill, f.size, f.buf[:cap(f.buf)])
}

func (f *fileWriter) release() {
	if f.spill != nil {
		_ = f.spill.Close()
		if f.spillName != "" {
			_ = os.Remove(f.spillName)
		}
		f.spill = nil
	}
	if cap(f.buf) > 0 {
		if f.bufp == nil {
			f.bufp = new([]byte)
		}
		*f.bufp = f.buf[:0]
		f.w.bufs.Put(f.bufp)
	}
	f.buf, f.bufp = nil, nil
	f.w.release(f.path)
}
