package app

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
	"github.com/mesosphere/dkp-diagnose/lib/incluster"
)

// TestInClusterSpecFiles: the spec and redactor files go to the pods in
// one Secret, keyed by kind, place and their own base name, and the
// worker's arguments name them as mounted, in the order given.
func TestInClusterSpecFiles(t *testing.T) {
	o := &options{}
	specs := []spec.File{{Name: "/home/me/site spec.yaml", Data: []byte("a")}, {Name: "/dev/fd/63", Data: []byte("b")}}
	redactors := []spec.File{{Name: "rules/hosts.yaml", Data: []byte("c")}, {Name: "more.yml", Data: []byte("d")}}
	require.NoError(t, o.setInClusterFiles(specs, redactors))

	p := incluster.SpecPath + "/"
	assert.Equal(t, []string{"--redactors", p + "redactors-0-hosts.yaml", "--redactors", p + "redactors-1-more.yml",
		p + "spec-0-site-spec.yaml", p + "spec-1-63"}, o.inClusterSpecArgs())
	args := o.workerArgs("mgmt")
	assert.Equal(t, []string{p + "spec-0-site-spec.yaml", p + "spec-1-63"}, args[len(args)-2:], "spec files last, as arguments")

	run := &incluster.RunSpec{RunID: "r1", Lifetime: time.Hour}
	sec := o.inClusterSpecSecret(run)
	require.NotNil(t, sec)
	assert.Equal(t, run.Name(), sec.Namespace)
	assert.Equal(t, map[string][]byte{"spec-0-site-spec.yaml": []byte("a"), "spec-1-63": []byte("b"),
		"redactors-0-hosts.yaml": []byte("c"), "redactors-1-more.yml": []byte("d")}, sec.Data)

	none := &options{}
	require.NoError(t, none.setInClusterFiles(nil, nil))
	assert.Nil(t, none.inClusterSpecSecret(run), "the built-in spec needs no Secret")
	assert.Empty(t, none.inClusterSpecArgs())
}

// TestSpecKeyIsASecretKey: any file name gives a valid Secret key.
func TestSpecKeyIsASecretKey(t *testing.T) {
	for name, want := range map[string]string{
		"a.yaml":                           "spec-0-a.yaml",
		"/x/ü ber:spec.yaml":               "spec-0--ber-spec.yaml",
		"..":                               "spec-0-..",
		"/":                                "spec-0--",
		strings.Repeat("n", 300) + ".yaml": "spec-0-" + strings.Repeat("n", 95) + ".yaml",
	} {
		got := specKey("spec", 0, name)
		assert.Equal(t, want, got, name)
		assert.Regexp(t, `^[-._a-zA-Z0-9]{1,253}$`, got)
	}
}

// TestInClusterSpecTooBig: files a Secret cannot hold are a one-line error
// naming them, exit 2, before any cluster is contacted.
func TestInClusterSpecTooBig(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	// Valid, so that only the size is wrong: a long comment.
	data := "# " + strings.Repeat("x", 1<<20) + "\napiVersion: troubleshoot.sh/v1beta2\nkind: Redactor\nspec:\n  redactors:\n    - removals:\n        values: [secret]\n"
	require.NoError(t, os.WriteFile(big, []byte(data), 0o644))
	var out, errb bytes.Buffer
	code := Run(context.Background(), []string{"--in-cluster", "--kubeconfig", filepath.Join(dir, "no-such-kubeconfig"),
		"--redactors", big, "--output-dir", dir}, &out, &errb)
	assert.Equal(t, ExitUsage, code, errb.String())
	assert.Contains(t, errb.String(), "--in-cluster: spec and redactor files "+big+" are "+strconv.Itoa(len(data))+" bytes together, more than the 1048576 a Secret holds")
	assert.Equal(t, 1, strings.Count(strings.TrimSpace(errb.String()), "\n")+1, "one line: %s", errb.String())
}
