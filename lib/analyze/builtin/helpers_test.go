package builtin

import (
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mesosphere/dkp-diagnose/lib/analyze"
)

// now is the collection time of the test bundles.
var now = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)

// list is a list file as the collector writes it: kind and apiVersion
// first, items without their own kind.
func list(kind, apiVersion string, items ...string) *fstest.MapFile {
	return &fstest.MapFile{Data: []byte(`{"kind":"` + kind + `","apiVersion":"` + apiVersion + `","metadata":{},"items":[` + strings.Join(items, ",") + `]}`)}
}

// byAnalyzer returns the findings of one analyzer.
func byAnalyzer(fs []analyze.Finding, id string) []analyze.Finding {
	var out []analyze.Finding
	for _, f := range fs {
		if f.Analyzer == id {
			out = append(out, f)
		}
	}
	return out
}

// one returns the single finding of analyzer id about obj.
func one(t *testing.T, fs []analyze.Finding, id, obj string) analyze.Finding {
	t.Helper()
	var out []analyze.Finding
	for _, f := range byAnalyzer(fs, id) {
		if f.Object == obj {
			out = append(out, f)
		}
	}
	require.Len(t, out, 1, "%s findings about %s in %+v", id, obj, fs)
	return out[0]
}
