package report

import (
	_ "embed"
	"html/template"
	"io"
	"strings"

	"github.com/mesosphere/dkp-diagnose/lib/analyze"
)

//go:embed report.html.tmpl
var htmlTemplate string

// page is parsed once; html/template escapes every value for its context
// (text, attribute, URL), so bundle content can never become markup.
var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"upper":     func(s analyze.Severity) string { return strings.ToUpper(string(s)) },
	"multiline": func(s string) bool { return strings.Contains(s, "\n") },
	"count":     func(s section, sev string) int { return s.Counts[analyze.Severity(sev)] },
	"isOther":   func(c Cluster) bool { return c.ID == otherID },
	"total": func(ss []section, sev string) int {
		n := 0
		for _, s := range ss {
			n += s.Counts[analyze.Severity(sev)]
		}
		return n
	},
}).Parse(htmlTemplate))

// WriteHTML writes report.html: one self-contained page.
func WriteHTML(w io.Writer, r Run) error {
	return page.Execute(w, struct {
		Run
		Sections []section
	}{r, r.sections()})
}
