package profile

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"
)

// File names inside a dataset directory.
const (
	DataFile     = "data.parquet"
	ManifestFile = "manifest.json"
)

// Source kinds recorded in the manifest.
const (
	KindMeasured  = "measured"
	KindSynthetic = "synthetic"
)

// Manifest is manifest.json: what a dataset holds and where every row came from. It
// has no wall-clock timestamp, so that the same inputs give the same bytes.
type Manifest struct {
	SchemaVersion string `json:"schema_version"` // SchemaVersion of the Row layout in DataFile
	// DatasetID is the hex SHA-256 of DataFile; ReadDataset checks it.
	DatasetID string `json:"dataset_id"`
	DataFile  string `json:"data_file"`
	CreatedBy string `json:"created_by"` // Creator unless a caller says otherwise
	Rows      int    `json:"rows"`
	// Operators counts rows per operator.
	Operators map[string]int `json:"operators"`
	// Synthetic is true when any row is a roofline estimate rather than a measurement.
	Synthetic bool           `json:"synthetic"`
	Synth     *SynthParams   `json:"synth,omitempty"` // the roofline settings, for synthetic datasets
	Sources   []SourceRecord `json:"sources"`
	// Unrecognized lists input files that no reader claimed; they were not read.
	Unrecognized []string `json:"unrecognized,omitempty"`
}

// SourceRecord traces one input file (or one synthesized table) into the dataset.
type SourceRecord struct {
	Path    string `json:"path"`             // relative to the ingest root, as in Row.Source
	SHA256  string `json:"sha256,omitempty"` // of the raw file; empty for synthetic sources
	Bytes   int64  `json:"bytes"`
	Reader  string `json:"reader"`
	Kind    string `json:"kind"` // KindMeasured or KindSynthetic
	GPU     string `json:"gpu,omitempty"`
	Network string `json:"network,omitempty"`
	Model   string `json:"model,omitempty"`
	// RowsRead counts the data lines (records) the reader saw. One line can hold
	// several operators, so RowsKept (dataset rows) may exceed it; Dropped counts
	// operator samples not kept, by reason: "duplicate", "NaN target", "op not
	// measured", "op not run", "malformed" (lenient mode), "filtered".
	RowsRead int `json:"rows_read"`
	// Error is why a reader rejected the whole file (lenient mode only; strict
	// ingest fails instead). Such a source contributes no rows.
	Error    string         `json:"error,omitempty"`
	RowsKept int            `json:"rows_kept"`
	Dropped  map[string]int `json:"dropped,omitempty"`
}

// Dataset is a normalized dataset in memory: what ReadDataset returns.
type Dataset struct {
	Dir      string
	Manifest Manifest
	Rows     []Row
}

