package bundle

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/klauspost/compress/flate"
)

// A bundle's gzip stream is a series of gzip members (RFC 1952 allows any
// number; gzip, tar, Go's and Python's readers read them as one stream),
// each of which says in its header how long it is, compressed and not, in
// an extra field (as BGZF, samtools' format, does). A reader can therefore
// walk from member to member reading headers only, and skip what it does
// not need without decompressing it: a pod log that no analyzer reads costs
// nothing to open a bundle (see SkipReader).
//
// Members end every maxMember bytes of tar stream and around the content
// of big files (Writer.writeEntry): after the header, so that the content
// starts a member, and before its last byte, which archive/tar reads when
// it skips an entry (to detect a truncated stream): that byte then starts
// a member too, and costs nothing to decompress.
const (
	// maxMember bounds a member's tar bytes, and so the compressed member
	// held in memory until its header can be written.
	maxMember = 512 << 10
	// bigFile is the size from which a file's content gets members of its
	// own. Below it, the cost of a member (its 30 bytes, and compression
	// starting afresh) outweighs skipping.
	bigFile = 64 << 10

	// The extra subfield: ID 'D','K', 8 bytes: the member's length in the
	// file and its uncompressed length, little-endian uint32s.
	memberHeaderLen = 10 + 2 + 4 + 8
	memberSI1       = 'D'
	memberSI2       = 'K'
)

// memberWriter writes a gzip stream of members with sizes (see above).
// Each member is compressed into memory, then written whole.
type memberWriter struct {
	dst   io.Writer
	fw    *flate.Writer
	body  bytes.Buffer
	crc   uint32
	size  int  // uncompressed bytes of the current member
	wrote bool // a member was written
	hdr   [memberHeaderLen]byte
}

func newMemberWriter(dst io.Writer, level int) (*memberWriter, error) {
	m := &memberWriter{dst: dst}
	// One allocation for the largest member (deflate's worst case adds
	// 5 bytes per 16 KiB block), rather than a buffer doubling its way up.
	m.body.Grow(maxMember + maxMember/1024)
	fw, err := flate.NewWriter(&m.body, level)
	if err != nil {
		return nil, err
	}
	m.fw = fw
	return m, nil
}

