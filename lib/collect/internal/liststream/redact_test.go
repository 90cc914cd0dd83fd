package liststream

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/mesosphere/dkp-diagnose/lib/collect/redact"
)

type bufCloser struct{ bytes.Buffer }

func (b *bufCloser) Close() error { return nil }

// TestListWriterRedactsItemsByStructure: list files hand each item to the
// redactor's structure pass, with the kind the list names.
func TestListWriterRedactsItemsByStructure(t *testing.T) {
	set, err := redact.New(nil, true)
	if err != nil {
		t.Fatal(err)
	}
	var out bufCloser
	lw, err := NewWriter(set.Writer("cluster-resources/custom-resources/federatedsecrets.types.kubefed.io/a.json", &out),
		Head{Kind: "FederatedSecretList", APIVersion: "types.kubefed.io/v1beta1"})
	if err != nil {
		t.Fatal(err)
	}
	secret := base64.StdEncoding.EncodeToString([]byte("fedSecretValue1"))
	if err := lw.Add([]byte(`{"metadata":{"name":"db"},"spec":{"template":{"data":{"blob":"` + secret + `"}}}}`)); err != nil {
		t.Fatal(err)
	}
	if err := lw.Close(); err != nil {
		t.Fatal(err)
	}
	if s := out.String(); strings.Contains(s, secret) || !strings.Contains(s, `"blob": "`+redact.Mask+`"`) {
		t.Errorf("list file:\n%s", s)
	}
	if set.Report().Total != 1 {
		t.Errorf("report: %+v", set.Report())
	}
}
