//go:build unix

package builtin

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReadsIsEnough: the findings over the files Reads accepts are those
// over the whole bundle, and Reads leaves the pod logs out.
func TestReadsIsEnough(t *testing.T) {
	full := t.TempDir()
	writeBenchBundle(t, full)
	logFile := filepath.Join(full, "cluster-resources", "pods", "logs", "bench-000", "web-0-00000", "app.log")
	require.NoError(t, os.MkdirAll(filepath.Dir(logFile), 0o755))
	require.NoError(t, os.WriteFile(logFile, []byte("a log line\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(full, "version.yaml"), []byte("v"), 0o644))

	part := t.TempDir()
	copied := 0
	require.NoError(t, fs.WalkDir(os.DirFS(full), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !Reads(p) {
			return err
		}
		data, err := os.ReadFile(filepath.Join(full, p))
		if err != nil {
			return err
		}
		dst := filepath.Join(part, p)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		copied++
		return os.WriteFile(dst, data, 0o644)
	}))
	assert.False(t, Reads("cluster-resources/pods/logs/bench-000/web-0-00000/app.log"))
	assert.True(t, Reads("node-diagnostics/node-1/data/certs_expiration"))
	for name, want := range map[string]bool{
		"cluster-resources/pods/kube-system.json":                                                true,
		"cluster-resources/nodes.json":                                                           true,
		"cluster-resources/mutating-webhook-configurations.json":                                 true,
		"cluster-resources/custom-resources/machines.cluster.x-k8s.io/fleet.json":                true,
		"cluster-resources/custom-resources/dockerclusters.infrastructure.cluster.x-k8s.io.json": true,
		"cluster-resources/configmaps/kube-system.json":                                          false,
		"cluster-resources/custom-resources/widgets.example.com/default.json":                    false,
		"configmaps/kube-system/kubeadm-config.json":                                             false,
	} {
		assert.Equal(t, want, Reads(name), name)
	}
	assert.Positive(t, copied)

	opts := Options{Now: time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)}
	want := Analyze(os.DirFS(full), opts)
	require.NotEmpty(t, want)
	assert.Equal(t, want, Analyze(os.DirFS(part), opts))
}
