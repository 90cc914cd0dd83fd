package bundlefs

import (
	"io"
	"os"
	"sync"
)

// diskWriter writes extracted files on a goroutine of its own, so that
// decompressing the archive (on the caller's goroutine) and writing files
// (system calls) overlap on two cores. The queue between them is bounded:
// memory stays at queueChunks × chunkBytes whatever the bundle's size.
//
// Files are opened, written and closed in the order the archive gives
// them. The first error is sticky: later writes and closes return it.
type diskWriter struct {
	ops  chan diskOp
	free chan []byte
	done chan struct{}

	mu  sync.Mutex
	err error
}

const (
	queueChunks = 16
	chunkBytes  = 256 << 10
)

type diskOp struct {
	path  string // open path (O_CREATE|O_TRUNC) when set
	data  []byte // write data (a chunk from free) when set
	close bool   // close the current file
}

func newDiskWriter() *diskWriter {
	d := &diskWriter{ops: make(chan diskOp, queueChunks), free: make(chan []byte, queueChunks), done: make(chan struct{})}
	for range queueChunks {
		d.free <- nil
	}
	go d.run()
	return d
}

func (d *diskWriter) run() {
	defer close(d.done)
	var f *os.File
	for op := range d.ops {
		failed := d.error() != nil
		switch {
		case op.path != "":
			if !failed {
				var err error
				if f, err = os.OpenFile(op.path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600); err != nil {
					d.fail(err)
				}
			}
		case op.data != nil:
			if !failed && f != nil {
				if _, err := f.Write(op.data); err != nil {
					d.fail(err)
				}
			}
			d.free <- op.data[:0]
		case op.close:
			if f != nil {
				if err := f.Close(); err != nil {
					d.fail(err)
				}
				f = nil
			}
		}
	}
	if f != nil {
		_ = f.Close()
	}
}

func (d *diskWriter) fail(err error) {
	d.mu.Lock()
	if d.err == nil {
		d.err = err
	}
	d.mu.Unlock()
}

func (d *diskWriter) error() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.err
}

// create queues the opening of a file and returns its writer.
func (d *diskWriter) create(path string) (io.WriteCloser, error) {
	if err := d.error(); err != nil {
		return nil, err
	}
	d.ops <- diskOp{path: path}
	return &queuedFile{d: d}, nil
}

// finish waits for every queued operation and returns the first error.
func (d *diskWriter) finish() error {
	close(d.ops)
	<-d.done
	return d.error()
}

// queuedFile is one file's writer: it copies what it is given into chunks.
type queuedFile struct {
	d   *diskWriter
	buf []byte
}

func (q *queuedFile) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		if q.buf == nil {
			q.buf = <-q.d.free
			if cap(q.buf) == 0 {
				q.buf = make([]byte, 0, chunkBytes)
			}
		}
		k := copy(q.buf[len(q.buf):cap(q.buf)], p)
		q.buf = q.buf[:len(q.buf)+k]
		p, n = p[k:], n+k
		if len(q.buf) == cap(q.buf) {
			q.d.ops <- diskOp{data: q.buf}
			q.buf = nil
		}
	}
	return n, q.d.error()
}

func (q *queuedFile) Close() error {
	if q.buf != nil {
		if len(q.buf) > 0 {
			q.d.ops <- diskOp{data: q.buf}
		} else {
			q.d.free <- q.buf
		}
		q.buf = nil
	}
	q.d.ops <- diskOp{close: true}
	return q.d.error()
}
