// Package redactcheck scans a finished support bundle, ours or
// troubleshoot.sh's, for what the redaction rules would still hide: a
// review before a bundle leaves the company. It reports places and rules,
// never the values.
package redactcheck

import (
	"cmp"
	"io"
	"slices"
	"strings"

	"github.com/mesosphere/dkp-diagnose/lib/collect/bundle"
	"github.com/mesosphere/dkp-diagnose/lib/collect/redact"
)

// Result is what a check found in one bundle.
type Result struct {
	Bundle string `json:"bundle"`
	// Files is how many files were scanned.
	Files int `json:"files"`
	// Findings are in file order (archive or folder walk), then by place.
	Findings []redact.Finding `json:"findings"`
	// Counts sums the findings per file and rule, sorted by file then
	// rule.
	Counts []Count `json:"counts"`
}

// Count is how many findings one rule has in one file.
type Count struct {
	File    string `json:"file"`
	Rule    string `json:"rule"`
	Matches int    `json:"matches"`
}

// Bundle scans every file of the bundle at path (a .tar.gz or a folder)
// with rules. An unreadable or malformed bundle is an error naming it.
func Bundle(rules *redact.Set, path string) (*Result, error) {
	res := &Result{Bundle: path, Findings: []redact.Finding{}, Counts: []Count{}}
	err := bundle.Walk(path, func(name string, r io.Reader) error {
		res.Files++
		found, err := rules.Scan(name, r)
		if err != nil {
			return err
		}
		res.Findings = append(res.Findings, found...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	idx := map[[2]string]int{}
	for _, f := range res.Findings {
		k := [2]string{f.File, f.Rule}
		i, ok := idx[k]
		if !ok {
			i = len(res.Counts)
			idx[k] = i
			res.Counts = append(res.Counts, Count{File: f.File, Rule: f.Rule})
		}
		res.Counts[i].Matches++
	}
	slices.SortFunc(res.Counts, func(a, b Count) int {
		return cmp.Or(strings.Compare(a.File, b.File), strings.Compare(a.Rule, b.Rule))
	})
	return res, nil
}
