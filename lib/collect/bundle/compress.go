package bundle

import (
	"fmt"
	"io"
	"sync"
)

const (
	// chunkSize is the unit in which the archive stream is handed to the
	// compressing goroutine.
	chunkSize = 256 << 10
	// chunks bounds the memory between the archive stream and the
	// compressor: at most chunks × chunkSize bytes wait to be compressed.
	// Enough to absorb a few files closing at once; small enough that a
	// bundle's memory does not depend on its size.
	chunks = 4
)

// compressor is the gzip stage of the archive, run on its own goroutine.
//
// Files are committed to the archive one at a time, under the Writer's
// commit lock. Compressing inside that lock made every other collector that
// closed a file wait for the compression of the one before, and kept the
// compression on the goroutine of whoever held the lock. Here a commit only
// copies the tar stream into chunks; one goroutine compresses them, in
// order, while the collectors go on. When the compressor falls behind by
// chunks × chunkSize bytes, Write waits for it: memory stays bounded.
//
// The deflate implementation is klauspost/compress's: the same format and
// levels as compress/gzip, at about half its CPU time at level 1
// (BenchmarkCompressor). The gzip stream is made of members with their
// sizes (member.go); Cut ends one where the Writer asks.
//
// Write is called by one goroutine at a time (under the commit lock); the
// compressing goroutine is the only other user. A compression or write
// error is sticky: every later Write and Close returns it.
type compressor struct {
	gz      *memberWriter
	full    chan chunk    // filled chunks, in stream order, and requests
	free    chan []byte   // empty chunks; never more than chunks exist
	flushed chan error    // answers a flush request
	done    chan struct{} // closed when the goroutine has ended

	cur    []byte // the chunk being filled (producer side)
	closed bool   // Close or abort ran (producer side)

	mu      sync.Mutex
	err     error // first error; sticky
	discard bool  // aborted: drop chunks instead of compressing them
}

// chunk is an item of the compressor's queue: tar bytes, or a request.
type chunk struct {
	b     []byte
	flush bool // compress what came before, end the member, answer on flushed
	cut   bool // end the member here
}

// newCompressor starts compressing into dst at a compress/gzip level.
func newCompressor(dst io.Writer, level int) (*compressor, error) {
	gz, err := newMemberWriter(dst, level)
	if err != nil {
		return nil, fmt.Errorf("gzip level %d: %w", level, err)
	}
	c := &compressor{
		gz:      gz,
		full:    make(chan chunk, chunks),
		free:    make(chan []byte, chunks),
		flushed: make(chan error),
		done:    make(chan struct{}),
	}
	// Chunks are allocated on first use: a small bundle needs one.
	for range chunks {
		c.free <- nil
	}
	go c.run()
	return c, nil
}

// run compresses chunks until full is closed. After an error or an abort it
// keeps taking chunks, so that Write never waits for a free chunk forever.
func (c *compressor) run() {
	defer close(c.done)
	for ch := range c.full {
		c.mu.Lock()
		skip := c.err != nil || c.discard
		c.mu.Unlock()
		switch {
		case ch.flush, ch.cut:
			if !skip {
				if err := c.gz.cut(); err != nil {
					c.fail(err)
				}
			}
			if ch.flush {
				c.flushed <- c.error()
			}
		default:
			if !skip {
				if _, err := c.gz.Write(ch.b); err != nil {
					c.fail(err)
				}
			}
			c.free <- ch.b[:0]
		}
	}
}

func (c *compressor) fail(err error) {
	c.mu.Lock()
	if c.err == nil {
		c.err = err
	}
	c.mu.Unlock()
}

func (c *compressor) error() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Write copies p into chunks and queues every full one. It returns the
// compressor's error, if it has failed before or while waiting.
func (c *compressor) Write(p []byte) (int, error) {
	if c.closed {
		return 0, ErrClosed
	}
	n := 0
	for len(p) > 0 {
		if c.cur == nil {
			c.cur = <-c.free
			if cap(c.cur) == 0 {
				c.cur = make([]byte, 0, chunkSize)
			}
		}
		// Checked after taking a chunk: that may have waited for the
		// goroutine, which may have failed meanwhile.
		if err := c.error(); err != nil {
			return n, err
		}
		k := copy(c.cur[len(c.cur):cap(c.cur)], p)
		c.cur = c.cur[:len(c.cur)+k]
		p = p[k:]
		n += k
		if len(c.cur) == cap(c.cur) {
			c.full <- chunk{b: c.cur}
			c.cur = nil
		}
	}
	return n, nil
}

// Cut ends the gzip member after what was written so far (member.go), so
// that a reader can skip what follows without decompressing it.
func (c *compressor) Cut() error {
	if c.closed {
		return ErrClosed
	}
	if len(c.cur) > 0 {
		c.full <- chunk{b: c.cur}
		c.cur = nil
	}
	c.full <- chunk{cut: true}
	return c.error()
}

// Flush compresses what is queued and ends the gzip member, so that
// everything written so far can be decompressed from the destination. It
// waits for the goroutine.
func (c *compressor) Flush() error {
	if c.closed {
		return ErrClosed
	}
	if len(c.cur) > 0 {
		c.full <- chunk{b: c.cur}
		c.cur = nil
	}
	c.full <- chunk{flush: true}
	return <-c.flushed
}

// Close compresses what is queued, writes the gzip trailer and stops the
// goroutine. It does not close the destination.
func (c *compressor) Close() error {
	if c.closed {
		return ErrClosed
	}
	if len(c.cur) > 0 {
		c.full <- chunk{b: c.cur}
		c.cur = nil
	}
	c.stop()
	if err := c.error(); err != nil {
		return err
	}
	return c.gz.Close()
}

// abort stops the goroutine without compressing what is queued. It is a
// no-op after Close.
func (c *compressor) abort() {
	if c.closed {
		return
	}
	c.mu.Lock()
	c.discard = true
	c.mu.Unlock()
	c.stop()
}

func (c *compressor) stop() {
	c.closed = true
	close(c.full)
	<-c.done
}