// compareRows is the dataset's row order: by operator first (so that a consumer
// reading one operator touches one contiguous run, and columns compress well), then
// GPU, network, model and provenance, then every key and feature, so that the order
// is total and the file deterministic.
func compareRows(a, b *Row) int {
	return cmp.Or(
		strings.Compare(a.Operator, b.Operator),
		strings.Compare(a.GPU, b.GPU),
		strings.Compare(a.Network, b.Network),
		strings.Compare(a.Model, b.Model),
		strings.Compare(a.Source, b.Source),
		cmp.Compare(a.Line, b.Line),
		cmp.Compare(a.TP, b.TP),
		cmp.Compare(a.NumTokens, b.NumTokens),
		cmp.Compare(a.BatchSize, b.BatchSize),
		cmp.Compare(a.KVCacheSize, b.KVCacheSize),
		cmp.Compare(a.PrefillChunkSize, b.PrefillChunkSize),
		cmp.Compare(a.Bytes, b.Bytes),
		cmp.Compare(a.GroupSize, b.GroupSize),
		cmp.Compare(a.RanksPerNode, b.RanksPerNode),
		cmpBool(a.InPlace, b.InPlace),
		strings.Compare(a.Extra, b.Extra),
		strings.Compare(a.Reader, b.Reader),
		strings.Compare(a.Backend, b.Backend),
		strings.Compare(a.Dtype, b.Dtype),
		cmp.Compare(a.HiddenSize, b.HiddenSize),
		cmp.Compare(a.NumExperts, b.NumExperts),
		cmp.Compare(a.EP, b.EP),
		cmp.Compare(a.MedianMS, b.MedianMS),
	)
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

// SortRows puts rows in the dataset's deterministic order. It sorts an index
// permutation and moves each row once: a Row is several hundred bytes, and a sort
// that swaps rows directly spends most of its time copying them.
func SortRows(rows []Row) {
	idx := sortedIndex(rows)
	sorted := make([]Row, len(rows))
	for i, j := range idx {
		sorted[i] = rows[j]
	}
	copy(rows, sorted)
}

// sortedIndex returns the permutation that puts rows in the dataset's order.
func sortedIndex(rows []Row) []int32 {
	idx := make([]int32, len(rows))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortStableFunc(idx, func(a, b int32) int { return compareRows(&rows[a], &rows[b]) })
	return idx
}

// Creator is what a dataset records as its creator when the caller gives none: the
// tool, not its build, so that the same inputs give the same bytes (and the same
// dataset id, which pinned artifacts record) whichever build wrote them.
const Creator = "llmsim"

// writerOptions are the Parquet settings of every dataset file: zstd, and the
// creator string without a build hash, so that the bytes depend only on the rows.
func writerOptions(createdBy string) []parquet.WriterOption {
	return []parquet.WriterOption{
		parquet.Compression(&zstd.Codec{Level: zstd.SpeedBetterCompression}),
		parquet.CreatedBy(cmp.Or(createdBy, Creator), "", ""),
		// One row group per 64k rows keeps memory bounded for consumers and lets
		// DuckDB parallelise; the page index lets it skip by operator.
		parquet.MaxRowsPerRowGroup(1 << 16),
	}
}

// WriteDataset writes rows and m to the directory dir as DataFile and ManifestFile.
// It sorts a copy of rows, fills m's SchemaVersion, DatasetID, DataFile, Rows,
// Operators and Synthetic, and replaces dir atomically: everything is written to a
// temporary directory beside dir, which is renamed into place only when complete.
// An existing dir is replaced only if it is empty or holds a dataset.
func WriteDataset(dir string, rows []Row, m *Manifest) error {
	if m == nil {
		m = &Manifest{}
	}
	if err := checkReplaceable(dir); err != nil {
		return err
	}
	for i := range rows {
		if err := validateRow(&rows[i]); err != nil {
			return fmt.Errorf("profile: write dataset %s: %w", dir, err)
		}
	}
	m.CreatedBy = cmp.Or(m.CreatedBy, Creator)
	var buf bytes.Buffer
	if err := writeParquet(&buf, rows, m.CreatedBy); err != nil {
		return fmt.Errorf("profile: write dataset %s: parquet: %w", dir, err)
	}
	sum := sha256.Sum256(buf.Bytes())
	m.SchemaVersion = SchemaVersion
	m.DatasetID = hex.EncodeToString(sum[:])
	m.DataFile = DataFile
	m.Rows = len(rows)
	m.Operators = map[string]int{}
	m.Synthetic = false
	for i := range rows {
		m.Operators[rows[i].Operator]++
		m.Synthetic = m.Synthetic || rows[i].Synthetic
	}
	mj, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("profile: write dataset %s: manifest: %w", dir, err)
	}
	mj = append(mj, '\n')

	parent := filepath.Dir(filepath.Clean(dir))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("profile: write dataset: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp-")
	if err != nil {
		return fmt.Errorf("profile: write dataset: %w", err)
	}
	defer os.RemoveAll(tmp) // a no-op once renamed
	if err := writeFileSync(filepath.Join(tmp, DataFile), buf.Bytes()); err != nil {
		return err
	}
	if err := writeFileSync(filepath.Join(tmp, ManifestFile), mj); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("profile: write dataset: %w", err)
	}
	return replaceDir(tmp, dir)
}

