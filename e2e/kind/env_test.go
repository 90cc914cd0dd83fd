package kinde2e

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// The switch and what `make kind-e2e` passes with it.
const (
	switchEnv        = "DKP_E2E_KIND"
	nodeImageEnv     = "DKP_KIND_NODE_IMAGE"
	collectorTagEnv  = "DKP_KIND_NODE_COLLECTOR_IMAGE"
	collectorFileEnv = "DKP_KIND_NODE_COLLECTOR_ARCHIVE"
)

// env is what the tests were given, read once by TestMain.
type env struct {
	nodeImage        string
	collectorImage   string
	collectorArchive string
}

// readEnv returns the settings, or why the tests cannot run. Off means the
// switch is not set: skip. Any other error is a missing prerequisite.
func readEnv() (env, error) {
	if os.Getenv(switchEnv) != "1" {
		return env{}, errSwitchOff
	}
	e := env{
		nodeImage:        os.Getenv(nodeImageEnv),
		collectorImage:   os.Getenv(collectorTagEnv),
		collectorArchive: os.Getenv(collectorFileEnv),
	}
	var missing []string
	for name, v := range map[string]string{nodeImageEnv: e.nodeImage, collectorTagEnv: e.collectorImage, collectorFileEnv: e.collectorArchive} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return env{}, fmt.Errorf("%s=1 but %s not set: run `make kind-e2e`", switchEnv, strings.Join(missing, ", "))
	}
	if _, err := os.Stat(e.collectorArchive); err != nil {
		return env{}, fmt.Errorf("node-collector image archive: %w", err)
	}
	// The kind library drives the engine through the docker CLI.
	out, err := exec.Command("docker", "image", "inspect", "--format", "{{.Id}}", e.nodeImage).CombinedOutput()
	if err != nil {
		return env{}, fmt.Errorf("node image %s not in the engine at DOCKER_HOST=%q (make kind-image): %w: %s",
			e.nodeImage, os.Getenv("DOCKER_HOST"), err, strings.TrimSpace(string(out)))
	}
	return e, nil
}

var errSwitchOff = fmt.Errorf("Kind end-to-end tests are off: set %s=1 (make kind-e2e builds the images and sets it)", switchEnv)
