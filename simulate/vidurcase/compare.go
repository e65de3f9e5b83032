package vidurcase

import (
	"compress/gzip"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Tolerance is how close a value must be to Vidur's: within Rel relative difference or
// within Abs absolute difference.
type Tolerance struct {
	Rel float64
	Abs float64
}

// DefaultTolerance is 0.1% relative or 1 µs absolute.
var DefaultTolerance = Tolerance{Rel: 1e-3, Abs: 1e-6}

func (t Tolerance) ok(got, want float64) bool {
	if math.IsNaN(got) || math.IsNaN(want) {
		return math.IsNaN(got) && math.IsNaN(want)
	}
	d := math.Abs(got - want)
	return d <= t.Abs || d <= t.Rel*math.Abs(want)
}

// MetricDiff summarises one column's differences over all rows.
type MetricDiff struct {
	Name      string
	Rows      int     // rows compared
	Exact     int     // rows equal bit for bit
	MaxRel    float64 // largest |got − want| / |want|
	P99Rel    float64
	MaxAbs    float64
	Failures  int // rows beyond the tolerance
	WorstID   int // row id of the largest relative difference
	WorstGot  float64
	WorstWant float64
}

// Report compares a case's outcome with Vidur's outputs.
type Report struct {
	Case            string
	Requests        int // llmsim's completed requests
	RefRequests     int
	MissingRequests int // in Vidur's file but not completed by llmsim
	ExtraRequests   int
	CompletionOrder bool // requests completed in Vidur's order
	Batches         int
	RefBatches      int
	RequestMetrics  []MetricDiff
	BatchMetrics    []MetricDiff
	Drained         bool
	Tolerance       Tolerance
}

// OK reports whether every compared value is within tolerance and the request and
// batch counts agree.
func (r *Report) OK() bool {
	if r.Requests != r.RefRequests || r.MissingRequests != 0 || r.ExtraRequests != 0 || r.Batches != r.RefBatches {
		return false
	}
	for _, m := range append(slices.Clone(r.RequestMetrics), r.BatchMetrics...) {
		if m.Failures > 0 {
			return false
		}
	}
	return true
}

// Metric returns the named request or batch metric's summary.
func (r *Report) Metric(name string) (MetricDiff, bool) {
	for _, m := range append(slices.Clone(r.RequestMetrics), r.BatchMetrics...) {
		if m.Name == name {
			return m, true
		}
	}
	return MetricDiff{}, false
}

// Compare reads the case's request_metrics.csv and batch_metrics.csv (gzipped or not)
// and compares them with out.
func (c *Case) Compare(out *Outcome, tol Tolerance) (*Report, error) {
	rep := &Report{Case: c.Name, Tolerance: tol, Drained: out.Result.Drained}
	refReq, err := readTable(filepath.Join(c.Dir, "request_metrics.csv"), "Request Id")
	if err != nil {
		return nil, err
	}
	got := make(map[int]map[string]float64, len(out.Requests))
	order := make([]int, 0, len(out.Requests))
	for _, r := range out.Requests {
		got[r.ID] = r.Values
		order = append(order, r.ID)
	}
	rep.Requests, rep.RefRequests = len(out.Requests), len(refReq.ids)
	rep.CompletionOrder = slices.Equal(order, refReq.ids)
	seen := make(map[int]bool, len(refReq.ids))
	for _, id := range refReq.ids {
		seen[id] = true
		if _, ok := got[id]; !ok {
			rep.MissingRequests++
		}
	}
	for id := range got {
		if !seen[id] {
			rep.ExtraRequests++
		}
	}
	rep.RequestMetrics = compareColumns(refReq, func(id int) map[string]float64 { return got[id] }, tol)

	refBatch, err := readTable(filepath.Join(c.Dir, "batch_metrics.csv"), "Batch Id")
	if err != nil {
		return nil, err
	}
	rep.Batches, rep.RefBatches = len(out.Batches), len(refBatch.ids)
	rep.BatchMetrics = compareColumns(refBatch, func(id int) map[string]float64 {
		if id < 0 || id >= len(out.Batches) {
			return nil
		}
		return out.Batches[id].Values
	}, tol)
	return rep, nil
}

func compareColumns(ref *table, got func(id int) map[string]float64, tol Tolerance) []MetricDiff {
	var diffs []MetricDiff
	for ci, name := range ref.columns {
		m := MetricDiff{Name: name, WorstID: -1}
		var rels []float64
		for ri, id := range ref.ids {
			g := got(id)
			if g == nil {
				continue
			}
			v, ok := g[name]
			if !ok {
				continue
			}
			want := ref.values[ri][ci]
			m.Rows++
			if v == want || (math.IsNaN(v) && math.IsNaN(want)) {
				m.Exact++
				rels = append(rels, 0)
				continue
			}
			abs := math.Abs(v - want)
			rel := math.Inf(1)
			if want != 0 {
				rel = abs / math.Abs(want)
			}
			if math.IsNaN(abs) {
				abs, rel = math.Inf(1), math.Inf(1)
			}
			rels = append(rels, rel)
			m.MaxAbs = max(m.MaxAbs, abs)
			if rel > m.MaxRel || m.WorstID < 0 {
				m.MaxRel, m.WorstID, m.WorstGot, m.WorstWant = rel, id, v, want
			}
			if !tol.ok(v, want) {
				m.Failures++
			}
		}
		if m.Rows == 0 {
			continue // a column llmsim does not produce
		}
		slices.Sort(rels)
		m.P99Rel = rels[int(math.Ceil(0.99*float64(len(rels))))-1]
		diffs = append(diffs, m)
	}
	return diffs
}

// table is a numeric CSV keyed by an id column.
type table struct {
	columns []string // value columns, id excluded
	ids     []int
	values  [][]float64
}

func readTable(name, idCol string) (*table, error) {
	path, err := openMaybeGzip(name)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("vidurcase: %w", err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("vidurcase: %s: %w", path, err)
		}
		defer zr.Close()
		r = zr
	}
	cr := csv.NewReader(r)
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("vidurcase: %s: header: %w", path, err)
	}
	idIdx := slices.Index(header, idCol)
	if idIdx < 0 {
		return nil, fmt.Errorf("vidurcase: %s: no %q column", path, idCol)
	}
	t := &table{}
	for i, h := range header {
		if i != idIdx {
			t.columns = append(t.columns, h)
		}
	}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("vidurcase: %s: %w", path, err)
		}
		id, err := strconv.Atoi(rec[idIdx])
		if err != nil {
			return nil, fmt.Errorf("vidurcase: %s:%d: %s %q is not an integer", path, line, idCol, rec[idIdx])
		}
		row := make([]float64, 0, len(t.columns))
		for i, s := range rec {
			if i == idIdx {
				continue
			}
			v := math.NaN()
			if s != "" {
				if v, err = strconv.ParseFloat(s, 64); err != nil {
					return nil, fmt.Errorf("vidurcase: %s:%d: column %s: %q is not a number", path, line, header[i], s)
				}
			}
			row = append(row, v)
		}
		t.ids = append(t.ids, id)
		t.values = append(t.values, row)
	}
	return t, nil
}

