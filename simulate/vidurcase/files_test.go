package vidurcase

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/llmsim/llmsim/catalog"
	"github.com/llmsim/llmsim/internal/shareddata"
	"github.com/llmsim/llmsim/predictor"
	"github.com/llmsim/llmsim/simulate"
	"github.com/llmsim/llmsim/simulate/config"
	"github.com/llmsim/llmsim/simulate/metrics"
	"github.com/llmsim/llmsim/simulate/workload"
)

// TestReferenceOutputFiles runs every reference case through the metrics recorder, as
// `llmsim simulate --compat vidur` does, and compares the files themselves with
// Vidur's: request_metrics.csv (Vidur's columns, text equal, same row order), the
// utilization files plots/replica_*.json (byte for byte) and the chrome trace (every
// event's name, times, pid, tid and args equal as JSON values).
func TestReferenceOutputFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and parses every case's outputs")
	}
	root := shareddata.Path(t, "vidur_reference")
	dirs, _ := filepath.Glob(filepath.Join(root, "v*"))
	cat := catalog.Default()
	for _, dir := range dirs {
		if _, err := os.Stat(filepath.Join(dir, "cmd.txt")); err != nil {
			continue
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			c, err := Load(dir, "")
			if err != nil {
				t.Fatal(err)
			}
			out := t.TempDir()
			runWithRecorder(t, c, cat, out)
			compareRequestCSV(t, filepath.Join(dir, "request_metrics.csv"), filepath.Join(out, "request_metrics.csv"))
			refJSON, _ := filepath.Glob(filepath.Join(dir, "plots", "replica_*.json"))
			gotJSON, _ := filepath.Glob(filepath.Join(out, "plots", "replica_*.json"))
			if len(gotJSON) != len(refJSON) {
				t.Errorf("%d utilization files, Vidur wrote %d", len(gotJSON), len(refJSON))
			}
			for _, ref := range refJSON {
				want, _ := os.ReadFile(ref)
				got, err := os.ReadFile(filepath.Join(out, "plots", filepath.Base(ref)))
				if err != nil || !bytes.Equal(got, want) {
					t.Errorf("plots/%s:\n got %s (%v)\nwant %s", filepath.Base(ref), got, err, want)
				}
			}
			compareChromeTrace(t, filepath.Join(dir, "chrome_trace.json.gz"), filepath.Join(out, "chrome_trace.json"))
		})
	}
}

func runWithRecorder(t *testing.T, c *Case, cat *catalog.Catalog, out string) {
	t.Helper()
	cfg := c.Config
	tables, err := predictor.LoadVidurTables(c.PredictionsDir, simulate.PredictorLimits(cfg))
	if err != nil {
		t.Fatal(err)
	}
	setup, err := simulate.FromConfig(cfg, cat, tables)
	if err != nil {
		t.Fatal(err)
	}
	tr := cfg.RequestGenerator.TraceReplay
	src, err := workload.OpenTrace(tr.TraceFile, workload.TraceOptions{Format: workload.FormatVidur, MaxTokens: tr.MaxTokens})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	sim, err := simulate.New(setup)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := metrics.NewRecorder(out, metrics.Options{
		ChromeTrace: true, Utilization: true,
		NumReplicas: setup.NumReplicas, NumStages: setup.NumStages,
		VidurCompat: cfg.Compat == config.CompatVidur,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sim.Run(src, rec); err != nil {
		rec.Abort()
		t.Fatal(err)
	}
	if err := rec.Close(nil); err != nil {
		t.Fatal(err)
	}
}

func readCSV(t *testing.T, name string) [][]string {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) == 0 {
		t.Fatalf("%s: %d rows, %v", name, len(rows), err)
	}
	return rows
}

// compareRequestCSV checks that every column of Vidur's file has the same text in
// llmsim's, row by row.
func compareRequestCSV(t *testing.T, refName, gotName string) {
	t.Helper()
	ref, got := readCSV(t, refName), readCSV(t, gotName)
	if len(got) != len(ref) {
		t.Fatalf("request_metrics.csv: %d rows, Vidur has %d", len(got)-1, len(ref)-1)
	}
	index := map[string]int{}
	for i, name := range got[0] {
		index[name] = i
	}
	diffs := 0
	for j, name := range ref[0] {
		k, ok := index[name]
		if !ok {
			t.Errorf("request_metrics.csv has no column %q", name)
			continue
		}
		for i := 1; i < len(ref); i++ {
			if got[i][k] != ref[i][j] {
				if diffs < 5 {
					t.Errorf("request_metrics.csv row %d (request %s) %s: %q, Vidur %q", i, ref[i][0], name, got[i][k], ref[i][j])
				}
				diffs++
			}
		}
	}
	if diffs > 0 {
		t.Errorf("request_metrics.csv: %d values differ", diffs)
	}
}

type traceEvent struct {
	Name string         `json:"name"`
	Ph   string         `json:"ph"`
	Ts   float64        `json:"ts"`
	Dur  float64        `json:"dur"`
	Pid  int            `json:"pid"`
	Tid  int            `json:"tid"`
	Args map[string]any `json:"args"`
}

func readTrace(t *testing.T, name string) []traceEvent {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if filepath.Ext(name) == ".gz" {
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	}
	var tr struct {
		TraceEvents []traceEvent `json:"traceEvents"`
	}
	if err := json.NewDecoder(r).Decode(&tr); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return tr.TraceEvents
}

// compareChromeTrace checks Vidur's events against llmsim's complete events, in order;
// llmsim's extra args and its name metadata are not compared.
func compareChromeTrace(t *testing.T, refName, gotName string) {
	t.Helper()
	ref := readTrace(t, refName)
	var got []traceEvent
	for _, e := range readTrace(t, gotName) {
		if e.Ph == "X" {
			got = append(got, e)
		}
	}
	if len(got) != len(ref) {
		t.Fatalf("chrome trace: %d events, Vidur has %d", len(got), len(ref))
	}
	diffs := 0
	for i, w := range ref {
		g := got[i]
		same := g.Name == w.Name && g.Ph == w.Ph && g.Ts == w.Ts && g.Dur == w.Dur && g.Pid == w.Pid && g.Tid == w.Tid
		for k, v := range w.Args {
			same = same && reflect.DeepEqual(g.Args[k], v)
		}
		if !same {
			if diffs < 3 {
				t.Errorf("chrome trace event %d: %+v, Vidur %+v", i, g, w)
			}
			diffs++
		}
	}
	if diffs > 0 {
		t.Errorf("chrome trace: %d of %d events differ", diffs, len(ref))
	}
}
