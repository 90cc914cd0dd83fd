package app

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/mesosphere/dkp-diagnose/config"
	"github.com/mesosphere/dkp-diagnose/lib/collect"
	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
	"github.com/mesosphere/dkp-diagnose/lib/targets"
)

// options are the root command's settings.
type options struct {
	outputDir   string
	prefix      string
	since       time.Duration
	sinceTime   string
	maxLogLines int64
	maxLogBytes int64
	redact      bool
	analyze     bool
	redactors   []string
	concurrency int
	qps         float32
	burst       int
	timeout     time.Duration

	// node collectors: where their image comes from (air-gapped sites
	// mirror it) and the secret that pulls it.
	nodeCollectorImage string
	imagePullSecret    string

	kubeconfig string
	overrides  clientcmd.ConfigOverrides

	// target selection (persistent: the targets command shares them)
	bootstrap            bool
	bootstrapClusterName string
	bootstrapKubeconfig  string
	allClusters          bool
	clusters             []string
	allowKubeconfigExec  []string
	parallelTargets      int
	output               string
	dryRun               bool

	// the config file and profile the other settings may come from
	configPath string
	profile    string

	// progress on stderr: quiet silences it, verbose (repeatable) adds detail
	quiet   bool
	verbose int

	// the fleet run as a Job in the management cluster, and its workers
	inCluster inClusterOptions
}

// NewRootCommand returns the dkp-diagnose command, writing data to stdout
// and progress to stderr.
func NewRootCommand(stdout, stderr io.Writer) *cobra.Command {
	stderr = locked(stderr) // see Run; tests call this directly
	o := &options{}
	cmd := &cobra.Command{
		Use:   "dkp-diagnose [SPEC_FILE...]",
		Short: "Write support bundles from the clusters of a Cluster API fleet",
		Long: `dkp-diagnose collects support bundles — cluster resources, custom
resources, pod logs, config map and secret keys, redacted — one per cluster:
the cluster of the current kubeconfig context, the local Kind bootstrap
cluster (--bootstrap), and every Cluster API workload cluster (--all-clusters).
With no SPEC_FILE it runs the built-in spec (see "dkp-diagnose default-config").
Every flag can also be set by a DKP_DIAGNOSE_* environment variable or a
config file profile (--profile; see "dkp-diagnose config view").
See docs/getting-started.md, docs/targets.md and docs/profiles.md.`,
		Args:          cobra.ArbitraryArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd, args, stdout, stderr)
		},
	}
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	f := cmd.Flags()
	f.StringVarP(&o.outputDir, "output-dir", "o", ".", "directory the bundles (and summary.json) are written to")
	f.DurationVar(&o.since, "since", 0, "only logs newer than this duration (like 48h); overrides the spec's limits")
	f.StringVar(&o.sinceTime, "since-time", "", "only logs after this RFC 3339 time; overrides the spec's limits")
	f.Int64Var(&o.maxLogLines, "max-log-lines", 0, "at most this many last lines of each container log, over the spec's limits; 0 (the default) keeps each collector's limits.maxLines, else 10000")
	f.Int64Var(&o.maxLogBytes, "max-log-bytes", 0, "at most this many bytes of each container log, over the spec's limits; 0 (the default) keeps each collector's limits.maxBytes, else 5 MiB")
	f.BoolVar(&o.redact, "redact", true, "apply the built-in redaction rules (Redactor specs apply either way)")
	f.StringSliceVar(&o.redactors, "redactors", nil, "files with Redactor specs to apply")
	f.BoolVar(&o.analyze, "analyze", true, "analyze each bundle (the spec's analyzers into analysis.json, the built-in findings) and write report.html and report.md beside the bundles")
	f.IntVar(&o.concurrency, "concurrency", 8, "collectors, lists and log streams in flight at once")
	f.Float32Var(&o.qps, "qps", 100, "client requests per second to each API server")
	f.IntVar(&o.burst, "burst", 200, "client request burst to each API server")
	f.DurationVar(&o.timeout, "timeout", 30*time.Minute, "bound on one cluster's collection; what was collected by then is kept")
	f.StringVar(&o.nodeCollectorImage, "node-collector-image", "", "image of node collectors whose spec names none (an air-gapped site's mirror); default: the built-in image")
	f.StringVar(&o.imagePullSecret, "image-pull-secret", "", "secret, in the collector's namespace, that pulls node-collector images whose spec names none")
	f.IntVar(&o.parallelTargets, "parallel-targets", 3, "clusters collected from at once")
	f.BoolVar(&o.dryRun, "dry-run", false, "print the plan — targets with their reachability, the collectors of the merged spec, the settings — and collect nothing")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "no progress on stderr, only errors")
	f.CountVarP(&o.verbose, "verbose", "v", "more progress on stderr: -v every collector start and the library's log, -vv its debug log")
	o.bindInClusterFlags(f)
	o.bindTargetFlags(cmd.PersistentFlags())
	pf := cmd.PersistentFlags()
	pf.StringVar(&o.configPath, "config", "", "config file with defaults and profiles (default: $"+EnvConfig+", else $XDG_CONFIG_HOME/dkp-diagnose/config.yaml when present)")
	pf.StringVar(&o.profile, "profile", "", "profile of the config file to apply (default: $"+EnvProfile+")")
	cmd.AddCommand(newVersionCommand(stdout), newDefaultConfigCommand(stdout), newTargetsCommand(o, stdout, stderr),
		newConfigCommand(o, cmd, stdout), newRedactCommand(o, stdout), newAnalyzeCommand(stdout, stderr))
	o.registerCompletions(cmd)
	return cmd
}

