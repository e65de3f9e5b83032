package main

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version is set at link time (-ldflags "-X main.version=..."); "dev" otherwise.
var version = "dev"

// newVersionCmd is `llmsim version`.
func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print llmsim's version and build information",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "llmsim %s\n", version)
			info, ok := debug.ReadBuildInfo()
			if !ok {
				return nil
			}
			fmt.Fprintf(out, "go: %s\n", info.GoVersion)
			for _, s := range info.Settings {
				switch s.Key {
				case "vcs.revision", "vcs.time", "vcs.modified", "GOOS", "GOARCH":
					fmt.Fprintf(out, "%s: %s\n", s.Key, s.Value)
				}
			}
			return nil
		},
	}
}
