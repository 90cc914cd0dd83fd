package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/mesosphere/dkp-diagnose/config"
)

// ConfigView is what "dkp-diagnose config view --output json" prints.
type ConfigView struct {
	// ConfigFile is the config file in use, empty when there is none.
	ConfigFile string `json:"configFile,omitempty"`
	// ConfigFrom says how it was found: --config, $DKP_DIAGNOSE_CONFIG or
	// default location.
	ConfigFrom string   `json:"configFrom,omitempty"`
	Profile    string   `json:"profile,omitempty"`
	Profiles   []string `json:"profiles,omitempty"`
	// Settings are every key with its effective value and its source: flag,
	// env, profile <name>, file or default.
	Settings []SettingValue `json:"settings"`
}

// newConfigCommand is "dkp-diagnose config": view the effective settings,
// print the example config file.
func newConfigCommand(o *options, root *cobra.Command, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Show the effective settings, or an example config file with profiles",
		Args:  cobra.NoArgs,
	}
	view := &cobra.Command{
		Use:   "view [SPEC_FILE...]",
		Short: "Print every setting's effective value and where it came from (flag, env, profile, file, default)",
		Long: `Print every setting a run would use, with its source: a flag, an
environment variable (DKP_DIAGNOSE_<KEY>), the selected profile, the config
file's top-level defaults, or the built-in default. It accepts every flag of a
run, so "config view --concurrency 2" shows what the flag changes.`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			eff, err := o.applySettings(cmd, args)
			if err != nil {
				return usageError(err)
			}
			if err := o.checkOutputFormat(); err != nil {
				return usageError(err)
			}
			return printConfigView(stdout, o.output, eff)
		},
	}
	// The run's own flags, so that a flag's effect on the settings can be
	// seen without running. They are the root's Flag values, shared.
	view.Flags().AddFlagSet(root.LocalNonPersistentFlags())
	var write bool
	example := &cobra.Command{
		Use:   "example",
		Short: "Print an example config file with an air-gapped and a fleet profile (--write: save it as the default config file)",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if write {
				return writeExampleConfig(stdout)
			}
			_, err := stdout.Write(config.ExampleConfig)
			return err
		},
	}
	example.Flags().BoolVar(&write, "write", false, "write it to the default config file ($XDG_CONFIG_HOME/dkp-diagnose/config.yaml), creating the folder; an existing file is kept")
	cmd.AddCommand(view, example)
	return cmd
}

func printConfigView(w io.Writer, format string, eff *effective) error {
	cv := ConfigView{ConfigFile: eff.file.path, ConfigFrom: eff.file.from, Profiles: eff.file.profileNames(), Settings: eff.values}
	if eff.profile != "" {
		cv.Profile = eff.profile
	}
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(cv); err != nil {
			return failedError(fmt.Errorf("write config view: %w", err))
		}
		return nil
	}
	file := "none"
	if cv.ConfigFile != "" {
		file = fmt.Sprintf("%s (%s)", cv.ConfigFile, cv.ConfigFrom)
	}
	profile := "none"
	if cv.Profile != "" {
		profile = fmt.Sprintf("%s (%s)", cv.Profile, eff.profileFrom)
	}
	fmt.Fprintf(w, "config file: %s\nprofile: %s\n\n", file, profile)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tVALUE\tSOURCE")
	for _, s := range cv.Settings {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Key, textValue(s.Value), s.Source)
	}
	if err := tw.Flush(); err != nil {
		return failedError(fmt.Errorf("write config view: %w", err))
	}
	return nil
}

// writeExampleConfig saves the example as the default config file, making
// its folder on a fresh machine, and never over a file already there.
func writeExampleConfig(stdout io.Writer) error {
	p := defaultConfigPath()
	if p == "" {
		return usageError(errors.New("config example --write: no home folder or $XDG_CONFIG_HOME to put the config file in"))
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return failedError(fmt.Errorf("config example --write: %w", err))
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return usageError(fmt.Errorf("config example --write: %s exists; kept as it is", p))
	}
	if err != nil {
		return failedError(fmt.Errorf("config example --write: %w", err))
	}
	if _, err := f.Write(config.ExampleConfig); err != nil {
		f.Close()
		return failedError(fmt.Errorf("config example --write: %w", err))
	}
	if err := f.Close(); err != nil {
		return failedError(fmt.Errorf("config example --write: %w", err))
	}
	fmt.Fprintln(stdout, p)
	return nil
}
