package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

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

// ownLine is a line of dkp-diagnose's plain stderr: a timestamped event, or
// the final one-line error.
var ownLine = regexp.MustCompile(`^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ |dkp-diagnose: )`)

// assertOwnStderr checks that plain-mode stderr holds only our own line
// format — events, the summary table, an error line — and nothing raw from
// client-go or klog ("Warning: …", "E1204 10:00:00.000000 …").
func assertOwnStderr(t *testing.T, stderr string) {
	t.Helper()
	inTable := false
	for _, l := range strings.Split(strings.TrimRight(stderr, "\n"), "\n") {
		switch {
		case l == "":
		case l == "summary:":
			inTable = true
		case inTable:
			// the table's rows, then "N targets in …"
		case !ownLine.MatchString(l):
			t.Errorf("stderr line not in our format: %q", l)
		}
	}
}
