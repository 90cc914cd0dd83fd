package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/mesosphere/dkp-diagnose/lib/analyze/builtin"
	"github.com/mesosphere/dkp-diagnose/lib/analyze/fleetsteps"
	"github.com/mesosphere/dkp-diagnose/lib/collect"
	"github.com/mesosphere/dkp-diagnose/lib/fleet"
	"github.com/mesosphere/dkp-diagnose/lib/incluster"
	"github.com/mesosphere/dkp-diagnose/lib/targets"
)

// inClusterOptions are the settings of --in-cluster runs and of their
// workers (the Job's pods run this same command with the hidden flags).
type inClusterOptions struct {
	enabled  bool
	image    string
	shards   int
	runID    string
	upload   string
	keep     bool
	poll     time.Duration
	hold     time.Duration
	workerOf int    // hidden: this process is a worker of a run of N shards
	mgmtName string // hidden: the management cluster's name, for prefixes
	// files are the spec and redactor files the pods get (see
	// setInClusterFiles).
	files []inClusterFile
}

// defaultHold is how long a worker keeps its output for the CLI to copy
// once its shard is done; the CLI removes the Job as soon as it has
// everything, so this only bounds a run the CLI never came back to.
const defaultHold = time.Hour

func (o *options) bindInClusterFlags(f *pflag.FlagSet) {
	ic := &o.inCluster
	f.BoolVar(&ic.enabled, "in-cluster", false, "run the fleet as an Indexed Job inside the management cluster (the current context), each pod collecting a shard of the clusters; bundles are copied back to --output-dir (see docs/in-cluster.md); implies --all-clusters")
	f.StringVar(&ic.image, "in-cluster-image", "", "dkp-diagnose image the Job's pods run (an air-gapped site's mirror); default: the image of this version")
	f.IntVar(&ic.shards, "shards", 3, "with --in-cluster: Job pods, each collecting its share of the clusters (--parallel-targets at a time)")
	f.StringVar(&ic.runID, "run-id", "", "with --in-cluster: resume the run of this ID (printed when it starts) instead of starting a new one")
	f.StringVar(&ic.upload, "upload", "", "with --in-cluster: the pods upload bundles to s3://BUCKET/PREFIX (endpoint and credentials from AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION); only the summary comes back")
	f.DurationVar(&ic.poll, "in-cluster-poll", 2*time.Second, "with --in-cluster: how often the pods are looked at")
	_ = f.MarkHidden("in-cluster-poll")
	f.IntVar(&ic.workerOf, "in-cluster-worker", 0, "the process is a worker pod of an in-cluster run of this many shards (its index from JOB_COMPLETION_INDEX)")
	f.StringVar(&ic.mgmtName, "in-cluster-management-name", "", "the management cluster's name in a worker's summary")
	f.DurationVar(&ic.hold, "in-cluster-hold", defaultHold, "how long a worker keeps its output for copying once done")
	for _, n := range []string{"in-cluster-worker", "in-cluster-management-name", "in-cluster-hold"} {
		_ = f.MarkHidden(n)
	}
}

// checkInCluster refuses what an in-cluster run cannot do yet.
func (o *options) checkInCluster() error {
	ic := &o.inCluster
	switch {
	case ic.workerOf > 0:
		if ic.upload != "" {
			if _, err := incluster.ParseS3URL(ic.upload); err != nil {
				return fmt.Errorf("--upload: %w", err)
			}
		}
		return nil
	case !ic.enabled:
		if ic.upload != "" || ic.runID != "" {
			return errors.New("--upload and --run-id need --in-cluster")
		}
		return nil
	case ic.shards < 1 || ic.shards > incluster.MaxShards:
		return fmt.Errorf("--shards %d: want 1 to %d", ic.shards, incluster.MaxShards)
	}
	for _, c := range o.clusters {
		if _, err := targets.ParseClusterRef(c); err != nil {
			return withFlagHint(err)
		}
	}
	if ic.runID != "" {
		if err := incluster.CheckRunID(ic.runID); err != nil {
			return fmt.Errorf("--run-id: %w", err)
		}
	}
	if ic.upload != "" {
		if _, err := incluster.ParseS3URL(ic.upload); err != nil {
			return fmt.Errorf("--upload: %w", err)
		}
	}
	return nil
}

