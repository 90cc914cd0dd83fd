package redact

import "bytes"

// yamlBlock is the state of a sensitive YAML key whose value is on the
// lines below it:
//
//	password: |        password: >-        password:
//	  line one           folded text         s3cr3t
//	  line two
//
// Every following line indented deeper than the key (blank lines too) is
// part of the value. For a block scalar (| or >) all of them are masked.
// For a plain value on the next line, the first deeper line decides: a
// nested mapping ("user: x"), a flow collection or a comment ends the state
// (the key rules see those lines themselves); anything else is the value,
// and it and its continuation lines are masked.
type yamlBlock struct {
	active  bool
	pending bool // plain value: its first line has not come yet
	plain   bool // plain value: keep the "- " of sequence items
	counted bool // the value counted its match
	seq     bool // plain value: a sequence at the key's own indentation
	indent  int  // column of the key
	rule    int
}

// startBlock starts a value below the key at column col of the current line.
func (w *writer) startBlock(col, rule int, pending bool) {
	w.nextBlock = yamlBlock{active: true, pending: pending, plain: pending, indent: col, rule: rule}
}

// blockFinder masks the lines of a yamlBlock. It runs before the other
// finders, on every line while a block is active.
type blockFinder struct{}

func (blockFinder) keyed() bool { return true }

func (blockFinder) find(w *writer, line []byte) {
	b := &w.block
	if !b.active {
		return
	}
	ind := 0
	for ind < len(line) && line[ind] == ' ' {
		ind++
	}
	if len(bytes.TrimSpace(line)) == 0 {
		w.nextBlock = *b // blank lines belong to the value
		return
	}
	if ind < b.indent || ind == b.indent && !(b.plain && (b.pending || b.seq) && isSeqItem(line[ind:])) {
		return // the value is over
	}
	s, e := trimBlank(line, ind, len(line))
	if b.plain {
		c := line[s:e]
		if isSeqItem(c) {
			s, _ = trimBlank(line, s+2, e)
			c = line[s:e]
		}
		if b.pending && (len(c) == 0 || looksLikeMappingKey(c) || bytes.IndexByte([]byte("{[#&*!|>"), c[0]) >= 0) {
			return // a nested structure: not a scalar value
		}
		w.addQuotedSpan(s, e, b.rule)
	} else {
		w.addSpan(s, e, b.rule)
	}
	if !b.counted {
		w.count(b.rule)
	}
	next := *b
	next.pending, next.counted = false, true
	next.seq = ind == b.indent
	w.nextBlock = next
}

// isSeqItem: a YAML sequence item ("- x").
func isSeqItem(c []byte) bool {
	return len(c) >= 2 && c[0] == '-' && (c[1] == ' ' || c[1] == '\t')
}

// looksLikeMappingKey: "key: …" or "key:" (a YAML mapping entry), or a
// quoted key.
func looksLikeMappingKey(c []byte) bool {
	if c[0] == '"' || c[0] == '\'' {
		return bytes.Contains(c, []byte(`":`)) || bytes.Contains(c, []byte(`':`))
	}
	for i, ch := range c {
		switch ch {
		case ':':
			return i > 0 && (i+1 == len(c) || c[i+1] == ' ' || c[i+1] == '\t')
		case ' ', '\t':
			if i+1 < len(c) && c[i+1] == ':' {
				continue
			}
		}
	}
	return false
}
