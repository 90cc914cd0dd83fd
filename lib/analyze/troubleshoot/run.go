// Package troubleshoot runs the analyzers of troubleshoot.sh specs
// (`analyzers:` of a SupportBundle, `kind: Analyzer`) over a bundle, with
// troubleshoot v0.133's outcome rules, and writes their results in
// troubleshoot's analysis.json format.
//
// Each analyzer reads the files troubleshoot's would read, at the same
// paths, and decides its outcomes by the same rules: the order of outcomes,
// `when` expressions (replica counts, semver ranges, pod phases and
// reasons, container reasons, regular expressions and their named groups,
// node resource functions), the default messages and titles, `strict`,
// `exclude`, `checkName`. Where troubleshoot iterates a Go map (files of a
// glob), results here come in file-name order instead.
//
// Two things differ on purpose: an analyzer type dkp-diagnose does not
// implement gives a warn result saying so (troubleshoot skips types it does
// not know); and an analyzer that fails to run (a file missing, a bad
// regular expression) gives a fail result "Analyzer Failed: …", as
// troubleshoot does for host analyzers, where troubleshoot's in-cluster
// analyzers only log the error.
package troubleshoot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"

	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
)

// analyzeFunc runs one analyzer's settings over a bundle. It returns nil
// results when troubleshoot returns none (e.g. a named deployment whose
// namespace file is missing).
type analyzeFunc func(b *bundle, settings any) ([]*Result, error)

// registry maps analyzer type keys to their implementation. One file per
// type (or per family of types sharing rules) fills it in init.
var registry = map[string]analyzeFunc{}

func register(key string, fn analyzeFunc) { registry[key] = fn }

// Supported reports whether dkp-diagnose runs analyzers of type key.
func Supported(key string) bool { _, ok := registry[key]; return ok }

// Run runs analyzers over the bundle fsys (rooted at the bundle's root
// folder) and returns their results in spec order. Identical analyzers run
// once, as in troubleshoot. Run stops early only when ctx is done.
func Run(ctx context.Context, fsys fs.FS, analyzers []*spec.Analyze) ([]*Result, error) {
	b := &bundle{fsys: fsys}
	var out []*Result
	seen := map[string]bool{}
	for _, a := range analyzers {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		key, settings := a.Type()
		if a.Unsupported == "" {
			// Deduplicated by content like troubleshoot's DedupAnalyzers.
			if data, err := json.Marshal(a); err == nil {
				if seen[string(data)] {
					continue
				}
				seen[string(data)] = true
			}
		}
		out = append(out, runOne(b, a, key, settings)...)
	}
	return out, nil
}

func runOne(b *bundle, a *spec.Analyze, key string, settings any) []*Result {
	fn, ok := registry[key]
	if !ok || settings == nil {
		return []*Result{{
			IsWarn:   true,
			Title:    fmt.Sprintf("%s analyzer", key),
			Message:  fmt.Sprintf("dkp-diagnose does not run %s analyzers (%s): not analyzed", key, a.Source),
			Analyzer: key,
		}}
	}
	meta := metaOf(settings)
	if meta.Exclude.Bool() {
		return nil
	}
	b.lastFile = ""
	rs, err := fn(b, settings)
	if err != nil {
		title := meta.CheckName
		if title == "" {
			title = key
		}
		var nf *notFoundError
		if errors.As(err, &nf) {
			b.lastFile = nf.name
		}
		return []*Result{{IsFail: true, Title: title, Message: fmt.Sprintf("Analyzer Failed: %v", err), Analyzer: key, CheckName: meta.CheckName, File: b.lastFile}}
	}
	for _, r := range rs {
		r.Analyzer, r.CheckName = key, meta.CheckName
		if r.File == "" {
			r.File = b.lastFile
		}
	}
	return rs
}

// metaOf returns the AnalyzeMeta every analyzer type inlines.
func metaOf(settings any) spec.AnalyzeMeta {
	switch s := settings.(type) {
	case *spec.ClusterVersionAnalyze:
		return s.AnalyzeMeta
	case *spec.StorageClassAnalyze:
		return s.AnalyzeMeta
	case *spec.CustomResourceDefinitionAnalyze:
		return s.AnalyzeMeta
	case *spec.IngressAnalyze:
		return s.AnalyzeMeta
	case *spec.SecretAnalyze:
		return s.AnalyzeMeta
	case *spec.ConfigMapAnalyze:
		return s.AnalyzeMeta
	case *spec.WorkloadStatusAnalyze:
		return s.AnalyzeMeta
	case *spec.ReplicaSetStatusAnalyze:
		return s.AnalyzeMeta
	case *spec.ClusterPodStatusesAnalyze:
		return s.AnalyzeMeta
	case *spec.ClusterContainerStatusesAnalyze:
		return s.AnalyzeMeta
	case *spec.NodeResourcesAnalyze:
		return s.AnalyzeMeta
	case *spec.TextAnalyze:
		return s.AnalyzeMeta
	case *spec.CompareAnalyze:
		return s.AnalyzeMeta
	case *spec.ClusterResourceAnalyze:
		return s.AnalyzeMeta
	case *spec.EventAnalyze:
		return s.AnalyzeMeta
	}
	return spec.AnalyzeMeta{}
}

// setStrict marks results of an analyzer whose spec says strict.
func setStrict(rs []*Result, m spec.AnalyzeMeta) []*Result {
	for _, r := range rs {
		r.Strict = m.Strict.Bool()
	}
	return rs
}
