package bundle

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// A bundle's temporary file is locked (flock, exclusive) by its writer for
// as long as the writer has it open. The kernel drops the lock when the
// process ends, however it ends, so a temporary file nobody holds locked is
// the leftover of a killed run, whatever host or PID wrote it, while one
// held locked belongs to a run still going, perhaps another one writing
// into the same folder at the same moment.

// IsPartialName reports whether name (a file name, no folder) is a bundle's
// temporary file: ".<name>.tar.gz.partial".
func IsPartialName(name string) bool {
	return strings.HasPrefix(name, ".") && strings.HasSuffix(name, Ext+partialSuffix) &&
		strings.Contains(name, baseName)
}

// RemoveStale removes from dir the temporary files of bundles whose writer
// is gone, and the temporary folders (MkdirTemp) of runs that are gone, (a run killed with SIGKILL, a crashed machine) and returns their
// paths. Temporary files of writers still running, in this process or
// another, are left alone. Where locks are not supported, nothing is
// removed: the files are returned in kept for the caller to report.
func RemoveStale(dir string) (removed, kept []string, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("look for unfinished bundles in %q: %w", dir, err)
	}
	var errs []error
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		remove := removeIfUnlocked
		switch {
		case e.Type().IsRegular() && IsPartialName(e.Name()):
		case e.IsDir() && isTempDirName(e.Name()):
			remove = removeTempIfUnlocked
		default:
			continue
		}
		switch gone, err := remove(p); {
		case err != nil:
			errs = append(errs, err)
			kept = append(kept, p)
		case gone:
			removed = append(removed, p)
		}
	}
	return removed, kept, errors.Join(errs...)
}

// removeIfUnlocked removes p when no writer holds its lock. The lock is
// taken before the removal and held through it, so a writer that created p
// a moment ago and is about to lock it finds, once it has the lock, that
// its file is gone, and picks another (see reserve).
func removeIfUnlocked(p string) (bool, error) {
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil // finished or aborted meanwhile
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	free, err := tryLock(f)
	if err != nil || !free {
		return false, err
	}
	// The name may have been removed and taken again between the open
	// and the lock: remove only the file that is locked.
	if !samePath(f, p) {
		return false, nil
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return false, err
	}
	return true, nil
}

// samePath reports whether f is still the file at path p.
func samePath(f *os.File, p string) bool {
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	pi, err := os.Lstat(p)
	return err == nil && os.SameFile(fi, pi)
}
