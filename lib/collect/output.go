package collect

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/mesosphere/dkp-diagnose/lib/collect/bundle"
	"github.com/mesosphere/dkp-diagnose/lib/collect/redact"
)

// Output is how collectors write into the bundle: every file passes through
// the redactor. It is safe for concurrent use.
type Output struct {
	bundle *bundle.Writer
	redact *redact.Set // nil: redaction off
}

// Create opens a bundle file at path (relative to the bundle root). The file
// is committed to the archive when the writer is closed.
func (o *Output) Create(path string) (io.WriteCloser, error) {
	w, err := o.bundle.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create %s in bundle: %w", path, err)
	}
	return o.redact.Writer(path, w), nil
}

// WriteFile writes a whole file.
func (o *Output) WriteFile(path string, data []byte) error {
	return o.copy(path, bytes.NewReader(data))
}

// WriteJSON writes v as indented JSON, the way troubleshoot.sh bundles hold
// API objects (one field per line keeps line-based redaction exact).
func (o *Output) WriteJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	return o.WriteFile(path, append(data, '\n'))
}

// WriteErrors writes an errors file (a JSON list of messages), the format
// troubleshoot.sh uses for *-errors.json.
func (o *Output) WriteErrors(path string, errs []string) error {
	if len(errs) == 0 {
		return nil
	}
	return o.WriteJSON(path, errs)
}

func (o *Output) copy(path string, r io.Reader) (err error) {
	w, err := o.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := w.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("write %s in bundle: %w", path, cerr)
		}
	}()
	if _, err := io.Copy(w, r); err != nil {
		return fmt.Errorf("write %s in bundle: %w", path, err)
	}
	return nil
}
