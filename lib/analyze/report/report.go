// Package report writes the fleet report of a run: report.html, one
// self-contained page that opens offline (inline CSS, no scripts, fonts or
// images from anywhere), and report.md, with one section per cluster and
// its findings worst first, each naming the bundle and file it came from.
package report

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/mesosphere/dkp-diagnose/lib/analyze"
	"github.com/mesosphere/dkp-diagnose/lib/targets"
)

// File names of the report in a run's output folder.
const (
	HTMLFile     = "report.html"
	MarkdownFile = "report.md"
)

// Cluster is one target of the run.
type Cluster struct {
	// ID is the target as findings name it (their Cluster field), e.g.
	// "workload/fleet/w1".
	ID   string
	Role targets.Role
	// Name and Namespace (a workload cluster's Cluster object's).
	Name, Namespace string
	// Bundle is the bundle file's name; empty when none was written.
	Bundle string
	// Status is ok, partial, failed or skipped; Error says why it is not ok.
	Status, Error string
}

// Label is "namespace/name" or "name".
func (c Cluster) Label() string {
	if c.Namespace != "" {
		return c.Namespace + "/" + c.Name
	}
	return c.Name
}

// Run is what the report shows.
type Run struct {
	// Tool is the dkp-diagnose version line; Generated when the report was
	// made (zero: not shown).
	Tool      string
	Generated time.Time
	Clusters  []Cluster
	// Findings of every bundle and of the fleet correlation, each with its
	// Cluster set to a Cluster's ID (others go to a section of their own).
	Findings []analyze.Finding
}

// section is one cluster and its findings, worst first.
type section struct {
	Cluster  Cluster
	Anchor   string
	Findings []analyze.Finding
	Counts   map[analyze.Severity]int
	Worst    analyze.Severity
}

// otherID is the section of findings that name no cluster of the run.
const otherID = "\x00other"

// sections groups the findings by cluster, in the order of r.Clusters,
// with findings naming no known cluster last.
func (r Run) sections() []section {
	byID := map[string][]analyze.Finding{}
	for _, f := range r.Findings {
		byID[f.Cluster] = append(byID[f.Cluster], f)
	}
	var out []section
	known := map[string]bool{}
	for i, c := range r.Clusters {
		known[c.ID] = true
		out = append(out, newSection(c, fmt.Sprintf("cluster-%d", i+1), byID[c.ID]))
	}
	var rest []analyze.Finding
	for _, f := range r.Findings {
		if !known[f.Cluster] {
			rest = append(rest, f)
		}
	}
	if len(rest) > 0 {
		out = append(out, newSection(Cluster{ID: otherID, Name: "Other findings"}, "other", rest))
	}
	return out
}

func newSection(c Cluster, anchor string, fs []analyze.Finding) section {
	fs = append([]analyze.Finding(nil), fs...)
	analyze.Sort(fs)
	s := section{Cluster: c, Anchor: anchor, Findings: fs, Counts: map[analyze.Severity]int{}, Worst: analyze.Worst(fs)}
	for _, f := range fs {
		s.Counts[f.Severity]++
	}
	return s
}

// Top returns, per cluster ID, its n worst findings that are failures or
// warnings, for the terminal summary; a cluster with none is absent.
func Top(findings []analyze.Finding, n int) map[string][]analyze.Finding {
	fs := append([]analyze.Finding(nil), findings...)
	analyze.Sort(fs)
	out := map[string][]analyze.Finding{}
	for _, f := range fs {
		if f.Severity != analyze.SeverityFail && f.Severity != analyze.SeverityWarn {
			continue
		}
		if len(out[f.Cluster]) < n {
			out[f.Cluster] = append(out[f.Cluster], f)
		}
	}
	return out
}

// WriteFiles writes report.html and report.md into dir. Each appears
// complete or not at all: it is written under a temporary name first.
func WriteFiles(dir string, r Run) error {
	for _, out := range []struct {
		name  string
		write func(io.Writer, Run) error
	}{{HTMLFile, WriteHTML}, {MarkdownFile, WriteMarkdown}} {
		var b bytes.Buffer
		if err := out.write(&b, r); err != nil {
			return fmt.Errorf("%s: %w", out.name, err)
		}
		if err := writeAtomic(filepath.Join(dir, out.name), b.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

func writeAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.partial")
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write report %s: %w", path, err)
	}
	return nil
}
