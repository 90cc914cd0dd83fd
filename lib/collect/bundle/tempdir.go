package bundle

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// A run keeps a plain copy of some bundle files next to the bundle while it
// analyzes them (collect's KeepFiles). Like a bundle's temporary file, the
// folder is marked as alive by a lock: a file inside it, flocked for as
// long as the folder is in use, so that RemoveStale removes the folders of
// killed runs and leaves those of runs still going.

// TempDirPrefix starts the name of every such folder.
const TempDirPrefix = ".dkp-diagnose-files-"

// tempDirLock is the locked file inside a temporary folder.
const tempDirLock = ".lock"

var tempDirs = struct {
	sync.Mutex
	locks map[string]*os.File
}{locks: map[string]*os.File{}}

// MkdirTemp makes a temporary folder in parent, locked until RemoveTemp
// removes it (or the process ends).
func MkdirTemp(parent string) (string, error) {
	dir, err := os.MkdirTemp(parent, TempDirPrefix)
	if err != nil {
		return "", err
	}
	f, err := os.OpenFile(filepath.Join(dir, tempDirLock), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		err = lock(f)
		if err != nil {
			_ = f.Close()
		}
	}
	if err != nil {
		_ = os.RemoveAll(dir)
		return "", fmt.Errorf("lock %s: %w", dir, err)
	}
	tempDirs.Lock()
	tempDirs.locks[dir] = f
	tempDirs.Unlock()
	return dir, nil
}

// RemoveTemp removes a folder MkdirTemp made, and releases its lock.
func RemoveTemp(dir string) error {
	err := os.RemoveAll(dir)
	tempDirs.Lock()
	if f := tempDirs.locks[dir]; f != nil {
		_ = f.Close()
		delete(tempDirs.locks, dir)
	}
	tempDirs.Unlock()
	return err
}

// isTempDirName reports whether name (no folder) is a MkdirTemp folder's.
func isTempDirName(name string) bool { return strings.HasPrefix(name, TempDirPrefix) }

// removeTempIfUnlocked removes the temporary folder dir when nobody holds
// its lock. A folder without its lock file was made by a process that died
// between making it and locking it, or is being made this instant: only a
// folder older than a minute is taken for the former.
func removeTempIfUnlocked(dir string) (bool, error) {
	f, err := os.Open(filepath.Join(dir, tempDirLock))
	if errors.Is(err, os.ErrNotExist) {
		fi, serr := os.Lstat(dir)
		if serr != nil || !fi.IsDir() || time.Since(fi.ModTime()) < lockGrace {
			return false, nil
		}
		return true, os.RemoveAll(dir)
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	free, err := tryLock(f)
	if err != nil || !free {
		return false, err
	}
	if err := os.RemoveAll(dir); err != nil {
		return false, err
	}
	return true, nil
}

// lockGrace is how old a lock-less temporary folder must be to be stale.
const lockGrace = time.Minute
