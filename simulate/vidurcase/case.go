package vidurcase

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/llmsim/llmsim/catalog"
	"github.com/llmsim/llmsim/predictor"
	"github.com/llmsim/llmsim/simulate"
	"github.com/llmsim/llmsim/simulate/config"
	"github.com/llmsim/llmsim/simulate/metrics"
	"github.com/llmsim/llmsim/simulate/workload"
)

// DefaultPredictions is where a case folder's prediction tables are, relative to it:
// the layout of the shared vidur_reference folder.
const DefaultPredictions = "../predictions/a100_llama-2-7b_tp1"

// Case is one Vidur reference run: its folder and the configuration its cmd.txt gives.
type Case struct {
	Dir            string
	Name           string
	Config         *config.Config
	PredictionsDir string
}

// Load reads dir/cmd.txt, Vidur's own command line, substituting $CASE with dir. The
// configuration is set to reproduce Vidur (Compat vidur) with the table predictor over
// predictionsDir ("" means DefaultPredictions beside the case folder).
func Load(dir, predictionsDir string) (*Case, error) {
	text, err := os.ReadFile(filepath.Join(dir, "cmd.txt"))
	if err != nil {
		return nil, fmt.Errorf("vidurcase: %w", err)
	}
	line := ""
	for _, l := range strings.Split(string(text), "\n") {
		if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "#") {
			line = t
			break
		}
	}
	if !strings.Contains(line, "vidur.main") {
		return nil, fmt.Errorf("vidurcase: %s: no `python3 -m vidur.main ...` line", filepath.Join(dir, "cmd.txt"))
	}
	line = strings.NewReplacer("${CASE}", dir, "$CASE", dir).Replace(line)
	cfg, err := config.FromCommandLine(line)
	if err != nil {
		return nil, fmt.Errorf("vidurcase: %s: %w", filepath.Join(dir, "cmd.txt"), err)
	}
	if predictionsDir == "" {
		predictionsDir = filepath.Join(dir, DefaultPredictions)
	}
	cfg.Compat = config.CompatVidur
	cfg.ExecutionTimePredictor.Type = config.PredictorTable
	cfg.ExecutionTimePredictor.PredictionsDir = predictionsDir
	return &Case{Dir: dir, Name: filepath.Base(filepath.Clean(dir)), Config: cfg, PredictionsDir: predictionsDir}, nil
}

// Outcome is what llmsim produced for a case, per request and per batch, in Vidur's
// column terms.
type Outcome struct {
	Result   simulate.Result
	Requests []RequestRow // in completion order
	Batches  []BatchRow   // in batch id order
}

// RequestRow is one request_metrics.csv row: Vidur's columns by name.
type RequestRow struct {
	ID     int
	Values map[string]float64
}

// BatchRow is one batch_metrics.csv row.
type BatchRow struct {
	ID     int
	Values map[string]float64
}

// Simulate runs the case with llmsim. tables may be nil (they are then loaded from the
// case's predictions folder); passing them lets several cases share one load.
func (c *Case) Simulate(cat *catalog.Catalog, tables *predictor.Tables) (*Outcome, error) {
	cfg := c.Config
	if tables == nil {
		var err error
		if tables, err = predictor.LoadVidurTables(c.PredictionsDir, simulate.PredictorLimits(cfg)); err != nil {
			return nil, err
		}
	} else {
		// The grid limits depend on the scheduler (Orca's enlarged compute grid).
		t := *tables
		t.Limits = simulate.PredictorLimits(cfg)
		tables = &t
	}
	setup, err := simulate.FromConfig(cfg, cat, tables)
	if err != nil {
		return nil, err
	}
	if cfg.RequestGenerator.Type != config.GeneratorTraceReplay {
		return nil, fmt.Errorf("vidurcase: %s: request generator %q; reference cases replay a trace", c.Name, cfg.RequestGenerator.Type)
	}
	tr := cfg.RequestGenerator.TraceReplay
	src, err := workload.OpenTrace(tr.TraceFile, workload.TraceOptions{
		Format:             workload.FormatVidur,
		PrefillScaleFactor: tr.PrefillScaleFactor,
		DecodeScaleFactor:  tr.DecodeScaleFactor,
		TimeScaleFactor:    tr.TimeScaleFactor,
		MaxTokens:          tr.MaxTokens,
	})
	if err != nil {
		return nil, err
	}
	sim, err := simulate.New(setup)
	if err != nil {
		return nil, err
	}
	col := &collector{lastStage: setup.NumStages - 1}
	res, err := sim.Run(src, col)
	if err != nil {
		return nil, err
	}
	out := &Outcome{Result: res, Requests: col.requests}
	out.Batches = make([]BatchRow, len(col.batches))
	for _, b := range col.batches {
		if b.ID < 0 || b.ID >= len(out.Batches) {
			return nil, fmt.Errorf("vidurcase: batch id %d out of range", b.ID)
		}
		out.Batches[b.ID] = b
	}
	return out, nil
}

