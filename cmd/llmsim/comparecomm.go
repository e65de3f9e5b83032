package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/llmsim/llmsim/predictor"
	"github.com/llmsim/llmsim/profile"
)

func newCompareCollectivesCmd() *cobra.Command {
	every := 4
	cmd := &cobra.Command{
		Use:   "collectives DATASET...",
		Short: "Score the profiled collective model on held-out message sizes",
		Long: `collectives scores llmsim's profiled collective model (log-log interpolation between
measured message sizes, docs/comm.md) on the collective rows of one or more datasets: per
network, collective, group size and ranks per node, every --every-th measured size is left
out, predicted from the others and compared with its measurement.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCompareCollectives(cmd.OutOrStdout(), args, every)
		},
	}
	cmd.Flags().IntVar(&every, "every", every, "leave out every n-th measured message size")
	return cmd
}

// runCompareCollectives scores the profiled collective model (predictor.ProfiledComm) on
// the collective rows of datasets: per (network, collective, group) curve, every k-th
// measured size is left out, predicted from the others and compared with its
// measurement; a last block pools the errors per collective.
func runCompareCollectives(w io.Writer, dirs []string, k int) error {
	var rows []profile.Row
	for _, d := range dirs {
		ds, err := profile.ReadDataset(d)
		if err != nil {
			return err
		}
		rows = append(rows, ds.Rows...)
	}
	errs, err := predictor.HeldOutCollectiveErrors(rows, k)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "network\tcollective\tranks\tper node\theld out\textrapolated\tmedian APE\tmax APE\n")
	pooled := map[string][]float64{}
	var order []string
	for _, e := range errs {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%.2f%%\t%.2f%%\n", e.Network, e.Collective, e.Group.Size, e.Group.RanksPerNode, e.N, e.Skipped, e.MedianAPE, e.MaxAPE)
		if _, ok := pooled[e.Collective]; !ok {
			order = append(order, e.Collective)
		}
		pooled[e.Collective] = append(pooled[e.Collective], e.APEs...)
	}
	fmt.Fprintf(tw, "\ncollective\t\t\t\theld out\t\tmedian APE\t\n")
	for _, c := range order {
		a := pooled[c]
		fmt.Fprintf(tw, "%s\t\t\t\t%d\t\t%.2f%%\t\n", c, len(a), predictor.MedianOf(a))
	}
	return tw.Flush()
}
