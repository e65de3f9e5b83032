package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/llmsim/llmsim/train"
)

// newCompareCmd is `llmsim compare`: per-operator accuracy of predictor kinds and
// artifacts, side by side, on the same dataset.
func newCompareCmd() *cobra.Command {
	var (
		fit        fitFlags
		tp         int
		kinds      []string
		artifacts  []string
		modelsRoot string
		synth      string
		holdout    []string
		csvPath    string
		pngDir     string
	)
	cmd := &cobra.Command{
		Use:   "compare",
		Short: "Compare predictor accuracy per operator: MAPE, P90 and max APE, out-of-domain share",
		Long: `compare scores predictors on the same rows. Kinds (forest, linear, interp) are
cross-validated with interleaved folds (row i, in dataset order after the model's filters, is
in fold i mod k; --cv contiguous for sklearn's KFold), each scored by the mean of the folds'
MAPE at its best point of the hyper-parameter grid; artifacts are scored
by looking the rows up in their grids; roofline interpolates a profile synth dataset at the
measured rows. --holdout scores everything, refit on all rows, on a second dataset.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			set, err := fit.load()
			if err != nil {
				return err
			}
			opt := train.CompareOptions{
				Selection: fit.selection(tp),
				Grid:      set.grid, Folds: fit.folds, CV: set.cv, Workers: fit.workers,
			}
			if opt.GPU == "" {
				if opt.GPU, err = compareGPU(set.in); err != nil {
					return err
				}
			}
			for _, k := range kinds {
				ks, err := train.ParseKinds(k)
				if err != nil {
					return err
				}
				opt.Kinds = append(opt.Kinds, ks...)
			}
			for _, id := range artifacts {
				a, err := train.OpenArtifact(id, modelsRoot)
				if err != nil {
					return err
				}
				opt.Artifacts = append(opt.Artifacts, a)
			}
			if synth != "" {
				s, err := loadTrainInput([]string{synth})
				if err != nil {
					return err
				}
				opt.Synth = s.Rows
			}
			if len(holdout) > 0 {
				h, err := loadTrainInput(holdout)
				if err != nil {
					return err
				}
				// A held-out dataset that is also trained on would score training rows.
				for i, ref := range h.Datasets {
					for j, tr := range set.in.Datasets {
						if ref.ID == tr.ID {
							return fmt.Errorf("--holdout %s is dataset %.12s, which --dataset %s already trains on; hold out another dataset",
								holdout[i], ref.ID, fit.datasets[j])
						}
					}
				}
				opt.Holdout = h.Rows
			}
			rows, err := train.Compare(set.in.Rows, *set.model, opt)
			if err != nil {
				return err
			}
			printCompare(cmd, rows)
			if csvPath != "" {
				if err := writeFileViaTemp(csvPath, func(f *os.File) error { return train.WriteCompareCSV(f, rows) }); err != nil {
					return err
				}
			}
			if pngDir != "" {
				return train.WriteComparePlots(pngDir, rows)
			}
			return nil
		},
	}
	fs := cmd.Flags()
	fit.register(fs)
	fs.StringArrayVar(&fit.datasets, "dataset", nil, "measured dataset directory (repeatable)")
	fs.StringVar(&fit.model, "model", "", "model name or alias from the catalog")
	fs.StringVar(&fit.grid, "grid", "vidur", "hyper-parameter grid: vidur or small")
	fs.IntVar(&tp, "tp", 1, "tensor-parallel degree of the rows to compare")
	fs.StringSliceVar(&kinds, "predictor", []string{"forest", "linear", "interp"}, "kinds to cross-validate (empty to compare artifacts only)")
	fs.StringArrayVar(&artifacts, "artifact", nil, "artifact id, version or directory to score (repeatable)")
	fs.StringVar(&modelsRoot, "models", "models", "models folder, to find artifacts by id")
	fs.StringVar(&synth, "synth", "", "dataset from profile synth, scored as the roofline predictor")
	fs.StringArrayVar(&holdout, "holdout", nil, "second measured dataset to score on after refitting on all rows")
	fs.StringVar(&csvPath, "csv", "", "also write the table as CSV to this file")
	fs.StringVar(&pngDir, "png", "", "write <dir>/<op>.png plots of predicted vs measured")
	cmd.MarkFlagRequired("dataset")
	cmd.MarkFlagRequired("model")
	cmd.AddCommand(newCompareCollectivesCmd())
	return cmd
}

func compareGPU(in train.Input) (string, error) {
	gpus := map[string]bool{}
	for i := range in.Rows {
		if in.Rows[i].Network == "" {
			gpus[in.Rows[i].GPU] = true
		}
	}
	if len(gpus) != 1 {
		var names []string
		for g := range gpus {
			names = append(names, g)
		}
		return "", fmt.Errorf("compare: the dataset holds compute rows of %d GPUs (%s); choose one with --gpu", len(gpus), strings.Join(names, ", "))
	}
	for g := range gpus {
		return g, nil
	}
	panic("unreachable")
}

func printCompare(cmd *cobra.Command, rows []train.CompareRow) {
	tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "op\tpredictor\trows\tMAPE %\tP90 APE %\tmax APE %\tout of domain\tholdout MAPE %\t")
	for _, r := range rows {
		h := "-"
		if r.Holdout != nil {
			h = fmt.Sprintf("%.2f", r.Holdout.MAPE)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.2f\t%.2f\t%.1f\t%.1f%%\t%s\t\n", r.Op, r.Predictor, r.Rows, r.MAPE, r.P90APE, r.MaxAPE, 100*r.OODShare, h)
	}
	tw.Flush()
}

// writeFileViaTemp writes path through a temporary file in the same folder.
func writeFileViaTemp(path string, write func(*os.File) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
