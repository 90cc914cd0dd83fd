package liststream

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/mesosphere/dkp-diagnose/lib/collect/internal/jsonscan"
)

// Stream splits LIST responses into items as they are read, so that a
// page of up to PageSize items is never held whole: the buffer holds the
// bytes not yet handed on, which is one item and some read-ahead. With a
// dozen lists in flight, whole pages (a few MB each, more while read into
// a growing slice) were most of what grew with cluster size.
//
// The API server writes kind, apiVersion and metadata before the items of
// built-in types. When a response puts items first, its items are kept
// until the rest of the list is read, so that fn still sees the list's
// head. Custom resources do: they are encoded from maps, keys sorted, so
// "items" precedes "kind" and "metadata". Only a list's first page is held
// for that: the items of later pages go with the first page's head, which
// List passes in as known.
type Stream struct {
	r    io.Reader
	buf  []byte // buf[off:] is read and not yet consumed
	off  int
	base int64 // offset in the response of buf[0]
	eof  bool
	err  error // of a read, returned once the bytes read before it are used
}

// minBuf is the size a Stream's buffer starts at: several items of
// a typical list, few enough bytes to not matter times the lists in flight.
const minBuf = 32 << 10

// ErrRead marks a failure to read a response, not to parse it.
var ErrRead = errors.New("read response")

// Split hands each item of the list read from r to fn, with the list's
// kind, apiVersion and metadata (or known, when not nil), and returns the
// list's own. An item is a slice of
// the buffer, valid until fn returns. Errors: ErrBadList for a response
// that is not a JSON list, ErrRead for a failed read, and fn's own as
// is. Like the json.Indent or json.Unmarshal that each item meets later,
// jsonscan checks structure only; a malformed item fails
// there, after the items before it were handed on.
func (s *Stream) Split(r io.Reader, known *Head, fn func(head Head, item json.RawMessage) error) (Head, error) {
	s.r, s.buf, s.off, s.base, s.eof, s.err = r, s.buf[:0], 0, 0, false, nil
	if cap(s.buf) < minBuf {
		s.buf = make([]byte, 0, minBuf)
	}
	var head Head
	var seen struct{ kind, apiVersion, metadata bool }
	var held []byte // the items, when they came before the head
	c, err := s.next()
	if err != nil {
		return head, err
	}
	if c != '{' {
		return head, s.malformed(s.off, "object expected")
	}
	s.off++
	if c, err = s.next(); err != nil {
		return head, err
	}
	if c == '}' {
		s.off++
	}
	for c != '}' {
		if c != '"' {
			return head, s.malformed(s.off, "member name expected")
		}
		ks, ke, err := s.value()
		if err != nil {
			return head, err
		}
		// The key is a slice of the buffer, which the next read may move:
		// tell which member it is now.
		key := s.buf[ks+1 : ke-1]
		isKind, isAPIVersion, isMetadata, isItems := jsonscan.KeyIs(key, "kind"), jsonscan.KeyIs(key, "apiVersion"), jsonscan.KeyIs(key, "metadata"), jsonscan.KeyIs(key, "items")
		s.off = ke
		if c, err = s.next(); err != nil {
			return head, err
		}
		if c != ':' {
			return head, s.malformed(s.off, "':' expected")
		}
		s.off++
		if _, err := s.next(); err != nil {
			return head, err
		}
		if isItems && (known != nil || seen.kind && seen.apiVersion && seen.metadata) {
			fnHead := head
			if known != nil {
				fnHead = *known
			}
			if err := s.items(fnHead, fn); err != nil {
				return head, err
			}
		} else {
			vs, ve, err := s.value()
			if err != nil {
				return head, err
			}
			v := s.buf[vs:ve]
			switch {
			case isKind:
				head.Kind, err = jsonscan.StringValue(v)
				seen.kind = true
			case isAPIVersion:
				head.APIVersion, err = jsonscan.StringValue(v)
				seen.apiVersion = true
			case isMetadata:
				err = json.Unmarshal(v, &head.Metadata)
				seen.metadata = true
			case isItems:
				held = append(held[:0], v...)
			}
			if err != nil {
				return head, fmt.Errorf("%w: %w", ErrBadList, err)
			}
			s.off = ve
		}
		if c, err = s.next(); err != nil {
			return head, err
		}
		switch c {
		case ',':
			s.off++
			if c, err = s.next(); err != nil {
				return head, err
			}
			if c == '}' {
				return head, s.malformed(s.off, "member name expected")
			}
		case '}':
			s.off++
		default:
			return head, s.malformed(s.off, "',' or '}' expected")
		}
	}
	if _, err := s.next(); err == nil {
		return head, s.malformed(s.off, "data after the list")
	} else if !errors.Is(err, io.EOF) {
		return head, err
	}
	if held == nil {
		return head, nil
	}
	var fnErr error
	err = jsonscan.EachElement(held, 0, func(vs, ve int) error {
		fnErr = fn(head, held[vs:ve])
		return fnErr
	})
	if fnErr != nil {
		return head, fnErr
	}
	if err != nil {
		return head, fmt.Errorf("%w: items: %w", ErrBadList, err)
	}
	return head, nil
}

