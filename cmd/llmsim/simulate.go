package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/llmsim/llmsim/catalog"
	"github.com/llmsim/llmsim/predictor"
	"github.com/llmsim/llmsim/simulate"
	"github.com/llmsim/llmsim/simulate/config"
	"github.com/llmsim/llmsim/simulate/metrics"
	"github.com/llmsim/llmsim/simulate/workload"
)

func newSimulateCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "simulate",
		Short: "Simulate a serving cluster and write its metrics to runs/<id>/",
		Long: `simulate runs one experiment: a cluster of replicas, a workload and an execution-time
predictor (a trained artifact, or Vidur's prediction tables with
--execution_time_predictor_config_type table). Settings use Vidur's flag names and can also come
from a YAML file (--config) or LLMSIM_* environment variables.

The run folder <metrics_config_output_dir>/<id> receives config.json (the resolved experiment
with the artifact id), request_metrics.csv, batch_metrics.csv, summary.json, plots and a
Chrome/Perfetto trace. The id is a hash of the resolved configuration unless --run-id is given,
so the same experiment always lands in the same folder.`,
		Args: cobra.NoArgs,
		RunE: runSimulate,
	}
	addExperimentFlags(cmd)
	fs := cmd.Flags()
	fs.String("run-id", "", "name of the run folder (default: a hash of the resolved configuration)")
	fs.String("models-root", "models", "folder of trained artifacts, searched when --artifact is an id and for disaggregated pools of another TP")
	fs.StringArray("pool-artifact", nil, "artifact (id or directory) for disaggregated replicas whose TP differs from --artifact's; each serves the TP it was trained for (repeatable; default: the only artifact of the model, GPU and TP under --models-root)")
	fs.String("network-artifact", "", "collectives-only artifact (id, version or directory; llmsim train --collectives-only) of --replica_config_network_device whose grids time the TP and PP collectives in place of --artifact's (default: --artifact's own, and where it lacks one the run needs, the only collectives-only artifact of the network under --models-root)")
	fs.Bool("no-progress", false, "do not draw a progress bar (it is drawn only when stderr is a terminal)")
	return cmd
}

