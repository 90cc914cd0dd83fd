package troubleshoot

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/mesosphere/dkp-diagnose/lib/analyze"
)

// Result is one outcome of one analyzer: troubleshoot's AnalyzeResult, with
// the same fields and JSON names (what `support-bundle analyze -o json`
// prints), plus what dkp-diagnose knows about where it came from.
type Result struct {
	IsPass bool
	IsFail bool
	IsWarn bool
	Strict bool

	Title   string
	Message string
	URI     string
	IconKey string
	IconURI string

	InvolvedObject *corev1.ObjectReference `json:",omitempty"`

	// Analyzer is the analyzer's type key ("deploymentStatus", …).
	Analyzer string `json:"-"`
	// CheckName is the analyzer's checkName, if it has one.
	CheckName string `json:"-"`
	// File is the bundle file the outcome was decided on, where there is
	// one ("cluster-resources/deployments/default.json").
	File string `json:"-"`
}

// Severity maps the outcome to a finding's severity; an outcome no rule
// matched (troubleshoot leaves all three flags false) is info.
func (r *Result) Severity() analyze.Severity {
	switch {
	case r.IsFail:
		return analyze.SeverityFail
	case r.IsWarn:
		return analyze.SeverityWarn
	case r.IsPass:
		return analyze.SeverityPass
	}
	return analyze.SeverityInfo
}

// Finding converts the result to a finding: Analyzer is "type/checkName"
// (or the type and the title when there is no checkName).
func (r *Result) Finding() analyze.Finding {
	name := r.CheckName
	if name == "" {
		name = r.Title
	}
	f := analyze.Finding{
		Analyzer: r.Analyzer + "/" + name,
		Severity: r.Severity(),
		Title:    r.Title,
		Message:  r.Message,
		File:     r.File,
	}
	if o := r.InvolvedObject; o != nil {
		f.Object = strings.TrimSpace(o.Kind + " " + strings.TrimPrefix(o.Namespace+"/"+o.Name, "/"))
	}
	return f
}

// Findings converts results to findings.
func Findings(rs []*Result) []analyze.Finding {
	out := make([]analyze.Finding, 0, len(rs))
	for _, r := range rs {
		out = append(out, r.Finding())
	}
	return out
}

// AnalysisFile is where troubleshoot writes analysis results in a bundle.
const AnalysisFile = "analysis.json"

// Insight and AnalysisEntry are the entries of analysis.json, as
// troubleshoot's convert.FromAnalyzerResult builds them.
type Insight struct {
	Name     string            `json:"name,omitempty"`
	Labels   map[string]string `json:"labels,omitempty"`
	Primary  string            `json:"primary"`
	Detail   string            `json:"detail"`
	Severity string            `json:"severity,omitempty"`
}

// AnalysisEntry is one entry of analysis.json.
type AnalysisEntry struct {
	Name           string                  `json:"name,omitempty"`
	Labels         map[string]string       `json:"labels,omitempty"`
	Insight        *Insight                `json:"insight"`
	Severity       string                  `json:"severity"`
	AnalyzerSpec   string                  `json:"analyzerSpec"`
	Variables      map[string]any          `json:"variables,omitempty"`
	Error          string                  `json:"error,omitempty"`
	InvolvedObject *corev1.ObjectReference `json:"involvedObject,omitempty"`
}

// analysis.json's severities: troubleshoot calls a fail "error" and a pass
// "debug".
const (
	analysisError = "error"
	analysisWarn  = "warn"
	analysisDebug = "debug"
)

var nonAlnum = regexp.MustCompile("[^a-zA-Z0-9]+")

// Analysis converts results to analysis.json's entries.
func Analysis(rs []*Result) []*AnalysisEntry {
	out := make([]*AnalysisEntry, 0, len(rs))
	for _, r := range rs {
		name := nonAlnum.ReplaceAllString(strings.ToLower(r.Title), ".")
		e := &AnalysisEntry{
			Name:   name,
			Labels: map[string]string{"desiredPosition": "1", "iconKey": r.IconKey, "iconUri": r.IconURI},
			Insight: &Insight{
				Name:    name,
				Labels:  map[string]string{"iconKey": r.IconKey, "iconUri": r.IconURI},
				Primary: r.Title,
				Detail:  r.Message,
			},
			Variables:      map[string]any{},
			InvolvedObject: r.InvolvedObject,
		}
		switch {
		case r.IsFail:
			e.Severity, e.Error = analysisError, r.Message
		case r.IsWarn:
			e.Severity = analysisWarn
		case r.IsPass:
			e.Severity = analysisDebug
		}
		e.Insight.Severity = e.Severity
		out = append(out, e)
	}
	return out
}

// MarshalAnalysis returns analysis.json's content for rs, indented as
// troubleshoot indents it.
func MarshalAnalysis(rs []*Result) ([]byte, error) {
	data, err := json.MarshalIndent(Analysis(rs), "", "    ")
	if err != nil {
		return nil, fmt.Errorf("marshal %s: %w", AnalysisFile, err)
	}
	return data, nil
}

// ParseAnalysis reads analysis.json's content back into results (title,
// message, severity and involved object survive the round trip).
func ParseAnalysis(data []byte) ([]*Result, error) {
	var entries []*AnalysisEntry
	if err := json.Unmarshal(data, &entries); err != nil {
		return nil, fmt.Errorf("parse %s: %w", AnalysisFile, err)
	}
	out := make([]*Result, 0, len(entries))
	for _, e := range entries {
		r := &Result{InvolvedObject: e.InvolvedObject, File: AnalysisFile}
		if e.Insight != nil {
			r.Title, r.Message = e.Insight.Primary, e.Insight.Detail
		}
		if e.Labels != nil {
			r.IconKey, r.IconURI = e.Labels["iconKey"], e.Labels["iconUri"]
		}
		switch e.Severity {
		case analysisError:
			r.IsFail = true
		case analysisWarn:
			r.IsWarn = true
		case analysisDebug:
			r.IsPass = true
		}
		out = append(out, r)
	}
	return out, nil
}
