package app

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestInClusterBadInput: what --in-cluster cannot do, or cannot read, is a
// one-line error and exit 2, before anything is created.
func TestInClusterBadInput(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--upload", "s3://b/p"}, "--upload and --run-id need --in-cluster"},
		{[]string{"--in-cluster", "missing-spec.yaml"}, "read spec: open missing-spec.yaml"},
		{[]string{"--in-cluster", "--redactors", "missing-redactors.yaml"}, "read redactors: open missing-redactors.yaml"},
		{[]string{"--in-cluster", "--shards", "0"}, "--shards 0: want 1 to 1000"},
		{[]string{"--in-cluster", "--run-id", "Not_An_ID"}, "--run-id: run ID \"Not_An_ID\""},
		{[]string{"--in-cluster", "--upload", "https://bucket"}, "--upload: upload location \"https://bucket\": want s3://BUCKET/PREFIX"},
		{[]string{"--in-cluster", "--cluster", "nope"}, "nope"},
	} {
		var out, errb bytes.Buffer
		code := Run(context.Background(), append(c.args, "--output-dir", t.TempDir()), &out, &errb)
		assert.Equal(t, ExitUsage, code, "%v: %s", c.args, errb.String())
		assert.Contains(t, errb.String(), c.want, "%v", c.args)
	}
}
