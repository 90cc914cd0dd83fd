package app

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/viper"
)

// profilesKey holds the named profiles in a config file.
const profilesKey = "profiles"

// configFile is a dkp-diagnose config file: top-level defaults and named
// profiles that override them.
type configFile struct {
	// path is empty when no config file is in use.
	path string
	// from says how path was chosen: "--config", "$DKP_DIAGNOSE_CONFIG" or
	// "default location".
	from     string
	v        *viper.Viper
	defaults map[string]any
	profiles map[string]map[string]any
}

// defaultConfigPath is $XDG_CONFIG_HOME/dkp-diagnose/config.yaml, else
// ~/.config/dkp-diagnose/config.yaml; empty when neither can be told.
func defaultConfigPath() string {
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "dkp-diagnose", "config.yaml")
}

// locateConfig picks the config file: --config, else $DKP_DIAGNOSE_CONFIG,
// else the default location when a file is there. A file named explicitly
// must exist; the default one is optional.
func locateConfig(flagPath string) (path, from string, err error) {
	switch {
	case flagPath != "":
		path, from = flagPath, "--config"
	case os.Getenv(EnvConfig) != "":
		path, from = os.Getenv(EnvConfig), "$"+EnvConfig
	default:
		path = defaultConfigPath()
		if path == "" {
			return "", "", nil
		}
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return "", "", nil
		}
		from = "default location"
	}
	if _, err := os.Stat(path); err != nil {
		return "", "", fmt.Errorf("config file (%s): %w", from, err)
	}
	return path, from, nil
}

// loadConfig reads and checks the config file chosen by locateConfig (an
// empty configFile when there is none). Every key of the defaults and of
// every profile must be a known setting of the right type, so a typo in a
// profile fails every run, not just the runs that select it.
func loadConfig(flagPath string, known []setting) (*configFile, error) {
	path, from, err := locateConfig(flagPath)
	if err != nil {
		return nil, err
	}
	cf := &configFile{path: path, from: from, v: viper.New(), defaults: map[string]any{}, profiles: map[string]map[string]any{}}
	if path == "" {
		return cf, nil
	}
	cf.v.SetConfigFile(path)
	cf.v.SetConfigType("yaml") // whatever the extension: one format to document
	if err := cf.v.ReadInConfig(); err != nil {
		var pe viper.ConfigParseError
		if errors.As(err, &pe) {
			err = pe.Unwrap()
		}
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	byKey := map[string]setting{}
	var keys []string
	for _, s := range known {
		byKey[s.key] = s
		keys = append(keys, s.key)
	}
	for k, val := range cf.v.AllSettings() {
		if k == profilesKey {
			continue
		}
		if err := checkKey(byKey, keys, k, val); err != nil {
			return nil, fmt.Errorf("config %s: %w", path, err)
		}
		cf.defaults[k] = val
	}
	if raw := cf.v.Get(profilesKey); raw != nil {
		ps, ok := raw.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("config %s: key %q: want a mapping of profile names to settings, got %s", path, profilesKey, describe(raw))
		}
		for name, p := range ps {
			settings, ok := p.(map[string]any)
			if p != nil && !ok {
				return nil, fmt.Errorf("config %s: profile %q: want a mapping of settings, got %s", path, name, describe(p))
			}
			for k, val := range settings {
				if err := checkKey(byKey, keys, k, val); err != nil {
					return nil, fmt.Errorf("config %s: profile %q: %w", path, name, err)
				}
			}
			if settings == nil {
				settings = map[string]any{}
			}
			cf.profiles[name] = settings
		}
	}
	return cf, nil
}

func checkKey(byKey map[string]setting, keys []string, k string, val any) error {
	s, ok := byKey[k]
	if !ok {
		msg := fmt.Sprintf("unknown key %q", k)
		if notSettings[k] {
			msg = fmt.Sprintf("key %q cannot be set in a config file", k)
		} else if c := closest(k, keys); c != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", c)
		}
		return errors.New(msg + `; "dkp-diagnose config view" lists the keys`)
	}
	if err := checkValue(s, val); err != nil {
		return fmt.Errorf("key %q: %w", k, err)
	}
	return nil
}

// profileNames returns the profiles, sorted.
func (cf *configFile) profileNames() []string {
	out := make([]string, 0, len(cf.profiles))
	for n := range cf.profiles {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// profile returns the named profile's settings. Names are matched without
// regard to case, as viper lower-cases every key it reads.
func (cf *configFile) profile(name string) (map[string]any, error) {
	if cf.path == "" {
		return nil, fmt.Errorf("profile %q: no config file (give --config, set $%s or write %s)", name, EnvConfig, defaultConfigPath())
	}
	p, ok := cf.profiles[strings.ToLower(name)]
	if !ok {
		known := "none"
		if names := cf.profileNames(); len(names) > 0 {
			known = strings.Join(names, ", ")
		}
		return nil, fmt.Errorf("config %s: unknown profile %q (profiles: %s)", cf.path, name, known)
	}
	return p, nil
}
