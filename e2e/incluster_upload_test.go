package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/mesosphere/dkp-diagnose/cmd/dkp-diagnose/app"
	"github.com/mesosphere/dkp-diagnose/e2e/clitest"
	"github.com/mesosphere/dkp-diagnose/e2e/framework"
	"github.com/mesosphere/dkp-diagnose/lib/collect"
	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
	"github.com/mesosphere/dkp-diagnose/lib/fleet"
	"github.com/mesosphere/dkp-diagnose/lib/incluster"
	"github.com/mesosphere/dkp-diagnose/lib/targets"
)

// s3BinEnv names the e2e tests' S3-compatible server, built by
// hack/s3-bin.sh (`make e2e` sets it).
const s3BinEnv = "DKP_TEST_S3_BIN"

// startS3 starts the S3 server on a free port and returns its endpoint
// URL. Without the binary the test skips, except under CI=true, where it
// fails (as framework.BinDir).
func startS3(t *testing.T) string {
	t.Helper()
	bin := os.Getenv(s3BinEnv)
	if bin == "" {
		msg := fmt.Sprintf("%s is not set; run `make e2e`, or `export %s=$(hack/s3-bin.sh)` first", s3BinEnv, s3BinEnv)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err, "the S3 server says its address")
	return "http://" + strings.TrimSpace(addr)
}

// TestInClusterUpload (issue #18): a shard's worker with an upload puts
// every bundle into a real S3-compatible server under the run's prefix,
// removes its local copy and names the object in the summary; the objects
// are the bundles, from the right clusters.
func TestInClusterUpload(t *testing.T) {
	endpoint := startS3(t)
	cs := startClusters(t, "mgmt", "w1")
	mgmt := cs["mgmt"]
	installCAPI(t, mgmt, "clusters-v1beta2.yaml")
	addCAPICluster(t, mgmt, "v1beta2", "fleet", "w1", cs["w1"])
	ctx := context.Background()

	env := map[string]string{
		"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test-secret", "AWS_REGION": "us-east-1",
	}
	settings := incluster.S3SettingsFromEnv(func(k string) string { return env[k] })
	// The bucket is the operator's: made here, as they would beforehand.
	admin, err := minio.New(strings.TrimPrefix(endpoint, "http://"), &minio.Options{Creds: credentials.NewStaticV4("test", "test-secret", ""), Region: "us-east-1"})
	require.NoError(t, err)
	require.NoError(t, admin.MakeBucket(ctx, "support", minio.MakeBucketOptions{Region: "us-east-1"}))

	loc, err := incluster.ParseS3URL("s3://support/case-1234/run-a")
	require.NoError(t, err)
	up, err := incluster.NewUploader(loc, settings)
	require.NoError(t, err)
	s, err := spec.Parse("sim.yaml", []byte(simSpec))
	require.NoError(t, err)
	work, err := collect.NewPlan(s, collect.PlanOptions{Redact: true})
	require.NoError(t, err)
	out := t.TempDir()
	res, err := incluster.RunWorker(ctx, incluster.WorkerOptions{
		Shard: incluster.Shard{Index: 0, Count: 1}, Management: mgmt.RESTConfig(), ManagementName: "mgmt",
		Request: targets.Request{AllClusters: true}, Work: work,
		Fleet: fleet.Options{OutputDir: out, BundleSteps: []fleet.BundleStep{up.BundleStep()}},
	})
	require.NoError(t, err)
	require.Len(t, res.Summary.Targets, 2)
	for _, n := range res.Summary.Notes {
		assert.NotContains(t, n, "upload", "no upload failed")
	}

	objects := map[string]int64{}
	for o := range admin.ListObjects(ctx, "support", minio.ListObjectsOptions{Recursive: true}) {
		require.NoError(t, o.Err)
		objects[o.Key] = o.Size
	}
	require.Len(t, objects, 2, "one object per bundle: %v", objects)
	want := map[string]string{"current/mgmt": "mgmt", "workload/fleet/w1": "w1"}
	for _, row := range res.Summary.Targets {
		require.Equal(t, fleet.StatusOK, row.Status, row.Error)
		name := row.Prefix + "support-bundle-"
		require.True(t, strings.HasPrefix(row.Bundle, "s3://support/case-1234/run-a/"+name), row.Bundle)
		key := strings.TrimPrefix(row.Bundle, "s3://support/")
		require.Contains(t, objects, key)
		assert.Equal(t, row.Bytes, objects[key], "the whole bundle was uploaded")
		assert.NoFileExists(t, filepath.Join(out, filepath.Base(row.Bundle)), "the local copy is removed")

		obj, err := admin.GetObject(ctx, "support", key, minio.GetObjectOptions{})
		require.NoError(t, err)
		local := filepath.Join(t.TempDir(), filepath.Base(key))
		f, err := os.Create(local)
		require.NoError(t, err)
		_, err = io.Copy(f, obj)
		require.NoError(t, err)
		require.NoError(t, f.Close())
		assertFromCluster(t, local, want[string(row.Role)+"/"+row.Label()], []string{"mgmt", "w1"})
		info, err := admin.StatObject(ctx, "support", key, minio.StatObjectOptions{})
		require.NoError(t, err)
		assert.Equal(t, "application/gzip", info.ContentType)
	}
}

