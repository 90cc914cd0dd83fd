package app

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRedactCheck: "redact --check" lists places and rules, never values,
// and its exit code says whether anything was found.
func TestRedactCheck(t *testing.T) {
	const secret = "Wq4zLp8Rt2Vx"
	leaky := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(leaky, "allPodLogs", "ns"), 0o755))
	write(t, filepath.Join(leaky, "allPodLogs", "ns"), "app.log", "starting\nlogin user=bob password="+secret+"\n")
	write(t, leaky, "version.txt", "v1.29.4\n")
	clean := t.TempDir()
	write(t, clean, "version.txt", "v1.29.4\n")

	code, out, errOut := runApp(t, "redact", "--check", leaky)
	assert.Equal(t, ExitFound, code, errOut)
	assert.Contains(t, out, "1 findings in 1 of 2 files")
	assert.Contains(t, out, "allPodLogs/ns/app.log:2:25: builtin.password, 12 bytes")
	assert.NotContains(t, out+errOut, secret)

	code, out, errOut = runApp(t, "redact", "--check", "--output", "json", clean, leaky)
	assert.Equal(t, ExitFound, code, errOut)
	var res []struct {
		Bundle   string
		Files    int
		Findings []struct{ File, Rule string }
	}
	require.NoError(t, json.Unmarshal([]byte(out), &res), out)
	require.Len(t, res, 2)
	assert.Empty(t, res[0].Findings)
	require.Len(t, res[1].Findings, 1)
	assert.Equal(t, "builtin.password", res[1].Findings[0].Rule)
	assert.NotContains(t, out, secret)

	code, out, errOut = runApp(t, "redact", "--check", clean)
	assert.Equal(t, ExitOK, code, errOut)
	assert.Contains(t, out, "0 findings in 0 of 1 files")

	missing := filepath.Join(clean, "nope.tar.gz")
	code, _, errOut = runApp(t, "redact", "--check", missing)
	assert.Equal(t, ExitUsage, code)
	assert.Equal(t, 1, strings.Count(errOut, "\n"), errOut)
	assert.Contains(t, errOut, missing)

	code, _, errOut = runApp(t, "redact", clean)
	assert.Equal(t, ExitUsage, code)
	assert.Contains(t, errOut, "--check")
}
