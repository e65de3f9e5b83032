package profile

import (
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/llmsim/llmsim/internal/shareddata"
)

// ingestTestdata ingests testdata/compute into a dataset in memory.
func ingestTestdata(t testing.TB) *Dataset {
	t.Helper()
	ds, err := Ingest(IngestOptions{GPU: "a100", CreatedBy: "llmsim test"}, filepath.Join("testdata", "compute"))
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// TestDatasetRoundTrip writes a dataset and reads it back three ways: ReadDataset,
// parquet-go's generic reader, and its untyped row reader, which shares no code with
// the Row struct tags beyond the column names.
func TestDatasetRoundTrip(t *testing.T) {
	ds := ingestTestdata(t)
	dir := filepath.Join(t.TempDir(), "ds")
	if err := WriteDataset(dir, ds.Rows, &ds.Manifest); err != nil {
		t.Fatal(err)
	}
	back, err := ReadDataset(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Rows, ds.Rows) {
		t.Fatal("ReadDataset rows differ from the rows written")
	}
	if !reflect.DeepEqual(back.Manifest, ds.Manifest) {
		t.Errorf("manifest differs:\n got %+v\nwant %+v", back.Manifest, ds.Manifest)
	}

	generic, err := parquet.ReadFile[Row](filepath.Join(dir, DataFile))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(generic, ds.Rows) {
		t.Error("parquet.ReadFile[Row] differs from the rows written")
	}

	f, err := os.Open(filepath.Join(dir, DataFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, c := range pf.Schema().Columns() {
		col[c[0]] = i
	}
	for _, name := range []string{"operator", "median_ms", "num_tokens", "extra", "synthetic"} {
		if _, ok := col[name]; !ok {
			t.Fatalf("column %s missing from the file schema", name)
		}
	}
	var n int
	for _, rg := range pf.RowGroups() {
		rows := rg.Rows()
		buf := make([]parquet.Row, 64)
		for {
			k, err := rows.ReadRows(buf)
			for _, r := range buf[:k] {
				want := ds.Rows[n]
				if got := r[col["operator"]].String(); got != want.Operator {
					t.Fatalf("row %d operator %q, want %q", n, got, want.Operator)
				}
				if got := r[col["median_ms"]].Double(); got != want.MedianMS {
					t.Fatalf("row %d median %v, want %v", n, got, want.MedianMS)
				}
				if got := r[col["num_tokens"]].Int64(); got != want.NumTokens {
					t.Fatalf("row %d num_tokens %v, want %v", n, got, want.NumTokens)
				}
				if got := r[col["extra"]].String(); got != want.Extra {
					t.Fatalf("row %d extra %q, want %q", n, got, want.Extra)
				}
				n++
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		rows.Close()
	}
	if n != len(ds.Rows) {
		t.Errorf("untyped reader saw %d rows, want %d", n, len(ds.Rows))
	}
}

// TestDeterministic ingests the same input twice and expects byte-identical files.
func TestDeterministic(t *testing.T) {
	inputs := []string{filepath.Join("testdata", "compute")}
	if root := shareddata.Root(); root != "" {
		inputs = append(inputs, filepath.Join(root, "vidur_attention_sample"), filepath.Join(root, "frontier/profiling/compute/h800"))
	}
	var files [2][2][]byte
	for i := range files {
		ds, err := Ingest(IngestOptions{CreatedBy: "llmsim test", Workers: 1 + i}, inputs...)
		if err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(t.TempDir(), "ds")
		if err := WriteDataset(dir, ds.Rows, &ds.Manifest); err != nil {
			t.Fatal(err)
		}
		for j, name := range []string{DataFile, ManifestFile} {
			if files[i][j], err = os.ReadFile(filepath.Join(dir, name)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if !bytes.Equal(files[0][0], files[1][0]) {
		t.Error("data.parquet differs between two ingests of the same input")
	}
	if !bytes.Equal(files[0][1], files[1][1]) {
		t.Error("manifest.json differs between two ingests of the same input")
	}
}

func TestManifest(t *testing.T) {
	ds := ingestTestdata(t)
	dir := filepath.Join(t.TempDir(), "ds")
	if err := WriteDataset(dir, ds.Rows, &ds.Manifest); err != nil {
		t.Fatal(err)
	}
	m := ds.Manifest
	if m.SchemaVersion != SchemaVersion || len(m.DatasetID) != 64 || m.Rows != len(ds.Rows) || m.Synthetic {
		t.Errorf("manifest header = %+v", m)
	}
	if len(m.Sources) != 5 {
		t.Fatalf("%d sources, want 5", len(m.Sources))
	}
	for _, s := range m.Sources {
		if s.GPU != "a100" || s.Kind != KindMeasured || len(s.SHA256) != 64 || s.RowsKept == 0 {
			t.Errorf("source %+v", s)
		}
	}
	// attention_flash.csv: prefill lines have empty decode columns, decode lines empty
	// prefill ones, and FlashAttention's input reshape is all zeros.
	for _, s := range m.Sources {
		if s.Path == "attention_flash.csv" && (s.Dropped["op not measured"] != 3 || s.Dropped["op not run"] != 3) {
			t.Errorf("attention_flash.csv dropped %v", s.Dropped)
		}
	}
	raw, _ := os.ReadFile(filepath.Join(dir, ManifestFile))
	for _, forbidden := range []string{"time", "date", "T00:"} {
		if strings.Contains(strings.ToLower(string(raw)), forbidden+"\"") {
			t.Errorf("manifest has a %q field; it must not depend on the clock", forbidden)
		}
	}
}

func TestDuplicatesDropped(t *testing.T) {
	dir := t.TempDir()
	data, _ := os.ReadFile(filepath.Join("testdata", "compute", "mlp.csv"))
	lines := strings.SplitAfter(string(data), "\n")
	// The same measurement point twice in one file, and the whole file again in a copy.
	os.WriteFile(filepath.Join(dir, "a.csv"), []byte(lines[0]+lines[1]+lines[1]), 0o644)
	os.WriteFile(filepath.Join(dir, "b.csv"), []byte(lines[0]+lines[1]), 0o644)
	ds, err := Ingest(IngestOptions{}, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.Rows) != 10 {
		t.Errorf("%d rows, want 10", len(ds.Rows))
	}
	a, b := ds.Manifest.Sources[0], ds.Manifest.Sources[1]
	if a.RowsRead != 2 || a.RowsKept != 10 || a.Dropped["duplicate"] != 10 || b.RowsKept != 0 || b.Dropped["duplicate"] != 10 {
		t.Errorf("sources %+v %+v", a, b)
	}
}

// TestRepeatedMeasurementsKept checks that a line repeating another's point with
// different timings is kept whole, in file order, even for the operators whose timings
// equal the earlier line's: it is a repeated measurement, not a duplicate (pandas'
// drop_duplicates keeps it too, and Vidur trains on both). Only the exact repeat of a
// line is dropped.
func TestRepeatedMeasurementsKept(t *testing.T) {
	dir := t.TempDir()
	data, _ := os.ReadFile(filepath.Join("testdata", "compute", "mlp.csv"))
	lines := strings.SplitAfter(string(data), "\n")
	// Line 3 is line 2 with add's median changed; line 4 repeats line 2 exactly.
	header := strings.Split(strings.TrimRight(lines[0], "\r\n"), ",")
	fields := strings.Split(strings.TrimRight(lines[1], "\r\n"), ",")
	fields[slices.Index(header, "time_stats.add.median")] = "12.5"
	second := strings.Join(fields, ",") + "\n"
	os.WriteFile(filepath.Join(dir, "a.csv"), []byte(lines[0]+lines[1]+second+lines[1]), 0o644)
	ds, err := Ingest(IngestOptions{}, dir)
	if err != nil {
		t.Fatal(err)
	}
	perOp := perOpLines(ds.Rows)
	src := ds.Manifest.Sources[0]
	if src.RowsRead != 3 || src.RowsKept != 2*len(perOp) || src.Dropped["duplicate"] != len(perOp) {
		t.Errorf("source %+v, want %d rows kept and %d dropped", src, 2*len(perOp), len(perOp))
	}
	for op, ls := range perOp {
		if !slices.Equal(ls, []int64{2, 3}) {
			t.Errorf("%s: lines %v, want [2 3]", op, ls)
		}
	}
}

func perOpLines(rows []Row) map[string][]int64 {
	perOp := map[string][]int64{}
	for _, r := range rows {
		perOp[r.Operator] = append(perOp[r.Operator], r.Line)
	}
	return perOp
}

// TestNoPartialOutput checks that a failed ingest or write leaves nothing behind and
// that an existing directory that is not a dataset is never replaced.
func TestNoPartialOutput(t *testing.T) {
	base := t.TempDir()
	ds := ingestTestdata(t)

	bad := append([]Row(nil), ds.Rows...)
	bad[len(bad)/2].MedianMS = math.NaN()
	out := filepath.Join(base, "ds")
	if err := WriteDataset(out, bad, &Manifest{}); err == nil {
		t.Error("a NaN time was written")
	}
	if ents, _ := os.ReadDir(base); len(ents) != 0 {
		t.Errorf("a failed write left %v behind", ents)
	}

	foreign := filepath.Join(base, "notes")
	os.MkdirAll(foreign, 0o755)
	os.WriteFile(filepath.Join(foreign, "thesis.tex"), []byte("keep me"), 0o644)
	if err := WriteDataset(foreign, ds.Rows, &ds.Manifest); err == nil {
		t.Error("replaced a directory that is not a dataset")
	}
	if b, _ := os.ReadFile(filepath.Join(foreign, "thesis.tex")); string(b) != "keep me" {
		t.Error("a foreign file was touched")
	}

	// Replacing an existing dataset works and leaves no temporary directories.
	for range 2 {
		if err := WriteDataset(out, ds.Rows, &ds.Manifest); err != nil {
			t.Fatal(err)
		}
	}
	ents, _ := os.ReadDir(base)
	if len(ents) != 2 {
		t.Errorf("after two writes the parent holds %d entries, want 2 (ds, notes)", len(ents))
	}

	// A malformed input fails the ingest in strict mode.
	in := filepath.Join(base, "in")
	os.MkdirAll(in, 0o755)
	data, _ := os.ReadFile(filepath.Join("testdata", "compute", "mlp.csv"))
	os.WriteFile(filepath.Join(in, "mlp.csv"), bytes.Replace(data, []byte("1.911"), []byte("x"), 1), 0o644)
	if _, err := Ingest(IngestOptions{}, in); err == nil || !strings.Contains(err.Error(), "mlp.csv:2: column time_stats.attn_pre_proj.median") {
		t.Errorf("strict ingest error = %v", err)
	}
	ds2, err := Ingest(IngestOptions{Lenient: true}, in)
	if err != nil {
		t.Fatal(err)
	}
	if s := ds2.Manifest.Sources[0]; s.Dropped["malformed"] != 1 || s.RowsKept != 20 {
		t.Errorf("lenient source = %+v", s)
	}
}

func TestReadDatasetChecksHash(t *testing.T) {
	ds := ingestTestdata(t)
	dir := filepath.Join(t.TempDir(), "ds")
	if err := WriteDataset(dir, ds.Rows, &ds.Manifest); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, DataFile)
	data, _ := os.ReadFile(p)
	data[len(data)/2] ^= 1
	os.WriteFile(p, data, 0o644)
	if _, err := ReadDataset(dir); err == nil || !strings.Contains(err.Error(), "SHA-256") {
		t.Errorf("corrupted data file: err = %v", err)
	}
}

func TestInferLayout(t *testing.T) {
	cases := []struct{ path, gpu, network, model string }{
		{"compute/a100/meta-llama/Llama-2-7b-hf/mlp.csv", "a100", "", "meta-llama/Llama-2-7b-hf"},
		{"vidur/profiling/compute/H100/Qwen/Qwen-72B/mlp.csv", "h100", "", "Qwen/Qwen-72B"},
		{"frontier/profiling/compute/h800/Phi-tiny-MoE-instruct/moe.csv", "h800", "", "Phi-tiny-MoE-instruct"},
		{"compute/a100/config.yaml", "a100", "", ""},
		{"network/a100_dgx/all_reduce.csv", "a100", "a100_dgx", ""},
		{"vidur_attention_sample/a100/meta-llama/Meta-Llama-3-8B/attention.csv", "a100", "", "meta-llama/Meta-Llama-3-8B"},
		{"mlp.csv", "", "", ""},
	}
	for _, c := range cases {
		g, n, m := inferLayout(c.path)
		if g != c.gpu || n != c.network || m != c.model {
			t.Errorf("%s: got (%q, %q, %q), want (%q, %q, %q)", c.path, g, n, m, c.gpu, c.network, c.model)
		}
	}
}

func TestIngestUnrecognized(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "README.md"), []byte("# notes\n"), 0o644)
	data, _ := os.ReadFile(filepath.Join("testdata", "compute", "moe.csv"))
	os.WriteFile(filepath.Join(dir, "moe.csv"), data, 0o644)
	ds, err := Ingest(IngestOptions{}, dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ds.Manifest.Unrecognized, []string{"README.md"}) {
		t.Errorf("unrecognized = %v", ds.Manifest.Unrecognized)
	}
	os.Remove(filepath.Join(dir, "moe.csv"))
	if _, err := Ingest(IngestOptions{}, dir); err == nil {
		t.Error("an ingest with no rows succeeded")
	}
}

// TestIngestFollowsFileLinks ingests a folder whose profile is a symbolic link: the
// linked file is read and recorded like any other, not skipped unrecorded.
func TestIngestFollowsFileLinks(t *testing.T) {
	target, err := filepath.Abs(filepath.Join("testdata", "compute", "mlp.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(target); err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	if err := os.Symlink(target, filepath.Join(dir, "mlp.csv")); err != nil {
		t.Skip("symlinks not supported here:", err)
	}
	ds, err := Ingest(IngestOptions{GPU: "a100"}, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.Manifest.Sources) != 1 || ds.Manifest.Sources[0].RowsKept == 0 {
		t.Fatalf("sources %+v, want the linked file read", ds.Manifest.Sources)
	}
}
