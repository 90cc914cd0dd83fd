package troubleshoot

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"reflect"
	"sort"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
	"k8s.io/client-go/util/jsonpath"

	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
)

// yamlCompare and jsonCompare: a collected file, or the value at a dotted
// path (or, for JSON, a JSONPath) in it, against an expected value; the
// first outcome whose boolean when (fail and warn default to false, pass to
// true) equals "they are equal" applies, its message templated with the
// whole document.

func init() {
	register("yamlCompare", func(b *bundle, s any) ([]*Result, error) {
		return compareFile(b, s.(*spec.CompareAnalyze), false)
	})
	register("jsonCompare", func(b *bundle, s any) ([]*Result, error) {
		return compareFile(b, s.(*spec.CompareAnalyze), true)
	})
}

func compareFile(b *bundle, a *spec.CompareAnalyze, isJSON bool) ([]*Result, error) {
	title := a.CheckName
	if title == "" {
		title = a.CollectorName
	}
	if title == "" && isJSON {
		title = "Json Compare"
	}
	full := path.Join(a.CollectorName, a.FileName)
	data, err := b.read(full)
	if err != nil {
		return nil, fmt.Errorf("failed to read collected file name: %s: %w", full, err)
	}
	unmarshal := yaml.Unmarshal
	if isJSON {
		unmarshal = json.Unmarshal
	}
	var actual any
	if err := unmarshal(data, &actual); err != nil {
		return nil, fmt.Errorf("failed to parse collected data: %w", err)
	}
	original := actual
	switch {
	case a.Path != "":
		if actual, err = atPath(actual, a.Path); err != nil {
			return nil, fmt.Errorf("failed to get object at path: %s: %w", a.Path, err)
		}
	case isJSON && a.JSONPath != "":
		if actual, err = atJSONPath(actual, a.CheckName, a.JSONPath); err != nil {
			return nil, err
		}
	}
	var expected any
	if err := unmarshal([]byte(a.Value), &expected); err != nil {
		return nil, fmt.Errorf("failed to parse expected value: %w", err)
	}
	equal := reflect.DeepEqual(actual, expected)
	if isJSON {
		equal = deepEqualSorted(actual, expected)
	}
	r := &Result{Title: title, IconKey: iconText, IconURI: iconTextURI, File: full}
	for _, o := range a.Outcomes {
		out, when, ok := pick(o)
		if !ok {
			continue
		}
		w, err := parseBoolWhen(when, out.IsPass)
		if err != nil {
			return nil, err
		}
		msg, err := render(out.Message, original)
		if err != nil {
			return nil, fmt.Errorf("failed to render template on outcome message: %w", err)
		}
		if w == equal {
			apply(r, out)
			r.Message = msg
			return setStrict([]*Result{r}, a.AnalyzeMeta), nil
		}
	}
	return setStrict([]*Result{{Title: title, IconKey: iconText, IconURI: iconTextURI, IsFail: true, Message: "Invalid analyzer", File: full}}, a.AnalyzeMeta), nil
}

// atPath is troubleshoot's interfaceutils.GetAtPath: dot-separated keys,
// "[i]" for a list index.
func atPath(v any, p string) (any, error) {
	key, rest, more := strings.Cut(p, ".")
	if strings.HasPrefix(key, "[") && strings.HasSuffix(key, "]") {
		i, err := strconv.Atoi(key[1 : len(key)-1])
		if err != nil {
			return nil, fmt.Errorf("failed to get index value of %s: %w", key, err)
		}
		list, ok := v.([]any)
		if !ok {
			return nil, fmt.Errorf("input is not an array: %+v", v)
		}
		if i < 0 || i >= len(list) {
			return nil, fmt.Errorf("index %d out of range", i)
		}
		v = list[i]
	} else {
		switch m := v.(type) {
		case map[string]any:
			v = m[key]
		case map[any]any:
			v = m[key]
		default:
			return nil, fmt.Errorf("input is not a map, but rather a %T: %+v", v, v)
		}
	}
	if more {
		return atPath(v, rest)
	}
	return v, nil
}

func atJSONPath(v any, name, expr string) (any, error) {
	jp := jsonpath.New(name)
	jp.AllowMissingKeys(true).EnableJSONOutput(true)
	if err := jp.Parse(expr); err != nil {
		return nil, fmt.Errorf("failed to parse jsonpath: %s: %w", expr, err)
	}
	var buf bytes.Buffer
	if err := jp.Execute(&buf, v); err != nil {
		return nil, fmt.Errorf("failed to execute jsonpath: %w", err)
	}
	var out any
	if err := json.NewDecoder(&buf).Decode(&out); err != nil {
		return nil, fmt.Errorf("failed to decode jsonpath result: %w", err)
	}
	if list, ok := out.([]any); ok && len(list) == 1 {
		out = list[0]
	}
	return out, nil
}

// deepEqualSorted is jsonCompare's equality: lists compare as multisets.
func deepEqualSorted(a, b any) bool {
	la, oka := a.([]any)
	lb, okb := b.([]any)
	if oka != okb {
		return false
	}
	if !oka {
		return reflect.DeepEqual(a, b)
	}
	if len(la) != len(lb) {
		return false
	}
	sortAny(la)
	sortAny(lb)
	return reflect.DeepEqual(la, lb)
}

func sortAny(s []any) {
	sort.Slice(s, func(i, j int) bool {
		switch x := s[i].(type) {
		case float64:
			if y, ok := s[j].(float64); ok {
				return x < y
			}
		case string:
			if y, ok := s[j].(string); ok {
				return x < y
			}
		case bool:
			if y, ok := s[j].(bool); ok {
				return !x && y
			}
		}
		return fmt.Sprintf("%v", s[i]) < fmt.Sprintf("%v", s[j])
	})
}

var errNoOperator = errors.New("no operators found")