// items hands each element of the items array at s.off to fn as it is
// read. A null is an empty array.
func (s *Stream) items(head Head, fn func(head Head, item json.RawMessage) error) error {
	c := s.buf[s.off]
	if c == 'n' {
		vs, ve, err := s.value()
		if err != nil {
			return err
		}
		if string(s.buf[vs:ve]) != "null" {
			return s.malformed(vs, "items: array expected")
		}
		s.off = ve
		return nil
	}
	if c != '[' {
		return s.malformed(s.off, "items: array expected")
	}
	s.off++
	c, err := s.next()
	if err != nil {
		return err
	}
	if c == ']' {
		s.off++
		return nil
	}
	for {
		vs, ve, err := s.value()
		if err != nil {
			return err
		}
		if err := fn(head, s.buf[vs:ve]); err != nil {
			return err
		}
		s.off = ve
		if c, err = s.next(); err != nil {
			return err
		}
		switch c {
		case ',':
			s.off++
			if _, err := s.next(); err != nil {
				return err
			}
		case ']':
			s.off++
			return nil
		default:
			return s.malformed(s.off, "items: ',' or ']' expected")
		}
	}
}

// next skips blanks, reading as needed, and returns the byte at s.off. At
// the end of the response it returns an error that wraps io.EOF.
func (s *Stream) next() (byte, error) {
	for {
		s.off = jsonscan.SkipSpace(s.buf, s.off)
		if s.off < len(s.buf) {
			return s.buf[s.off], nil
		}
		if s.eof {
			return 0, fmt.Errorf("%w: %w", s.malformed(s.off, "unexpected end"), io.EOF)
		}
		if err := s.fill(); err != nil {
			return 0, err
		}
	}
}

// value returns the span in s.buf of the whole value that starts at s.off
// (no leading blanks), reading as needed; it does not consume it.
func (s *Stream) value() (vs, ve int, err error) {
	for {
		switch s.buf[s.off] {
		case ',', ':', '}', ']':
			return 0, 0, s.malformed(s.off, "value expected")
		}
		// A value cut off by the end of the buffer fails to scan (an open
		// string, object or array) or, a number or literal, ends at the end
		// of the buffer: read on and scan again. The buffer at least
		// doubles before each scan again, so a value is scanned a bounded
		// number of times its size.
		end, err := jsonscan.SkipValue(s.buf, s.off)
		if err == nil && (end < len(s.buf) || s.eof) {
			return s.off, end, nil
		}
		if s.eof {
			return 0, 0, fmt.Errorf("%w: value at offset %d of the response: %w", ErrBadList, s.base+int64(s.off), err)
		}
		if err := s.fill(); err != nil {
			return 0, 0, err
		}
	}
}

// fill reads more of the response into the buffer: it moves the bytes not
// yet consumed to its start, makes room for at least as many again, and
// reads until the buffer is full or the response ends. A failed read is
// returned by the fill after it, so that the items read whole before a
// connection broke are still handed on.
func (s *Stream) fill() error {
	if s.err != nil {
		return s.err
	}
	pending := len(s.buf) - s.off
	if 2*pending > cap(s.buf) {
		grown := make([]byte, pending, 2*cap(s.buf))
		copy(grown, s.buf[s.off:])
		s.buf = grown
	} else {
		s.buf = s.buf[:copy(s.buf, s.buf[s.off:])]
	}
	s.base += int64(s.off)
	s.off = 0
	for len(s.buf) < cap(s.buf) {
		n, err := s.r.Read(s.buf[len(s.buf):cap(s.buf)])
		s.buf = s.buf[:len(s.buf)+n]
		if errors.Is(err, io.EOF) {
			s.eof = true
			return nil
		}
		if err != nil {
			s.err = fmt.Errorf("%w at offset %d: %w", ErrRead, s.base+int64(len(s.buf)), err)
			return nil
		}
	}
	return nil
}

// malformed is the ErrBadList error of the response at s.buf[i].
func (s *Stream) malformed(i int, what string) error {
	return fmt.Errorf("%w: %w at offset %d of the response: %s", ErrBadList, jsonscan.ErrMalformed, s.base+int64(i), what)
}
