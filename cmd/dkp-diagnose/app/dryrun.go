package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"sigs.k8s.io/yaml"

	"github.com/mesosphere/dkp-diagnose/lib/collect"
	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
	"github.com/mesosphere/dkp-diagnose/lib/targets"
)

// DryRun is what "dkp-diagnose --dry-run --output json" prints: the targets
// a run would collect from, the collectors it would run on each, the spec
// after merging files and defaults, and the settings after applying the
// profile.
type DryRun struct {
	Targets    []*targets.Target  `json:"targets"`
	Skipped    []targets.Skipped  `json:"skipped,omitempty"`
	Notes      []string           `json:"notes,omitempty"`
	Collectors []PlannedCollector `json:"collectors"`
	Spec       *spec.Spec         `json:"spec"`
	ConfigFile string             `json:"configFile,omitempty"`
	Profile    string             `json:"profile,omitempty"`
	Settings   []SettingValue     `json:"settings"`
}

// PlannedCollector is one collector of the spec, run on every target.
type PlannedCollector = collect.PlannedCollector

// showPlan resolves and probes the targets and prints them with the
// collection plan the run would use; it collects nothing and writes
// nothing. Like "targets", exit 3 when a target is unreachable or could not
// be resolved.
func (o *options) showPlan(ctx context.Context, work *collect.Plan, eff *effective, stdout, stderr io.Writer) error {
	plan, err := o.resolve(ctx, true)
	if err != nil {
		return usageError(err)
	}
	for _, n := range plan.Notes {
		fmt.Fprintln(stderr, cleanText(n))
	}
	dr := DryRun{Targets: plan.Targets, Skipped: plan.Skipped, Notes: plan.Notes, Spec: work.Spec(),
		Collectors: work.Collectors(), ConfigFile: eff.file.path, Profile: eff.profile, Settings: eff.values}
	if o.output == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(dr); err != nil {
			return failedError(err)
		}
	} else if err := o.printDryRun(stdout, plan, dr); err != nil {
		return failedError(err)
	}
	if unreachable(plan) {
		return partialExit()
	}
	return nil
}

func (o *options) printDryRun(w io.Writer, plan *targets.Plan, dr DryRun) error {
	if dr.Profile != "" {
		fmt.Fprintf(w, "profile %s of %s\n\n", dr.Profile, dr.ConfigFile)
	}
	printTargetTable(w, plan)
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "COLLECTOR\tTYPE\tRUNS")
	runs := 0
	for _, c := range dr.Collectors {
		title, state := c.Title, "yes"
		if c.Excluded {
			state = "no (exclude: true)"
		} else {
			runs++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", title, c.Type, state)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%d collectors × %d targets, from %s; bundles would be written to %s\n",
		runs, len(plan.Targets), strings.Join(dr.Spec.Sources, ", "), o.outputDir)
	if o.verbosity() >= verbose {
		y, err := yaml.Marshal(dr.Spec)
		if err != nil {
			return fmt.Errorf("encode spec: %w", err)
		}
		fmt.Fprintf(w, "\nspec after merging and defaults:\n%s", y)
	}
	return nil
}
