package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/llmsim/llmsim/catalog"
	"github.com/llmsim/llmsim/profile"
)

// newProfileCmd is `llmsim profile`: raw measurements (or a roofline) → a dataset.
func newProfileCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "profile",
		Short: "Turn raw GPU profiles into a normalized, versioned dataset",
		Long: `profile reads raw operator and collective measurements (Vidur and Frontier CSVs,
nccl-tests logs, AICB/AIOB and SimAI files) into one Parquet dataset with a manifest that
traces every row to its source file, or synthesizes a roofline dataset for a GPU that has
no measurements. See docs/dataset.md for the schema.`,
	}
	cmd.AddCommand(newProfileIngestCmd(), newProfileInspectCmd(), newProfileSynthCmd())
	return cmd
}

func newProfileIngestCmd() *cobra.Command {
	var opts profile.IngestOptions
	var out string
	cmd := &cobra.Command{
		Use:   "ingest --out DIR INPUT...",
		Short: "Read raw profile files and folders into a dataset",
		Long: `ingest walks every INPUT (file or folder), recognises each file's format from its
content, and writes DIR/data.parquet and DIR/manifest.json. GPU, network node and model are
read from the folder layout (compute/<gpu>/<model...>/mlp.csv, network/<node>/all_reduce.csv)
unless --gpu, --network or --model say otherwise. Files no reader recognises are listed in
the manifest and skipped. Malformed input fails the ingest with file:line: column, unless
--lenient, which skips and counts the bad rows instead. Nothing is written on failure.`,
		Example: `  llmsim profile ingest --out datasets/vidur ../shared/data/vidur/profiling
  llmsim profile ingest --gpu h100 --out datasets/h100-llama my-profiles/mlp.csv`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, inputs []string) error {
			ds, err := profile.Ingest(opts, inputs...)
			if err != nil {
				return err
			}
			if err := profile.WriteDataset(out, ds.Rows, &ds.Manifest); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: %d rows from %d files (%d unrecognized), dataset %s\n",
				out, len(ds.Rows), len(ds.Manifest.Sources), len(ds.Manifest.Unrecognized), ds.Manifest.DatasetID[:12])
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&out, "out", "", "dataset directory to write (replaced atomically)")
	f.StringVar(&opts.GPU, "gpu", "", "GPU of every input (default: from the folder layout)")
	f.StringVar(&opts.Network, "network", "", "network node of every collective input (default: from the folder layout)")
	f.StringVar(&opts.Model, "model", "", "model of every input (default: from the folder layout)")
	f.BoolVar(&opts.Lenient, "lenient", false, "skip and count malformed rows instead of failing")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

func newProfileInspectCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "inspect DATASET",
		Short: "Summarize a dataset: operators, GPUs, feature ranges and sources",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ds, err := profile.ReadDataset(args[0])
			if err != nil {
				return err
			}
			return ds.WriteSummary(cmd.OutOrStdout())
		},
	}
}

func newProfileSynthCmd() *cobra.Command {
	var (
		p     = profile.DefaultSynthParams()
		gpu   string
		model string
		out   string
	)
	cmd := &cobra.Command{
		Use:   "synth --gpu GPU --model MODEL --out DIR",
		Short: "Write a roofline dataset for a GPU without measurements",
		Long: `synth estimates every operator of Vidur's mlp.csv and attention.csv (and the MoE
operators for MoE models) on Vidur's num_tokens grid and a reduced attention grid as
max(FLOPs / (peak · eff_c), bytes / (HBM · eff_m)) + launch, with efficiencies that
saturate with kernel size. Peak and bandwidth come from the catalog GPU. Rows are flagged
synthetic and the manifest records every setting.`,
		Example: `  llmsim profile synth --gpu h200 --model meta-llama/Llama-2-7b-hf --tp 1,2,4,8 --out datasets/h200-llama2-7b`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cat := catalog.Default()
			m, err := cat.Model(model)
			if err != nil {
				return err
			}
			g, err := cat.GPU(gpu)
			if err != nil {
				return err
			}
			ds, err := profile.Synthesize(m, g, p)
			if err != nil {
				return err
			}
			if err := profile.WriteDataset(out, ds.Rows, &ds.Manifest); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: %d synthetic rows for %s on %s, dataset %s\n",
				out, len(ds.Rows), m.Name, g.Name, ds.Manifest.DatasetID[:12])
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&gpu, "gpu", "", "catalog GPU name (llmsim catalog gpus)")
	f.StringVar(&model, "model", "", "catalog model name or alias")
	f.StringVar(&out, "out", "", "dataset directory to write (replaced atomically)")
	f.IntSliceVar(&p.TP, "tp", p.TP, "tensor-parallel degrees")
	f.IntSliceVar(&p.EP, "ep", nil, "expert-parallel degrees of the MoE operators (default: powers of two up to 64 that divide the routed experts)")
	f.StringVar(&p.Dtype, "dtype", "", "precision (default: the model's weight dtype)")
	f.Float64Var(&p.PeakTFLOPS, "peak-tflops", 0, "dense peak TFLOPS (default: the catalog figure for the dtype)")
	f.Float64Var(&p.HBMGBps, "hbm-gbps", 0, "memory bandwidth, GB/s (default: the catalog figure)")
	f.Float64Var(&p.ComputeEfficiency, "compute-efficiency", p.ComputeEfficiency, "fraction of peak FLOPS a large GEMM reaches")
	f.Float64Var(&p.ComputeHalfGFLOP, "compute-half-gflop", p.ComputeHalfGFLOP, "kernel work (GFLOP) at which half of --compute-efficiency is reached")
	f.Float64Var(&p.MemoryEfficiency, "memory-efficiency", p.MemoryEfficiency, "fraction of HBM bandwidth a large streaming kernel reaches")
	f.Float64Var(&p.MemoryHalfMiB, "memory-half-mib", p.MemoryHalfMiB, "kernel traffic (MiB) at which half of --memory-efficiency is reached")
	f.Float64Var(&p.LaunchUS, "launch-us", p.LaunchUS, "fixed time of every kernel, µs")
	f.IntVar(&p.MaxTokens, "max-tokens", p.MaxTokens, "largest num_tokens of the linear-operator grid")
	f.IntVar(&p.MaxSeqLen, "max-seq-len", p.MaxSeqLen, "largest prefill chunk + KV cache of the attention grid")
	f.IntVar(&p.MaxBatch, "max-batch", p.MaxBatch, "largest decode batch of the attention grid")
	for _, name := range []string{"gpu", "model", "out"} {
		_ = cmd.MarkFlagRequired(name)
	}
	return cmd
}
