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

// layeredConfig sets each key in one more layer than the one before, so a
// single "config view" shows every level of precedence.
const layeredConfig = `
bundle-prefix: from-file-
burst: 21
qps: 31
concurrency: 41
profiles:
  p:
    burst: 22
    qps: 32
    concurrency: 42
    image-pull-secret: pull-from-profile
  other:
    burst: 99
`

// viewSettings runs "config view --output json" and returns key → setting.
func viewSettings(t *testing.T, args ...string) (ConfigView, map[string]SettingValue) {
	t.Helper()
	code, stdout, stderr := runApp(t, append([]string{"config", "view", "--output", "json"}, args...)...)
	require.Equal(t, ExitOK, code, stderr)
	var cv ConfigView
	require.NoError(t, json.Unmarshal([]byte(stdout), &cv), stdout)
	byKey := map[string]SettingValue{}
	for _, s := range cv.Settings {
		byKey[s.Key] = s
	}
	return cv, byKey
}

// TestSettingsPrecedence: flags > env > profile > file > built-in default,
// key by key, through the real command.
func TestSettingsPrecedence(t *testing.T) {
	cfg := write(t, t.TempDir(), "config.yaml", layeredConfig)
	t.Setenv("DKP_DIAGNOSE_QPS", "33")
	t.Setenv("DKP_DIAGNOSE_CONCURRENCY", "43")
	cv, got := viewSettings(t, "--config", cfg, "--profile", "p", "--concurrency", "44")
	assert.Equal(t, cfg, cv.ConfigFile)
	assert.Equal(t, "--config", cv.ConfigFrom)
	assert.Equal(t, "p", cv.Profile)
	assert.Equal(t, []string{"other", "p"}, cv.Profiles)
	// JSON values are typed: numbers, lists, booleans, not strings.
	want := map[string]struct {
		value  any
		source string
	}{
		"concurrency":       {float64(44), "flag"},
		"qps":               {float64(33), "env"},
		"burst":             {float64(22), "profile p"},
		"image-pull-secret": {"pull-from-profile", "profile p"},
		"bundle-prefix":     {"from-file-", "file"},
		"parallel-targets":  {float64(3), "default"},
		"specs":             {[]any{}, "default"},
		"redact":            {true, "default"},
		"timeout":           {"30m0s", "default"},
	}
	for k, w := range want {
		assert.Equal(t, w.value, got[k].Value, k)
		assert.Equal(t, w.source, got[k].Source, k)
	}
	assert.Equal(t, "DKP_DIAGNOSE_IMAGE_PULL_SECRET", got["image-pull-secret"].Env)

	t.Run("without a profile the file's defaults apply", func(t *testing.T) {
		_, got := viewSettings(t, "--config", cfg)
		assert.Equal(t, SettingValue{Key: "burst", Value: float64(21), Source: "file", Env: "DKP_DIAGNOSE_BURST"}, got["burst"])
		assert.Equal(t, "default", got["image-pull-secret"].Source)
	})
	t.Run("config and profile from the environment", func(t *testing.T) {
		t.Setenv(EnvConfig, cfg)
		t.Setenv(EnvProfile, "other")
		cv, got := viewSettings(t)
		assert.Equal(t, "$"+EnvConfig, cv.ConfigFrom)
		assert.Equal(t, "other", cv.Profile)
		assert.Equal(t, SettingValue{Key: "burst", Value: float64(99), Source: "profile other", Env: "DKP_DIAGNOSE_BURST"}, got["burst"])
		_, got = viewSettings(t, "--profile", "p")
		assert.Equal(t, "profile p", got["burst"].Source, "--profile wins over the environment")
	})
	t.Run("default location", func(t *testing.T) {
		xdg := t.TempDir()
		t.Setenv("XDG_CONFIG_HOME", xdg)
		require.NoError(t, os.MkdirAll(filepath.Join(xdg, "dkp-diagnose"), 0o755))
		write(t, filepath.Join(xdg, "dkp-diagnose"), "config.yaml", layeredConfig)
		cv, got := viewSettings(t, "--profile", "p")
		assert.Equal(t, "default location", cv.ConfigFrom)
		assert.Equal(t, filepath.Join(xdg, "dkp-diagnose", "config.yaml"), cv.ConfigFile)
		assert.Equal(t, float64(22), got["burst"].Value)
	})
	t.Run("positional spec files win over specs", func(t *testing.T) {
		dir := t.TempDir()
		cfg := write(t, dir, "config.yaml", "specs: [a.yaml, /abs/b.yaml]\n")
		_, got := viewSettings(t, "--config", cfg)
		assert.Equal(t, SettingValue{Key: "specs", Value: []any{filepath.Join(dir, "a.yaml"), "/abs/b.yaml"}, Source: "file", Env: "DKP_DIAGNOSE_SPECS"}, got["specs"],
			"relative paths are relative to the config file")
		_, got = viewSettings(t, "--config", cfg, "mine.yaml")
		assert.Equal(t, []any{"mine.yaml"}, got["specs"].Value)
		assert.Equal(t, "flag", got["specs"].Source)
	})
	t.Run("lists from the environment are comma-separated", func(t *testing.T) {
		t.Setenv("DKP_DIAGNOSE_CLUSTER", "fleet/a, fleet/b")
		_, got := viewSettings(t)
		assert.Equal(t, SettingValue{Key: "cluster", Value: []any{"fleet/a", "fleet/b"}, Source: "env", Env: "DKP_DIAGNOSE_CLUSTER"}, got["cluster"])
	})
}

