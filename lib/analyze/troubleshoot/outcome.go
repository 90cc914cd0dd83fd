package troubleshoot

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/template"

	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
)

// pick returns the severity flags, message and URI of an outcome, and its
// when; ok is false for an empty outcome.
func pick(o *spec.Outcome) (r Result, when string, ok bool) {
	switch {
	case o.Fail != nil:
		return Result{IsFail: true, Message: o.Fail.Message, URI: o.Fail.URI}, o.Fail.When, true
	case o.Warn != nil:
		return Result{IsWarn: true, Message: o.Warn.Message, URI: o.Warn.URI}, o.Warn.When, true
	case o.Pass != nil:
		return Result{IsPass: true, Message: o.Pass.Message, URI: o.Pass.URI}, o.Pass.When, true
	}
	return Result{}, "", false
}

// apply copies an outcome's flags, message and URI into r.
func apply(r *Result, o Result) {
	r.IsFail, r.IsWarn, r.IsPass = o.IsFail, o.IsWarn, o.IsPass
	r.Message, r.URI = o.Message, o.URI
}

// compareInt is troubleshoot's compareActualToWhen: "<op> <int>".
func compareInt(when string, actual int) (bool, error) {
	parts := strings.Split(strings.TrimSpace(when), " ")
	if len(parts) != 2 {
		return false, errors.New("unable to parse when range")
	}
	value, err := strconv.Atoi(parts[1])
	if err != nil {
		return false, fmt.Errorf("failed to parse when value: %w", err)
	}
	return compareOp(parts[0], actual, value)
}

func compareOp(op string, actual, value int) (bool, error) {
	switch op {
	case "=", "==", "===":
		return actual == value, nil
	case "<":
		return actual < value, nil
	case ">":
		return actual > value, nil
	case "<=":
		return actual <= value, nil
	case ">=":
		return actual >= value, nil
	}
	return false, fmt.Errorf("unknown comparator: %q", op)
}

// commonStatus is troubleshoot's rule for a named deployment or
// statefulset: the first outcome whose when matches the ready replicas
// wins; "absent" matches a missing object, and any other outcome reached
// while the object is missing fails with "was not found".
func commonStatus(outcomes []*spec.Outcome, name, iconKey, iconURI string, ready int, exists bool, kind string) (*Result, error) {
	r := &Result{Title: name + " Status", IconKey: iconKey, IconURI: iconURI}
	for _, o := range outcomes {
		out, when, ok := pick(o)
		if !ok {
			continue
		}
		if !exists && when != "absent" {
			r.IsFail = true
			r.Message = fmt.Sprintf("The %s %q was not found", kind, name)
			r.URI = out.URI
			return r, nil
		}
		switch when {
		case "":
			apply(r, out)
			return r, nil
		case "absent":
			if !exists {
				apply(r, out)
				return r, nil
			}
			continue
		}
		match, err := compareInt(when, ready)
		if err != nil {
			return nil, fmt.Errorf("failed to parse %s range: %w", severityWord(out), err)
		}
		if match {
			apply(r, out)
			return r, nil
		}
	}
	return r, nil
}

func severityWord(r Result) string {
	switch {
	case r.IsFail:
		return "fail"
	case r.IsWarn:
		return "warn"
	}
	return "pass"
}

// render is troubleshoot's RenderTemplate: a Go text/template over data.
// troubleshoot adds sprig's functions; messages here have the template
// language's own functions only.
func render(tpl string, data any) (string, error) {
	t, err := template.New("data").Parse(tpl)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// parseBoolWhen parses a boolean when, with a default for an empty one.
func parseBoolWhen(when string, def bool) (bool, error) {
	if when == "" {
		return def, nil
	}
	v, err := strconv.ParseBool(when)
	if err != nil {
		return false, fmt.Errorf("failed to process when statement: %s: %w", when, err)
	}
	return v, nil
}
