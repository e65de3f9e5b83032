package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/llmsim/llmsim/simulate/vidurcase"
)

// newValidateCmd is `llmsim validate`: Vidur reference cases rerun and compared, metric by
// metric, with Vidur's own outputs.
func newValidateCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "validate CASE_DIR...",
		Short: "Rerun Vidur reference cases and compare llmsim with Vidur's own outputs",
		Long: `validate reruns each Vidur case folder (cmd.txt with Vidur's command line, trace.csv,
request_metrics.csv and batch_metrics.csv, as in shared/data/vidur_reference) in Vidur
compatibility mode with Vidur's prediction tables, and prints, per metric, the largest and the
99th-percentile relative difference from Vidur, and the batch counts. It exits non-zero when any
value is beyond the tolerance or the request or batch counts differ.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			preds, _ := cmd.Flags().GetString("predictions")
			tol := vidurcase.DefaultTolerance
			tol.Rel, _ = cmd.Flags().GetFloat64("rel-tol")
			tol.Abs, _ = cmd.Flags().GetFloat64("abs-tol")
			cat, err := experimentCatalog(cmd)
			if err != nil {
				return err
			}
			failed := 0
			for _, dir := range args {
				c, err := vidurcase.Load(dir, preds)
				if err != nil {
					return err
				}
				out, err := c.Simulate(cat, nil)
				if err != nil {
					return fmt.Errorf("validate: %s: %w", c.Name, err)
				}
				rep, err := c.Compare(out, tol)
				if err != nil {
					return err
				}
				if _, err := rep.WriteTo(cmd.OutOrStdout()); err != nil {
					return err
				}
				if !rep.OK() {
					failed++
				}
			}
			if failed > 0 {
				return fmt.Errorf("validate: %d of %d cases differ from Vidur beyond the tolerance", failed, len(args))
			}
			return nil
		},
	}
	fs := cmd.Flags()
	fs.String("predictions", "", "folder of Vidur prediction CSVs (default: "+vidurcase.DefaultPredictions+" beside each case)")
	fs.Float64("rel-tol", vidurcase.DefaultTolerance.Rel, "relative tolerance")
	fs.Float64("abs-tol", vidurcase.DefaultTolerance.Abs, "absolute tolerance, seconds")
	fs.StringArray("catalog", nil, "extra catalog YAML file of models, GPUs and nodes")
	return cmd
}
