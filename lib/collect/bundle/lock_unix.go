//go:build unix

package bundle

import (
	"errors"
	"os"
	"syscall"
)

// lock takes f's exclusive lock, waiting for a sweeper (RemoveStale) that
// holds it for the moment of a check.
func lock(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}

// tryLock takes f's exclusive lock if nobody holds it. The lock goes with
// f's close.
func tryLock(f *os.File) (bool, error) {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return false, nil
	}
	return err == nil, err
}
