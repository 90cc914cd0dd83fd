package redact

import (
	"bytes"
	"errors"
	"io"
	"slices"
)

// finder is one line-level rule (or a family of rules sharing one scan): it
// looks at a line (without its line ending) and records what to mask with
// writer.add / writer.addSpan, or arms itself for the next line with
// writer.arm.
type finder interface {
	find(w *writer, line []byte)
	// keyed reports whether the finder can only find something on a line
	// that contains one of its keywords (or on a line after a PEM BEGIN).
	keyed() bool
}

// armer is a rule that a line armed for the line after it (a selector and
// its redactor, a JSON name/value pair, a flag and its value).
type armer interface {
	armed(w *writer, line []byte, rule int)
}

type arm struct {
	a    armer
	rule int
}

// span is a byte range of the current line to mask.
type span struct {
	start, end int
	rule       int
	detail     int // for builtin.gitleaks: the gitleaks rule (index); else -1
	quote      bool
}

var errClosed = errors.New("redact: write to closed writer")

// writer redacts one bundle file. It is not safe for concurrent use (one file
// has one writer); many writers may share a Set.
type writer struct {
	s       *Set
	path    string
	dst     io.WriteCloser
	finders []finder    // all line finders
	always  []finder    // the finders that are not keyed
	yaml    []*yamlRule // non-empty: the file is buffered whole until Close
	anchors bool        // a YAML file, held (up to maxAnchorBuffer) for hideAliasedAnchors
	maxLine int

	buf    []byte // the unfinished line (or the whole file, with yaml rules)
	out    []byte // redacted output not yet written to dst
	err    error  // first error writing to dst
	closed bool

	// per-line state
	spans  []span
	gen    uint32   // line generation
	kwMark []uint32 // kwMark[k] == gen: keyword k is in the current line
	hits   []int32  // the keywords in the current line

	tokenMark []uint32 // tokenMark[r] == gen: gitleaks rule r ran on the current line

	// multi-line state
	arms, nextArms   []arm
	pemIn            bool // inside a PEM private key block
	pemLines         int
	block, nextBlock yamlBlock // a YAML value below its key (yamlblock.go)
	chunk            bool      // the current line is a chunk of a longer one, more follows

	counts []int // by rule id
	errs   []FileError

	// scanning (Set.Scan): where the current line is, and what was found
	record    bool
	line, col int // 1-based line number; byte offset of the current chunk in it
	findings  []Finding
}

// Write redacts p. It returns len(p) unless writing to the destination
// failed.
func (w *writer) Write(p []byte) (int, error) {
	if w.closed {
		return 0, errClosed
	}
	if w.err != nil {
		return 0, w.err
	}
	n := len(p)
	if len(w.yaml) > 0 {
		w.buf = append(w.buf, p...)
		return n, nil
	}
	if w.anchors {
		w.buf = append(w.buf, p...)
		if len(w.buf) <= maxAnchorBuffer {
			return n, nil
		}
		// Too large to hold: what was held is searched for aliases,
		// the rest streams. The cut is at a fixed offset, so that the
		// result does not depend on how the data was written.
		data := w.buf
		w.buf, w.anchors = nil, false
		w.feed(w.hideAnchors(data[:maxAnchorBuffer]))
		p = data[maxAnchorBuffer:]
	}
	w.feed(p)
	if w.err != nil {
		return 0, w.err
	}
	return n, nil
}

// Close redacts what is left, flushes, closes the destination and adds this
// file's counts to the Set's report. Closing twice is a no-op.
func (w *writer) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	if len(w.yaml) > 0 || w.anchors {
		data := w.buf
		w.buf = nil
		if len(w.yaml) > 0 {
			data = w.applyYAML(data)
		}
		if w.anchors || isYAMLPath(w.path) {
			data = w.hideAnchors(data)
		}
		w.feed(data)
	}
	if len(w.buf) > 0 {
		w.processLine(w.buf)
		w.buf = w.buf[:0]
	}
	w.flush()
	if w.out != nil {
		w.s.putOutBuf(w.out)
		w.out = nil
	}
	cerr := w.dst.Close()
	w.s.merge(w.path, w.counts, w.errs)
	if w.err != nil {
		return w.err
	}
	return cerr
}