// TestProfileDrivesRun: a profile's spec files, prefix and output dir are
// what a real run uses.
func TestProfileDrivesRun(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "kubeconfig", nowhereKubeconfig)
	write(t, dir, "data.yaml", dataOnlySpec)
	out := filepath.Join(t.TempDir(), "bundles")
	cfg := write(t, dir, "config.yaml", `
output-dir: `+out+`
kubeconfig: kubeconfig
profiles:
  offline:
    specs: [data.yaml]
    bundle-prefix: offline-
`)
	code, stdout, stderr := runApp(t, "--config", cfg, "--profile", "offline")
	require.Equal(t, ExitOK, code, stderr)
	bundle := strings.TrimSpace(stdout)
	assert.Equal(t, out, filepath.Dir(bundle))
	assert.True(t, strings.HasPrefix(filepath.Base(bundle), "offline-support-bundle-"), bundle)
}

// TestSettingsErrors: every config mistake is one line naming the file, the
// key and the profile, exit 2, and nothing collected.
func TestSettingsErrors(t *testing.T) {
	dir := t.TempDir()
	kc := write(t, dir, "kubeconfig", nowhereKubeconfig)
	cfg := func(name, content string) string { return write(t, dir, name, content) }
	good := cfg("good.yaml", layeredConfig)
	cases := map[string]struct {
		args []string
		env  map[string]string
		want []string
	}{
		"unknown profile": {[]string{"--config", good, "--profile", "nope"}, nil,
			[]string{good, `unknown profile "nope"`, "other, p"}},
		"unknown profile from env": {[]string{"--config", good}, map[string]string{EnvProfile: "nope"},
			[]string{good, `unknown profile "nope"`}},
		"profile without config file": {[]string{"--profile", "p"}, nil,
			[]string{`profile "p"`, "no config file"}},
		"unknown key": {[]string{"--config", cfg("typo.yaml", "concurency: 3\n")}, nil,
			[]string{"typo.yaml", `unknown key "concurency"`, `did you mean "concurrency"`}},
		"unknown key in a profile": {[]string{"--config", cfg("ptypo.yaml", "profiles:\n  fleet:\n    all-cluster: true\n")}, nil,
			[]string{"ptypo.yaml", `profile "fleet"`, `unknown key "all-cluster"`}},
		"wrong type": {[]string{"--config", cfg("type.yaml", "concurrency: lots\n")}, nil,
			[]string{"type.yaml", `key "concurrency"`, "want an integer", `"lots"`}},
		"wrong type in a profile": {[]string{"--config", cfg("ptype.yaml", "profiles:\n  fleet:\n    timeout: 30\n")}, nil,
			[]string{"ptype.yaml", `profile "fleet"`, `key "timeout"`, "want a duration"}},
		"a list where a string goes": {[]string{"--config", cfg("list.yaml", "bundle-prefix: [a, b]\n")}, nil,
			[]string{"list.yaml", `key "bundle-prefix"`, "want a string, got a list"}},
		"a string where a list goes": {[]string{"--config", cfg("nolist.yaml", "redactors: site.yaml\n")}, nil,
			[]string{"nolist.yaml", `key "redactors"`, "want a list"}},
		"profiles not a mapping": {[]string{"--config", cfg("profiles.yaml", "profiles: [a]\n")}, nil,
			[]string{"profiles.yaml", `key "profiles"`}},
		"credentials stay in the kubeconfig": {[]string{"--config", cfg("token.yaml", "token: abc\n")}, nil,
			[]string{"token.yaml", `key "token" cannot be set`}},
		"bad value checked after loading": {[]string{"--config", cfg("output.yaml", "output: yaml\n")}, nil,
			[]string{"--output", `"yaml"`, "text or json"}},
		"malformed yaml": {[]string{"--config", cfg("bad.yaml", "a: [\n")}, nil,
			[]string{"bad.yaml"}},
		"missing config file": {[]string{"--config", filepath.Join(dir, "none.yaml")}, nil,
			[]string{"none.yaml", "no such file"}},
		"missing config file from env": {nil, map[string]string{EnvConfig: filepath.Join(dir, "none.yaml")},
			[]string{"none.yaml", EnvConfig}},
		"unknown environment variable": {nil, map[string]string{"DKP_DIAGNOSE_CONCURENCY": "3"},
			[]string{"DKP_DIAGNOSE_CONCURENCY", "unknown setting", "DKP_DIAGNOSE_CONCURRENCY"}},
		"wrong type in the environment": {nil, map[string]string{"DKP_DIAGNOSE_QPS": "fast"},
			[]string{"DKP_DIAGNOSE_QPS", "want a number", `"fast"`}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			for _, cmd := range [][]string{{}, {"config", "view"}, {"targets"}} {
				out := t.TempDir()
				args := append(append(append([]string{}, cmd...), tc.args...), "--kubeconfig", kc)
				if len(cmd) == 0 {
					args = append(args, "--output-dir", out)
				}
				code, stdout, stderr := runApp(t, args...)
				assertUsageError(t, code, stdout, stderr, out, tc.want...)
			}
		})
	}
}

