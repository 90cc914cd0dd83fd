package kinde2e

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// noKubeconfig points kubectl's loading rules at a file that does not exist,
// so a test proves that nothing was found through a kubeconfig.
func noKubeconfig(t *testing.T) {
	t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "no-kubeconfig"))
}

// writeSpec writes a spec file for the CLI.
func writeSpec(t *testing.T, path, content string) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
}

// fileNames lists the bundle's files under prefix, for failure messages.
func fileNames(files map[string][]byte, prefix string) []string {
	var out []string
	for name := range files {
		if strings.HasPrefix(name, prefix) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}
