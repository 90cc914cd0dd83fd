package e2e

import (
	"os"
	"strings"
	"testing"

	"github.com/mesosphere/dkp-diagnose/cmd/dkp-diagnose/app"
)

// TestMain keeps a developer's own dkp-diagnose settings (a config file in
// ~/.config, DKP_DIAGNOSE_* variables) out of the tests: the CLI runs
// in-process here and would pick them up.
func TestMain(m *testing.M) {
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
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
