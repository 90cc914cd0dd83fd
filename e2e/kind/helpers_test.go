package kinde2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
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

// listNames returns the sorted metadata.name of a list file of a bundle.
func listNames(t *testing.T, data []byte) []string {
	t.Helper()
	require.NotNil(t, data, "list file missing")
	var l struct {
		Items []struct {
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
		} `json:"items"`
	}
	require.NoError(t, json.Unmarshal(data, &l), "not a list: %.200s", data)
	names := make([]string, 0, len(l.Items))
	for _, it := range l.Items {
		names = append(names, it.Metadata.Name)
	}
	sort.Strings(names)
	return names
}

// readSummary reads <dir>/summary.json.
func readSummary(t *testing.T, dir string) app.Summary {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, app.SummaryFile))
	require.NoError(t, err)
	var s app.Summary
	require.NoError(t, json.Unmarshal(data, &s))
	return s
}

var bundleTime = regexp.MustCompile(`support-bundle-\d{4}-\d\d-\d\dT\d\d_\d\d_\d\d(-\d+)?\.tar\.gz$`)

// prefixOf returns a bundle file's prefix (the part before support-bundle-).
func prefixOf(path string) string {
	return bundleTime.ReplaceAllString(filepath.Base(path), "")
}

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
