package app

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/mesosphere/dkp-diagnose/config"
)

func newVersionCommand(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprintf(stdout, "dkp-diagnose %s\n", Version)
			return err
		},
	}
}

func newDefaultConfigCommand(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "default-config",
		Short: "Print the built-in spec, a starting point for your own",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := stdout.Write(config.DefaultSpec)
			return err
		},
	}
}
