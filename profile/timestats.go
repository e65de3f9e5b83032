package profile

import (
	"fmt"
	"slices"
	"strings"
)

// This file is the engine behind every "time_stats" table: Vidur's mlp.csv and
// attention.csv and Frontier's linear_op.csv and moe.csv. Such a file has, for each
// operator X, the columns time_stats.X.{min,max,mean,median,std[,count]} (ms), then
// key columns. Each CSV line becomes one Row per operator measured on it; the key
// columns a layout knows go to Row fields, all others to Row.Extra.

const timeStatsPrefix = "time_stats."

// Reasons an operator sample on a line is not kept. They are counted per source in
// the manifest (the text before the first ':' is the bucket).
const (
	reasonNotMeasured = "op not measured" // every statistic empty or NaN: the line did not run this op (Vidur's prefill lines have NaN decode columns)
	reasonNotRun      = "op not run"      // every statistic exactly 0: the profiler recorded the op but it launched no kernel (FlashInfer's reshapes, decode columns of prefill lines)
	reasonNaNTarget   = "NaN target"      // the median is missing while other statistics are present
	reasonMalformed   = "malformed"
)

// opColumns locates one operator's statistics in the header (-1: absent).
type opColumns struct {
	op                                 string
	min, max, mean, median, std, count int
}

// keyColumn maps one key column of a layout to a Row field.
type keyColumn struct {
	name string
	set  func(t *csvTable, i int, r *Row) error
}

func intKey(name string, field func(*Row) *int64) keyColumn {
	return keyColumn{name, func(t *csvTable, i int, r *Row) error {
		v, _, err := t.int(i)
		*field(r) = v
		return err
	}}
}

func boolKey(name string, field func(*Row) *bool) keyColumn {
	return keyColumn{name, func(t *csvTable, i int, r *Row) error {
		v, _, err := t.bool(i)
		*field(r) = v
		return err
	}}
}

func floatKey(name string, field func(*Row) *float64) keyColumn {
	return keyColumn{name, func(t *csvTable, i int, r *Row) error {
		v, _, err := t.float(i)
		*field(r) = v
		return err
	}}
}

// textKey stores a normalized text column; a missing value leaves the field alone, so
// a layout default (Row.Dtype "fp16" for Vidur) survives an empty cell.
func textKey(name string, field func(*Row) *string, norm func(string) string) keyColumn {
	return keyColumn{name, func(t *csvTable, i int, r *Row) error {
		if s := t.raw(i); !isMissing(s) {
			*field(r) = norm(s)
		}
		return nil
	}}
}

// normDtype turns "BF16", "torch.bfloat16", "float16" into bf16, fp16 ...
func normDtype(s string) string {
	s = strings.ToLower(strings.TrimPrefix(s, "torch."))
	switch s {
	case "float16", "half":
		return "fp16"
	case "bfloat16":
		return "bf16"
	case "float32", "float":
		return "fp32"
	}
	return s
}

// normBackend turns "AttentionBackend.FLASHINFER" into flashinfer.
func normBackend(s string) string {
	if i := strings.LastIndexByte(s, '.'); i >= 0 {
		s = s[i+1:]
	}
	return strings.ToLower(s)
}

// statsLayout describes one time_stats file format.
type statsLayout struct {
	reader   string      // Reader.Name recorded in rows and manifest
	required []string    // key columns that must be in the header
	keys     []keyColumn // key columns stored in Row fields; all others go to Extra
	dtype    string      // Row.Dtype when the file has no precision column
}

// mapped reports whether column name is stored in a Row field by this layout.
func (l *statsLayout) mapped(name string) bool {
	return slices.ContainsFunc(l.keys, func(k keyColumn) bool { return k.name == name })
}

// parseOpColumns groups the time_stats.* columns of a header by operator, in header
// order of first appearance.
func parseOpColumns(header []string) []opColumns {
	var ops []opColumns
	at := map[string]int{}
	for i, h := range header {
		rest, ok := strings.CutPrefix(h, timeStatsPrefix)
		if !ok {
			continue
		}
		dot := strings.LastIndexByte(rest, '.')
		if dot <= 0 {
			continue
		}
		op, stat := rest[:dot], rest[dot+1:]
		k, seen := at[op]
		if !seen {
			k = len(ops)
			at[op] = k
			ops = append(ops, opColumns{op: op, min: -1, max: -1, mean: -1, median: -1, std: -1, count: -1})
		}
		c := &ops[k]
		switch stat {
		case "min":
			c.min = i
		case "max":
			c.max = i
		case "mean":
			c.mean = i
		case "median":
			c.median = i
		case "std":
			c.std = i
		case "count":
			c.count = i
		}
	}
	return ops
}

// isTimeStatsHeader reports whether header fields hold time_stats columns and every
// named key column.
func isTimeStatsHeader(fields []string, keys ...string) bool {
	if !slices.ContainsFunc(fields, func(f string) bool { return strings.HasPrefix(f, timeStatsPrefix) }) {
		return false
	}
	for _, k := range keys {
		if !slices.Contains(fields, k) {
			return false
		}
	}
	return true
}

