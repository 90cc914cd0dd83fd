package app

import (
	"os"
	"strings"
	"testing"
)

// TestMain keeps the tests hermetic: a developer's own config file and
// DKP_DIAGNOSE_* variables must not change what the commands under test do.
func TestMain(m *testing.M) {
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, EnvPrefix) {
			os.Unsetenv(name)
		}
	}
	dir, err := os.MkdirTemp("", "dkp-diagnose-app-test-xdg-")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_CONFIG_HOME", dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
