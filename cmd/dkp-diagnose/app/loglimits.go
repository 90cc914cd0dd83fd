package app

import (
	"fmt"

	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
)

// applyLogLimits writes --max-log-lines and --max-log-bytes into every logs
// and allLogs collector of s, over the spec's own limits, as --since does
// for the window: a profile can then bound every log of a site's bundles
// without its own copy of the spec. Zero leaves a limit to the spec (and
// the collectors' defaults). The spec written into the bundle shows the
// limits that applied.
func applyLogLimits(s *spec.Spec, maxLines, maxBytes int64) error {
	if maxLines < 0 {
		return fmt.Errorf("--max-log-lines must not be negative, got %d", maxLines)
	}
	if maxBytes < 0 {
		return fmt.Errorf("--max-log-bytes must not be negative, got %d", maxBytes)
	}
	if maxLines == 0 && maxBytes == 0 {
		return nil
	}
	set := func(l **spec.LogLimits) {
		lim := spec.LogLimits{}
		if *l != nil {
			lim = **l // a copy: merged specs may share values
		}
		if maxLines > 0 {
			lim.MaxLines = maxLines
		}
		if maxBytes > 0 {
			lim.MaxBytes = maxBytes
		}
		*l = &lim
	}
	for _, c := range s.Collectors {
		switch {
		case c.Logs != nil:
			set(&c.Logs.Limits)
		case c.AllLogs != nil:
			set(&c.AllLogs.Limits)
		}
	}
	return nil
}
