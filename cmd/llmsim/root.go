package main

import "github.com/spf13/cobra"

// newRootCmd builds the command tree. Every subcommand is listed here, in one place,
// so that the CLI's shape is visible without hunting for init functions.
func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "llmsim",
		Short:         "Predict how an LLM serving cluster behaves before you own it",
		Version:       version, // --version; `llmsim version` adds the build information
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(
		newVersionCmd(), newProfileCmd(),
		newSimulateCmd(), newValidateCmd(),
		newCatalogCmd(),
		newTrainCmd(), newModelsCmd(), newCompareCmd(),
	)
	return root
}
