package collect_test

import (
	"testing"

	"github.com/mesosphere/dkp-diagnose/config"
	"github.com/mesosphere/dkp-diagnose/lib/collect"
	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
)

// BenchmarkNewPlan is what preparing the built-in spec costs — collectors
// built, built-in and custom redaction rules compiled, log limits applied:
// paid once per run now, once per target before lib/fleet shared the plan.
func BenchmarkNewPlan(b *testing.B) {
	s, err := spec.Parse(config.DefaultSpecName, config.DefaultSpec)
	if err != nil {
		b.Fatal(err)
	}
	s = s.WithDefaults()
	opts := collect.PlanOptions{Redact: true, Logs: collect.LogLimits{MaxLines: 1000}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := collect.NewPlan(s, opts); err != nil {
			b.Fatal(err)
		}
	}
}
