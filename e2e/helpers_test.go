package e2e

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mesosphere/dkp-diagnose/cmd/dkp-diagnose/app"
	"github.com/mesosphere/dkp-diagnose/lib/collect/bundle"
)

// cliResult is one in-process run of the real dkp-diagnose command.
type cliResult struct {
	code           int
	stdout, stderr string
}

// runCLI runs dkp-diagnose with args, as a user would from a shell.
func runCLI(t *testing.T, args ...string) cliResult {
	t.Helper()
	var out, errb bytes.Buffer
	code := app.Run(context.Background(), args, &out, &errb)
	t.Logf("dkp-diagnose %s -> exit %d\nstderr:\n%s", strings.Join(args, " "), code, errb.String())
	return cliResult{code: code, stdout: out.String(), stderr: errb.String()}
}

// bundlePaths returns the bundle paths the CLI printed on stdout.
func (r cliResult) bundlePaths() []string {
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		if strings.HasSuffix(l, ".tar.gz") {
			out = append(out, l)
		}
	}
	return out
}

// openBundle reads a bundle whole: path inside the root folder → content.
func openBundle(t *testing.T, path string) map[string][]byte {
	t.Helper()
	files, err := bundle.ReadAll(path)
	require.NoError(t, err, "read bundle %s", path)
	return files
}

// writeFile writes a test input file and returns its path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	return p
}

// bundleFilesIn lists what looks like a bundle (final or partial) in dir.
func bundleFilesIn(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []string
	for _, e := range entries {
		if strings.Contains(e.Name(), "support-bundle") {
			out = append(out, e.Name())
		}
	}
	return out
}