// collector keeps Vidur's columns of every request and batch in memory (reference
// cases are small).
type collector struct {
	lastStage int
	requests  []RequestRow
	batches   []BatchRow
}

func (c *collector) RecordArrival(workload.Request)               {}
func (c *collector) RecordMemory(replica int, t, percent float64) {}

func (c *collector) RecordRequest(r *metrics.RequestRecord) {
	c.requests = append(c.requests, RequestRow{ID: r.ID, Values: VidurRequestColumns(r)})
}

func (c *collector) RecordBatch(b *metrics.BatchRecord) {
	if b.StageID != c.lastStage {
		return
	}
	c.batches = append(c.batches, BatchRow{ID: b.ID, Values: map[string]float64{
		"batch_num_tokens":         float64(b.NumTokens),
		"batch_num_prefill_tokens": float64(b.NumPrefillTokens),
		"batch_num_decode_tokens":  float64(b.NumDecodeTokens),
		"batch_size":               float64(b.Size),
		"batch_execution_time":     b.CompletedAt - b.ScheduledAt,
	}})
}

// VidurRequestColumns computes Vidur's request_metrics.csv values from a record, with
// the same floating-point operations as Vidur's MetricsStore.
func VidurRequestColumns(r *metrics.RequestRecord) map[string]float64 {
	// Normalised times divide by the post-restart lengths (Vidur computes them at
	// completion); token counts are the lengths on arrival (Vidur records them then).
	p, d := float64(r.RestartPrefillTokens), float64(r.RestartDecodeTokens)
	p0, d0 := float64(r.NumPrefillTokens), float64(r.NumDecodeTokens)
	e2e := r.CompletedAt - r.ArrivedAt
	return map[string]float64{
		"request_e2e_time":                                  e2e,
		"request_e2e_time_normalized":                       e2e / d,
		"request_execution_time":                            r.ExecutionTime,
		"request_execution_time_normalized":                 r.ExecutionTime / d,
		"request_model_execution_time":                      r.ModelExecutionTime,
		"request_model_execution_time_normalized":           r.ModelExecutionTime / d,
		"request_preemption_time":                           r.PreemptionTime,
		"request_scheduling_delay":                          r.ScheduledAt - r.ArrivedAt,
		"request_execution_plus_preemption_time":            r.ExecutionPlusPreemptionTime,
		"request_execution_plus_preemption_time_normalized": r.ExecutionPlusPreemptionTime / d,
		"prefill_e2e_time":                                  r.PrefillCompletedAt - r.ArrivedAt,
		"prefill_time_execution_plus_preemption":            r.PrefillTimeExecPlusPreemption,
		"prefill_time_execution_plus_preemption_normalized": r.PrefillTimeExecPlusPreemption / p,
		"decode_time_execution_plus_preemption_normalized":  (r.CompletedAt - r.PrefillCompletedAt) / d,
		"request_inter_arrival_delay":                       r.InterArrivalDelay,
		"request_num_tokens":                                p0 + d0,
		"request_num_prefill_tokens":                        p0,
		"request_num_decode_tokens":                         d0,
		"request_pd_ratio":                                  p0 / d0,
		"request_num_restarts":                              float64(r.NumRestarts),
	}
}

// openMaybeGzip opens name, or name.gz when only that exists.
func openMaybeGzip(name string) (string, error) {
	for _, n := range []string{name, name + ".gz"} {
		if _, err := os.Stat(n); err == nil {
			return n, nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("vidurcase: %w", err)
		}
	}
	return "", fmt.Errorf("vidurcase: neither %s nor %s.gz exists: %w", name, name, fs.ErrNotExist)
}
