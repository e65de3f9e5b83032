package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/llmsim/llmsim/train"
)

// newModelsCmd is `llmsim models list|show|verify`: the artifacts under a models folder.
func newModelsCmd() *cobra.Command {
	var root, gpu, model string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "models",
		Short: "List, show and verify trained predictor artifacts",
	}
	cmd.PersistentFlags().StringVar(&root, "models", "models", "models folder")

	list := &cobra.Command{
		Use:   "list",
		Short: "List artifacts (not verified; use verify)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			es, err := train.FindArtifacts(root, gpu, model)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "id\tgpu\tmodel\ttp\tpredictor\tgrid\tops\tdir")
			for _, e := range es {
				m := e.Manifest
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%d\t%s\n", m.ShortID(), m.GPU, artifactOwner(&m), m.TP, m.Predictor, m.GridName, len(m.Operators), e.Dir)
			}
			return tw.Flush()
		},
	}
	list.Flags().StringVar(&gpu, "gpu", "", "only artifacts of this GPU")
	list.Flags().StringVar(&model, "model", "", "only artifacts of this model")

	show := &cobra.Command{
		Use:   "show ID|DIR",
		Short: "Verify an artifact and print its manifest: per operator the chosen predictor and every kind's CV MAPE",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := train.OpenArtifact(args[0], root)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				return enc.Encode(&a.Manifest)
			}
			m := &a.Manifest
			fmt.Fprintf(w, "artifact %s\n  id %s\n  gpu %s  model %s  tp %d  predictor %s  grid %s  selection %s (%d folds%s)  seed %d\n",
				a.Dir, m.ID, m.GPU, artifactOwner(m), m.TP, m.Predictor, m.GridName, m.Selection, m.Folds, cvSuffix(m.CV), m.Seed)
			for _, d := range m.Datasets {
				fmt.Fprintf(w, "  dataset %s (%d rows, synthetic %v)\n", d.ID, d.Rows, d.Synthetic)
			}
			printArtifactOps(w, m, nil)
			return nil
		},
	}
	show.Flags().BoolVar(&asJSON, "json", false, "print manifest.json")

	verify := &cobra.Command{
		Use:   "verify ID|DIR",
		Short: "Re-hash an artifact's manifest and operator files",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := train.OpenArtifact(args[0], root)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "ok %s (%d operator files)\n", a.Manifest.ID, len(a.Ops()))
			return nil
		},
	}
	cmd.AddCommand(list, show, verify)
	return cmd
}

// cvSuffix names a manifest's fold assignment, when it has one.
func cvSuffix(cv string) string {
	if cv == "" {
		return ""
	}
	return ", " + cv
}

// artifactOwner is what an artifact was trained for: its model, or network-<node> for a
// collectives-only artifact.
func artifactOwner(m *train.Manifest) string {
	if m.CollectivesOnly {
		return "network-" + m.Network
	}
	return m.Model
}
