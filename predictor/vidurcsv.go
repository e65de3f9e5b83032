package predictor

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// LoadVidurTables reads a folder of Vidur grid predictions: one `<op>.csv` (or
// `<op>.csv.gz`) per operator, each Vidur's own `<op>_<hash>_predictions.csv` from its
// prediction cache, whose rows are the feature columns followed by `prediction` (ms per
// layer). all_reduce, send_recv and the CPU-overhead files are optional; every other
// operator must be present. limits are the key ranges Vidur's grids cover.
func LoadVidurTables(dir string, limits Limits) (*Tables, error) {
	if limits.KVGranularity <= 0 {
		return nil, fmt.Errorf("predictor: kv granularity %d is not positive", limits.KVGranularity)
	}
	t := &Tables{KVStep: limits.KVGranularity, Limits: limits, Source: dir}
	for op := TokenOp(0); op < numTokenOps; op++ {
		optional := op == AllReduce || op == SendRecv
		v, err := loadVidur1D(dir, op.String(), "num_tokens", optional)
		if err != nil {
			return nil, err
		}
		t.Token[op] = v
	}
	for op := CPUOp(0); op < numCPUOps; op++ {
		v, err := loadVidur1D(dir, op.String(), "batch_size", true)
		if err != nil {
			return nil, err
		}
		t.CPU[op] = v
	}
	if err := loadVidurDecode(dir, t); err != nil {
		return nil, err
	}
	if err := loadVidurPrefill(dir, t); err != nil {
		return nil, err
	}
	if err := t.validate(); err != nil {
		return nil, err
	}
	return t, nil
}

// csvTable is a parsed numeric CSV: a header and rows of float64.
type csvTable struct {
	path   string
	header []string
	rows   [][]float64
}

// openVidurCSV finds <dir>/<name>.csv or <name>.csv.gz. It returns fs.ErrNotExist
// (wrapped) when neither exists.
func openVidurCSV(dir, name string) (*csvTable, error) {
	for _, fn := range []string{name + ".csv", name + ".csv.gz"} {
		p := filepath.Join(dir, fn)
		f, err := os.Open(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("predictor: %w", err)
		}
		defer f.Close()
		var r io.Reader = f
		if strings.HasSuffix(fn, ".gz") {
			zr, err := gzip.NewReader(f)
			if err != nil {
				return nil, fmt.Errorf("predictor: %s: %w", p, err)
			}
			defer zr.Close()
			r = zr
		}
		return parseNumericCSV(p, r)
	}
	return nil, fmt.Errorf("predictor: %s: no %s.csv or %s.csv.gz: %w", dir, name, name, fs.ErrNotExist)
}

// parseNumericCSV reads a header line and rows of comma-separated numbers. Vidur's
// prediction files hold nothing else, so a full CSV parser is not needed; quoting is
// rejected rather than misread.
func parseNumericCSV(path string, r io.Reader) (*csvTable, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	t := &csvTable{path: path}
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimRight(sc.Text(), "\r")
		if line == 1 {
			t.header = strings.Split(text, ",")
			for i := range t.header {
				t.header[i] = strings.TrimSpace(t.header[i])
			}
			continue
		}
		if text == "" {
			continue
		}
		fields := strings.Split(text, ",")
		if len(fields) != len(t.header) {
			return nil, fmt.Errorf("predictor: %s:%d: %d fields, header has %d", path, line, len(fields), len(t.header))
		}
		row := make([]float64, len(fields))
		for i, f := range fields {
			v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil {
				return nil, fmt.Errorf("predictor: %s:%d: column %s: %q is not a number", path, line, t.header[i], f)
			}
			row[i] = v
		}
		t.rows = append(t.rows, row)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("predictor: %s: %w", path, err)
	}
	if line == 0 {
		return nil, fmt.Errorf("predictor: %s: empty file", path)
	}
	return t, nil
}

// columns returns the indexes of the named columns, or an error naming the missing one.
func (t *csvTable) columns(names ...string) ([]int, error) {
	idx := make([]int, len(names))
	for i, n := range names {
		idx[i] = -1
		for j, h := range t.header {
			if h == n {
				idx[i] = j
			}
		}
		if idx[i] < 0 {
			return nil, fmt.Errorf("predictor: %s: no column %q (header %s)", t.path, n, strings.Join(t.header, ","))
		}
	}
	return idx, nil
}

// integerKey converts a feature value to an int, rejecting fractions and negatives.
func integerKey(t *csvTable, row int, col string, v float64) (int, error) {
	if v < 0 || v != math.Trunc(v) || v > 1<<40 {
		return 0, fmt.Errorf("predictor: %s: row %d: column %s: %v is not a non-negative integer", t.path, row+2, col, v)
	}
	return int(v), nil
}