// readTimeStats parses a whole time_stats file with layout l.
func readTimeStats(l *statsLayout, src Source, opts Options) (Result, error) {
	t, err := newCSVTable(src.Name, src.R, ',')
	if err != nil {
		return Result{}, err
	}
	ops := parseOpColumns(t.header)
	ops = slices.DeleteFunc(ops, func(c opColumns) bool { return c.median < 0 })
	if len(ops) == 0 {
		return Result{}, &InputError{File: src.Name, Line: 1, Msg: "no time_stats.<op>.median column in the header"}
	}
	if err := t.requireCols(l.required...); err != nil {
		return Result{}, err
	}
	type boundKey struct {
		i   int
		key keyColumn
	}
	var bound []boundKey
	for _, k := range l.keys {
		if i := t.col(k.name); i >= 0 {
			bound = append(bound, boundKey{i, k})
		}
	}
	// Extra columns in name order, so that Extra is sorted by key.
	var extra []int
	for i, h := range t.header {
		if h != "" && !strings.HasPrefix(h, timeStatsPrefix) && !l.mapped(h) && t.index[h] == i {
			extra = append(extra, i)
		}
	}
	slices.SortFunc(extra, func(a, b int) int { return strings.Compare(t.header[a], t.header[b]) })

	// Skip reasons per operator, built once: a Vidur attention file skips two
	// operators on each of its ~11k lines.
	reasons := make(map[string][3]string, len(ops))
	for _, c := range ops {
		reasons[c.op] = [3]string{reasonNotMeasured + ": " + c.op, reasonNotRun + ": " + c.op, reasonNaNTarget + ": " + c.op}
	}
	var res Result
	var sb strings.Builder
	for t.next() {
		res.RowsRead++
		base := Row{GPU: src.GPU, Network: src.Network, Model: src.Model, Source: src.Name,
			Line: int64(t.line), Reader: l.reader, Dtype: l.dtype}
		err := func() error {
			for _, b := range bound {
				if err := b.key.set(t, b.i, &base); err != nil {
					return err
				}
			}
			return nil
		}()
		if err == nil {
			sb.Reset()
			for _, i := range extra {
				v := t.raw(i)
				if isMissing(v) {
					continue
				}
				if sb.Len() > 0 {
					sb.WriteByte(';')
				}
				sb.WriteString(t.header[i])
				sb.WriteByte('=')
				sb.WriteString(escapeExtra(v))
			}
			base.Extra = sb.String()
		}
		start := len(res.Rows)
		for _, c := range ops {
			if err != nil {
				break
			}
			var r Row
			var reason int
			r, reason, err = opSample(t, c, base)
			switch {
			case err != nil:
			case reason != kept:
				res.Skipped = append(res.Skipped, Skip{Line: t.line, Reason: reasons[c.op][reason]})
			default:
				res.Rows = append(res.Rows, r)
			}
		}
		if err != nil {
			if !opts.Lenient {
				return Result{}, err
			}
			res.Rows = res.Rows[:start]
			res.Skipped = append(res.Skipped, Skip{Line: t.line, Reason: malformedReason(err)})
		}
	}
	if err := t.err(); err != nil {
		if !opts.Lenient {
			return Result{}, err
		}
		// A broken line ends the file for encoding/csv; keep what came before it.
		res.Skipped = append(res.Skipped, Skip{Line: lineOf(err), Reason: malformedReason(err)})
	}
	return res, nil
}

// opSample builds one operator's Row from the current line, or says why there is none.
func opSample(t *csvTable, c opColumns, base Row) (Row, int, error) {
	r := base
	r.Operator = c.op
	stats := [...]struct {
		col int
		dst *float64
	}{{c.median, &r.MedianMS}, {c.mean, &r.MeanMS}, {c.min, &r.MinMS}, {c.max, &r.MaxMS}, {c.std, &r.StdMS}}
	present, nonzero := 0, false
	var medianOK bool
	for k, s := range stats {
		v, ok, err := t.float(s.col)
		if err != nil {
			return Row{}, kept, err
		}
		if !ok {
			continue
		}
		if v < -1e-9 { // a std of -1.7e-18 is rounding, not a negative time
			return Row{}, kept, t.errorf(s.col, "negative time %v", v)
		}
		if k == 0 {
			medianOK = true
		}
		present++
		nonzero = nonzero || v != 0
		*s.dst = max(v, 0)
	}
	switch {
	case present == 0:
		return Row{}, notMeasured, nil
	case !medianOK:
		return Row{}, nanTarget, nil
	case !nonzero:
		return Row{}, notRun, nil
	}
	if c.count >= 0 {
		n, _, err := t.int(c.count)
		if err != nil {
			return Row{}, kept, err
		}
		if n < 0 {
			return Row{}, kept, t.errorf(c.count, "negative count %d", n)
		}
		r.Count = n
	}
	return r, kept, nil
}

// Outcomes of opSample: kept, or an index into the per-operator skip reasons.
const (
	notMeasured = iota
	notRun
	nanTarget
	kept = -1
)

// escapeExtra keeps Extra's "k=v;k=v" form parseable when a value holds ';' or '='.
func escapeExtra(v string) string {
	if !strings.ContainsAny(v, ";=%") {
		return v
	}
	return strings.NewReplacer("%", "%25", ";", "%3B", "=", "%3D").Replace(v)
}

// ParseExtra splits a Row.Extra string back into its key/value pairs, undoing the
// %-escapes of ';', '=' and '%' in values.
func ParseExtra(extra string) map[string]string {
	m := map[string]string{}
	if extra == "" {
		return m
	}
	un := strings.NewReplacer("%3B", ";", "%3D", "=", "%25", "%")
	for _, kv := range strings.Split(extra, ";") {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = un.Replace(v)
	}
	return m
}

// malformedReason renders err as a Skip reason in the "malformed" bucket.
func malformedReason(err error) string {
	if ie, ok := err.(*InputError); ok {
		if ie.Column != "" {
			return fmt.Sprintf("%s: column %s: %s", reasonMalformed, ie.Column, ie.Msg)
		}
		return reasonMalformed + ": " + ie.Msg
	}
	return reasonMalformed + ": " + err.Error()
}

func lineOf(err error) int {
	if ie, ok := err.(*InputError); ok {
		return ie.Line
	}
	return 0
}
