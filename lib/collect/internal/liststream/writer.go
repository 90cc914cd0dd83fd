package liststream

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/mesosphere/dkp-diagnose/lib/collect/internal/jsonscan"
)

// Writer streams one list file: the list's kind and apiVersion, then
// its items indented as kubectl and troubleshoot.sh write them.
type Writer struct {
	kind  string // of the items, for the structure pass
	w     io.WriteCloser
	buf   bytes.Buffer
	count int
	// typeMeta is put after the opening brace of each item that lacks its
	// kind and apiVersion (see itemTypeMeta); nil when the list's kind does
	// not name its items'.
	typeMeta []byte
}

// ObjectRedactor is a bundle file's redacting writer: it masks what the
// line rules cannot see in an object (a Secret's data, encoded payloads,
// the object in last-applied-configuration), one item at a time.
type ObjectRedactor interface {
	Object(kind string, obj []byte) []byte
}

// NewWriter starts a list file on w with the list's head. When w is an
// ObjectRedactor, each item goes through it before it is written.
func NewWriter(w io.WriteCloser, head Head) (*Writer, error) {
	lw := &Writer{w: w, typeMeta: itemTypeMeta(head)}
	hdr := fmt.Sprintf("{\n  \"kind\": %q,\n  \"apiVersion\": %q,\n  \"metadata\": {\n    \"resourceVersion\": %q\n  },\n  \"items\": [",
		head.Kind, head.APIVersion, head.Metadata.ResourceVersion)
	if _, err := io.WriteString(w, hdr); err != nil {
		return nil, err
	}
	lw.kind = strings.TrimSuffix(head.Kind, "List")
	return lw, nil
}

// Add writes one item as the server sent it, indented, with the kind and
// apiVersion the list implies when the item lacks them.
func (lw *Writer) Add(item json.RawMessage) error {
	if r, ok := lw.w.(ObjectRedactor); ok {
		item = r.Object(lw.kind, item)
	}
	lw.buf.Reset()
	if lw.count > 0 {
		lw.buf.WriteByte(',')
	}
	lw.buf.WriteString("\n    ")
	// The kind and apiVersion go right after the item's opening brace. The
	// item is indented after a gap as long as them, then the brace moves
	// to the gap's start and they fill the rest: no copy of the item.
	start, gap := lw.buf.Len(), 0
	if lw.typeMeta != nil && needsTypeMeta(item) {
		gap = len(lw.typeMeta)
		lw.buf.Write(lw.typeMeta) // placeholder of the right length
	}
	if err := json.Indent(&lw.buf, item, "    ", "  "); err != nil {
		return fmt.Errorf("indent item: %w", err)
	}
	if gap > 0 {
		b := lw.buf.Bytes()
		b[start] = '{'
		copy(b[start+1:start+1+gap], lw.typeMeta)
	}
	lw.count++
	_, err := lw.w.Write(lw.buf.Bytes())
	return err
}

// itemTypeMeta is the kind and apiVersion of a list's items, indented as
// the first members of an item in a list file. The API server leaves them
// out of the items of a built-in list; troubleshoot.sh writes them (its
// items are typed objects it sets the GroupVersionKind of), and readers
// that take one item out of a list, as sbctl does for `kubectl get pod X`,
// need them to decode it.
func itemTypeMeta(head Head) []byte {
	kind, ok := strings.CutSuffix(head.Kind, "List")
	if !ok || kind == "" || head.APIVersion == "" {
		return nil
	}
	return fmt.Appendf(nil, "\n      \"kind\": %q,\n      \"apiVersion\": %q,", kind, head.APIVersion)
}

// needsTypeMeta reports whether an item as the server sent it lacks kind and
// apiVersion. Only its first member is looked at: a built-in item starts
// with its metadata, a custom resource (encoded from a map, keys sorted)
// with its apiVersion, and an empty object gets nothing.
func needsTypeMeta(item []byte) bool {
	i := jsonscan.SkipSpace(item, 0)
	if i >= len(item) || item[i] != '{' {
		return false
	}
	i = jsonscan.SkipSpace(item, i+1)
	rest := item[i:]
	return !bytes.HasPrefix(rest, []byte("}")) && !bytes.HasPrefix(rest, []byte(`"kind"`)) && !bytes.HasPrefix(rest, []byte(`"apiVersion"`))
}

// Close ends the list and closes the underlying writer.
func (lw *Writer) Close() error {
	tail := "\n  ]\n}\n"
	if lw.count == 0 {
		tail = "]\n}\n"
	}
	if _, err := io.WriteString(lw.w, tail); err != nil {
		lw.w.Close()
		return err
	}
	return lw.w.Close()
}
