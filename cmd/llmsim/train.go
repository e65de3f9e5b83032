package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"text/tabwriter"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/llmsim/llmsim/catalog"
	"github.com/llmsim/llmsim/profile"
	"github.com/llmsim/llmsim/train"
)

// newTrainCmd is `llmsim train`: dataset → one artifact per TP degree.
func newTrainCmd() *cobra.Command {
	var (
		datasets  []string
		modelName string
		gpu       string
		network   string
		tps       []int
		predictor string
		gridName  string
		seed      uint64
		workers   int
		out       string
		folds     int
		cv        string
		oob       bool
		blockSize int
		ranges    = train.DefaultRanges()
	)
	cmd := &cobra.Command{
		Use:   "train",
		Short: "Fit per-operator predictors on a dataset and write versioned artifacts",
		Long: `train selects, for every operator of a model, the predictor with the lowest
cross-validated MAPE (a regression forest, polynomial least squares or piecewise-linear
interpolation, each over its own hyper-parameter grid, as Vidur's predictor does), refits it
on all rows, evaluates it on the prediction grids and writes one artifact per TP degree to
<out>/<gpu>/<model>/tp<N>-<id>/. The same dataset and seed give byte-identical artifacts.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			in, err := loadTrainInput(datasets)
			if err != nil {
				return err
			}
			m, err := catalog.Default().Model(modelName)
			if err != nil {
				return err
			}
			grid, err := train.GridByName(gridName, seed)
			if err != nil {
				return err
			}
			scheme, err := train.ParseCVScheme(cv)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			for _, tp := range tps {
				opt := train.Options{
					Selection: train.Selection{GPU: gpu, Network: network, TP: tp, BlockSize: blockSize},
					Predictor: predictor, Grid: grid, Folds: folds, CV: scheme, OOB: oob, Ranges: ranges, Seed: seed, Workers: workers,
				}
				bar := newTrainBar(cmd.ErrOrStderr(), fmt.Sprintf("tp%d", tp))
				if bar != nil {
					opt.Progress = func(op string, i, total int) {
						bar.ChangeMax(total)
						bar.Describe(fmt.Sprintf("tp%d %-24s", tp, op))
						bar.Set(i)
					}
				}
				res, err := train.Train(in, *m, opt)
				if bar != nil {
					bar.Finish()
					fmt.Fprintln(cmd.ErrOrStderr())
				}
				if err != nil {
					return err
				}
				dir, err := train.WriteArtifact(out, res)
				if err != nil {
					return err
				}
				fmt.Fprintf(w, "artifact %s\n  id %s\n", dir, res.Manifest.ID)
				printArtifactOps(w, &res.Manifest, res.Seconds)
			}
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringArrayVar(&datasets, "dataset", nil, "dataset directory written by llmsim profile (repeatable: e.g. compute and network datasets)")
	fs.StringVar(&modelName, "model", "", "model name or alias from the catalog (e.g. meta-llama/Llama-2-7b-hf)")
	fs.StringVar(&gpu, "gpu", "", "GPU whose compute rows to use (default: the dataset's only GPU)")
	fs.StringVar(&network, "network", "", "network whose collective rows to use (default: the dataset's only network)")
	fs.IntSliceVar(&tps, "tp", []int{1}, "tensor-parallel degrees, one artifact each (e.g. 1,2,4,8)")
	fs.StringVar(&predictor, "predictor", "auto", "auto (lowest CV MAPE of forest, linear, interp), forest, linear or interp")
	fs.StringVar(&gridName, "grid", "vidur", "hyper-parameter grid: vidur (Vidur's 27 forests and 40 polynomials) or small")
	fs.Uint64Var(&seed, "seed", 42, "seed of the forests' random streams")
	fs.IntVar(&workers, "workers", 0, "goroutines growing trees (default: all cores)")
	fs.StringVar(&out, "out", "models", "models folder")
	fs.IntVar(&folds, "folds", 10, "k of k-fold cross-validation")
	fs.StringVar(&cv, "cv", string(train.CVInterleaved), "fold assignment: interleaved (row i in fold i mod k) or contiguous (sklearn's KFold, as Vidur)")
	fs.BoolVar(&oob, "oob", false, "select forests by out-of-bag error instead of k-fold (about k times cheaper)")
	fs.IntVar(&blockSize, "block-size", 16, "KV-cache block size of the attention rows to use (0: any)")
	fs.IntVar(&ranges.MaxTokens, "max-tokens", ranges.MaxTokens, "grid: num_tokens 1..N for compute ops")
	fs.IntVar(&ranges.MaxBatch, "max-batch", ranges.MaxBatch, "grid: decode batch size 1..N")
	fs.IntVar(&ranges.MaxKV, "max-kv", ranges.MaxKV, "grid: kv_cache_size 0..N")
	fs.IntVar(&ranges.KVStep, "kv-step", ranges.KVStep, "grid: kv_cache_size step")
	fs.IntVar(&ranges.MaxChunk, "max-chunk", ranges.MaxChunk, "grid: prefill chunk 1..N")
	fs.IntVar(&ranges.ChunkStep, "chunk-step", ranges.ChunkStep, "grid: keep every chunk up to 256, then every Nth (0: every chunk; 16 makes the prefill grid 8x smaller)")
	cmd.MarkFlagRequired("dataset")
	cmd.MarkFlagRequired("model")
	return cmd
}

// loadTrainInput reads and concatenates datasets.
func loadTrainInput(dirs []string) (train.Input, error) {
	var in train.Input
	for _, d := range dirs {
		ds, err := profile.ReadDataset(d)
		if err != nil {
			return in, err
		}
		in.Rows = append(in.Rows, ds.Rows...)
		in.Datasets = append(in.Datasets, train.DatasetRef{ID: ds.Manifest.DatasetID, Rows: len(ds.Rows), Synthetic: ds.Manifest.Synthetic})
	}
	return in, nil
}

// newTrainBar returns a progress bar on w, or nil when w is not a terminal.
func newTrainBar(w io.Writer, desc string) *progressbar.ProgressBar {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return progressbar.NewOptions(1, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(), progressbar.OptionSetWidth(30), progressbar.OptionClearOnFinish())
}

// printArtifactOps prints a manifest's operators with every kind's CV MAPE.
func printArtifactOps(w io.Writer, m *train.Manifest, seconds map[string]float64) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, "  op\tchosen\trows\tforest\tlinear\tinterp")
	if seconds != nil {
		fmt.Fprint(tw, "\tseconds")
	}
	fmt.Fprintln(tw)
	for _, r := range m.Operators {
		cv := map[train.Kind]string{}
		for _, s := range r.CV {
			if s.CVMAPE != nil {
				cv[s.Kind] = strconv.FormatFloat(*s.CVMAPE, 'f', 2, 64) + "%"
			}
		}
		fmt.Fprintf(tw, "  %s\t%s\t%d\t%s\t%s\t%s", r.Op, r.Kind, r.Rows, mapeOrDash(cv[train.KindForest]), mapeOrDash(cv[train.KindLinear]), mapeOrDash(cv[train.KindInterp]))
		if seconds != nil {
			fmt.Fprintf(tw, "\t%.2f", seconds[r.Op])
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
}

func mapeOrDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
