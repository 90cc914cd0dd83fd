package e2e

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mesosphere/dkp-diagnose/e2e/clitest"
	"github.com/mesosphere/dkp-diagnose/e2e/framework"
)

// TestCopyArchiveRedacted: a copy collector without extractArchive keeps
// the container's files as one tar, which must stay a valid tar whose
// files are redacted one by one (never the stream's bytes masked).
func TestCopyArchiveRedacted(t *testing.T) {
	ctx := context.Background()
	c := framework.Start(t, framework.Options{Name: "archive"})
	mustCreateNamespace(t, c.Client, "apps")
	createPod(t, c.Client, "apps", "web-1", map[string]string{"app": "web"}, "app")
	waitPodsRunning(t, c.Client, "apps", "app=web", 1)
	root := t.TempDir()
	const secret = "archived-Passw0rd-5150"
	writeFile(t, root, "etc/app/config.yaml", "listen: 8080\ndb:\n  password: "+secret+"\n")
	writeFile(t, root, "etc/app/notes.txt", "nothing to hide here\n")
	require.NoError(t, c.SetPodRoot(ctx, "apps", "web-1", root))

	spec := writeFile(t, t.TempDir(), "spec.yaml", `apiVersion: troubleshoot.sh/v1beta2
kind: SupportBundle
spec:
  collectors:
    - clusterInfo: {exclude: true}
    - clusterResources: {exclude: true}
    - copy:
        name: copy-web
        namespace: apps
        selector: [app=web]
        containerPath: /etc/app
`)
	res := clitest.Run(t, "--kubeconfig", c.KubeconfigPath, "--output-dir", t.TempDir(), spec)
	require.Equal(t, 0, res.Code, res.Stderr)
	files := clitest.OpenBundle(t, res.BundlePaths()[0])
	var archive []byte
	for name, data := range files {
		if strings.HasSuffix(name, "/archive.tar") {
			archive = data
		}
		assert.NotContains(t, string(data), secret, "secret in %s", name)
	}
	require.NotNil(t, archive, "archive.tar in the bundle")
	entries := map[string]string{}
	tr := tar.NewReader(bytes.NewReader(archive))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err, "archive.tar must stay a valid tar")
		b, err := io.ReadAll(tr)
		require.NoError(t, err)
		entries[h.Name] = string(b)
	}
	var config, notes string
	for name, content := range entries {
		switch {
		case strings.HasSuffix(name, "config.yaml"):
			config = content
		case strings.HasSuffix(name, "notes.txt"):
			notes = content
		}
	}
	assert.Contains(t, config, "listen: 8080")
	assert.Contains(t, config, "***HIDDEN***")
	assert.NotContains(t, config, secret)
	assert.Equal(t, "nothing to hide here\n", notes)
	assert.Contains(t, string(files["execution-data/redaction-report.json"]), "archive.tar/")
}
