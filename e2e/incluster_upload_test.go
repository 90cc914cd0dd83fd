package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
