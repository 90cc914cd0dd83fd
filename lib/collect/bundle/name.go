package bundle

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

const (
	// Ext is the file name extension of a bundle.
	Ext = ".tar.gz"
	// baseName is troubleshoot.sh's bundle name, kept after the prefix.
	baseName = "support-bundle-"
	// TimeLayout formats the bundle's UTC creation time in its name.
	TimeLayout = "2006-01-02T15_04_05"
	// partialSuffix marks the temporary file of a bundle being written.
	partialSuffix = ".partial"
	// maxCollisions bounds the search for a free name.
	maxCollisions = 10000
)

// FileName returns "<prefix>support-bundle-<ts>.tar.gz" for t (in UTC).
func FileName(prefix string, t time.Time) string {
	return rootName(prefix, t, 0) + Ext
}

// rootName returns the root folder name for the n-th collision (0: none).
func rootName(prefix string, t time.Time, n int) string {
	name := prefix + baseName + t.UTC().Format(TimeLayout)
	if n > 0 {
		name += "-" + strconv.Itoa(n)
	}
	return name
}

// partialPath is the temporary file a bundle is written to before it is
// renamed to finalPath. It derives from the final name only, so that its
// O_EXCL creation reserves that name across writers and processes.
func partialPath(dir, name string) string {
	return filepath.Join(dir, "."+name+Ext+partialSuffix)
}

// validPrefix rejects prefixes that would put the bundle outside dir or make
// an unreadable name.
func validPrefix(prefix string) error {
	if strings.ContainsAny(prefix, "/\x00") || strings.ContainsRune(prefix, filepath.Separator) {
		return fmt.Errorf("invalid prefix %q: must not contain a path separator or NUL", prefix)
	}
	if strings.HasPrefix(prefix, ".") {
		return fmt.Errorf("invalid prefix %q: must not start with a dot", prefix)
	}
	return nil
}

// reserve finds the first free name in dir for prefix and t and creates its
// temporary file exclusively. A name is free when neither its temporary file
// (another writer in progress) nor its final file exists. The O_EXCL creation
// makes the reservation atomic; the final name is checked after it, so a
// writer that renames its temporary file into place (atomically) between our
// create and our check is seen.
func reserve(dir, prefix string, t time.Time) (name string, f *os.File, err error) {
	for n := 0; n < maxCollisions; n++ {
		name = rootName(prefix, t, n)
		tmp := partialPath(dir, name)
		f, err = os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", nil, err
		}
		// Locked for as long as the writer lives: RemoveStale removes
		// only unlocked ones. A sweeper may have locked and removed it
		// between the create and this lock; then take the name again.
		// Where the file system has no locks, RemoveStale cannot lock
		// it either and leaves it alone.
		_ = lock(f)
		if !samePath(f, tmp) {
			_ = f.Close()
			n--
			continue
		}
		_, statErr := os.Lstat(filepath.Join(dir, name+Ext))
		if statErr == nil {
			_ = f.Close()
			_ = os.Remove(tmp)
			continue
		}
		if !errors.Is(statErr, fs.ErrNotExist) {
			_ = f.Close()
			_ = os.Remove(tmp)
			return "", nil, statErr
		}
		return name, f, nil
	}
	return "", nil, fmt.Errorf("no free name for %q after %d tries", FileName(prefix, t), maxCollisions)
}
