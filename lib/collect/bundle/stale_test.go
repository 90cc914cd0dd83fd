package bundle

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRemoveStale: the temporary file of a writer that is gone is removed,
// that of a live writer (here, in this process; flock locks of one file
// opened twice exclude each other) is not, and other files are left alone.
func TestRemoveStale(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	live, err := Create(dir, "live-", now)
	require.NoError(t, err)
	defer live.Abort()
	stale := filepath.Join(dir, ".dead-support-bundle-2026-12-01T10_00_00.tar.gz.partial")
	require.NoError(t, os.WriteFile(stale, []byte("half a bundle"), 0o600))
	other := filepath.Join(dir, ".notes.partial")
	require.NoError(t, os.WriteFile(other, nil, 0o600))

	removed, kept, err := RemoveStale(dir)
	require.NoError(t, err)
	assert.Equal(t, []string{stale}, removed)
	assert.Empty(t, kept)
	assert.NoFileExists(t, stale)
	assert.FileExists(t, other)
	assert.FileExists(t, live.tmp, "a live writer's file stays")

	// The live writer still finishes under its final name.
	require.NoError(t, live.Close())
	assert.FileExists(t, live.Path())
}

// TestSamePathSeesSweep: a temporary file a sweeper removed between a
// writer's create and its lock is seen, so reserve takes the name again.
func TestSamePathSeesSweep(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	w, err := Create(dir, "", now)
	require.NoError(t, err)
	require.NoError(t, os.Remove(w.tmp)) // as a sweeper racing the create would
	assert.False(t, samePath(w.f, w.tmp))
	require.NoError(t, w.Abort())
}

// TestRemoveStaleTempDirs: a run's temporary folder is removed once its lock
// is free (the run was killed: here, the lock file closed as the kernel
// would), kept while held, and a lock-less one only once it is old.
func TestRemoveStaleTempDirs(t *testing.T) {
	dir := t.TempDir()
	live, err := MkdirTemp(dir)
	require.NoError(t, err)
	dead, err := MkdirTemp(dir)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dead, "pods.json"), []byte("{}"), 0o600))
	tempDirs.Lock()
	require.NoError(t, tempDirs.locks[dead].Close()) // the killed run's lock goes
	delete(tempDirs.locks, dead)
	tempDirs.Unlock()
	young := filepath.Join(dir, TempDirPrefix+"young")
	require.NoError(t, os.Mkdir(young, 0o700))
	old := filepath.Join(dir, TempDirPrefix+"old")
	require.NoError(t, os.Mkdir(old, 0o700))
	long := time.Now().Add(-2 * lockGrace)
	require.NoError(t, os.Chtimes(old, long, long))

	removed, kept, err := RemoveStale(dir)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{dead, old}, removed)
	assert.Empty(t, kept)
	assert.DirExists(t, live)
	assert.DirExists(t, young, "a folder being made this instant stays")
	assert.NoDirExists(t, dead)

	require.NoError(t, RemoveTemp(live))
	assert.NoDirExists(t, live)
}