// TestExampleConfig: the shipped example loads, and its air-gapped profile
// sets the node-collector image and pull secret.
func TestExampleConfig(t *testing.T) {
	cfg := filepath.Join("..", "..", "..", "config", "example-config.yaml")
	cv, got := viewSettings(t, "--config", cfg, "--profile", "air-gapped")
	assert.Equal(t, []string{"air-gapped", "fleet"}, cv.Profiles)
	assert.Equal(t, "profile air-gapped", got["node-collector-image"].Source)
	assert.Equal(t, "site-registry", got["image-pull-secret"].Value)
	_, got = viewSettings(t, "--config", cfg, "--profile", "fleet")
	assert.Equal(t, SettingValue{Key: "all-clusters", Value: true, Source: "profile fleet", Env: "DKP_DIAGNOSE_ALL_CLUSTERS"}, got["all-clusters"])
	code, stdout, _ := runApp(t, "config", "example")
	require.Equal(t, ExitOK, code)
	data, err := os.ReadFile(cfg)
	require.NoError(t, err)
	assert.Equal(t, string(data), stdout)
}

// dataOnlySpec needs no cluster: the data collector runs even when the API
// server is unreachable.
const dataOnlySpec = `apiVersion: troubleshoot.sh/v1beta2
kind: SupportBundle
spec:
  collectors:
    - clusterInfo: {exclude: true}
    - clusterResources: {exclude: true}
    - data:
        name: notes/hello.txt
        data: hello
`

// TestConfigExampleWrite: on a fresh machine (no config folder) the
// example is saved as the default config file, which then loads; a second
// --write keeps the file.
func TestConfigExampleWrite(t *testing.T) {
	xdg := filepath.Join(t.TempDir(), "fresh")
	t.Setenv("XDG_CONFIG_HOME", xdg)
	code, stdout, stderr := runApp(t, "config", "example", "--write")
	require.Equal(t, ExitOK, code, stderr)
	p := filepath.Join(xdg, "dkp-diagnose", "config.yaml")
	assert.Equal(t, p+"\n", stdout)
	cv, _ := viewSettings(t, "--profile", "fleet")
	assert.Equal(t, p, cv.ConfigFile)
	code, _, stderr = runApp(t, "config", "example", "--write")
	assert.Equal(t, ExitUsage, code)
	assert.Contains(t, stderr, "exists; kept as it is")
}
