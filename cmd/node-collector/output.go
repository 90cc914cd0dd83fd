package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// maxItemBytes bounds every file written, so one runaway item (a huge log,
// a mount table with thousands of entries) cannot fill the bundle or the
// node's ephemeral storage.
const maxItemBytes = 4 << 20

// truncatedMarker ends content cut at maxItemBytes or at a read limit.
const truncatedMarker = "\n... [truncated by node-collector]\n"

// outputDir writes item files below one folder.
type outputDir struct{ root string }

// openOutput creates dir when missing and proves it is writable, because a
// collector that cannot write anything should fail loudly instead of
// reporting success with an empty folder.
func openOutput(dir string) (*outputDir, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("output folder: %w", err)
	}
	f, err := os.CreateTemp(dir, ".probe-*")
	if err != nil {
		return nil, fmt.Errorf("output folder %s is not writable: %w", dir, err)
	}
	name := f.Name()
	f.Close()
	if err := os.Remove(name); err != nil {
		return nil, fmt.Errorf("output folder %s: %w", dir, err)
	}
	return &outputDir{root: dir}, nil
}

// write stores data as the file name (slash-separated, relative), cutting
// it at maxItemBytes.
func (o *outputDir) write(name string, data []byte) error {
	p, err := o.path(name)
	if err != nil {
		return err
	}
	if len(data) > maxItemBytes {
		data = append(data[:maxItemBytes:maxItemBytes], truncatedMarker...)
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, data, 0o644)
}

// writeError stores err as <name>-error.txt, the convention the bundle
// readers know from the other collectors.
func (o *outputDir) writeError(name string, err error) error {
	return o.write(name+"-error.txt", []byte(err.Error()+"\n"))
}

// path maps a relative item name into the folder, refusing names that
// would leave it (file names of static pod manifests come from the host).
func (o *outputDir) path(name string) (string, error) {
	clean := filepath.Clean(filepath.FromSlash(name))
	if name == "" || filepath.IsAbs(clean) || clean == "." || clean == ".." ||
		strings.HasPrefix(clean, ".."+string(filepath.Separator)) {
		return "", errors.New("invalid output name " + fmt.Sprintf("%q", name))
	}
	return filepath.Join(o.root, clean), nil
}
