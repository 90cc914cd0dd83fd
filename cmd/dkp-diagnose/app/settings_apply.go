package app

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Where a setting's value came from, highest precedence first.
const (
	sourceFlag    = "flag"
	sourceEnv     = "env"
	sourceProfile = "profile" // shown as "profile <name>"
	sourceFile    = "file"
	sourceDefault = "default"
)

// SettingValue is one line of "dkp-diagnose config view".
type SettingValue struct {
	Key string `json:"key"`
	// Value is typed as the setting is: bool, int64, float64, []string
	// for lists, string for the rest (durations included).
	Value  any    `json:"value"`
	Source string `json:"source"`
	Env    string `json:"env"`
}

// effective is the outcome of applying the config file, the profile and the
// environment to the parsed flags.
type effective struct {
	file        *configFile
	profile     string
	profileFrom string
	specs       []string
	values      []SettingValue
}

// applySettings fills every flag the user did not give from, in this order,
// the environment ($DKP_DIAGNOSE_<KEY>), the selected profile and the config
// file's top-level defaults; untouched flags keep their built-in default.
// args are the positional spec files; they win over a "specs" setting.
//
// viper does the layering (BindPFlag, BindEnv, MergeConfigMap for the
// profile over the file); this function tells which layer answered, so that
// "config view" can say so, and writes the answer into the flag so the rest
// of the command reads its options as usual.
func (o *options) applySettings(cmd *cobra.Command, args []string) (*effective, error) {
	known := settingsOf(cmd.Root())
	if err := checkEnv(known); err != nil {
		return nil, err
	}
	cf, err := loadConfig(o.configPath, known)
	if err != nil {
		return nil, err
	}
	eff := &effective{file: cf, profile: o.profile, profileFrom: "--profile"}
	if eff.profile == "" {
		eff.profile, eff.profileFrom = os.Getenv(EnvProfile), "$"+EnvProfile
	}
	var prof map[string]any
	if eff.profile != "" {
		if prof, err = cf.profile(eff.profile); err != nil {
			return nil, err
		}
		if err := cf.v.MergeConfigMap(prof); err != nil {
			return nil, fmt.Errorf("config %s: profile %q: %w", cf.path, eff.profile, err)
		}
	}
	baseDir := filepath.Dir(cf.path)
	for _, s := range known {
		if err := cf.v.BindEnv(s.key, s.env); err != nil {
			return nil, err
		}
		if s.flag != nil {
			if err := cf.v.BindPFlag(s.key, s.flag); err != nil {
				return nil, err
			}
		}
		src := sourceDefault
		_, inProfile := prof[s.key]
		_, inFile := cf.defaults[s.key]
		switch {
		case s.flag != nil && s.flag.Changed, s.key == specsKey && len(args) > 0:
			src = sourceFlag
		case os.Getenv(s.env) != "":
			src = sourceEnv
		case inProfile:
			src = sourceProfile
		case inFile:
			src = sourceFile
		}
		if src == sourceEnv || src == sourceProfile || src == sourceFile {
			items, err := settingItems(s, cf.v.Get(s.key), src == sourceEnv, baseDir)
			if err == nil {
				err = setFlag(s, items, eff)
			}
			if err != nil {
				where := fmt.Sprintf("environment variable %s", s.env)
				if src != sourceEnv {
					where = fmt.Sprintf("config %s: key %q", cf.path, s.key)
				}
				return nil, fmt.Errorf("%s: %w", where, err)
			}
		}
		if s.key == specsKey && src == sourceFlag {
			eff.specs = args
		}
		if src == sourceProfile {
			src += " " + eff.profile
		}
		eff.values = append(eff.values, SettingValue{Key: s.key, Value: typedValue(s, eff), Source: src, Env: s.env})
	}
	return eff, nil
}

// checkEnv refuses DKP_DIAGNOSE_ variables that name no setting: a typo in
// an environment variable would otherwise be silently ignored.
func checkEnv(known []setting) error {
	names := map[string]bool{EnvConfig: true, EnvProfile: true}
	var all []string
	for _, s := range known {
		names[s.env] = true
		all = append(all, s.env)
	}
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, EnvPrefix) || names[name] {
			continue
		}
		msg := fmt.Sprintf("environment variable %s: unknown setting", name)
		if c := closest(name, all); c != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", c)
		}
		return errors.New(msg)
	}
	return nil
}

// settingItems turns a value from the environment (a string, lists
// comma-separated) or from the config file (checked by loadConfig) into flag
// arguments. File paths from a config file are relative to its folder.
func settingItems(s setting, val any, fromEnv bool, baseDir string) ([]string, error) {
	var items []string
	switch v := val.(type) {
	case []any:
		for _, e := range v {
			items = append(items, fmt.Sprint(e))
		}
	case string:
		if fromEnv && s.isList() {
			for _, e := range strings.Split(v, ",") {
				if e = strings.TrimSpace(e); e != "" {
					items = append(items, e)
				}
			}
		} else {
			items = []string{v}
		}
	default:
		items = []string{fmt.Sprint(v)}
	}
	if fromEnv && !s.isList() {
		if err := parseScalar(s.kind(), items[0], items[0]); err != nil {
			return nil, err
		}
	}
	for i, it := range items {
		if strings.HasPrefix(it, "~/") {
			if home, err := os.UserHomeDir(); err == nil {
				it = filepath.Join(home, it[2:])
			}
		}
		if !fromEnv && pathKeys[s.key] && it != "" && !filepath.IsAbs(it) {
			it = filepath.Join(baseDir, it)
		}
		items[i] = it
	}
	return items, nil
}

func setFlag(s setting, items []string, eff *effective) error {
	if s.flag == nil {
		eff.specs = items
		return nil
	}
	if sv, ok := s.flag.Value.(pflag.SliceValue); ok {
		return sv.Replace(items)
	}
	if len(items) != 1 {
		return fmt.Errorf("want one value, got %d", len(items))
	}
	return s.flag.Value.Set(items[0])
}

// typedValue is a setting's effective value as its type has it, so that
// JSON readers of "config view" get true, 100 and [] rather than strings.
func typedValue(s setting, eff *effective) any {
	if s.flag == nil {
		return append([]string{}, eff.specs...)
	}
	if sv, ok := s.flag.Value.(pflag.SliceValue); ok {
		return append([]string{}, sv.GetSlice()...)
	}
	text := s.flag.Value.String()
	switch s.kind() {
	case "bool":
		if b, err := strconv.ParseBool(text); err == nil {
			return b
		}
	case "int", "int64", "count":
		if n, err := strconv.ParseInt(text, 10, 64); err == nil {
			return n
		}
	case "float32", "float64":
		if f, err := strconv.ParseFloat(text, 64); err == nil {
			return f
		}
	}
	return text
}

// textValue shows a typed value in the text table: lists as [a,b], the
// empty string as "".
func textValue(v any) string {
	switch v := v.(type) {
	case []string:
		return "[" + strings.Join(v, ",") + "]"
	case string:
		if v == "" {
			return `""`
		}
		return v
	}
	return fmt.Sprint(v)
}
