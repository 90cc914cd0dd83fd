package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/mesosphere/dkp-diagnose/lib/analyze"
)

// WriteMarkdown writes report.md: an overview table, then one section per
// cluster with its findings worst first. Text from bundles is escaped (or
// fenced, for multi-line messages) so it cannot turn into markup.
func WriteMarkdown(w io.Writer, r Run) error {
	b := bufio.NewWriter(w)
	ss := r.sections()
	fmt.Fprintln(b, "# dkp-diagnose report")
	fmt.Fprintln(b)
	var head []string
	if r.Tool != "" {
		head = append(head, mdText(r.Tool))
	}
	if !r.Generated.IsZero() {
		head = append(head, "generated "+r.Generated.UTC().Format("2006-01-02 15:04:05 UTC"))
	}
	fails, warns := 0, 0
	for _, s := range ss {
		fails += s.Counts[analyze.SeverityFail]
		warns += s.Counts[analyze.SeverityWarn]
	}
	head = append(head, fmt.Sprintf("%d clusters, %d failures, %d warnings", len(r.Clusters), fails, warns))
	fmt.Fprintln(b, strings.Join(head, " · "))
	fmt.Fprintln(b)
	fmt.Fprintln(b, "| Cluster | Role | Collection | Fail | Warn | Info | Bundle |")
	fmt.Fprintln(b, "|---|---|---|---|---|---|---|")
	for _, s := range ss {
		fmt.Fprintf(b, "| %s | %s | %s | %d | %d | %d | %s |\n", mdCell(sectionName(s)), mdCell(string(s.Cluster.Role)), mdCell(s.Cluster.Status),
			s.Counts[analyze.SeverityFail], s.Counts[analyze.SeverityWarn], s.Counts[analyze.SeverityInfo], mdCode(s.Cluster.Bundle))
	}
	for _, s := range ss {
		fmt.Fprintln(b)
		if s.Cluster.ID == otherID {
			fmt.Fprintf(b, "## %s\n\n", sectionName(s))
		} else {
			fmt.Fprintf(b, "## %s cluster %s — %s\n\n", mdText(string(s.Cluster.Role)), mdText(s.Cluster.Label()), strings.ToUpper(string(s.Worst)))
			line := "Collection: " + mdText(s.Cluster.Status)
			if s.Cluster.Bundle != "" {
				line += " · bundle " + mdCode(s.Cluster.Bundle)
			}
			fmt.Fprintln(b, line)
			if s.Cluster.Error != "" {
				fmt.Fprintf(b, "\n%s\n", mdText(s.Cluster.Error))
			}
			fmt.Fprintln(b)
		}
		if len(s.Findings) == 0 {
			fmt.Fprintln(b, "No findings.")
		}
		for _, f := range s.Findings {
			title := mdText(f.Title)
			if f.Count > 1 {
				title += fmt.Sprintf(" (×%d)", f.Count)
			}
			fmt.Fprintf(b, "- **%s** %s\n", strings.ToUpper(string(f.Severity)), title)
			if f.Message != "" {
				if strings.Contains(f.Message, "\n") {
					fence := mdFence(f.Message)
					fmt.Fprintf(b, "\n  %stext\n", fence)
					for _, l := range strings.Split(strings.TrimRight(f.Message, "\n"), "\n") {
						fmt.Fprintf(b, "  %s\n", l)
					}
					fmt.Fprintf(b, "  %s\n\n", fence)
				} else {
					fmt.Fprintf(b, "  %s\n", mdText(f.Message))
				}
			}
			meta := []string{mdCode(f.Analyzer)}
			if f.Object != "" {
				meta = append(meta, mdText(f.Object))
			}
			if f.Bundle != "" || f.File != "" {
				from := "from "
				if f.Bundle != "" {
					from += mdCode(f.Bundle)
					if f.File != "" {
						from += " › "
					}
				}
				meta = append(meta, from+mdCode(f.File))
			}
			fmt.Fprintf(b, "  <br>%s\n", strings.Join(meta, " · "))
		}
	}
	return b.Flush()
}

func sectionName(s section) string {
	if s.Cluster.ID == otherID {
		return s.Cluster.Name
	}
	return s.Cluster.Label()
}

// mdEscaper backslash-escapes Markdown's punctuation and neutralizes raw
// HTML, so text from a bundle renders as the text it is.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "{", `\{`, "}", `\}`, "[", `\[`, "]", `\]`,
	"(", `\(`, ")", `\)`, "#", `\#`, "+", `\+`, "!", `\!`, "|", `\|`, "~", `\~`,
	"<", "&lt;", ">", "&gt;", "&", "&amp;", "\n", " ",
)

func mdText(s string) string { return mdEscaper.Replace(s) }

// mdCell is text inside a table cell.
func mdCell(s string) string { return mdText(s) }

// mdCode is an inline code span that holds s whatever backticks it has;
// a pipe is escaped as a table cell needs. Empty s gives "".
func mdCode(s string) string {
	if s == "" {
		return ""
	}
	ticks := strings.Repeat("`", longestRun(s, '`')+1)
	s = strings.ReplaceAll(s, "|", `\|`)
	s = strings.ReplaceAll(s, "\n", " ")
	return ticks + " " + s + " " + ticks
}

// mdFence is a code fence longer than any run of backticks in s.
func mdFence(s string) string { return strings.Repeat("`", max(3, longestRun(s, '`')+1)) }

func longestRun(s string, c byte) int {
	best, n := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			n++
			best = max(best, n)
		} else {
			n = 0
		}
	}
	return best
}
