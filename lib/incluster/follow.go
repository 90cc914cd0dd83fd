package incluster

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/mesosphere/dkp-diagnose/lib/collect"
	"github.com/mesosphere/dkp-diagnose/lib/collect/archive"
	"github.com/mesosphere/dkp-diagnose/lib/internal/podexec"
)

// FollowOptions say how the CLI side follows a run's pods.
type FollowOptions struct {
	RunID  string
	Shards int
	// OutputDir receives each shard's bundles and result file.
	OutputDir string
	// Poll is how often the pods are looked at; 0 means 2 s.
	Poll time.Duration
	// ShardDone, if set, is called once per shard, when its result is
	// copied (or the shard failed: the result's Error says why).
	ShardDone func(*ShardResult)
	// Progress, if set, receives each line a shard's pod logs (the worker's
	// progress events, see Replay, and its other lines) as it comes. It is
	// called from one goroutine per pod, never after Follow returned. A
	// log whose stream ends while its shard runs is followed again from
	// its start, the lines already handed over skipped.
	Progress func(sh Shard, line string)
}

// Follow waits for every shard of the run to finish, copying each one's
// output (its bundles and ShardFile, with `tar cf -` by exec, as the node
// collectors' output is copied) into OutputDir as soon as its result file
// appears. A pod that failed, or a Job that failed (its deadline passed),
// makes its shards' results failed. It returns the results it has when ctx
// ends, with ctx's error: a later Follow of the same run (the pods keep
// their output until their hold ends) copies the rest.
func Follow(ctx context.Context, cfg *rest.Config, cs kubernetes.Interface, o FollowOptions) ([]*ShardResult, error) {
	if o.Poll <= 0 {
		o.Poll = 2 * time.Second
	}
	r := &RunSpec{RunID: o.RunID}
	ns := r.Name()
	results := make([]*ShardResult, o.Shards)
	left := o.Shards
	finish := func(i int, res *ShardResult) {
		results[i] = res
		left--
		if o.ShardDone != nil {
			o.ShardDone(res)
		}
	}
	sel := labels.Set{collect.LabelRun: o.RunID}.String()
	// The pods' logs are followed while the run is; Follow waits for the
	// streams to end before it returns.
	lctx, stopLogs := context.WithCancel(ctx)
	var streams sync.WaitGroup
	defer streams.Wait()
	defer stopLogs()
	logs := map[string]*podLog{}
	for {
		pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: sel})
		if err != nil && ctx.Err() == nil {
			return results, fmt.Errorf("list the pods of run %s: %w", o.RunID, err)
		}
		if pods != nil {
			for _, p := range pods.Items {
				i := IndexOf(&p)
				if i < 0 || i >= o.Shards || results[i] != nil {
					continue
				}
				sh := Shard{Index: i, Count: o.Shards}
				if why := podFailed(&p); why != "" {
					finish(i, &ShardResult{Shard: sh, Error: fmt.Sprintf("shard %s: pod %s/%s: %s", sh, ns, p.Name, why)})
					continue
				}
				if p.Status.Phase != corev1.PodRunning {
					continue
				}
				if o.Progress != nil {
					pl := logs[p.Name]
					if pl == nil {
						pl = &podLog{}
						logs[p.Name] = pl
					}
					if !pl.streaming.Load() {
						pl.streaming.Store(true)
						streams.Go(func() { pl.follow(lctx, cs, &p, sh, o.Progress) })
					}
				}
				res, err := copyShard(ctx, cfg, cs, &p, sh, o.OutputDir)
				switch {
				case err != nil && ctx.Err() != nil:
				case err != nil:
					finish(i, &ShardResult{Shard: sh, Error: fmt.Sprintf("shard %s: copy from pod %s/%s: %v", sh, ns, p.Name, err)})
				case res != nil:
					finish(i, res)
				}
			}
		}
		if left == 0 {
			return results, nil
		}
		if why := jobFailed(ctx, cs, ns, r.Name()); why != "" {
			for i := range results {
				if results[i] == nil {
					finish(i, &ShardResult{Shard: Shard{Index: i, Count: o.Shards}, Error: fmt.Sprintf("shard %d/%d: job %s/%s failed: %s", i, o.Shards, ns, r.Name(), why)})
				}
			}
			return results, nil
		}
		select {
		case <-ctx.Done():
			return results, ctx.Err()
		case <-time.After(o.Poll):
		}
	}
}

// podLog is the following of one pod's log, which may take several
// streams: one ends when the connection drops (a load balancer's idle
// timeout, an API server restart).
type podLog struct {
	// streaming is set by Follow before a stream starts, cleared by the
	// stream's goroutine when it ends (after its last use of the fields
	// below, which only that goroutine touches).
	streaming atomic.Bool
	// lines is how many lines were handed over: a new stream, from the
	// log's start, skips them.
	lines int
	// last is when the last stream started: a new one waits a while, so
	// that a log that cannot be read (no rights to pods/log) costs a
	// request now and then, not one per poll.
	last time.Time
}