// hideAnchors is Set.hideAliasedAnchors for the writer's file, counting in
// its report.
func (w *writer) hideAnchors(data []byte) []byte {
	out, counts := w.s.hideAliasedAnchors(data)
	for i, n := range counts {
		w.counts[i] += n
	}
	return out
}

// feed splits p into lines and redacts each complete one. Where a line ends
// depends only on the data, never on how it was split into writes: a line
// ends after '\n', or after maxLine bytes without one (see cut).
func (w *writer) feed(p []byte) {
	for len(p) > 0 {
		if len(w.buf) > 0 {
			need := w.maxLine - len(w.buf)
			window := p
			if len(window) > need {
				window = window[:need]
			}
			if i := bytes.IndexByte(window, '\n'); i >= 0 {
				w.buf = append(w.buf, p[:i+1]...)
				p = p[i+1:]
				w.processLine(w.buf)
				w.buf = w.buf[:0]
				continue
			}
			w.buf = append(w.buf, window...)
			p = p[len(window):]
			if len(w.buf) == w.maxLine {
				c := cut(w.buf)
				w.chunk = true
				w.processLine(w.buf[:c])
				w.chunk = false
				w.buf = append(w.buf[:0], w.buf[c:]...)
			}
			continue
		}
		window := p
		if len(window) > w.maxLine {
			window = window[:w.maxLine]
		}
		if i := bytes.IndexByte(window, '\n'); i >= 0 {
			w.processLine(p[:i+1])
			p = p[i+1:]
			continue
		}
		if len(window) == w.maxLine {
			c := cut(window)
			w.chunk = true
			w.processLine(p[:c])
			w.chunk = false
			p = p[c:]
			continue
		}
		w.buf = append(w.buf, p...)
		return
	}
}

// cut picks where to end a chunk of an over-long line (len(b) == maxLine):
// after the last space, tab or comma in its last quarter, so that a
// key/value pair is less likely to be split; else at the end.
func cut(b []byte) int {
	low := len(b) - len(b)/4
	for i := len(b) - 1; i >= low; i-- {
		switch b[i] {
		case ' ', '\t', ',':
			return i + 1
		}
	}
	return len(b)
}

// processLine redacts one line (with its line ending, if any) into w.out.
func (w *writer) processLine(line []byte) {
	content, eol := line, []byte(nil)
	if n := len(content); n > 0 && content[n-1] == '\n' {
		content = content[:n-1]
		if n > 1 && content[n-2] == '\r' {
			content = content[:n-2]
		}
		eol = line[len(content):]
	}
	w.gen++
	if w.gen == 0 { // wrapped: forget every mark
		clear(w.kwMark)
		w.gen = 1
	}
	w.spans = w.spans[:0]
	w.hits = w.s.match.scan(content, w.kwMark, w.gen, w.hits[:0])
	found := len(w.hits) > 0

	cur := w.arms
	w.nextArms = w.nextArms[:0]
	for _, a := range cur {
		a.a.armed(w, content, a.rule)
	}
	w.nextBlock = yamlBlock{}
	if w.block.active {
		blockFinder{}.find(w, content)
	}
	finders := w.finders
	if !found && !w.pemIn {
		// No keyword: only the finders without keywords can match.
		finders = w.always
	}
	for _, f := range finders {
		f.find(w, content)
	}
	w.arms, w.nextArms = w.nextArms, cur[:0]
	w.block = w.nextBlock
	if w.record {
		w.recordSpans()
		if eol != nil {
			w.line++
			w.col = 0
		} else {
			w.col += len(content)
		}
	}

	if len(w.spans) == 0 {
		w.emit(line)
		return
	}
	w.emitRedacted(content, eol)
}

// has reports whether the current line contains keyword kw (ASCII case
// insensitively).
func (w *writer) has(kw int) bool { return w.kwMark[kw] == w.gen }

// hasAny reports whether the current line contains one of the keywords; an
// empty list always passes.
func (w *writer) hasAny(kws []int) bool {
	if len(kws) == 0 {
		return true
	}
	for _, kw := range kws {
		if w.has(kw) {
			return true
		}
	}
	return false
}

// add masks line[start:end] and counts one match of rule. The same range
// found twice for the same rule counts once.
func (w *writer) add(start, end, rule int) { w.addDetail(start, end, rule, -1) }

