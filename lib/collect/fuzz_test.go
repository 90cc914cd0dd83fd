package collect

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"testing"
	"testing/iotest"

	"github.com/mesosphere/dkp-diagnose/config"
	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
)

// FuzzSpecLoader feeds arbitrary files to the spec loader and then to
// Validate, as the CLI does with a user's spec and Redactor files: whatever
// the input, an error or a spec, never a panic, and a spec that loads has
// one collector per entry, names that stay inside the bundle, and
// redaction rules that compile or an error saying why.
func FuzzSpecLoader(f *testing.F) {
	f.Add(config.DefaultSpec)
	if site, err := os.ReadFile("../../config/example-site-redactors.yaml"); err == nil {
		f.Add(site)
	}
	f.Add([]byte(`apiVersion: troubleshoot.sh/v1beta2
kind: SupportBundle
spec:
  collectors:
    - logs: {collectorName: app, selector: [app=x], limits: {maxAge: 48h, maxLines: 10}}
    - data: {name: a/b.txt, data: x}
    - secret: {name: s, namespace: default, key: k, includeValue: true}
    - exec: {name: e, selector: [a=b], command: [ls], timeout: 5s}
---
apiVersion: troubleshoot.sh/v1beta2
kind: Redactor
spec:
  redactors:
    - name: r
      fileSelector: {files: ["allPodLogs/*/*"]}
      removals:
        values: [secret]
        regex: [{redactor: 'key=(?P<mask>\w+)'}]
        yamlPath: [a.b.*]
`))
	f.Add([]byte("apiVersion: troubleshoot.sh/v1beta2\nkind: Redactor\nspec:\n  redactors:\n    - removals:\n        regex: [{selector: 'x', redactor: '(?P<mask>y)'}]\n"))
	f.Add([]byte("apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\nspec:\n  collectors:\n    - allLogs: {name: ../x, exclude: 'true'}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := spec.Parse("fuzz.yaml", data)
		if err != nil {
			return
		}
		for _, c := range s.Collectors {
			if _, _, err := c.Collector(); err != nil {
				t.Fatalf("a loaded spec holds a bad entry: %v", err)
			}
			if s.Origin(c) == "" {
				t.Fatalf("collector %s has no origin", c.Identity())
			}
		}
		_ = Validate(s.WithDefaults())
		if _, err := json.Marshal(s); err != nil {
			t.Fatalf("a loaded spec does not marshal: %v", err)
		}
	})
}

// FuzzListStream splits arbitrary responses as LIST responses, read whole
// and one byte at a time: never a panic, the same items, head and outcome
// either way, errors that say what failed, and valid items from valid JSON.
// testdata/fuzz/FuzzListStream keeps what earlier runs found.
func FuzzListStream(f *testing.F) {
	f.Add(podPage())
	f.Add([]byte(`{"items":[{"a":1},{}],"metadata":{"continue":"x"},"kind":"L","apiVersion":"v9"}`))
	f.Add([]byte(`{"kind":"L","apiVersion":"v1","metadata":{},"items":null}`))
	f.Add([]byte(`{"kind":"L","apiVersion":"v1","metadata":{"resourceVersion":"5"},"extra":"x\"}]","items":[true,"s",-1e3]}`))
	f.Add([]byte(`{"kind":"L","apiVersion":"v1","metadata":{},"items":[1,]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		h1, items1, err1 := collectItems(bytes.NewReader(data))
		h2, items2, err2 := collectItems(iotest.OneByteReader(bytes.NewReader(data)))
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("whole read: %v; byte by byte: %v", err1, err2)
		}
		if err1 != nil {
			if !errors.Is(err1, errBadList) && !errors.Is(err1, errReadList) {
				t.Fatalf("an error that says neither bad list nor failed read: %v", err1)
			}
			return
		}
		if h1 != h2 || !reflect.DeepEqual(items1, items2) {
			t.Fatalf("whole read: %+v %q; byte by byte: %+v %q", h1, items1, h2, items2)
		}
		// The scan checks structure only (see split), so invalid JSON may
		// pass; from valid JSON it must hand on valid items.
		if json.Valid(data) {
			for _, it := range items1 {
				if !json.Valid([]byte(it)) {
					t.Fatalf("item %q of valid JSON %q is not valid", it, data)
				}
			}
		}
	})
}