// refollowAfter is the least time between two streams of one pod's log.
const refollowAfter = 5 * time.Second

// follow hands each new line the pod's worker logs to progress until the
// stream, the pod or ctx ends.
func (pl *podLog) follow(ctx context.Context, cs kubernetes.Interface, p *corev1.Pod, sh Shard, progress func(Shard, string)) {
	defer pl.streaming.Store(false)
	if wait := time.Until(pl.last.Add(refollowAfter)); wait > 0 {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
	pl.last = time.Now()
	stream, err := cs.CoreV1().Pods(p.Namespace).GetLogs(p.Name, &corev1.PodLogOptions{Container: WorkerContainer, Follow: true}).Stream(ctx)
	if err != nil {
		return // progress is a courtesy: the result file is what counts
	}
	defer stream.Close()
	sc := bufio.NewScanner(stream)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 0; sc.Scan(); n++ {
		if n < pl.lines {
			continue // handed over by an earlier stream
		}
		pl.lines++
		progress(sh, sc.Text())
	}
}

// podFailed says why a pod will not give its output, or "".
func podFailed(p *corev1.Pod) string {
	if p.Status.Phase == corev1.PodFailed {
		return strings.TrimSpace("failed " + p.Status.Reason + " " + p.Status.Message)
	}
	for _, st := range p.Status.ContainerStatuses {
		if t := st.State.Terminated; t != nil {
			return fmt.Sprintf("container %s ended (exit code %d, %s) before its output was copied", st.Name, t.ExitCode, t.Reason)
		}
		if w := st.State.Waiting; w != nil {
			switch w.Reason {
			case "ErrImagePull", "ImagePullBackOff", "InvalidImageName", "CreateContainerConfigError", "CreateContainerError":
				return fmt.Sprintf("container %s is waiting: %s: %s", st.Name, w.Reason, w.Message)
			}
		}
	}
	return ""
}

// jobFailed says why the run's Job failed (its deadline passed, a pod
// failed), or "".
func jobFailed(ctx context.Context, cs kubernetes.Interface, ns, name string) string {
	j, err := cs.BatchV1().Jobs(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return ""
	}
	for _, c := range j.Status.Conditions {
		if c.Type == batchv1.JobFailed && c.Status == corev1.ConditionTrue {
			return strings.TrimSpace(c.Reason + ": " + c.Message)
		}
	}
	return ""
}

// copyShard copies a pod's output once its result file is there: nil, nil
// while the shard still runs.
func copyShard(ctx context.Context, cfg *rest.Config, cs kubernetes.Interface, p *corev1.Pod, sh Shard, dir string) (*ShardResult, error) {
	file := ShardFile(sh)
	var buf bytes.Buffer
	// The result file alone first: small, and absent while the shard runs
	// (tar then fails, which is the answer "not yet").
	if err := execTar(ctx, cfg, cs, p, []string{"tar", "cf", "-", "-C", OutputPath, file}, func(r io.Reader) error {
		_, err := archive.Extract(r, func(string) (io.WriteCloser, error) { return nopWriteCloser{&buf}, nil }, archive.Limits{})
		return err
	}); err != nil || buf.Len() == 0 {
		return nil, nil
	}
	// Then everything: bundles, under a temporary name until whole.
	err := execTar(ctx, cfg, cs, p, []string{"tar", "cf", "-", "-C", OutputPath, "."}, func(r io.Reader) error {
		_, err := archive.Extract(r, func(name string) (io.WriteCloser, error) {
			if strings.Contains(name, "/") || !(strings.HasSuffix(name, ".tar.gz") || name == file) {
				return nopWriteCloser{io.Discard}, nil // the pod's own summary.json: merged instead
			}
			return newPartFile(filepath.Join(dir, path.Base(name)))
		}, archive.Limits{MaxFileBytes: 1 << 40, MaxTotalBytes: 1 << 40})
		return err
	})
	if err != nil {
		return nil, err
	}
	return ReadShardResult(filepath.Join(dir, file))
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

// partFile is written as NAME.part and renamed to NAME when closed: no
// half-copied bundle under its final name.
type partFile struct {
	*os.File
	final string
}

func newPartFile(final string) (*partFile, error) {
	f, err := os.Create(final + ".part")
	if err != nil {
		return nil, err
	}
	return &partFile{File: f, final: final}, nil
}

func (f *partFile) Close() error {
	if err := f.File.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	return os.Rename(f.Name(), f.final)
}

// execTar runs a `tar cf -` command in the pod's worker container and hands
// its output to consume (the node collectors' copy path, podexec.Tar).
func execTar(ctx context.Context, cfg *rest.Config, cs kubernetes.Interface, p *corev1.Pod, cmd []string, consume func(io.Reader) error) error {
	return podexec.Tar(ctx, cs, cfg, p.Namespace, p.Name, WorkerContainer, cmd, consume)
}
