package workload

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// table reads a CSV with a header row and hands out the wanted columns by name, so
// that every reader reports errors the same way: "workload: file:line: column c: …".
type table struct {
	name string
	r    *csv.Reader
	cols []string // wanted column names
	idx  []int    // their positions in the header
	rec  []string
	line int
	e    error
}

// newTable reads the header of r and locates cols in it; a missing column is an error
// naming line 1.
func newTable(r io.Reader, name string, cols ...string) (*table, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("workload: %s: empty file, want a header with columns %s", name, strings.Join(cols, ", "))
	}
	if err != nil {
		return nil, csvError(name, err)
	}
	pos := make(map[string]int, len(header))
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		if _, dup := pos[h]; !dup {
			pos[h] = i
		}
	}
	t := &table{name: name, r: cr, cols: cols, idx: make([]int, len(cols))}
	for i, c := range cols {
		j, ok := pos[c]
		if !ok {
			return nil, fmt.Errorf("workload: %s:1: missing column %q (header: %s)", name, c, strings.Join(header, ","))
		}
		t.idx[i] = j
	}
	return t, nil
}

// next advances to the next record; false at the end or on error (see err).
func (t *table) next() bool {
	if t.e != nil {
		return false
	}
	rec, err := t.r.Read()
	if err == io.EOF {
		return false
	}
	if err != nil {
		t.e = csvError(t.name, err)
		return false
	}
	t.rec = rec
	t.line, _ = t.r.FieldPos(0)
	return true
}

func (t *table) err() error { return t.e }

// field returns the raw text of wanted column i in the current record.
func (t *table) field(i int) string { return strings.TrimSpace(t.rec[t.idx[i]]) }

// number parses wanted column i as a finite float.
func (t *table) number(i int) (float64, error) {
	s := t.field(i)
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, t.colErrorf(i, "%q is not a finite number", s)
	}
	return v, nil
}

// tokens parses wanted column i as a token count: a finite number ≥ 0 (pandas reads
// "374.0" as well as "374", so both are accepted).
func (t *table) tokens(i int) (float64, error) {
	v, err := t.number(i)
	if err != nil {
		return 0, err
	}
	if v < 0 {
		return 0, t.colErrorf(i, "token count %s is negative", t.field(i))
	}
	if v > math.MaxInt32 {
		return 0, t.colErrorf(i, "token count %s is too large", t.field(i))
	}
	return v, nil
}

func (t *table) errorf(format string, args ...any) error {
	return fmt.Errorf("workload: %s:%d: %s", t.name, t.line, fmt.Sprintf(format, args...))
}

func (t *table) colErrorf(i int, format string, args ...any) error {
	return fmt.Errorf("workload: %s:%d: column %s: %s", t.name, t.line, t.cols[i], fmt.Sprintf(format, args...))
}

func csvError(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("workload: %s:%d: %v", name, pe.Line, pe.Err)
	}
	return fmt.Errorf("workload: %s: %w", name, err)
}