// bindTargetFlags binds the flags that choose targets; they are persistent so
// that the targets command shares them.
func (o *options) bindTargetFlags(f *pflag.FlagSet) {
	f.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)")
	clientcmd.BindOverrideFlags(&o.overrides, f, kubeconfigFlags())
	f.BoolVar(&o.bootstrap, "bootstrap", false, "collect from the local Kind bootstrap cluster (alone: instead of the current context; with --all-clusters: as well, and look for Cluster API clusters on it)")
	f.StringVar(&o.bootstrapClusterName, "bootstrap-cluster-name", targets.DefaultBootstrapClusterName, "name of the Kind bootstrap cluster")
	f.StringVar(&o.bootstrapKubeconfig, "bootstrap-kubeconfig", "", "kubeconfig of the bootstrap cluster, instead of asking Kind (implies --bootstrap)")
	f.BoolVar(&o.allClusters, "all-clusters", false, "collect from the current cluster and every Cluster API workload cluster it (and the bootstrap cluster) manages")
	f.StringArrayVar(&o.clusters, "cluster", nil, "NAMESPACE/NAME of a Cluster API workload cluster to collect from (repeatable; limits --all-clusters, implies it)")
	o.bindKubeconfigTrustFlag(f)
	f.StringVar(&o.prefix, "bundle-prefix", "", "text put before \"support-bundle-<time>.tar.gz\"; with several targets it goes before each target's own prefix")
	f.StringVar(&o.output, "output", "text", "stdout format: text (one bundle path per line) or json (the run summary)")
}

// kubeconfigFlags are kubectl's override flags minus --timeout-like ones that
// would clash with ours.
func kubeconfigFlags() clientcmd.ConfigOverrideFlags {
	f := clientcmd.RecommendedConfigOverrideFlags("")
	f.Timeout = clientcmd.FlagInfo{} // --request-timeout; our --timeout bounds the run
	// kubectl's --cluster (a kubeconfig cluster entry) gives way to ours:
	// a Cluster API cluster, NAMESPACE/NAME.
	f.ContextOverrideFlags.ClusterName = clientcmd.FlagInfo{}
	return f
}

func (o *options) run(cmd *cobra.Command, args []string, stdout, stderr io.Writer) error {
	eff, err := o.applySettings(cmd, args)
	if err != nil {
		return usageError(err)
	}
	if err := o.checkRunSettings(); err != nil {
		return usageError(err)
	}
	if err := o.checkInCluster(); err != nil {
		return usageError(err)
	}
	runOpts, planOpts, err := o.collectOptions()
	if err != nil {
		return usageError(err)
	}
	// Read once: checked here, and the same bytes go to an in-cluster
	// run's pods.
	specFiles, err := spec.ReadFiles(eff.specs...)
	if err != nil {
		return usageError(err)
	}
	redactorFiles, err := spec.ReadRedactorFiles(o.redactors...)
	if err != nil {
		return usageError(err)
	}
	work, err := loadPlan(specFiles, redactorFiles, planOpts)
	if err != nil {
		return usageError(err)
	}
	if o.inClusterMode() == "cli" {
		if err := o.setInClusterFiles(specFiles, redactorFiles); err != nil {
			return usageError(err)
		}
	}
	if o.dryRun {
		return o.showPlan(cmd.Context(), work, eff, stdout, stderr)
	}
	switch o.inClusterMode() {
	case "worker":
		return o.runWorker(cmd.Context(), work, runOpts, stderr)
	case "cli":
		return o.runInCluster(cmd.Context(), work, runOpts, stdout, stderr)
	}
	if err := checkOutputDir(o.outputDir); err != nil {
		return usageError(err)
	}
	plan, err := o.resolve(cmd.Context(), false)
	if err != nil {
		return usageError(err)
	}
	d := newDisplay(stderr, o.verbosity())
	routeKlog(d.logWriter(), o.verbosity())
	for _, n := range plan.Notes {
		d.infof("%s", n)
	}
	for _, c := range work.Spec().Conflicts {
		d.warnf("specs conflict: %s", c)
	}
	removeStaleBundles(d, o.outputDir)
	return o.collectAll(cmd.Context(), plan, work, runOpts, d, stdout, stderr)
}

