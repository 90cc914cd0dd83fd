// Package harness checks the e2e framework itself: that the clusters it
// starts behave like real ones in every way the collectors rely on.
package harness

import (
	"testing"

	"github.com/mesosphere/dkp-diagnose/e2e/framework"
)

// TestTwoClusters runs two clusters side by side, as a management and a
// workload cluster would be, and checks each one on its own.
func TestTwoClusters(t *testing.T) {
	clusters := []*framework.Cluster{
		framework.Start(t, framework.Options{Name: "management"}),
		framework.Start(t, framework.Options{Name: "workload", Workers: 1}),
	}
	t.Run("clusters", func(t *testing.T) {
		for _, c := range clusters {
			t.Run(c.Name, func(t *testing.T) {
				t.Parallel()
				checkCluster(t, c)
			})
		}
	})
	for _, c := range clusters {
		pids := c.PIDs()
		c.Stop()
		c.Stop() // idempotent
		for _, pid := range pids {
			if pidAlive(pid) {
				t.Errorf("cluster %s: process %d still alive after Stop", c.Name, pid)
			}
		}
	}
}

func checkCluster(t *testing.T, c *framework.Cluster) {
	ns := createNamespace(t, c, "e2e")
	t.Run("DaemonSetOnEveryNode", func(t *testing.T) { checkDaemonSet(t, c, ns) })
	t.Run("DeploymentRunning", func(t *testing.T) { checkDeployment(t, c, ns) })
	t.Run("Logs", func(t *testing.T) { checkLogs(t, c, ns) })
	t.Run("ExecTar", func(t *testing.T) { checkExecTar(t, c, ns) })
	t.Run("CustomResources", func(t *testing.T) { checkCustomResources(t, c, ns) })
	t.Run("Secret", func(t *testing.T) { checkSecret(t, c, ns) })
	t.Run("Kubeconfig", func(t *testing.T) { checkKubeconfig(t, c) })
	t.Run("RBACDenial", func(t *testing.T) { checkRBACDenial(t, c, ns) })
	t.Run("Kubectl", func(t *testing.T) { checkKubectl(t, c, ns) })
}

// TestStopAPIServer checks that a cluster can be made unreachable mid-test.
func TestStopAPIServer(t *testing.T) {
	c := framework.Start(t, framework.Options{Name: "unreachable", Workers: -1})
	if _, err := c.Client.CoreV1().Namespaces().Get(t.Context(), "default", getOpts); err != nil {
		t.Fatalf("before StopAPIServer: %v", err)
	}
	c.StopAPIServer()
	if _, err := c.Client.CoreV1().Namespaces().Get(t.Context(), "default", getOpts); err == nil {
		t.Fatal("request succeeded after StopAPIServer")
	} else {
		t.Logf("after StopAPIServer, as expected: %v", err)
	}
	pids := c.PIDs()
	c.Stop()
	for _, pid := range pids {
		if pidAlive(pid) {
			t.Errorf("process %d still alive after Stop", pid)
		}
	}
}
