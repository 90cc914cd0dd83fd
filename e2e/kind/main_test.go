package kinde2e

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/mesosphere/dkp-diagnose/e2e/clitest"
)

// The two clusters every test shares: creating one takes 20-60 s, so they
// are made once per test binary, on first use, and deleted by TestMain.
const (
	bootstrapName = "konvoy-capi-bootstrapper" // the name `dkp create bootstrap` gives
	workloadName  = "dkp-e2e-workload"
)

var (
	settings    env
	settingsErr error

	fleetOnce sync.Once
	fleet     map[string]*kindCluster
	fleetErr  error
	created   []*kindCluster
	createdMu sync.Mutex
)

func TestMain(m *testing.M) {
	settings, settingsErr = readEnv()
	// The CLI runs in-process: a developer's own dkp-diagnose settings (a
	// config file in ~/.config, DKP_DIAGNOSE_* variables) must not reach it.
	cleanup := clitest.IsolateSettings()
	code := m.Run()
	cleanup()
	if err := deleteCreated(); err != nil {
		fmt.Fprintln(os.Stderr, "kind e2e cleanup:", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// requireKind skips the test when the switch is off and fails it when the
// switch is on but a prerequisite is missing.
func requireKind(t *testing.T) env {
	t.Helper()
	switch {
	case errors.Is(settingsErr, errSwitchOff):
		t.Skip(settingsErr.Error())
	case settingsErr != nil:
		t.Fatalf("Kind end-to-end prerequisite missing: %v", settingsErr)
	}
	return settings
}

// clusters returns the bootstrap and workload Kind clusters, creating them
// (in parallel) on the first call.
func clusters(t *testing.T) (bootstrap, workload *kindCluster) {
	t.Helper()
	e := requireKind(t)
	fleetOnce.Do(func() {
		began := time.Now()
		fleet, fleetErr = createAll(e, bootstrapName, workloadName)
		t.Logf("Kind clusters %s and %s ready in %s", bootstrapName, workloadName, time.Since(began).Round(time.Second))
	})
	if fleetErr != nil {
		t.Fatalf("create Kind clusters: %v", fleetErr)
	}
	return fleet[bootstrapName], fleet[workloadName]
}

// remember records a created cluster for deletion at the end.
func remember(c *kindCluster) {
	createdMu.Lock()
	defer createdMu.Unlock()
	created = append(created, c)
}

// deleteCreated deletes every cluster the tests created.
func deleteCreated() error {
	createdMu.Lock()
	defer createdMu.Unlock()
	var errs []error
	for _, c := range created {
		if err := c.delete(); err != nil {
			errs = append(errs, err)
		}
	}
	created = nil
	return errors.Join(errs...)
}
