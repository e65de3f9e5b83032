package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"text/tabwriter"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/llmsim/llmsim/catalog"
	"github.com/llmsim/llmsim/profile"
	"github.com/llmsim/llmsim/train"
)

// newTrainCmd is `llmsim train`: dataset → one artifact per TP degree.
func newTrainCmd() *cobra.Command {
	var (
		fit       fitFlags
		tps       []int
		predictor string
		out       string
		oob       bool
		ranges    = train.DefaultRanges()
		collOnly  bool
	)
	cmd := &cobra.Command{
		Use:   "train",
		Short: "Fit per-operator predictors on a dataset and write versioned artifacts",
		Long: `train selects, for every operator of a model, the predictor with the lowest
cross-validated MAPE (a regression forest, polynomial least squares or piecewise-linear
interpolation, each over its own hyper-parameter grid, as Vidur's predictor does), refits it
on all rows, evaluates it on the prediction grids and writes one artifact per TP degree to
<out>/<gpu>/<model>/tp<N>-<id>/. The same dataset and seed give byte-identical artifacts.

With --collectives-only it trains one network's collectives alone (--network names the
node, e.g. a100_dgx; no --model or --tp) into <out>/<gpu>/network-<node>/<id>/.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch {
			case collOnly && fit.model != "":
				return fmt.Errorf("train: --collectives-only trains no model; drop --model %s", fit.model)
			case collOnly && cmd.Flags().Changed("tp"):
				return fmt.Errorf("train: --collectives-only artifacts have no TP degree; drop --tp")
			case collOnly && fit.network == "":
				return fmt.Errorf("train: --collectives-only needs --network (the node, e.g. a100_dgx)")
			case !collOnly && fit.model == "":
				return fmt.Errorf("train: --model is required (or --collectives-only with --network)")
			}
			set, err := fit.load()
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if collOnly {
				node, err := catalog.Default().Node(fit.network)
				if err != nil {
					return err
				}
				opt := train.Options{
					Selection: fit.selection(0),
					Predictor: predictor, Grid: set.grid, Folds: fit.folds, CV: set.cv, OOB: oob, Ranges: ranges, Seed: fit.seed, Workers: fit.workers,
				}
				res, err := train.TrainCollectives(set.in, *node, opt)
				if err != nil {
					return err
				}
				return writeTrained(w, out, res)
			}
			for _, tp := range tps {
				opt := train.Options{
					Selection: fit.selection(tp),
					Predictor: predictor, Grid: set.grid, Folds: fit.folds, CV: set.cv, OOB: oob, Ranges: ranges, Seed: fit.seed, Workers: fit.workers,
				}
				bar := newTrainBar(cmd.ErrOrStderr(), fmt.Sprintf("tp%d", tp))
				if bar != nil {
					opt.Progress = func(op string, i, total int) {
						bar.ChangeMax(total)
						bar.Describe(fmt.Sprintf("tp%d %-24s", tp, op))
						bar.Set(i)
					}
				}
				res, err := train.Train(set.in, *set.model, opt)
				if bar != nil {
					bar.Finish()
					fmt.Fprintln(cmd.ErrOrStderr())
				}
				if err != nil {
					return err
				}
				if err := writeTrained(w, out, res); err != nil {
					return err
				}
			}
			return nil
		},
	}
	fs := cmd.Flags()
	fit.register(fs)
	fs.StringArrayVar(&fit.datasets, "dataset", nil, "dataset directory written by llmsim profile (repeatable: e.g. compute and network datasets)")
	fs.StringVar(&fit.model, "model", "", "model name or alias from the catalog (e.g. meta-llama/Llama-2-7b-hf)")
	fs.StringVar(&fit.grid, "grid", "vidur", "hyper-parameter grid: vidur (Vidur's 27 forests and 40 polynomials) or small")
	fs.IntSliceVar(&tps, "tp", []int{1}, "tensor-parallel degrees, one artifact each (e.g. 1,2,4,8)")
	fs.StringVar(&predictor, "predictor", "auto", "auto (lowest CV MAPE of forest, linear, interp), forest, linear or interp")
	fs.StringVar(&out, "out", "models", "models folder")
	fs.BoolVar(&oob, "oob", false, "select forests by out-of-bag error instead of k-fold (about k times cheaper)")
	fs.IntVar(&ranges.MaxTokens, "max-tokens", ranges.MaxTokens, "grid: num_tokens 1..N for compute ops")
	fs.IntVar(&ranges.MaxBatch, "max-batch", ranges.MaxBatch, "grid: decode batch size 1..N")
	fs.IntVar(&ranges.MaxKV, "max-kv", ranges.MaxKV, "grid: kv_cache_size 0..N")
	fs.IntVar(&ranges.KVStep, "kv-step", ranges.KVStep, "grid: kv_cache_size step")
	fs.IntVar(&ranges.MaxChunk, "max-chunk", ranges.MaxChunk, "grid: prefill chunk 1..N")
	fs.IntVar(&ranges.ChunkStep, "chunk-step", ranges.ChunkStep, "grid: keep every chunk up to 256, then every Nth (0: every chunk; 16 makes the prefill grid 8x smaller)")
	fs.BoolVar(&collOnly, "collectives-only", false, "train only the collectives of --network into a network artifact (no --model, no --tp)")
	cmd.MarkFlagRequired("dataset")
	return cmd
}

// writeTrained writes an artifact and prints where it went and its operators.
func writeTrained(w io.Writer, out string, res *train.Result) error {
	dir, err := train.WriteArtifact(out, res)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "artifact %s\n  id %s\n", dir, res.Manifest.ID)
	printArtifactOps(w, &res.Manifest, res.Seconds)
	return nil
}

// fitFlags are the flags that train and compare share: which rows of which datasets to fit,
// and how to search hyper-parameters and cross-validate. register adds the ones whose help
// reads the same in both commands; each command adds --dataset, --model and --grid itself,
// worded for what it does with them.
type fitFlags struct {
	datasets  []string
	model     string
	gpu       string
	network   string
	grid      string
	seed      uint64
	workers   int
	folds     int
	cv        string
	blockSize int
}

func (f *fitFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.gpu, "gpu", "", "GPU whose compute rows to use (default: the dataset's only GPU)")
	fs.StringVar(&f.network, "network", "", "network whose collective rows to use (default: the dataset's only network)")
	fs.Uint64Var(&f.seed, "seed", 42, "seed of the forests' random streams")
	fs.IntVar(&f.workers, "workers", 0, "goroutines growing trees (default: all cores)")
	fs.IntVar(&f.folds, "folds", 10, "k of k-fold cross-validation")
	fs.StringVar(&f.cv, "cv", string(train.CVInterleaved), "fold assignment: interleaved (row i in fold i mod k) or contiguous (sklearn's KFold, as Vidur)")
	fs.IntVar(&f.blockSize, "block-size", 16, "KV-cache block size of the attention rows to use (0: any)")
}

// fitSetup is what fitFlags name, read and parsed.
type fitSetup struct {
	in    train.Input
	model *catalog.Model
	grid  train.SearchGrid
	cv    train.CVScheme
}

// load reads the datasets and resolves the model, the grid and the fold scheme.
func (f *fitFlags) load() (fitSetup, error) {
	var s fitSetup
	var err error
	if s.in, err = loadTrainInput(f.datasets); err != nil {
		return s, err
	}
	if f.model != "" { // empty only for collectives-only training
		if s.model, err = catalog.Default().Model(f.model); err != nil {
			return s, err
		}
	}
	if s.grid, err = train.GridByName(f.grid, f.seed); err != nil {
		return s, err
	}
	if s.cv, err = train.ParseCVScheme(f.cv); err != nil {
		return s, err
	}
	return s, nil
}

// selection picks the rows of TP degree tp.
func (f *fitFlags) selection(tp int) train.Selection {
	return train.Selection{GPU: f.gpu, Network: f.network, TP: tp, BlockSize: f.blockSize}
}

// loadTrainInput reads and concatenates datasets. One dataset given twice (under the
// same or another path) is refused: its rows would count twice in every fit and score.
func loadTrainInput(dirs []string) (train.Input, error) {
	var in train.Input
	seen := map[string]string{}
	for _, d := range dirs {
		ds, err := profile.ReadDataset(d)
		if err != nil {
			return in, err
		}
		id := ds.Manifest.DatasetID
		if prev, ok := seen[id]; ok {
			return in, fmt.Errorf("--dataset %s is dataset %.12s, already given as %s; give each dataset once", d, id, prev)
		}
		seen[id] = d
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
		chosen := string(r.Kind)
		if r.Synthetic {
			chosen += " (synthetic)"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%d\t%s\t%s\t%s", r.Op, chosen, r.Rows, mapeOrDash(cv[train.KindForest]), mapeOrDash(cv[train.KindLinear]), mapeOrDash(cv[train.KindInterp]))
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
