package profile

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmsim/llmsim/internal/shareddata"
)

// BenchmarkIngestAll ingests every real profile (Vidur, Frontier, AICB/SimAI/nccl-tests)
// and writes the dataset; it reports seconds per ingest+write and the dataset's size as
// a fraction of the CSV bytes it came from (targets: ≤ 10 s on 2 cores, ≤ 0.25).
func BenchmarkIngestAll(b *testing.B) {
	inputs := []string{
		shareddata.Path(b, "vidur/profiling"),
		shareddata.Path(b, "frontier/profiling"),
		shareddata.Path(b, "profiles"),
	}
	var csvBytes int64
	for _, in := range inputs {
		filepath.WalkDir(in, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".csv") {
				if st, err := d.Info(); err == nil {
					csvBytes += st.Size()
				}
			}
			return nil
		})
	}
	out := filepath.Join(b.TempDir(), "all")
	b.ResetTimer()
	var rows int
	for b.Loop() {
		ds, err := Ingest(IngestOptions{CreatedBy: "llmsim bench"}, inputs...)
		if err != nil {
			b.Fatal(err)
		}
		if err := WriteDataset(out, ds.Rows, &ds.Manifest); err != nil {
			b.Fatal(err)
		}
		rows = len(ds.Rows)
	}
	b.StopTimer()
	st, err := os.Stat(filepath.Join(out, DataFile))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/ingest")
	b.ReportMetric(float64(st.Size())/float64(csvBytes), "dataset/csv")
	b.ReportMetric(float64(rows), "rows")
}
