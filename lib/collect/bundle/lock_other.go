//go:build !unix

package bundle

import (
	"errors"
	"os"
)

// Without flock a live writer cannot be told from a dead one: nothing is
// locked and RemoveStale removes nothing, it only reports.
func lock(*os.File) error { return nil }

func tryLock(*os.File) (bool, error) {
	return false, errors.New("cannot tell whether its writer still runs (no file locks here)")
}
