package e2e

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"github.com/mesosphere/dkp-diagnose/e2e/clitest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCollectFullDisk: when the output filesystem fills up mid-bundle the
// run fails with one line saying so, exit 1, and leaves no bundle — neither
// under its final name nor half-written.
func TestCollectFullDisk(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "full")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	// A 256 KiB filesystem: room for the write check, not for the bundle.
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=256k"); err != nil {
		if errors.Is(err, syscall.EPERM) && os.Getenv("CI") != "true" {
			t.Skipf("mounting a tmpfs needs root: %v", err)
		}
		require.NoError(t, err, "mount a small tmpfs")
	}
	t.Cleanup(func() { _ = syscall.Unmount(dir, syscall.MNT_DETACH) })

	c := startCollectCluster(t)
	// Incompressible logs make the bundle far larger than the filesystem.
	noise := make([]byte, 1<<20)
	_, _ = rand.Read(noise)
	var b strings.Builder
	enc := base64.StdEncoding.EncodeToString(noise)
	for len(enc) > 0 {
		n := min(100, len(enc))
		b.WriteString(enc[:n] + "\n")
		enc = enc[n:]
	}
	require.NoError(t, c.SetPodLogs(context.Background(), "app-a", c.webPods[0].Name, map[string]string{"main": b.String()}))

	res := clitest.Run(t, "--kubeconfig", c.KubeconfigPath, "--output-dir", dir)
	assert.Equal(t, 1, res.Code)
	assert.Empty(t, res.BundlePaths(), "no bundle path is printed")
	lastLine := strings.TrimSpace(res.Stderr[strings.LastIndex(strings.TrimSpace(res.Stderr), "\n")+1:])
	assert.True(t, strings.HasPrefix(lastLine, "dkp-diagnose: "), lastLine)
	assert.Contains(t, lastLine, "no space left on device")
	assert.Contains(t, lastLine, dir, "the error names where it was writing")
	assert.Empty(t, bundleFilesIn(t, dir), "nothing left under a bundle name, final or partial")
}