func runSimulate(cmd *cobra.Command, _ []string) error {
	cfg, err := loadExperiment(cmd)
	if err != nil {
		return err
	}
	cat, err := experimentCatalog(cmd)
	if err != nil {
		return err
	}
	modelsRoot, _ := cmd.Flags().GetString("models-root")
	poolArtifacts, _ := cmd.Flags().GetStringArray("pool-artifact")
	networkArtifact, _ := cmd.Flags().GetString("network-artifact")
	pools, tables, artifacts, err := loadBackendTables(cfg, cat, modelsRoot, poolArtifacts, networkArtifact)
	if err != nil {
		return err
	}
	setup, err := simulate.FromConfigPools(cfg, cat, pools)
	if err != nil {
		return err
	}
	notes := tables.OutOfDomain
	if artifacts != nil {
		notes = append(slices.Clip(notes), artifacts.OutOfDomain()...) // other pool shapes too
	}
	for _, note := range slices.Compact(slices.Sorted(slices.Values(notes))) {
		fmt.Fprintf(cmd.ErrOrStderr(), "warning: out of the measured domain: %s\n", note)
	}
	sim, err := simulate.New(setup)
	if err != nil {
		return err
	}
	// The workload is opened (and a trace read through once) before the run folder is
	// made, so that bad input stops the run before anything is written.
	src, err := workload.FromConfig(cfg.RequestGenerator, rand.New(rand.NewPCG(uint64(requestSeed(cfg)), 0)))
	if err != nil {
		return err
	}
	if c, ok := src.(io.Closer); ok {
		defer c.Close()
	}
	layout := setup.LayoutSummary()
	fmt.Fprintf(cmd.ErrOrStderr(), "layout: %s\n", layout)
	var artifactID, networkArtifactID string
	var poolArtifactIDs map[string]string
	if artifacts != nil {
		artifactID, poolArtifactIDs = artifacts.MainID(), artifacts.PoolIDs()
		if cfg.Artifact == "" {
			m := artifacts.main
			fmt.Fprintf(cmd.ErrOrStderr(), "predictor: artifact %s (%s), the only one for %s on %s at TP %d under %s\n",
				m.Manifest.ShortID(), m.Dir, m.Manifest.Model, m.Manifest.GPU, m.Manifest.TP, modelsRoot)
		}
		if net, found, reason := artifacts.Network(); net != nil {
			networkArtifactID = net.Manifest.ID
			if found {
				fmt.Fprintf(cmd.ErrOrStderr(), "network: %s; collectives from %s (%s), the only collectives-only artifact of network %s under %s\n",
					reason, net.Manifest.ShortID(), net.Dir, net.Manifest.Network, modelsRoot)
			} else {
				fmt.Fprintf(cmd.ErrOrStderr(), "network: collectives from %s (%s)\n", net.Manifest.ShortID(), net.Dir)
			}
		}
	}

	resolved := map[string]any{
		"config":        cfg,
		"artifact_id":   artifactID,
		"predictor":     tables.Source,
		"kv_blocks":     sim.NumBlocks(),
		"memory_plan":   setup.Memory,
		"layout":        layout,
		"llmsim_schema": 1,
	}
	if setup.PD != nil {
		resolved["memory_plan_prefill"] = setup.PD.Prefill.Memory
		resolved["memory_plan_decode"] = setup.PD.Decode.Memory
	}
	if poolArtifactIDs != nil {
		resolved["pool_artifact_ids"] = poolArtifactIDs
	}
	if networkArtifactID != "" {
		resolved["network_artifact_id"] = networkArtifactID
	}
	js, err := json.MarshalIndent(resolved, "", "  ")
	if err != nil {
		return fmt.Errorf("simulate: config.json: %w", err)
	}
	id, _ := cmd.Flags().GetString("run-id")
	if id == "" {
		// The id names the experiment, not where its runs are kept.
		keyed := *cfg
		keyed.Metrics.OutputDir = ""
		resolved["config"] = &keyed
		key, err := json.Marshal(resolved)
		if err != nil {
			return fmt.Errorf("simulate: run id: %w", err)
		}
		resolved["config"] = cfg
		sum := sha256.Sum256(key)
		id = hex.EncodeToString(sum[:6])
	}
	dir := filepath.Join(cfg.Metrics.OutputDir, id)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("simulate: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(dir, "config.json"), append(js, '\n')); err != nil {
		return err
	}

	rec, err := metrics.NewRecorder(dir, metrics.Options{
		BatchMetrics: cfg.Metrics.KeepIndividualBatchMetrics,
		ChromeTrace:  cfg.Metrics.EnableChromeTrace,
		Plots:        cfg.Metrics.StorePlots,
		Utilization:  cfg.Metrics.StoreUtilizationMetrics,
		NumReplicas:  setup.NumReplicas,
		NumStages:    setup.NumStages,
		VidurCompat:  cfg.Compat == config.CompatVidur,
	})
	if err != nil {
		return err
	}
	noProgress, _ := cmd.Flags().GetBool("no-progress")
	var bar *progressbar.ProgressBar
	if !noProgress && term.IsTerminal(int(os.Stderr.Fd())) {
		bar = progressbar.NewOptions64(expectedRequests(cfg),
			progressbar.OptionSetWriter(os.Stderr),
			progressbar.OptionSetDescription("simulating"),
			progressbar.OptionShowCount(),
			progressbar.OptionSetItsString("requests"),
			progressbar.OptionShowIts(),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish())
		sim.Progress = func(arrived int) { bar.Set(arrived) }
	}
	start := time.Now()
	split := simulate.NewSplitRecorder(rec, &setup)
	res, err := sim.Run(src, split)
	if bar != nil {
		bar.Finish()
	}
	if err != nil {
		rec.Abort()
		return err
	}
	if err := rec.Close(map[string]any{
		"artifact_id":     artifactID,
		"batches":         res.Batches,
		"end_time":        res.EndTime,
		"time_limited":    res.TimeLimited,
		"clamped_lookups": res.ClampedLookups,
		"layout":          layout,
		"batch_split":     split.Means(),
	}); err != nil {
		return err
	}
	wall := time.Since(start)
	fmt.Fprintf(cmd.OutOrStdout(), "%s: %d/%d requests completed, %d batches, %d restarts, %.1f s simulated in %.2f s\n",
		dir, res.Completed, res.Arrived, res.Batches, res.Restarts, res.EndTime, wall.Seconds())
	if res.ClampedLookups > 0 {
		fmt.Fprintf(cmd.ErrOrStderr(), "warning: %d batches had predictor keys beyond the prediction grid and were clamped to its edge; raise the prediction_max_* settings\n", res.ClampedLookups)
	}
	if !res.Drained && !res.TimeLimited {
		fmt.Fprintf(cmd.ErrOrStderr(), "warning: requests or KV memory were left on some replica at the end (Vidur's final is_empty check would fail)\n")
	}
	return nil
}