func loadVidur1D(dir, name, feature string, optional bool) ([]float64, error) {
	t, err := openVidurCSV(dir, name)
	if err != nil {
		if optional && errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	c, err := t.columns(feature, "prediction")
	if err != nil {
		return nil, err
	}
	maxKey := 0
	for i, r := range t.rows {
		k, err := integerKey(t, i, feature, r[c[0]])
		if err != nil {
			return nil, err
		}
		if k == 0 {
			return nil, fmt.Errorf("predictor: %s: row %d: %s is 0; the grid starts at 1", t.path, i+2, feature)
		}
		maxKey = max(maxKey, k)
	}
	v := make([]float64, maxKey+1)
	for i := range v {
		v[i] = math.NaN()
	}
	for i, r := range t.rows {
		k, _ := integerKey(t, i, feature, r[c[0]])
		v[k] = r[c[1]]
	}
	v[0] = 0
	for k := 1; k <= maxKey; k++ {
		if math.IsNaN(v[k]) {
			return nil, fmt.Errorf("predictor: %s: no row for %s = %d; the grid must be dense from 1 to %d", t.path, feature, k, maxKey)
		}
	}
	return v, nil
}

func loadVidurDecode(dir string, tb *Tables) error {
	t, err := openVidurCSV(dir, OpAttnDecode)
	if err != nil {
		return err
	}
	c, err := t.columns("batch_size", "kv_cache_size", "prediction")
	if err != nil {
		return err
	}
	maxB, maxKV := 0, 0
	for i, r := range t.rows {
		b, err := integerKey(t, i, "batch_size", r[c[0]])
		if err != nil {
			return err
		}
		kv, err := integerKey(t, i, "kv_cache_size", r[c[1]])
		if err != nil {
			return err
		}
		if b == 0 || kv%tb.KVStep != 0 {
			return fmt.Errorf("predictor: %s: row %d: key (%d, %d) is off the grid (batch ≥ 1, kv a multiple of %d)", t.path, i+2, b, kv, tb.KVStep)
		}
		maxB, maxKV = max(maxB, b), max(maxKV, kv)
	}
	tb.DecodeRows, tb.DecodeKVCols = maxB, maxKV/tb.KVStep+1
	tb.Decode = make([]float64, tb.DecodeRows*tb.DecodeKVCols)
	for i := range tb.Decode {
		tb.Decode[i] = math.NaN()
	}
	for _, r := range t.rows {
		b, kv := int(r[c[0]]), int(r[c[1]])
		tb.Decode[(b-1)*tb.DecodeKVCols+kv/tb.KVStep] = r[c[2]]
	}
	return nil
}

func loadVidurPrefill(dir string, tb *Tables) error {
	t, err := openVidurCSV(dir, OpAttnPrefill)
	if err != nil {
		return err
	}
	c, err := t.columns("kv_cache_size", "prefill_chunk_size_squared", "prediction")
	if err != nil {
		return err
	}
	maxKV, maxChunk := 0, 0
	chunks := make([]int, len(t.rows))
	for i, r := range t.rows {
		kv, err := integerKey(t, i, "kv_cache_size", r[c[0]])
		if err != nil {
			return err
		}
		sq, err := integerKey(t, i, "prefill_chunk_size_squared", r[c[1]])
		if err != nil {
			return err
		}
		ch := int(math.Sqrt(float64(sq)))
		for ch*ch > sq {
			ch--
		}
		for (ch+1)*(ch+1) <= sq {
			ch++
		}
		if ch == 0 || ch*ch != sq || kv%tb.KVStep != 0 {
			return fmt.Errorf("predictor: %s: row %d: key (%d, %d) is off the grid (kv a multiple of %d, a positive square)", t.path, i+2, kv, sq, tb.KVStep)
		}
		chunks[i] = ch
		maxKV, maxChunk = max(maxKV, kv), max(maxChunk, ch)
	}
	tb.PrefillKVRows, tb.PrefillChunks = maxKV/tb.KVStep+1, maxChunk
	tb.Prefill = make([]float64, tb.PrefillKVRows*tb.PrefillChunks)
	for i := range tb.Prefill {
		tb.Prefill[i] = math.NaN()
	}
	for i, r := range t.rows {
		kv := int(r[c[0]])
		tb.Prefill[(kv/tb.KVStep)*tb.PrefillChunks+chunks[i]-1] = r[c[2]]
	}
	return nil
}
