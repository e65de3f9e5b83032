package predictor

import (
	"bufio"
	"bytes"
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
	// The prefill grid is most of the bytes: read it on another core meanwhile. Each
	// side fills its own fields of t.
	prefill := make(chan error, 1)
	go func() { prefill <- loadVidurPrefill(dir, t) }()
	err := loadVidurRest(dir, t)
	if perr := <-prefill; err == nil {
		err = perr
	}
	if err != nil {
		return nil, err
	}
	if err := t.validate(); err != nil {
		return nil, err
	}
	return t, nil
}

// loadVidurRest reads every table but the prefill grid into t.
func loadVidurRest(dir string, t *Tables) error {
	for op := TokenOp(0); op < numTokenOps; op++ {
		optional := op == AllReduce || op == SendRecv
		v, err := loadVidur1D(dir, op.String(), "num_tokens", optional)
		if err != nil {
			return err
		}
		t.Token[op] = v
	}
	for op := CPUOp(0); op < numCPUOps; op++ {
		v, err := loadVidur1D(dir, op.String(), "batch_size", true)
		if err != nil {
			return err
		}
		t.CPU[op] = v
	}
	return loadVidurDecode(dir, t)
}

// csvTable is a parsed numeric CSV: a header and rows of float64.
type csvTable struct {
	path   string
	header []string
	// data holds the rows back to back, len(header) values each: one pointer-free slice
	// instead of a slice per row, which the 266k-row prefill grid made slow to build.
	data []float64
}

// numRows is the number of data rows.
func (t *csvTable) numRows() int { return len(t.data) / len(t.header) }

// row returns row i's values.
func (t *csvTable) row(i int) []float64 {
	w := len(t.header)
	return t.data[i*w : (i+1)*w : (i+1)*w]
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
		b := bytes.TrimRight(sc.Bytes(), "\r")
		if line == 1 {
			t.header = strings.Split(string(b), ",")
			for i := range t.header {
				t.header[i] = strings.TrimSpace(t.header[i])
			}
			continue
		}
		if len(b) == 0 {
			continue
		}
		n := len(t.header)
		fields := 0
		for rest := b; ; {
			f, tail, more := bytes.Cut(rest, []byte{','})
			if fields < n {
				v, err := strconv.ParseFloat(string(bytes.TrimSpace(f)), 64)
				if err != nil {
					return nil, fmt.Errorf("predictor: %s:%d: column %s: %q is not a number", path, line, t.header[fields], f)
				}
				t.data = append(t.data, v)
			}
			fields++
			if !more {
				break
			}
			rest = tail
		}
		if fields != n {
			return nil, fmt.Errorf("predictor: %s:%d: %d fields, header has %d", path, line, fields, n)
		}
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
	for i := range t.numRows() {
		r := t.row(i)
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
	for i := range t.numRows() {
		r := t.row(i)
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
	for i := range t.numRows() {
		r := t.row(i)
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
	for i := range t.numRows() {
		r := t.row(i)
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
	chunks := make([]int, t.numRows())
	for i := range t.numRows() {
		r := t.row(i)
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
	for i := range t.numRows() {
		r := t.row(i)
		kv := int(r[c[0]])
		tb.Prefill[(kv/tb.KVStep)*tb.PrefillChunks+chunks[i]-1] = r[c[2]]
	}
	return nil
}