// workerArgs are the worker pods' arguments: this run's settings, as
// flags, with the pod's own output folder.
func (o *options) workerArgs(mgmtName string) []string {
	ic := &o.inCluster
	a := []string{
		"--in-cluster-worker", strconv.Itoa(ic.shards), "--in-cluster-management-name", mgmtName,
		"--in-cluster-hold", ic.hold.String(), "--output-dir", incluster.OutputPath, "--all-clusters",
		"--parallel-targets", strconv.Itoa(o.parallelTargets), "--concurrency", strconv.Itoa(o.concurrency),
		"--qps", strconv.FormatFloat(float64(o.qps), 'g', -1, 32), "--burst", strconv.Itoa(o.burst),
		"--timeout", o.timeout.String(), "--redact=" + strconv.FormatBool(o.redact), "--analyze=" + strconv.FormatBool(o.analyze),
		"--max-log-lines", strconv.FormatInt(o.maxLogLines, 10), "--max-log-bytes", strconv.FormatInt(o.maxLogBytes, 10),
	}
	if o.since > 0 {
		a = append(a, "--since", o.since.String())
	}
	if o.sinceTime != "" {
		a = append(a, "--since-time", o.sinceTime)
	}
	if o.nodeCollectorImage != "" {
		a = append(a, "--node-collector-image", o.nodeCollectorImage)
	}
	if o.imagePullSecret != "" {
		a = append(a, "--image-pull-secret", o.imagePullSecret)
	}
	for _, c := range o.clusters {
		a = append(a, "--cluster", c)
	}
	for _, c := range o.allowKubeconfigExec {
		a = append(a, "--allow-kubeconfig-exec", c)
	}
	if o.prefix != "" {
		a = append(a, "--bundle-prefix", o.prefix)
	}
	if ic.upload != "" {
		a = append(a, "--upload", ic.upload)
	}
	return append(a, o.inClusterSpecArgs()...)
}

// runWorker is a Job pod's work: its shard of the fleet, then its output
// kept for the CLI to copy until the hold ends (or the pod is removed).
func (o *options) runWorker(ctx context.Context, work *collect.Plan, base collect.Options, stderr io.Writer) error {
	ic := &o.inCluster
	index, err := strconv.Atoi(os.Getenv("JOB_COMPLETION_INDEX"))
	if err != nil {
		return usageError(fmt.Errorf("in-cluster worker: JOB_COMPLETION_INDEX %q is not a Job completion index", os.Getenv("JOB_COMPLETION_INDEX")))
	}
	shard := incluster.Shard{Index: index, Count: ic.workerOf}
	if err := shard.Validate(); err != nil {
		return usageError(err)
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = o.kubeconfig
	// No kubeconfig in a pod: client-go falls back to the service account.
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &o.overrides).ClientConfig()
	if err != nil {
		return usageError(fmt.Errorf("in-cluster worker: management cluster config: %w", err))
	}
	policy, err := o.kubeconfigPolicy()
	if err != nil {
		return usageError(err)
	}
	var only []targets.ClusterRef
	for _, c := range o.clusters {
		r, err := targets.ParseClusterRef(c)
		if err != nil {
			return usageError(withFlagHint(err))
		}
		only = append(only, r)
	}
	// The progress events and the other lines share the pod's log, a
	// line at a time.
	w := locked(stderr)
	d := &plainDisplay{w: w, v: o.verbosity()}
	// client-go's own log (klog) through the same writer: one lock for
	// every line of the pod's log.
	routeKlog(d.logWriter(), o.verbosity())
	// The fleet report is made once, by the CLI, from every shard.
	fo := o.fleetOptions(base, d, incluster.NewEventWriter(w, len(work.Collectors())), false)
	fo.UserAgent += " (in-cluster " + shard.String() + ")"
	if ic.upload != "" {
		loc, _ := incluster.ParseS3URL(ic.upload)
		up, err := incluster.NewUploader(loc, incluster.S3SettingsFromEnv(os.Getenv))
		if err != nil {
			return usageError(fmt.Errorf("--upload: %w", err))
		}
		fo.BundleSteps = append(fo.BundleSteps, up.BundleStep())
	}
	res, err := incluster.RunWorker(ctx, incluster.WorkerOptions{Shard: shard, Management: cfg, ManagementName: ic.mgmtName,
		Request: targets.Request{AllClusters: true, Only: only, Kubeconfigs: policy, Prefix: o.prefix}, Work: work, Fleet: fo})
	switch {
	case res == nil || res.Summary == nil:
	case len(res.Summary.Targets) == 0:
		// No cluster hashed to this shard: nothing to do is not a failure.
		d.infof("shard %s done: no cluster of the fleet is in this shard; holding the output for %s", shard, ic.hold)
	default:
		d.infof("shard %s done: %d targets, status %s; holding the output for %s", shard, len(res.Summary.Targets), res.Summary.Status(), ic.hold)
	}
	if err != nil {
		d.warnf("shard %s: %v", shard, err)
	}
	// The output stays until the CLI copied it and removed the Job, or
	// the hold ends; SIGTERM (the pod's removal) ends it at once.
	select {
	case <-ctx.Done():
	case <-time.After(ic.hold):
	}
	if err != nil {
		return failedError(err)
	}
	return nil
}

