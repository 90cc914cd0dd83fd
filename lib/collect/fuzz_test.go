package collect

import (
	"encoding/json"
	"os"
	"testing"

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
