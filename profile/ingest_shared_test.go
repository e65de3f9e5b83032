package profile

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/llmsim/llmsim/internal/shareddata"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestIngestSharedData ingests every real profile in ../shared/data in one go, as
// `llmsim profile ingest` does, and checks per source file which reader claimed it and
// how many rows it read, kept and dropped (by reason) against a golden table, so that a
// change to any reader's row accounting shows up file by file.
func TestIngestSharedData(t *testing.T) {
	if testing.Short() {
		t.Skip("ingests ~30 MB of CSV; skipped with -short")
	}
	root := shareddata.Path(t, ".")
	ds, err := Ingest(IngestOptions{}, filepath.Join(root, "vidur/profiling"),
		filepath.Join(root, "frontier/profiling"), filepath.Join(root, "profiles"))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# source reader gpu rows_read rows_kept dropped\n")
	for _, s := range ds.Manifest.Sources {
		var drops []string
		for reason, n := range s.Dropped {
			drops = append(drops, fmt.Sprintf("%s=%d", strings.ReplaceAll(reason, " ", "_"), n))
		}
		slices.Sort(drops)
		d := strings.Join(drops, ",")
		if d == "" {
			d = "-"
		}
		gpu := s.GPU
		if gpu == "" {
			gpu = "-"
		}
		fmt.Fprintf(&b, "%s %s %s %d %d %s\n", s.Path, s.Reader, gpu, s.RowsRead, s.RowsKept, d)
	}
	for _, u := range ds.Manifest.Unrecognized {
		fmt.Fprintf(&b, "%s unrecognized\n", u)
	}
	fmt.Fprintf(&b, "total rows %d\n", len(ds.Rows))
	got := b.String()

	golden := filepath.Join("testdata", "ingest_shared.golden")
	if *updateGolden {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := range max(len(gl), len(wl)) {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Errorf("line %d:\n got  %s\n want %s", i+1, g, w)
			}
		}
	}

	// A few values after unit conversion, one per kind of source.
	check := func(src, op string, match func(Row) bool, want float64, field func(Row) float64) {
		t.Helper()
		for _, r := range ds.Rows {
			if strings.HasSuffix(r.Source, src) && r.Operator == op && match(r) {
				if got := field(r); !near(got, want) {
					t.Errorf("%s %s: got %v, want %v", src, op, got, want)
				}
				return
			}
		}
		t.Errorf("%s %s: no matching row", src, op)
	}
	median := func(r Row) float64 { return r.MedianMS }
	check("vidur/profiling/compute/a100/meta-llama/Llama-2-7b-hf/mlp.csv", "mlp_up_proj",
		func(r Row) bool { return r.Line == 2 }, 3.3655, median)
}