// runInCluster is --in-cluster: the Job created (or found, with --run-id),
// followed and copied back shard by shard, merged into one summary.json;
// everything it created removed at the end, whatever happened.
func (o *options) runInCluster(ctx context.Context, work *collect.Plan, base collect.Options, stdout, stderr io.Writer) error {
	ic := &o.inCluster
	if err := checkOutputDir(o.outputDir); err != nil {
		return usageError(err)
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = o.kubeconfig
	mgmt, err := targets.Current(rules, &o.overrides)
	if err != nil {
		return usageError(withFlagHint(err))
	}
	cs, err := kubernetes.NewForConfig(mgmt.Config)
	if err != nil {
		return usageError(err)
	}
	d := newDisplay(stderr, o.verbosity())
	defer d.close()
	routeKlog(d.logWriter(), o.verbosity())
	if ic.runID == "" {
		// Said here, as a local run says them, and not by every shard:
		// the workers run the very spec (a resume runs the one it
		// started with, checked then).
		for _, c := range work.Spec().Conflicts {
			d.warnf("specs conflict: %s", c)
		}
	}
	began := time.Now()
	// The clusters each shard should have had, so that a failed shard's
	// are named in the summary, and that the local part leaves them to
	// the shards.
	expected := []incluster.Identity{{Role: targets.RoleCurrent, Name: mgmt.Name}}
	var only []targets.ClusterRef
	for _, c := range o.clusters {
		if r, err := targets.ParseClusterRef(c); err == nil {
			only = append(only, r)
		}
	}
	// The names only: the shards read the kubeconfig secrets, in the
	// cluster; the CLI's machine need not fetch them across the VPN.
	if refs, _, err := targets.ClusterRefs(ctx, mgmt, only); err == nil {
		for _, r := range refs {
			expected = append(expected, incluster.Identity{Role: targets.RoleWorkload, Namespace: r.Namespace, Name: r.Name})
		}
	}
	lp, err := o.planLocalPart(ctx, expected)
	if err != nil {
		return usageError(err)
	}
	runID, resume := ic.runID, ic.runID != ""
	if resume {
		job, err := incluster.FindRun(ctx, cs, runID)
		if err != nil {
			return failedError(err)
		}
		if job == nil {
			return usageError(fmt.Errorf("--run-id %s: no such in-cluster run in %s (finished and removed, or never started)", runID, mgmt.Name))
		}
		if job.Spec.Completions != nil {
			ic.shards = int(*job.Spec.Completions) // the run's, whatever --shards says now
		}
	} else {
		runID = newInClusterRunID()
	}
	run := &incluster.RunSpec{RunID: runID, Image: ic.image, PullPolicy: corev1.PullIfNotPresent, PullSecret: o.imagePullSecret,
		Shards: ic.shards, Command: []string{"/dkp-diagnose"}, Args: o.workerArgs(mgmt.Name), Lifetime: o.timeout + ic.hold + 5*time.Minute}
	if run.Image == "" {
		run.Image = incluster.DefaultImage(Version)
	}
	// Removed on success, failure, timeout and Ctrl-C alike; a lost
	// connection leaves it to a --run-id resume or the expiry sweep.
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		defer cancel()
		if err := incluster.Remove(cctx, cs, runID); err != nil {
			d.warnf("in-cluster run %s: clean up: %v", runID, err)
		} else {
			d.infof("in-cluster run %s: removed everything it created", runID)
		}
	}()
	if !resume {
		sctx, cancel := context.WithTimeout(ctx, time.Minute)
		if err := incluster.SweepExpired(sctx, cs, time.Now()); err != nil {
			d.warnf("could not remove the expired leftovers of earlier in-cluster runs: %v", err)
		}
		cancel()
		var extra []*corev1.Secret
		if ic.upload != "" {
			s := incluster.S3SettingsFromEnv(os.Getenv)
			sec := run.Secret("upload", map[string]string{"AWS_ENDPOINT_URL": s.Endpoint, "AWS_ACCESS_KEY_ID": s.AccessKey,
				"AWS_SECRET_ACCESS_KEY": s.SecretKey, "AWS_SESSION_TOKEN": s.SessionToken, "AWS_REGION": s.Region})
			run.SecretEnv = sec.Name
			extra = append(extra, sec)
		}
		if sec := o.inClusterSpecSecret(run); sec != nil {
			run.SpecSecret = sec.Name
			extra = append(extra, sec)
		}
		if err := incluster.Create(ctx, cs, run, extra...); err != nil {
			return failedError(fmt.Errorf("in-cluster run: %w", err))
		}
		d.infof("in-cluster run %s: job %s/%s, %d shards, image %s (resume with --run-id %s)", runID, run.Name(), run.Name(), ic.shards, run.Image, runID)
	} else {
		d.infof("in-cluster run %s: resuming", runID)
		if len(ic.files) > 0 {
			d.warnf("in-cluster run %s: its pods run the spec the run started with; the spec and redactor files given now are not sent", runID)
		}
	}
	if lp != nil {
		lp.start(ctx, o, work, base, d)
	}
	fctx, cancel := context.WithTimeout(ctx, o.timeout+5*time.Minute)
	defer cancel()
	progress := newInClusterProgress(d, o.outputDir)
	progress.expect(expected, len(work.Collectors()))
	results, ferr := incluster.Follow(fctx, mgmt.Config, cs, incluster.FollowOptions{RunID: runID, Shards: ic.shards, OutputDir: o.outputDir, Poll: ic.poll,
		// The workers' progress events drive a row per target, as in a
		// local run; their other lines are shown as they come.
		ShardDone: progress.shardDone, Progress: progress.line})
	progress.stopped(ferr)
	local, lerr := lp.wait()
	if lerr != nil && local == nil {
		d.warnf("bootstrap cluster: %v", lerr)
	}
	sum := incluster.Merge(results, incluster.MergeOptions{Count: ic.shards, OutputDir: o.outputDir, Expected: expected, Local: local,
		Interrupted: ctx.Err() != nil})
	sum.DurationMs = time.Since(began).Milliseconds()
	if ferr != nil {
		sum.Notes = append(sum.Notes, fmt.Sprintf("in-cluster run %s: stopped following: %v", runID, ferr))
	}
	if o.analyze {
		// The fleet's findings across clusters (a Machine and its Node,
		// a cluster held twice) read every bundle, wherever it was
		// written: the shards' are here now.
		diag := fleetsteps.New(builtin.Options{}, "dkp-diagnose "+Version)
		if err := diag.OpenBundles(sum); err != nil {
			sum.Notes = append(sum.Notes, err.Error())
		}
		if err := diag.RunStep(context.WithoutCancel(ctx), sum); err != nil {
			sum.Notes = append(sum.Notes, err.Error())
		}
	}
	for _, r := range results {
		if r != nil {
			os.Remove(fmt.Sprintf("%s/%s", o.outputDir, incluster.ShardFile(r.Shard)))
		}
	}
	progress.settle(sum)
	_, werr := fleet.WriteSummary(o.outputDir, sum)
	if werr != nil {
		werr = fmt.Errorf("write %s: %w", SummaryFile, werr)
	}
	d.close()
	return o.finishRun(sum, werr, stdout, stderr)
}

// looksLikeTime reports whether line starts with an RFC 3339 time, as the
// worker's progress lines do.
func looksLikeTime(line string) bool {
	first, _, _ := strings.Cut(line, " ")
	_, err := time.Parse(time.RFC3339, first)
	return err == nil
}

func newInClusterRunID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// inClusterMode says which in-cluster role, if any, a run has.
func (o *options) inClusterMode() string {
	switch {
	case o.inCluster.workerOf > 0:
		return "worker"
	case o.inCluster.enabled:
		return "cli"
	}
	return ""
}