// loadPredictorTables loads the prediction tables the experiment names: Vidur's CSVs for
// the table predictor (one replica shape), otherwise trained artifacts, per replica
// shape (artifacts.go). The artifacts are nil for the table predictor.
func loadPredictorTables(cfg *config.Config, cat *catalog.Catalog, modelsRoot string, poolArtifacts []string, networkArtifact string) (simulate.PoolTables, *artifactPools, error) {
	pc := cfg.ExecutionTimePredictor
	if pc.Type == config.PredictorTable {
		if networkArtifact != "" {
			return nil, nil, fmt.Errorf("simulate: --network-artifact goes with a trained --artifact; the table predictor reads Vidur's prediction CSVs, collectives included")
		}
		if pc.PredictionsDir == "" {
			return nil, nil, fmt.Errorf("simulate: the table predictor needs --table_execution_time_predictor_config_predictions_dir")
		}
		t, err := predictor.LoadVidurTables(pc.PredictionsDir, simulate.PredictorLimits(cfg))
		if err != nil {
			return nil, nil, err
		}
		return simulate.SameTables(cfg, t), nil, nil
	}
	ap, err := newArtifactPools(cfg, cat, modelsRoot, poolArtifacts, networkArtifact)
	if err != nil {
		return nil, nil, err
	}
	return ap.Tables, ap, nil
}

// artifactRecipe says how to make an artifact for the experiment's model and GPU, or ""
// when the catalog does not know them (the config check reports that).
func artifactRecipe(cfg *config.Config, cat *catalog.Catalog) string {
	rc := cfg.Cluster.Replica
	model, err := cat.Model(rc.ModelName)
	if err != nil {
		return ""
	}
	gpu, err := cat.GPU(rc.Device)
	if err != nil {
		return ""
	}
	layout, err := simulate.LayoutFromConfig(rc, model, cat)
	if err != nil {
		return ""
	}
	return "; make one from the roofline with:\n  " + simulate.ArtifactRecipe(model, gpu.Name, layout)
}

// requestSeed is the seed of the request generator the experiment uses.
func requestSeed(cfg *config.Config) int64 {
	if cfg.RequestGenerator.Type == config.GeneratorTraceReplay {
		return cfg.RequestGenerator.TraceReplay.Seed
	}
	return cfg.RequestGenerator.Synthetic.Seed
}

// expectedRequests is the number of requests the workload will send, or -1 when only
// the workload itself knows (traces, durations).
func expectedRequests(cfg *config.Config) int64 {
	s := cfg.RequestGenerator.Synthetic
	if cfg.RequestGenerator.Type != config.GeneratorTraceReplay && s.Duration == 0 && s.NumRequests > 0 {
		return int64(s.NumRequests)
	}
	return -1
}

// writeFileAtomic writes data to name through a temporary file and a rename, so a
// failed write never leaves a partial file under name.
func writeFileAtomic(name string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*")
	if err != nil {
		return fmt.Errorf("simulate: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("simulate: %s: %w", name, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("simulate: %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("simulate: %s: %w", name, err)
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("simulate: %w", err)
	}
	return nil
}
