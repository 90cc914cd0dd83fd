package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mesosphere/dkp-diagnose/cmd/dkp-diagnose/app"
	"github.com/mesosphere/dkp-diagnose/e2e/clitest"
	"github.com/mesosphere/dkp-diagnose/lib/fleet"
)

// TestLibraryExampleMatchesCLI: examples/fleet runs the fleet through the
// libraries alone; against the same management cluster and its workload
// cluster it writes the same summary.json as "dkp-diagnose --all-clusters"
// (times, sizes and paths aside) and bundles holding the same files.
func TestLibraryExampleMatchesCLI(t *testing.T) {
	cs := startClusters(t, "mgmt", "w1")
	mgmt := cs["mgmt"]
	installCAPI(t, mgmt, "clusters-v1beta2.yaml")
	addCAPICluster(t, mgmt, "v1beta2", "fleet", "w1", cs["w1"])
	addCAPICluster(t, mgmt, "v1beta2", "fleet", "provisioning", nil)

	bin := filepath.Join(t.TempDir(), "fleet-example")
	build := exec.Command("go", "build", "-o", bin, "github.com/mesosphere/dkp-diagnose/examples/fleet")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build examples/fleet: %v\n%s", err, out)
	}

	cliOut := t.TempDir()
	res := clitest.Run(t, "--kubeconfig", mgmt.KubeconfigPath, "--all-clusters", "--output-dir", cliOut)
	require.Equal(t, app.ExitOK, res.Code, res.Stderr)

	exOut := t.TempDir()
	ex := exec.Command(bin, "-kubeconfig", mgmt.KubeconfigPath, "-out", exOut)
	ex.Env = append(os.Environ(), "KUBECONFIG=")
	out, err := ex.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "workload/fleet/w1\tok\t", "the example's observer saw the target")

	cliSum, exSum := readJSON(t, filepath.Join(cliOut, fleet.SummaryFile)), readJSON(t, filepath.Join(exOut, fleet.SummaryFile))
	assert.Equal(t, shape(cliSum), shape(exSum), "same summary.json, times, sizes and paths aside")
	assert.Len(t, cliSum["targets"], 3, "current, workload, provisioning")

	// Same bundles: the same files in each target's bundle.
	cli, lib := clitest.ReadSummary(t, cliOut), clitest.ReadSummary(t, exOut)
	require.Len(t, lib.Targets, len(cli.Targets))
	for i := range cli.Targets {
		if cli.Targets[i].Bundle == "" {
			continue
		}
		assert.Equal(t, bundleNames(t, cli.Targets[i].Bundle), bundleNames(t, lib.Targets[i].Bundle), cli.Targets[i].Name)
	}
}

func readJSON(t *testing.T, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var v map[string]any
	require.NoError(t, json.Unmarshal(data, &v))
	return v
}

// varying are summary fields whose values differ between two runs of the
// same fleet: when, how long, how big, where.
var varying = map[string]bool{"started": true, "durationMs": true, "bytes": true, "bundle": true, "outputDir": true, "redactions": true}

// shape is v without the varying fields (a count of 0 is left out of the
// JSON, so blanking the value would not do).
func shape(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if varying[k] {
				continue
			}
			out[k] = shape(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = shape(e)
		}
		return out
	}
	return v
}

// bundleNames lists a bundle's files, sorted, but for the DaemonSet list:
// the run's own node-diagnostics DaemonSet is in it or not depending on
// whether clusterResources listed before or after it was created.
func bundleNames(t *testing.T, path string) []string {
	t.Helper()
	files := clitest.OpenBundle(t, path)
	names := make([]string, 0, len(files))
	for n := range files {
		if !strings.HasPrefix(n, "cluster-resources/daemonsets/") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}
