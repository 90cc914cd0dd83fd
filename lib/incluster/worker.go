package incluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"k8s.io/client-go/rest"

	"github.com/mesosphere/dkp-diagnose/lib/collect"
	"github.com/mesosphere/dkp-diagnose/lib/fleet"
	"github.com/mesosphere/dkp-diagnose/lib/targets"
)

// WorkerOptions are the settings of one shard's run (one Job pod).
type WorkerOptions struct {
	Shard Shard
	// Management reaches the management cluster the worker runs in; nil
	// means the pod's service account (rest.InClusterConfig).
	Management *rest.Config
	// ManagementName names the management cluster in the summary and its
	// bundle's prefix: the kubeconfig context the run was started from, so
	// that an in-cluster run names its bundles as a local run does.
	ManagementName string
	// Request selects the workload clusters (AllClusters, Only,
	// Kubeconfigs, Prefix); its Current is set by RunWorker, and Bootstrap
	// is not for a pod (the bootstrap cluster is the operator's machine's).
	Request targets.Request
	// Work is the collection plan every target runs.
	Work *collect.Plan
	// Fleet are the settings of the fleet run; OutputDir is where the
	// bundles and the ShardResult go.
	Fleet fleet.Options
}

// ShardResult is what one shard's run leaves beside its bundles
// (ShardFile): its part of the fleet's summary, or why it has none.
type ShardResult struct {
	Shard Shard `json:"shard"`
	// Summary is the shard's run; nil when the shard failed before it
	// could run (the management cluster unreachable).
	Summary *fleet.Summary `json:"summary,omitempty"`
	// Error says why the shard failed; empty when it ran.
	Error string `json:"error,omitempty"`
}

// ShardFile is the name of a shard's result file: shard-INDEX-of-COUNT.json,
// so that the results of all pods can share one folder.
func ShardFile(s Shard) string { return fmt.Sprintf("shard-%d-of-%d.json", s.Index, s.Count) }

// RunWorker runs one shard: it resolves the fleet from the management
// cluster (every shard resolves all of it, so that clusters seen twice are
// dropped the same way everywhere), keeps the targets of its shard, runs
// lib/fleet on them and writes the ShardResult to
// OutputDir/ShardFile(Shard). A shard that cannot reach the management
// cluster has a result with Error set, and RunWorker returns that error
// too.
func RunWorker(ctx context.Context, o WorkerOptions) (*ShardResult, error) {
	if err := o.Shard.Validate(); err != nil {
		return nil, err
	}
	if o.Work == nil {
		return nil, errors.New("incluster: a collection plan is required")
	}
	dir := o.Fleet.OutputDir
	if dir == "" {
		dir = "."
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("output folder: %w", err)
	}
	res := &ShardResult{Shard: o.Shard}
	sum, err := runShard(ctx, o)
	res.Summary = sum
	if err != nil {
		res.Error = err.Error()
	}
	if werr := writeJSONAtomic(filepath.Join(dir, ShardFile(o.Shard)), res); werr != nil {
		return res, errors.Join(err, fmt.Errorf("write %s: %w", ShardFile(o.Shard), werr))
	}
	return res, err
}

func runShard(ctx context.Context, o WorkerOptions) (*fleet.Summary, error) {
	cfg := o.Management
	if cfg == nil {
		var err error
		if cfg, err = rest.InClusterConfig(); err != nil {
			return nil, fmt.Errorf("in-cluster config: %w", err)
		}
	}
	mgmt := &targets.Target{
		Role:   targets.RoleCurrent,
		Name:   o.ManagementName,
		Source: "the service account of shard " + o.Shard.String(),
		Server: cfg.Host,
		Config: cfg,
	}
	if mgmt.Name == "" {
		mgmt.Name = "management"
	}
	// Without the management cluster the shard cannot know its clusters:
	// that is the shard's failure, not an empty shard.
	targets.Probe(ctx, []*targets.Target{mgmt})
	if !mgmt.Probe.Reachable {
		return nil, fmt.Errorf("shard %s: management cluster %s does not answer: %s", o.Shard, cfg.Host, mgmt.Probe.Error)
	}
	req := o.Request
	req.Current, req.Bootstrap = mgmt, false
	plan, err := targets.Resolve(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("shard %s: resolve the fleet: %w", o.Shard, err)
	}
	return fleet.Run(ctx, o.Shard.Keep(plan), o.Work, o.Fleet)
}

// ReadShardResult reads a ShardFile.
func ReadShardResult(path string) (*ShardResult, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r ShardResult
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &r, nil
}

// writeJSONAtomic writes v as indented JSON through a temporary file and a
// rename: a copy taken while the worker writes never sees half a file.
func writeJSONAtomic(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".shard-*.json")
	if err != nil {
		return err
	}
	_, werr := f.Write(append(data, '\n'))
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(f.Name())
		return err
	}
	return os.Rename(f.Name(), path)
}
