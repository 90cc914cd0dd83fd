// Command fleet runs the dkp-diagnose fleet through the libraries alone —
// no cobra, no CLI package — and writes the same bundles and summary.json
// as "dkp-diagnose --all-clusters" would: the current kubeconfig context,
// every Cluster API workload cluster it manages, the built-in spec,
// redaction on. It is the shortest complete use of lib/targets,
// lib/collect and lib/fleet (see docs/library.md); the tests build and run
// it.
//
//	go run ./examples/fleet -kubeconfig ~/.kube/config -out bundles
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/mesosphere/dkp-diagnose/config"
	"github.com/mesosphere/dkp-diagnose/lib/analyze/builtin"
	"github.com/mesosphere/dkp-diagnose/lib/analyze/fleetsteps"
	"github.com/mesosphere/dkp-diagnose/lib/collect"
	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
	"github.com/mesosphere/dkp-diagnose/lib/fleet"
	"github.com/mesosphere/dkp-diagnose/lib/targets"
)

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)")
	out := flag.String("out", ".", "folder for the bundles and summary.json")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	code, err := run(ctx, *kubeconfig, *out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fleet:", err)
	}
	os.Exit(code)
}

func run(ctx context.Context, kubeconfig, out string) (int, error) {
	// 1. The targets: the current context and its workload clusters.
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = kubeconfig
	plan, err := targets.Resolve(ctx, targets.Request{
		Rules: rules, Overrides: &clientcmd.ConfigOverrides{}, AllClusters: true,
	})
	if err != nil {
		return 2, err
	}
	// 2. The work, prepared once for every target: the built-in spec.
	s, err := spec.Parse(config.DefaultSpecName, config.DefaultSpec)
	if err != nil {
		return 2, err
	}
	work, err := collect.NewPlan(s.WithDefaults(), collect.PlanOptions{Redact: true})
	if err != nil {
		return 2, err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return 2, err
	}
	// 3. The run: bundles, each analyzed as it is written, then the fleet
	// correlated, report.html/report.md and summary.json; a line per
	// finished target.
	o := fleet.Options{
		OutputDir: out,
		Log:       slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Observer:  printer{},
	}
	fleetsteps.New(builtin.Options{}, "fleet example").Options(&o)
	sum, err := fleet.Run(ctx, plan, work, o)
	if sum == nil {
		return 1, err
	}
	if err == nil {
		err = sum.Err()
	}
	return sum.ExitCode(), err
}

// printer is the smallest fleet.Observer: a line when a target is done.
type printer struct{}

func (printer) TargetStarted(*targets.Target) collect.Observer { return nil }

func (printer) TargetFinished(t *targets.Target, s fleet.TargetSummary) {
	fmt.Printf("%s\t%s\t%s\n", t.ID(), s.Status, s.Bundle)
}