// addDetail is add for a rule family: detail says which member matched
// (see span.detail).
func (w *writer) addDetail(start, end, rule, detail int) {
	if start >= end {
		return
	}
	for _, s := range w.spans {
		if s.start == start && s.end == end && s.rule == rule {
			return
		}
	}
	w.spans = append(w.spans, span{start: start, end: end, rule: rule, detail: detail})
	w.counts[rule]++
}

// addSpan masks line[start:end] without counting a match (the body lines of
// a PEM block that was counted at its BEGIN line).
func (w *writer) addSpan(start, end, rule int) {
	if start < end {
		w.spans = append(w.spans, span{start: start, end: end, rule: rule, detail: -1})
	}
}

// addQuotedSpan is addSpan for a span whose mask must be a quoted string
// (a YAML plain scalar on a line of its own: a bare mask would read as an
// alias).
func (w *writer) addQuotedSpan(start, end, rule int) {
	if start < end {
		w.spans = append(w.spans, span{start: start, end: end, rule: rule, detail: -1, quote: true})
	}
}

// count counts one match of rule that masks nothing on this line.
func (w *writer) count(rule int) { w.counts[rule]++ }

// arm makes a apply to the next line.
func (w *writer) arm(a armer, rule int) {
	w.nextArms = append(w.nextArms, arm{a, rule})
}

// emitRedacted writes content with every span replaced by Mask (overlapping
// and touching spans become one), then eol.
func (w *writer) emitRedacted(content, eol []byte) {
	spans := w.spans
	slices.SortFunc(spans, func(a, b span) int {
		if a.start != b.start {
			return a.start - b.start
		}
		return b.end - a.end
	})
	if w.out == nil {
		w.out = w.s.outBuf()
	}
	out := w.out
	last := 0
	for i := 0; i < len(spans); {
		start, end, quote := spans[i].start, spans[i].end, spans[i].quote
		i++
		for i < len(spans) && spans[i].start <= end {
			if spans[i].end > end {
				end = spans[i].end
			}
			quote = quote || spans[i].quote
			i++
		}
		out = append(out, content[last:start]...)
		if quote || quoteMask(content, start, end) {
			out = append(out, '"')
			out = append(out, Mask...)
			out = append(out, '"')
		} else {
			out = append(out, Mask...)
		}
		last = end
	}
	out = append(out, content[last:]...)
	out = append(out, eol...)
	w.out = out
	if len(w.out) >= flushSize {
		w.flush()
	}
}

// quoteMask reports whether the mask for content[start:end] must be written
// as a quoted string to keep the document valid. That is the case for a bare
// (unquoted) value after "key:" or a YAML list dash that runs to the end of
// the line or of a flow item: a YAML plain scalar may not start with '*'
// (that is an alias), and a JSON value replaced by text must become a string.
func quoteMask(content []byte, start, end int) bool {
	if start > 0 {
		switch content[start-1] {
		case '"', '\'', '\\':
			return false // inside a quoted string
		}
	}
	prefix := bytes.TrimRight(content[:start], " \t")
	if len(prefix) == 0 {
		return false
	}
	if prefix[len(prefix)-1] != ':' && !bytes.Equal(bytes.TrimLeft(prefix, " \t"), []byte("-")) {
		return false
	}
	rest := bytes.TrimLeft(content[end:], " \t")
	if len(rest) == 0 {
		return true
	}
	switch rest[0] {
	case ',', '}', ']', '#':
		return true
	}
	return false
}

// emit copies an unchanged line to the output.
func (w *writer) emit(line []byte) {
	if len(w.out)+len(line) > flushSize && len(w.out) > 0 {
		w.flush()
	}
	if len(line) >= flushSize {
		w.write(line)
		return
	}
	if w.out == nil {
		w.out = w.s.outBuf()
	}
	w.out = append(w.out, line...)
}

func (w *writer) flush() {
	if len(w.out) > 0 {
		w.write(w.out)
		w.out = w.out[:0]
	}
}

func (w *writer) write(b []byte) {
	if w.err != nil {
		return
	}
	if _, err := w.dst.Write(b); err != nil {
		w.err = err
	}
}
