package collect

import (
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/mesosphere/dkp-diagnose/lib/collect/redact"
	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
)

func TestBundleSpecHidesRedactorLiterals(t *testing.T) {
	s := &spec.Spec{Redactors: []*spec.Redact{{
		Name:         "site",
		FileSelector: spec.FileSelector{Files: []string{"allPodLogs/*"}},
		Removals: spec.Removals{
			Values: []string{"hunter2-literal"},
			Regex: []spec.Regex{
				{Redactor: `apikey=(?P<mask>\w+)`},
				{Redactor: `s3cr3t-one|s3cr3t-two`},
				{Redactor: `(?i)TopSecretWord`},
				{Selector: `"name": "SITE_KEY"`, Redactor: `"value": "(?P<mask>[^"]*)"`},
			},
			YamlPath: []string{"data.password"},
		},
	}, nil}}
	data, err := yaml.Marshal(bundleSpec(s))
	if err != nil {
		t.Fatal(err)
	}
	out := string(data)
	for _, secret := range []string{"hunter2-literal", "s3cr3t-one", "s3cr3t-two", "TopSecretWord"} {
		if strings.Contains(out, secret) {
			t.Errorf("%s in the bundle's spec:\n%s", secret, out)
		}
	}
	for _, keep := range []string{"site", `apikey=(?P<mask>\w+)`, "data.password", "allPodLogs/*", redact.Mask} {
		if !strings.Contains(out, keep) {
			t.Errorf("%s lost from the bundle's spec:\n%s", keep, out)
		}
	}
	if s.Redactors[0].Removals.Values[0] != "hunter2-literal" || s.Redactors[0].Removals.Regex[1].Redactor != `s3cr3t-one|s3cr3t-two` {
		t.Errorf("the run's own spec was changed")
	}
}
