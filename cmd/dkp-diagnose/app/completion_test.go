package app

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// complete asks the real command for completions, as a shell's completion
// script does, and returns the candidates (without cobra's directive line).
func complete(t *testing.T, args ...string) []string {
	t.Helper()
	code, stdout, stderr := runApp(t, append([]string{"__complete"}, args...)...)
	require.Equal(t, ExitOK, code, stderr)
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(stdout), "\n") {
		if !strings.HasPrefix(l, ":") {
			out = append(out, strings.SplitN(l, "\t", 2)[0])
		}
	}
	return out
}

func TestCompletion(t *testing.T) {
	dir := t.TempDir()
	cfg := write(t, dir, "config.yaml", layeredConfig)
	kc := write(t, dir, "kubeconfig", `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: abc}}]
contexts:
- {name: prod, context: {cluster: c, user: u}}
- {name: kind-konvoy-capi-bootstrapper, context: {cluster: c, user: u}}
current-context: prod
`)
	assert.Equal(t, []string{"other", "p"}, complete(t, "--config", cfg, "--profile", ""))
	assert.Equal(t, []string{"other", "p"}, complete(t, "targets", "--config", cfg, "--profile", ""), "on subcommands too")
	t.Setenv(EnvConfig, cfg)
	assert.Equal(t, []string{"other", "p"}, complete(t, "config", "view", "--profile", ""), "config file from the environment")
	assert.Equal(t, []string{"kind-konvoy-capi-bootstrapper", "prod"}, complete(t, "--kubeconfig", kc, "--context", ""))
	assert.Contains(t, complete(t, "--kubeconfig", kc, "--bootstrap-cluster-name", ""), "konvoy-capi-bootstrapper")
	assert.Equal(t, []string{"text", "json"}, complete(t, "--output", ""))
	assert.Subset(t, complete(t, ""), []string{"config", "targets", "yaml", "yml"}, "subcommands, and spec files")

	t.Setenv(EnvConfig, "")
	assert.Empty(t, complete(t, "--config", dir+"/broken.yaml", "--profile", ""), "a broken config completes nothing, quietly")
}