// writeParquet writes rows in the dataset's order without modifying them: rows that
// are already sorted (Ingest and Synthesize sort theirs) are written as they are;
// otherwise a sorted index is written through a small reused buffer.
func writeParquet(w io.Writer, rows []Row, createdBy string) error {
	pw := parquet.NewGenericWriter[Row](w, writerOptions(createdBy)...)
	if slices.IsSortedFunc(rows, func(a, b Row) int { return compareRows(&a, &b) }) {
		if _, err := pw.Write(rows); err != nil {
			return err
		}
		return pw.Close()
	}
	idx := sortedIndex(rows)
	batch := make([]Row, 0, 4096)
	for i, j := range idx {
		batch = append(batch, rows[j])
		if len(batch) == cap(batch) || i == len(idx)-1 {
			if _, err := pw.Write(batch); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	return pw.Close()
}

// validateRow rejects values a dataset must never hold.
func validateRow(r *Row) error {
	if r.Operator == "" {
		return fmt.Errorf("%s:%d: row without an operator", r.Source, r.Line)
	}
	for _, v := range [...]float64{r.MedianMS, r.MeanMS, r.MinMS, r.MaxMS, r.StdMS, r.RoutingSkew, r.AlgBWGBps, r.BusBWGBps} {
		if v != v || v < 0 || v > 1e300 {
			return fmt.Errorf("%s:%d: operator %s: value %v is not a finite non-negative number", r.Source, r.Line, r.Operator, v)
		}
	}
	return nil
}

func writeFileSync(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("profile: write dataset: %w", err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("profile: write dataset: %s: %w", path, err)
	}
	return nil
}

// checkReplaceable refuses to overwrite a directory that is not a dataset, so that a
// mistyped --out never deletes someone's files.
func checkReplaceable(dir string) error {
	st, err := os.Stat(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("profile: write dataset: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("profile: write dataset: %s exists and is not a directory", dir)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("profile: write dataset: %w", err)
	}
	for _, e := range ents {
		if n := e.Name(); n != DataFile && n != ManifestFile {
			return fmt.Errorf("profile: write dataset: %s holds %s, so it is not a dataset directory; refusing to replace it", dir, n)
		}
	}
	return nil
}

// replaceDir moves tmp to dir. An existing dir is first moved aside, then removed,
// so that at every instant dir is either the old dataset or the new one.
func replaceDir(tmp, dir string) error {
	old := ""
	if _, err := os.Stat(dir); err == nil {
		old = tmp + ".old"
		if err := os.Rename(dir, old); err != nil {
			return fmt.Errorf("profile: write dataset: %w", err)
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		if old != "" {
			_ = os.Rename(old, dir) // put the previous dataset back
		}
		return fmt.Errorf("profile: write dataset: %w", err)
	}
	if old != "" {
		if err := os.RemoveAll(old); err != nil {
			return fmt.Errorf("profile: write dataset: removing the previous dataset: %w", err)
		}
	}
	return nil
}

// ReadDataset reads a dataset directory written by WriteDataset. It checks that the
// data file's SHA-256 matches the manifest's dataset id and that the schema's major
// version is this package's.
func ReadDataset(dir string) (*Dataset, error) {
	mb, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		return nil, fmt.Errorf("profile: read dataset: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(mb, &m); err != nil {
		return nil, fmt.Errorf("profile: read dataset: %s: %w", filepath.Join(dir, ManifestFile), err)
	}
	if major(m.SchemaVersion) != major(SchemaVersion) {
		return nil, fmt.Errorf("profile: read dataset %s: schema version %q, this llmsim reads %s.x", dir, m.SchemaVersion, major(SchemaVersion))
	}
	path := filepath.Join(dir, cmp.Or(m.DataFile, DataFile))
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("profile: read dataset: %w", err)
	}
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != m.DatasetID {
		return nil, fmt.Errorf("profile: read dataset %s: %s has SHA-256 %s but the manifest's dataset_id is %s (file changed after it was written?)", dir, filepath.Base(path), got, m.DatasetID)
	}
	rows, err := parquet.Read[Row](bytes.NewReader(data), int64(len(data)))
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("profile: read dataset %s: %w", path, err)
	}
	if len(rows) != m.Rows {
		return nil, fmt.Errorf("profile: read dataset %s: %d rows, the manifest says %d", dir, len(rows), m.Rows)
	}
	return &Dataset{Dir: dir, Manifest: m, Rows: rows}, nil
}

func major(v string) string {
	s, _, _ := strings.Cut(v, ".")
	return s
}
