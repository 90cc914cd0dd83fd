package harness

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mesosphere/dkp-diagnose/e2e/framework"
)

// checkKubectl uses the kubeconfig as a support engineer would, when kubectl
// is installed: `kubectl cp` is the strictest user of the tar shim. It reads
// the fixtures the Logs and ExecTar subtests set on the first web pod.
func checkKubectl(t *testing.T, c *framework.Cluster, ns string) {
	if _, err := exec.LookPath("kubectl"); err != nil {
		t.Skip("kubectl not installed")
	}
	kubectl := func(args ...string) string {
		t.Helper()
		args = append([]string{"--kubeconfig", c.KubeconfigPath, "-n", ns}, args...)
		out, err := exec.CommandContext(t.Context(), "kubectl", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	if out := kubectl("get", "nodes", "-o", "name"); strings.Count(out, "node/") != len(c.NodeNames()) {
		t.Errorf("kubectl get nodes:\n%s", out)
	}
	pod := waitRunningPods(t, c, ns, "app=web", 3)[0].Name
	if out := kubectl("logs", pod, "-c", "web", "--tail=1"); out != "second line\n" {
		t.Errorf("kubectl logs --tail=1 = %q", out)
	}
	dest := filepath.Join(t.TempDir(), "app")
	kubectl("cp", "-c", "web", pod+":/var/log/app", dest)
	got, err := os.ReadFile(filepath.Join(dest, "app.log"))
	want, _ := os.ReadFile(filepath.Join("testdata", "podroot", "var", "log", "app", "app.log"))
	if err != nil || string(got) != string(want) {
		t.Errorf("kubectl cp: app.log = %q, %v; want %q", got, err, want)
	}
}