// collectOptions checks the collection flags and splits them into what
// shapes the plan (the same for every cluster: redaction, log limits) and
// what each cluster's collection takes.
func (o *options) collectOptions() (collect.Options, collect.PlanOptions, error) {
	opts := collect.Options{
		Concurrency: o.concurrency, Timeout: o.timeout, ToolVersion: Version,
		NodeCollectorImage: o.nodeCollectorImage, ImagePullSecret: o.imagePullSecret,
		SkipAnalysis: !o.analyze,
	}
	po := collect.PlanOptions{Redact: o.redact,
		Logs: collect.LogLimits{Since: o.since, MaxLines: o.maxLogLines, MaxBytes: o.maxLogBytes}}
	if o.sinceTime != "" {
		t, err := time.Parse(time.RFC3339, o.sinceTime)
		if err != nil {
			return opts, po, fmt.Errorf("--since-time %q is not an RFC 3339 time (like 2026-11-25T08:00:00Z)", o.sinceTime)
		}
		po.Logs.SinceTime = &t
	}
	switch {
	case o.since < 0:
		return opts, po, fmt.Errorf("--since must not be negative, got %s", o.since)
	case o.maxLogLines < 0:
		return opts, po, fmt.Errorf("--max-log-lines must not be negative, got %d", o.maxLogLines)
	case o.maxLogBytes < 0:
		return opts, po, fmt.Errorf("--max-log-bytes must not be negative, got %d", o.maxLogBytes)
	case o.concurrency < 1:
		return opts, po, fmt.Errorf("--concurrency must be at least 1, got %d", o.concurrency)
	case o.parallelTargets < 1:
		return opts, po, fmt.Errorf("--parallel-targets must be at least 1, got %d", o.parallelTargets)
	}
	return opts, po, nil
}

// loadPlan loads the spec and prepares it once for every target of the run.
func loadPlan(files, redactors []spec.File, po collect.PlanOptions) (*collect.Plan, error) {
	s, err := loadSpec(files, redactors)
	if err != nil {
		return nil, err
	}
	work, err := collect.NewPlan(s, po)
	if err != nil {
		return nil, fmt.Errorf("spec %s: %w", strings.Join(s.Sources, ", "), err)
	}
	return work, nil
}

// loadSpec merges the spec files (or the built-in spec) and redactor files.
// A run given only Redactor documents still collects the default set.
// collect.NewPlan checks the result.
func loadSpec(files, redactors []spec.File) (*spec.Spec, error) {
	s, err := spec.ParseFiles(files...)
	if err != nil {
		return nil, err
	}
	if len(s.Collectors) == 0 {
		def, err := spec.Parse(config.DefaultSpecName, config.DefaultSpec)
		if err != nil {
			return nil, fmt.Errorf("built-in spec: %w", err)
		}
		def.Merge(s)
		s = def
	}
	r, err := spec.ParseFiles(redactors...)
	if err != nil {
		return nil, err
	}
	if len(r.Collectors) > 0 {
		return nil, fmt.Errorf("--redactors %v: holds SupportBundle collectors; pass it as a spec file instead", r.Sources)
	}
	s.Merge(r)
	s = s.WithDefaults()
	if err := collect.Validate(s); err != nil {
		for _, src := range s.Sources {
			if strings.HasPrefix(err.Error(), src+":") {
				return nil, err // it names the file and line already
			}
		}
		return nil, fmt.Errorf("spec %s: %w", strings.Join(s.Sources, ", "), err)
	}
	return s, nil
}

// checkOutputDir makes sure bundles can be written before any cluster is
// contacted, so that a typo costs seconds, not a whole collection.
func checkOutputDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("output dir %q: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, ".dkp-diagnose-write-check-*")
	if err != nil {
		return fmt.Errorf("output dir %q is not writable: %w", dir, err)
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}
