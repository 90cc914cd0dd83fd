package e2e

import (
	"bytes"
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/mesosphere/dkp-diagnose/cmd/dkp-diagnose/app"
	"github.com/mesosphere/dkp-diagnose/e2e/clitest"
	"github.com/mesosphere/dkp-diagnose/e2e/framework"
	"github.com/mesosphere/dkp-diagnose/lib/collect"
	"github.com/mesosphere/dkp-diagnose/lib/incluster"
)

// cliResult is how an in-process CLI run ended.
type cliResult struct {
	code           int
	stdout, stderr string
}

// startCLI runs the CLI in the background (it waits for the Job's pods,
// which the test plays meanwhile); wait returns how it ended. A failed
// test logs its stderr.
func startCLI(t *testing.T, args ...string) (wait func() cliResult) {
	t.Helper()
	done := make(chan cliResult, 1)
	go func() {
		var o, e bytes.Buffer
		code := app.Run(context.Background(), args, &o, &e)
		done <- cliResult{code, o.String(), e.String()}
	}()
	var res *cliResult
	t.Cleanup(func() {
		if res != nil || !t.Failed() {
			return
		}
		select {
		case r := <-done:
			t.Logf("in-cluster CLI: exit %d\nstderr:\n%s", r.code, r.stderr)
		case <-time.After(time.Minute):
		}
	})
	return func() cliResult {
		t.Helper()
		select {
		case r := <-done:
			res = &r
			return r
		case <-time.After(5 * time.Minute):
			t.Fatal("the CLI did not finish")
			return cliResult{}
		}
	}
}

// playJobPods does the work of the in-cluster run's pods, which kwok does
// not run: for each pod of job it runs the pod's own command line (its
// container's arguments, JOB_COMPLETION_INDEX set, the test's admin
// kubeconfig standing for the service account) with a folder of its own
// as the pod's root, which the CLI then reads with `tar cf -` over exec.
// specRoot, when not empty, stands for the mounted spec Secret
// (incluster.SpecPath). It returns each worker's stderr by shard index.
func playJobPods(t *testing.T, mgmt *framework.Cluster, job *batchv1.Job, specRoot string) map[int]string {
	t.Helper()
	ctx := context.Background()
	c := job.Spec.Template.Spec.Containers[0]
	pods, err := mgmt.Client.CoreV1().Pods(job.Namespace).List(ctx, metav1.ListOptions{LabelSelector: collect.LabelRun + "=" + job.Labels[collect.LabelRun]})
	require.NoError(t, err)
	logs := map[int]string{}
	for _, p := range pods.Items {
		i := incluster.IndexOf(&p)
		root := t.TempDir()
		args := append([]string(nil), c.Args...)
		for j := range args {
			switch {
			case j > 0 && args[j-1] == "--in-cluster-hold":
				args[j] = "0s" // kwok's pod lives on; the test's process may not
			case j > 0 && args[j-1] == "--output-dir":
				args[j] = filepath.Join(root, strings.TrimPrefix(args[j], "/"))
			case specRoot != "" && strings.HasPrefix(args[j], incluster.SpecPath+"/"):
				args[j] = filepath.Join(specRoot, strings.TrimPrefix(args[j], incluster.SpecPath+"/"))
			}
		}
		args = append(args, "--kubeconfig", mgmt.KubeconfigPath)
		t.Setenv("JOB_COMPLETION_INDEX", strconv.Itoa(i))
		w := clitest.Run(t, args...)
		require.Contains(t, []int{app.ExitOK, app.ExitPartial}, w.Code, "worker %d: %s", i, w.Stderr)
		require.NoError(t, mgmt.SetPodRoot(ctx, p.Namespace, p.Name, root))
		logs[i] = w.Stderr
	}
	return logs
}
