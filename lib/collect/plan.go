package collect

import (
	"fmt"
	"time"

	"github.com/mesosphere/dkp-diagnose/lib/collect/redact"
	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
)

// PlanOptions are the settings that shape what is collected, the same for
// every cluster of a run.
type PlanOptions struct {
	// Redact turns the built-in redaction rules on; the spec's Redactor
	// rules apply either way.
	Redact bool
	// Logs bound every logs and allLogs collector, over the spec's own
	// limits.
	Logs LogLimits
}

// LogLimits override the limits of every log collector of a spec. The zero
// value leaves the spec's limits (and the collectors' defaults) alone.
type LogLimits struct {
	// Since keeps only logs newer than this; it replaces a collector's
	// maxAge and sinceTime.
	Since time.Duration
	// SinceTime keeps only logs after this time; it wins over Since and
	// replaces a collector's maxAge and sinceTime.
	SinceTime *time.Time
	// MaxLines keeps at most this many last lines of each container log.
	MaxLines int64
	// MaxBytes keeps at most this many bytes of each container log.
	MaxBytes int64
}

// Plan is a spec made ready to run: collectors built, redaction rules
// compiled and log limits applied, once, however many clusters it then
// runs against. It is read-only and safe to share between concurrent runs.
type Plan struct {
	spec       *spec.Spec
	collectors []planned
	rules      *redact.Set
	redact     bool
}

// PlannedCollector is one collector of a plan.
type PlannedCollector struct {
	// Type is the collector's spec key (clusterResources, logs, …).
	Type string `json:"type"`
	// Name is the collectorName, if any.
	Name string `json:"name,omitempty"`
	// Title names the collector in progress and execution data: the type,
	// "/" and the collectorName when set, made unique within the spec.
	Title    string `json:"title"`
	Excluded bool   `json:"excluded,omitempty"`
}

// NewPlan checks s — every collector's settings and every redaction rule —
// and prepares it to run. It is the one place where o's log limits are
// written into the spec, so the spec in each bundle shows the limits that
// applied. s itself is not changed.
func NewPlan(s *spec.Spec, o PlanOptions) (*Plan, error) {
	if err := o.Logs.check(); err != nil {
		return nil, err
	}
	s = withLogLimits(s, o.Logs)
	collectors, err := plan(s)
	if err != nil {
		return nil, err
	}
	rules, err := redact.New(s.Redactors, o.Redact)
	if err != nil {
		return nil, fmt.Errorf("redactors: %w", err)
	}
	return &Plan{spec: s, collectors: collectors, rules: rules, redact: o.Redact}, nil
}

// Spec is the spec the plan runs, with its log limits applied. Callers must
// not change it.
func (p *Plan) Spec() *spec.Spec { return p.spec }

// Collectors lists the plan's collectors in spec order.
func (p *Plan) Collectors() []PlannedCollector {
	out := make([]PlannedCollector, len(p.collectors))
	for i, c := range p.collectors {
		out[i] = PlannedCollector{Type: c.key, Name: c.name, Title: c.title, Excluded: c.excluded}
	}
	return out
}

func (l LogLimits) check() error {
	if l.Since < 0 {
		return fmt.Errorf("log window %s must not be negative", l.Since)
	}
	if l.MaxLines < 0 {
		return fmt.Errorf("log line limit must not be negative, got %d", l.MaxLines)
	}
	if l.MaxBytes < 0 {
		return fmt.Errorf("log byte limit must not be negative, got %d", l.MaxBytes)
	}
	return nil
}

// withLogLimits returns s with l written into every logs and allLogs
// collector; the collectors and limits it changes are copies, since merged
// specs may share values.
func withLogLimits(s *spec.Spec, l LogLimits) *spec.Spec {
	if l == (LogLimits{}) {
		return s
	}
	set := func(cur *spec.LogLimits) *spec.LogLimits {
		lim := spec.LogLimits{}
		if cur != nil {
			lim = *cur
		}
		switch {
		case l.SinceTime != nil:
			lim.SinceTime, lim.MaxAge = &spec.Time{Time: *l.SinceTime}, ""
		case l.Since > 0:
			lim.MaxAge, lim.SinceTime = l.Since.String(), nil
		}
		if l.MaxLines > 0 {
			lim.MaxLines = l.MaxLines
		}
		if l.MaxBytes > 0 {
			lim.MaxBytes = l.MaxBytes
		}
		return &lim
	}
	out := *s
	out.Collectors = make([]*spec.Collect, len(s.Collectors))
	for i, c := range s.Collectors {
		switch {
		case c.Logs != nil:
			cc, v := *c, *c.Logs
			v.Limits = set(v.Limits)
			cc.Logs = &v
			c = &cc
		case c.AllLogs != nil:
			cc, v := *c, *c.AllLogs
			v.Limits = set(v.Limits)
			cc.AllLogs = &v
			c = &cc
		}
		out.Collectors[i] = c
	}
	return &out
}