// WriteTo prints the report: counts, then one line per metric.
func (r *Report) WriteTo(w io.Writer) (int64, error) {
	var b strings.Builder
	status := "OK"
	if !r.OK() {
		status = "MISMATCH"
	}
	fmt.Fprintf(&b, "%s: %s (tolerance %.3g%% relative or %.3g s absolute)\n", r.Case, status, 100*r.Tolerance.Rel, r.Tolerance.Abs)
	fmt.Fprintf(&b, "  requests %d (Vidur %d, missing %d, extra %d), completion order %s; batches %d (Vidur %d)\n",
		r.Requests, r.RefRequests, r.MissingRequests, r.ExtraRequests, sameWord(r.CompletionOrder), r.Batches, r.RefBatches)
	if !r.Drained {
		fmt.Fprintf(&b, "  memory or requests left at the end: Vidur's final is_empty assertion fails here too\n")
	}
	fmt.Fprintf(&b, "  %-52s %6s %6s %10s %10s %10s %5s\n", "metric", "rows", "exact", "max rel", "p99 rel", "max abs", "fail")
	for _, group := range [][]MetricDiff{r.RequestMetrics, r.BatchMetrics} {
		for _, m := range group {
			fmt.Fprintf(&b, "  %-52s %6d %6d %10.3g %10.3g %10.3g %5d", m.Name, m.Rows, m.Exact, m.MaxRel, m.P99Rel, m.MaxAbs, m.Failures)
			if m.Failures > 0 {
				fmt.Fprintf(&b, "  worst id %d: %v vs %v", m.WorstID, m.WorstGot, m.WorstWant)
			}
			b.WriteByte('\n')
		}
	}
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}

func sameWord(same bool) string {
	if same {
		return "identical"
	}
	return "differs"
}
