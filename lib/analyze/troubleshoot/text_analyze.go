package troubleshoot

import (
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
)

// textAnalyze: a regular expression (match or not) or its named groups
// (compared with when, templated into the message) against every file
// matching collectorName/fileName.

const (
	iconText    = "kubernetes_text_analyze"
	iconTextURI = "https://troubleshoot.sh/images/analyzer-icons/text-analyze.svg"
)

func init() {
	register("textAnalyze", func(b *bundle, s any) ([]*Result, error) {
		return textAnalyze(b, s.(*spec.TextAnalyze))
	})
}

func execOutput(name string) bool {
	return strings.HasSuffix(name, "-stdout.txt") || strings.HasSuffix(name, "-stderr.txt") || strings.HasSuffix(name, "-errors.json")
}

func hasWildcards(p string) bool { return strings.ContainsAny(p, "*?[") }

func textAnalyze(b *bundle, a *spec.TextAnalyze) ([]*Result, error) {
	title := a.CheckName
	if title == "" {
		title = a.CollectorName
	}
	full := path.Join(a.CollectorName, a.FileName)
	// An exec collector's output lies two folders down
	// (<collector>/<namespace>/<pod>/…): troubleshoot finds it there.
	if execOutput(a.FileName) && !hasWildcards(a.FileName) && !hasWildcards(full) {
		full = path.Join(a.CollectorName, "*", "*", a.FileName)
	}
	var exclude []string
	for _, ex := range a.ExcludeFiles {
		p := path.Join(a.CollectorName, ex)
		if execOutput(ex) && !hasWildcards(ex) && !hasWildcards(p) {
			p = path.Join(a.CollectorName, "*", "*", ex)
		}
		exclude = append(exclude, p)
	}
	var re, groups *regexp.Regexp
	var err error
	if a.RegexPattern != "" {
		if re, err = regexp.Compile(a.RegexPattern); err != nil {
			return nil, fmt.Errorf("failed to compile regex: %s: %w", a.RegexPattern, err)
		}
	}
	if a.RegexGroups != "" {
		if groups, err = regexp.Compile(a.RegexGroups); err != nil {
			return nil, fmt.Errorf("failed to compile regex: %s: %w", a.RegexGroups, err)
		}
	}
	files := 0
	var results []*Result
	err = b.each(full, exclude, func(name string, data []byte) error {
		files++
		if re != nil {
			r, err := regexOutcome(re.Match(data), a.Outcomes, title)
			if err != nil {
				return err
			}
			r.File = name
			results = append(results, r)
		}
		if groups != nil {
			r, err := regexGroupsOutcome(groups, data, a.Outcomes, title)
			if err != nil {
				return err
			}
			r.File = name
			results = append(results, r)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("failed to read collected file name: %s: %w", full, err)
	}
	if files == 0 {
		if a.IgnoreIfNoFiles {
			return nil, nil
		}
		return []*Result{{Title: title, IconKey: iconText, IconURI: iconTextURI, IsWarn: true, Message: "No matching files"}}, nil
	}
	if len(results) > 0 {
		return setStrict(results, a.AnalyzeMeta), nil
	}
	return []*Result{{Title: title, IconKey: iconText, IconURI: iconTextURI, IsFail: true, Message: "Invalid analyzer"}}, nil
}

// regexOutcome is troubleshoot's rule for `regex`: every outcome whose
// boolean when (fail and warn default to false, pass to true) equals
// whether the pattern matched applies, the last one winning.
func regexOutcome(matched bool, outcomes []*spec.Outcome, title string) (*Result, error) {
	r := &Result{Title: title, IconKey: iconText, IconURI: iconTextURI}
	for _, o := range outcomes {
		out, when, ok := pick(o)
		if !ok {
			continue
		}
		w, err := parseBoolWhen(when, out.IsPass)
		if err != nil {
			return nil, err
		}
		if matched != w {
			continue
		}
		switch {
		case out.IsFail:
			r.IsFail, r.IsWarn = true, false
		case out.IsWarn:
			r.IsWarn = true
		default:
			r.IsPass = true
		}
		r.Message, r.URI = out.Message, out.URI
	}
	return r, nil
}

// regexGroupsOutcome is troubleshoot's rule for `regexGroups`: the first
// outcome whose when ("<group> <op> <value>", empty always holds) holds
// applies, its message templated with the groups.
func regexGroupsOutcome(re *regexp.Regexp, data []byte, outcomes []*spec.Outcome, title string) (*Result, error) {
	r := &Result{Title: title, IconKey: iconText, IconURI: iconTextURI + "?w=13&h=16"}
	m := re.FindSubmatch(data)
	found := map[string]string{}
	for i, name := range re.SubexpNames() {
		if i != 0 && name != "" && len(m) > i {
			found[name] = string(m[i])
		}
	}
	for _, o := range outcomes {
		out, when, ok := pick(o)
		if !ok {
			continue
		}
		match, err := compareGroups(when, found)
		if err != nil {
			return r, fmt.Errorf("failed to compare regex %s conditional: %w", severityWord(out), err)
		}
		if !match {
			continue
		}
		msg, err := render(out.Message, found)
		if err != nil {
			return r, fmt.Errorf("failed to template message in outcome.%s block: %w", strings.ToUpper(severityWord(out)[:1])+severityWord(out)[1:], err)
		}
		apply(r, out)
		r.Message = msg
		return r, nil
	}
	return r, nil
}

func compareGroups(cond string, found map[string]string) (bool, error) {
	if cond == "" {
		return true, nil
	}
	parts := strings.Split(strings.TrimSpace(cond), " ")
	if len(parts) != 3 {
		return false, fmt.Errorf("unable to parse regex conditional")
	}
	name, op, want := parts[0], parts[1], parts[2]
	if want == "''" || want == `""` {
		want = ""
	}
	got, ok := found[name]
	if !ok {
		return false, nil
	}
	if wantInt, err := strconv.Atoi(want); err == nil {
		gotInt, err := strconv.Atoi(got)
		if err != nil {
			return false, nil
		}
		switch op {
		case "=", "==", "===", "<", ">", "<=", ">=":
			return compareOp(op, gotInt, wantInt)
		}
		return false, nil
	}
	if op != "=" && op != "==" && op != "===" {
		return false, fmt.Errorf("unexpected operator %q in regex comparator, cannot compare %q and %q", op, got, want)
	}
	return got == want, nil
}

func compileRegex(p string) (*regexp.Regexp, error) {
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, fmt.Errorf("failed to compile regex: %s: %w", p, err)
	}
	return re, nil
}