// TestInClusterCLIUpload (issue #18): `--in-cluster --upload` hands the
// CLI's S3 settings to the pods (a Secret of the run's namespace, as
// environment), the pods upload, and the CLI writes only the summary, whose
// bundle is the object's s3:// URL; the run leaves nothing, Secret included.
func TestInClusterCLIUpload(t *testing.T) {
	endpoint := startS3(t)
	mgmt := framework.Start(t, framework.Options{Name: "mgmt", Workers: 1, JobPodsRun: true})
	installCAPI(t, mgmt, "clusters-v1beta2.yaml")
	ctx := context.Background()
	admin, err := minio.New(strings.TrimPrefix(endpoint, "http://"), &minio.Options{Creds: credentials.NewStaticV4("test", "test-secret", ""), Region: "us-east-1"})
	require.NoError(t, err)
	require.NoError(t, admin.MakeBucket(ctx, "support", minio.MakeBucketOptions{Region: "us-east-1"}))
	for k, v := range map[string]string{"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test-secret", "AWS_REGION": "us-east-1"} {
		t.Setenv(k, v)
	}

	out := t.TempDir()
	done := make(chan clitest.Result, 1)
	go func() {
		var o, e bytes.Buffer
		code := app.Run(ctx, []string{"--kubeconfig", mgmt.KubeconfigPath, "--in-cluster", "--shards", "1", "--upload", "s3://support/case-7",
			"--in-cluster-image", "dkp-diagnose.local/dkp-diagnose:test", "--in-cluster-poll", "200ms", "--output-dir", out}, &o, &e)
		done <- clitest.Result{Code: code, Stdout: o.String(), Stderr: e.String()}
	}()
	job := waitForJob(t, mgmt, 1)
	c := job.Spec.Template.Spec.Containers[0]
	require.Len(t, c.EnvFrom, 1, "the upload settings come from a Secret")
	sec, err := mgmt.Client.CoreV1().Secrets(job.Namespace).Get(ctx, c.EnvFrom[0].SecretRef.Name, metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, "test", string(sec.Data["AWS_ACCESS_KEY_ID"]))
	assert.Equal(t, endpoint, string(sec.Data["AWS_ENDPOINT_URL"]))

	// The pod, played with its own command line; its environment is the
	// test's, which holds the same settings as the Secret.
	pods, err := mgmt.Client.CoreV1().Pods(job.Namespace).List(ctx, metav1.ListOptions{LabelSelector: collect.LabelRun + "=" + job.Labels[collect.LabelRun]})
	require.NoError(t, err)
	require.Len(t, pods.Items, 1)
	root := t.TempDir()
	args := append([]string(nil), c.Args...)
	for j := range args {
		switch {
		case j > 0 && args[j-1] == "--in-cluster-hold":
			args[j] = "0s"
		case j > 0 && args[j-1] == "--output-dir":
			args[j] = filepath.Join(root, "output")
		}
	}
	t.Setenv("JOB_COMPLETION_INDEX", "0")
	w := clitest.Run(t, append(args, "--kubeconfig", mgmt.KubeconfigPath)...)
	require.Equal(t, app.ExitOK, w.Code)
	require.NoError(t, mgmt.SetPodRoot(ctx, pods.Items[0].Namespace, pods.Items[0].Name, root))

	var res clitest.Result
	select {
	case res = <-done:
	case <-time.After(5 * time.Minute):
		t.Fatal("the CLI did not finish")
	}
	t.Logf("exit %d\n%s", res.Code, res.Stderr)
	require.Equal(t, app.ExitOK, res.Code)
	sum := clitest.ReadSummary(t, out)
	require.Len(t, sum.Targets, 1)
	row := sum.Targets[0]
	// One target: no prefix, as a local run names a single cluster's bundle.
	require.True(t, strings.HasPrefix(row.Bundle, "s3://support/case-7/support-bundle-"), row.Bundle)
	info, err := admin.StatObject(ctx, "support", strings.TrimPrefix(row.Bundle, "s3://support/"), minio.StatObjectOptions{})
	require.NoError(t, err)
	assert.Equal(t, row.Bytes, info.Size)
	entries, err := os.ReadDir(out)
	require.NoError(t, err)
	for _, e := range entries {
		assert.False(t, strings.HasSuffix(e.Name(), ".tar.gz"), "no bundle comes back: %s", e.Name())
	}
	assert.Equal(t, strings.TrimSpace(res.Stdout), row.Bundle, "stdout names the object")
	assert.Empty(t, inClusterLeftovers(t, mgmt))
}
