package app

import (
	"path/filepath"

	"github.com/mesosphere/dkp-diagnose/lib/collect/bundle"
)

// removeStaleBundles clears the output folder of the unfinished bundles of
// killed runs (their writers are gone; those of runs still writing into the
// same folder stay) and says so, so that a folder never fills up with
// hidden half-bundles unnoticed.
func removeStaleBundles(d display, dir string) {
	removed, kept, err := bundle.RemoveStale(dir)
	for _, p := range removed {
		if bundle.IsPartialName(filepath.Base(p)) {
			d.warnf("removed %s: the unfinished bundle of an earlier run that was killed", p)
		} else {
			d.warnf("removed %s: the working copy of an earlier run that was killed", p)
		}
	}
	for _, p := range kept {
		d.warnf("left %s: an unfinished bundle; remove it by hand if no other dkp-diagnose run is writing it", p)
	}
	if err != nil {
		d.warnf("%v", err)
	}
}
