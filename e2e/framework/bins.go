package framework

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// BinDirEnv names the variable holding the folder hack/test-bins.sh built.
const BinDirEnv = "DKP_TEST_K8S_BIN"

// binaries every cluster runs; all must be in the bin folder.
var binaries = []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"}

// data files hack/test-bins.sh puts next to the binaries.
const (
	stagesFile   = "kwok-stages.yaml"
	logsCRDFile  = "kwok.x-k8s.io_logs.yaml"
	execsCRDFile = "kwok.x-k8s.io_execs.yaml"
)

// BinDir returns the folder with the control-plane binaries, from
// DKP_TEST_K8S_BIN. Without it a developer's plain `go test ./...` skips the
// e2e tests, but with CI=true the test fails: a CI run that silently skipped
// every end-to-end test would look green while testing nothing.
func BinDir(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv(BinDirEnv)
	if dir == "" {
		msg := fmt.Sprintf("%s is not set; run `make e2e`, or `export %s=$(hack/test-bins.sh)` first", BinDirEnv, BinDirEnv)
		if os.Getenv("CI") == "true" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	for _, f := range append(append([]string{}, binaries...), stagesFile, logsCRDFile, execsCRDFile) {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			tb.Fatalf("%s=%s is incomplete (rebuild with hack/test-bins.sh): %v", BinDirEnv, dir, err)
		}
	}
	return dir
}