// Write compresses p into the current member, ending members every
// maxMember bytes.
func (m *memberWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		k := min(len(p), maxMember-m.size)
		if _, err := m.fw.Write(p[:k]); err != nil {
			return n, err
		}
		m.crc = crc32.Update(m.crc, crc32.IEEETable, p[:k])
		m.size += k
		n += k
		p = p[k:]
		if m.size == maxMember {
			if err := m.cut(); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// cut ends the current member, if it holds anything, and writes it.
func (m *memberWriter) cut() error {
	if m.size == 0 {
		return nil
	}
	return m.emit()
}

func (m *memberWriter) emit() error {
	if err := m.fw.Close(); err != nil {
		return err
	}
	total := memberHeaderLen + m.body.Len() + 8
	h := m.hdr[:]
	copy(h, []byte{0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 255}) // FEXTRA, no mtime, unknown OS
	binary.LittleEndian.PutUint16(h[10:], 12)
	h[12], h[13] = memberSI1, memberSI2
	binary.LittleEndian.PutUint16(h[14:], 8)
	binary.LittleEndian.PutUint32(h[16:], uint32(total))
	binary.LittleEndian.PutUint32(h[20:], uint32(m.size))
	var trailer [8]byte
	binary.LittleEndian.PutUint32(trailer[:], m.crc)
	binary.LittleEndian.PutUint32(trailer[4:], uint32(m.size))
	for _, b := range [][]byte{h, m.body.Bytes(), trailer[:]} {
		if _, err := m.dst.Write(b); err != nil {
			return err
		}
	}
	m.body.Reset()
	m.fw.Reset(&m.body)
	m.crc, m.size, m.wrote = 0, 0, true
	return nil
}

// Close ends the last member. A stream needs one member at least, even
// empty.
func (m *memberWriter) Close() error {
	if m.size == 0 && m.wrote {
		return nil
	}
	return m.emit()
}

// member is one member of a stream with sizes.
type member struct {
	off, clen int64 // where in the file, how long
	uoff      int64 // uncompressed offset of its first byte
	ulen      int64
}

// errNotSized: the file is gzip, but not a stream of members with sizes
// (troubleshoot's bundles, ours from before they had them).
var errNotSized = errors.New("not a gzip stream of sized members")

// readMembers walks the members of a sized stream by their headers.
func readMembers(r io.ReaderAt, size int64) ([]member, error) {
	var (
		out  []member
		h    [memberHeaderLen]byte
		uoff int64
	)
	for off := int64(0); off < size; {
		if _, err := r.ReadAt(h[:], off); err != nil {
			if len(out) == 0 {
				return nil, errNotSized
			}
			return nil, fmt.Errorf("member at %d: %w", off, err)
		}
		if h[0] != 0x1f || h[1] != 0x8b || h[2] != 8 || h[3] != 4 || binary.LittleEndian.Uint16(h[10:]) != 12 ||
			h[12] != memberSI1 || h[13] != memberSI2 || binary.LittleEndian.Uint16(h[14:]) != 8 {
			return nil, errNotSized
		}
		m := member{off: off, clen: int64(binary.LittleEndian.Uint32(h[16:])), uoff: uoff, ulen: int64(binary.LittleEndian.Uint32(h[20:]))}
		if m.clen < memberHeaderLen+8 || off+m.clen > size {
			return nil, fmt.Errorf("member at %d: length %d past the end of the file", off, m.clen)
		}
		out = append(out, m)
		off += m.clen
		uoff += m.ulen
	}
	if len(out) == 0 {
		return nil, errNotSized
	}
	return out, nil
}

// SkipReader reads the tar stream of a bundle archive whose gzip stream is
// made of sized members, and skips forward (Seek from the current
// position, which archive/tar's Reader uses to pass over an entry's
// content) without decompressing the members skipped over. Each member
// read from its start is checked against its CRC.
type SkipReader struct {
	r        io.ReaderAt
	members  []member
	i        int   // current member
	pos      int64 // uncompressed position
	fr       io.ReadCloser
	started  bool // fr reads member i
	whole    bool // member i is read from its start: check its CRC
	crc      uint32
	scratch  []byte
	inflated int64 // bytes decompressed, for tests
}

// NewSkipReader returns a SkipReader of the archive r (size bytes long)
// and true; false, without error, when the archive's gzip stream has no
// member sizes (troubleshoot's bundles, and ours before they had them): read
// it with a gzip reader then.
func NewSkipReader(r io.ReaderAt, size int64) (*SkipReader, bool, error) {
	ms, err := readMembers(r, size)
	if errors.Is(err, errNotSized) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return &SkipReader{r: r, members: ms}, true, nil
}

// Read implements io.Reader.
func (s *SkipReader) Read(p []byte) (int, error) {
	for {
		if s.i >= len(s.members) {
			return 0, io.EOF
		}
		m := &s.members[s.i]
		if !s.started {
			sr := io.NewSectionReader(s.r, m.off+memberHeaderLen, m.clen-memberHeaderLen-8)
			if s.fr == nil {
				s.fr = flate.NewReader(sr)
			} else if err := s.fr.(flate.Resetter).Reset(sr, nil); err != nil {
				return 0, err
			}
			s.started, s.whole, s.crc = true, s.pos == m.uoff, 0
		}
		left := m.uoff + m.ulen - s.pos
		n, err := s.fr.Read(p[:min(int64(len(p)), left)])
		s.crc = crc32.Update(s.crc, crc32.IEEETable, p[:n])
		s.pos += int64(n)
		s.inflated += int64(n)
		if s.pos == m.uoff+m.ulen {
			if err := s.endMember(m); err != nil {
				return n, err
			}
			if n > 0 {
				return n, nil
			}
			continue
		}
		if n > 0 {
			return n, nil
		}
		if errors.Is(err, io.EOF) {
			return 0, fmt.Errorf("gzip member at %d: %w", m.off, io.ErrUnexpectedEOF)
		}
		if err != nil {
			return 0, fmt.Errorf("gzip member at %d: %w", m.off, err)
		}
	}
}

// endMember checks a member read whole and moves to the next.
func (s *SkipReader) endMember(m *member) error {
	if s.whole {
		var t [8]byte
		if _, err := s.r.ReadAt(t[:], m.off+m.clen-8); err != nil {
			return fmt.Errorf("gzip member at %d: %w", m.off, err)
		}
		if binary.LittleEndian.Uint32(t[:]) != s.crc || int64(binary.LittleEndian.Uint32(t[4:])) != m.ulen {
			return fmt.Errorf("gzip member at %d: checksum error", m.off)
		}
	}
	s.i++
	s.started = false
	return nil
}

// Seek moves forward from the current position (whence io.SeekCurrent,
// offset ≥ 0), decompressing only the member where it lands, from its
// start up to there. Other seeks are refused.
func (s *SkipReader) Seek(offset int64, whence int) (int64, error) {
	if whence != io.SeekCurrent || offset < 0 {
		return s.pos, errors.New("bundle: SkipReader seeks forward from the current position only")
	}
	target := s.pos + offset
	if s.i < len(s.members) && target >= s.members[s.i].uoff+s.members[s.i].ulen {
		// Past the current member: jump to the one holding target.
		j := s.i + 1
		for j < len(s.members) && target >= s.members[j].uoff+s.members[j].ulen {
			j++
		}
		s.i, s.started = j, false
		if j < len(s.members) {
			s.pos = s.members[j].uoff
		} else {
			s.pos = target
			return s.pos, nil
		}
	}
	for s.pos < target {
		if s.scratch == nil {
			s.scratch = make([]byte, 32<<10)
		}
		if _, err := s.Read(s.scratch[:min(int64(len(s.scratch)), target-s.pos)]); err != nil {
			return s.pos, err
		}
	}
	return s.pos, nil
}

// Close releases the decompressor; the ReaderAt is the caller's.
func (s *SkipReader) Close() error {
	if s.fr != nil {
		return s.fr.Close()
	}
	return nil
}
