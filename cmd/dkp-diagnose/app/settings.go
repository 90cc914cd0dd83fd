package app

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// EnvPrefix starts every environment variable dkp-diagnose reads:
// DKP_DIAGNOSE_<KEY> with the key upper-cased and "-" turned into "_".
const EnvPrefix = "DKP_DIAGNOSE_"

// Environment variables that choose the config file and profile; they are
// not settings themselves (a config file cannot name another one).
const (
	EnvConfig  = EnvPrefix + "CONFIG"
	EnvProfile = EnvPrefix + "PROFILE"
)

// specsKey is the setting of the positional SPEC_FILE arguments.
const specsKey = "specs"

// notSettings are flags a config file or environment cannot set: the ones
// that choose the config itself, and credentials, which belong in a
// kubeconfig rather than in a plain-text file shared between operators.
var notSettings = map[string]bool{
	"help": true, "config": true, "profile": true,
	"token": true, "username": true, "password": true,
}

// pathKeys name input files: in a config file they are relative to the
// file's folder, so a profile can sit beside its specs and redactors.
var pathKeys = map[string]bool{
	specsKey: true, "redactors": true, "kubeconfig": true, "bootstrap-kubeconfig": true,
	"certificate-authority": true, "client-certificate": true, "client-key": true,
}

// setting is one key of the config file, its environment variable and, for
// all but specs, its flag.
type setting struct {
	key  string
	env  string
	flag *pflag.Flag // nil for specs, the positional arguments
}

// kind is the pflag value type ("string", "int", "stringSlice", …).
func (s setting) kind() string {
	if s.flag == nil {
		return "stringSlice"
	}
	return s.flag.Value.Type()
}

func (s setting) isList() bool {
	k := s.kind()
	return k == "stringSlice" || k == "stringArray"
}

// settingsOf lists the settings of the root command: one per flag, so every
// flag is settable in a profile by construction, plus the spec files.
func settingsOf(root *cobra.Command) []setting {
	out := []setting{{key: specsKey, env: envName(specsKey)}}
	seen := map[string]bool{}
	add := func(f *pflag.Flag) {
		if notSettings[f.Name] || seen[f.Name] {
			return
		}
		seen[f.Name] = true
		out = append(out, setting{key: f.Name, env: envName(f.Name), flag: f})
	}
	root.LocalFlags().VisitAll(add)
	root.PersistentFlags().VisitAll(add)
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out
}

func envName(key string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(key, "-", "_"))
}

// checkValue says whether a config file value fits the setting's type, in
// words a user can act on.
func checkValue(s setting, val any) error {
	if val == nil {
		return fmt.Errorf("has no value")
	}
	if s.isList() {
		l, ok := val.([]any)
		if !ok {
			return fmt.Errorf("want a list, got %s", describe(val))
		}
		for _, e := range l {
			if !isScalar(e) {
				return fmt.Errorf("want a list of strings, got an item %s", describe(e))
			}
		}
		return nil
	}
	if !isScalar(val) {
		return fmt.Errorf("want %s, got %s", want(s.kind()), describe(val))
	}
	return parseScalar(s.kind(), fmt.Sprint(val), val)
}

// parseScalar checks text against a flag type; raw is the decoded YAML value
// when there is one (a YAML float is no integer even if it prints as one).
func parseScalar(kind, text string, raw any) error {
	var err error
	switch kind {
	case "bool":
		_, err = strconv.ParseBool(text)
	case "int", "int64", "count":
		if _, isFloat := raw.(float64); isFloat {
			err = fmt.Errorf("not an integer")
		} else {
			_, err = strconv.Atoi(text)
		}
	case "float32":
		_, err = strconv.ParseFloat(text, 32)
	case "duration":
		_, err = time.ParseDuration(text)
	}
	if err != nil {
		return fmt.Errorf("want %s, got %s", want(kind), describe(raw))
	}
	return nil
}

func isScalar(v any) bool {
	switch v.(type) {
	case string, bool, int, int64, uint64, float64:
		return true
	}
	return false
}

func want(kind string) string {
	switch kind {
	case "bool":
		return "true or false"
	case "int", "int64", "count":
		return "an integer"
	case "float32":
		return "a number"
	case "duration":
		return "a duration like 90s, 30m or 48h"
	case "stringSlice", "stringArray":
		return "a list"
	}
	return "a string"
}

func describe(v any) string {
	switch v := v.(type) {
	case nil:
		return "nothing"
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	case string:
		return strconv.Quote(v)
	}
	return fmt.Sprint(v)
}

// closest returns the known key nearest to k, if it is near enough to be a
// typo (edit distance of at most 2), for "did you mean" hints.
func closest(k string, known []string) string {
	best, bestD := "", 3
	for _, c := range known {
		if d := editDistance(k, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
