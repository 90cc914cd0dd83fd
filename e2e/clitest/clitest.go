// Package clitest runs the real dkp-diagnose command in-process for the
// end-to-end test packages (e2e, e2e/kind) and reads what it wrote.
package clitest

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

// Result is one run of the command.
type Result struct {
	Code           int
	Stdout, Stderr string
}

// Run runs dkp-diagnose with args, as a user would from a shell, and logs
// its exit code and stderr.
func Run(t *testing.T, args ...string) Result {
	t.Helper()
	var out, errb bytes.Buffer
	code := app.Run(context.Background(), args, &out, &errb)
	t.Logf("dkp-diagnose %s -> exit %d\nstderr:\n%s", strings.Join(args, " "), code, errb.String())
	return Result{Code: code, Stdout: out.String(), Stderr: errb.String()}
}

// BundlePaths returns the bundle paths the command printed on stdout.
func (r Result) BundlePaths() []string {
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(r.Stdout), "\n") {
		if strings.HasSuffix(l, ".tar.gz") {
			out = append(out, l)
		}
	}
	return out
}

// OpenBundle reads a bundle whole: path inside the root folder → content.
func OpenBundle(t *testing.T, path string) map[string][]byte {
	t.Helper()
	files, err := bundle.ReadAll(path)
	require.NoError(t, err, "read bundle %s", path)
	return files
}

// ListNames returns the sorted metadata.name of each item of a list file.
func ListNames(t *testing.T, data []byte) []string {
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

// ReadSummary reads the run summary in an output folder.
func ReadSummary(t *testing.T, dir string) app.Summary {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, app.SummaryFile))
	require.NoError(t, err)
	var s app.Summary
	require.NoError(t, json.Unmarshal(data, &s))
	return s
}

var bundleTime = regexp.MustCompile(`support-bundle-\d{4}-\d\d-\d\dT\d\d_\d\d_\d\d(-\d+)?\.tar\.gz$`)

// PrefixOf returns a bundle file's prefix (the part before support-bundle-).
func PrefixOf(path string) string {
	return bundleTime.ReplaceAllString(filepath.Base(path), "")
}

// IsolateSettings keeps a developer's own dkp-diagnose settings (a config
// file in ~/.config, DKP_DIAGNOSE_* variables) away from the in-process
// command; TestMain calls it and the returned cleanup.
func IsolateSettings() (cleanup func()) {
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, app.EnvPrefix) {
			os.Unsetenv(name)
		}
	}
	dir, err := os.MkdirTemp("", "dkp-diagnose-e2e-xdg-")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_CONFIG_HOME", dir)
	return func() { os.RemoveAll(dir) }
}
