package collect

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/mesosphere/dkp-diagnose/lib/collect/archive"
	"github.com/mesosphere/dkp-diagnose/lib/collect/bundle"
	"github.com/mesosphere/dkp-diagnose/lib/collect/redact"
)

// Output is how collectors write into the bundle: every file passes through
// the redactor. It is safe for concurrent use.
type Output struct {
	bundle *bundle.Writer
	redact *redact.Set // nil: redaction off

	mu    sync.Mutex
	fatal error // the first local write failure (full disk, I/O error)
}

// Create opens a bundle file at path (relative to the bundle root). The file
// is committed to the archive when the writer is closed.
func (o *Output) Create(path string) (io.WriteCloser, error) {
	w, err := o.bundle.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create %s in bundle: %w", path, err)
	}
	return o.redact.Writer(path, &localWriter{WriteCloser: w, out: o}), nil
}

// localWriter notes failures of the bundle's own writes. A bundle that lost
// data to a full disk must not be passed off as complete: the run fails
// instead, even though the collector that met the error carried on.
type localWriter struct {
	io.WriteCloser
	out *Output
}

func (w *localWriter) Write(p []byte) (int, error) {
	n, err := w.WriteCloser.Write(p)
	w.out.noteFatal(err)
	return n, err
}

func (w *localWriter) Close() error {
	err := w.WriteCloser.Close()
	w.out.noteFatal(err)
	return err
}

func (o *Output) noteFatal(err error) {
	if err == nil || errors.Is(err, os.ErrClosed) {
		return
	}
	o.mu.Lock()
	if o.fatal == nil {
		o.fatal = err
	}
	o.mu.Unlock()
}

// Fatal returns the first local write failure, if any.
func (o *Output) Fatal() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.fatal
}

// Object redacts one Kubernetes object (JSON) by structure, as bundle file
// path, before a collector decodes it and writes parts of it; objects
// written whole into a list file get the same through the list writer.
func (o *Output) Object(path, kind string, obj []byte) []byte {
	return o.redact.Object(path, kind, obj)
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
	// What is written as JSON is often an object (a pod's final state,
	// a config map's values): the structure pass applies, as to list
	// items.
	data = o.redact.Object(path, "", data)
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

// copyTar writes a tar stream as bundle file path, its entries redacted
// one by one (as files path/<entry name>): line rules on the stream itself
// would corrupt the archive.
func (o *Output) copyTar(path string, r io.Reader) (err error) {
	bw, err := o.bundle.Create(path)
	if err != nil {
		return fmt.Errorf("create %s in bundle: %w", path, err)
	}
	w := &localWriter{WriteCloser: bw, out: o}
	defer func() {
		if cerr := w.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("write %s in bundle: %w", path, cerr)
		}
	}()
	_, err = archive.Repack(r, w, func(name string, dst io.WriteCloser) io.WriteCloser {
		return o.redact.Writer(path+"/"+name, dst)
	}, archive.Limits{})
	if err != nil {
		return fmt.Errorf("write %s in bundle: %w", path, err)
	}
	return nil
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
