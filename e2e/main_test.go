package e2e

import (
	"os"
	"testing"

	"github.com/mesosphere/dkp-diagnose/e2e/clitest"
)

// TestMain keeps a developer's own dkp-diagnose settings out of the tests:
// the CLI runs in-process here and would pick them up.
func TestMain(m *testing.M) {
	cleanup := clitest.IsolateSettings()
	code := m.Run()
	cleanup()
	os.Exit(code)
}
