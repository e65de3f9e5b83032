package workload

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"
)

// traceRow is one request as a trace file states it, before scaling and capping.
type traceRow struct {
	at              float64 // seconds, already rebased where the format needs it
	atText          string  // the arrival as written, for error messages
	prefill, decode float64 // token counts ≥ 0
}

// rowReader reads one trace format. errorf positions an error at the current row.
type rowReader interface {
	read() (traceRow, bool)
	err() error
	columns() [3]string // arrival, prompt and output column names
	errorf(column, format string, args ...any) error
}

// tableRows is the common part of the CSV formats.
type tableRows struct {
	t *table
	e error
}

func (r *tableRows) err() error {
	if r.e != nil {
		return r.e
	}
	return r.t.err()
}

func (r *tableRows) columns() [3]string { return [3]string{r.t.cols[0], r.t.cols[1], r.t.cols[2]} }

func (r *tableRows) errorf(column, format string, args ...any) error {
	return fmt.Errorf("workload: %s:%d: column %s: %s", r.t.name, r.t.line, column, fmt.Sprintf(format, args...))
}

// lengths reads wanted columns 1 and 2 as token counts.
func (r *tableRows) lengths(row *traceRow) bool {
	var err error
	if row.prefill, err = r.t.tokens(1); err == nil {
		row.decode, err = r.t.tokens(2)
	}
	r.e = err
	return err == nil
}

// vidurRows reads Vidur's arrived_at,num_prefill_tokens,num_decode_tokens.
type vidurRows struct{ tableRows }

func newVidurRows(r io.Reader, name string) (*vidurRows, error) {
	t, err := newTable(r, name, "arrived_at", "num_prefill_tokens", "num_decode_tokens")
	if err != nil {
		return nil, err
	}
	return &vidurRows{tableRows{t: t}}, nil
}

func (r *vidurRows) read() (traceRow, bool) {
	if r.e != nil || !r.t.next() {
		return traceRow{}, false
	}
	var row traceRow
	var err error
	if row.at, err = r.t.number(0); err != nil {
		r.e = err
		return traceRow{}, false
	}
	if row.at < 0 {
		r.e = r.t.colErrorf(0, "arrival %s is negative", r.t.field(0))
		return traceRow{}, false
	}
	row.atText = r.t.field(0)
	return row, r.lengths(&row)
}

// azureRows reads the Azure LLM inference traces (2023 and 2024 dialects), rebased so
// that the first row arrives at 0.
type azureRows struct {
	tableRows
	want    string // FormatAzure (either), FormatAzure2023 or FormatAzure2024
	dialect string // found in the first row
	t0      time.Time
}

func newAzureRows(r io.Reader, name, want string) (*azureRows, error) {
	t, err := newTable(r, name, "TIMESTAMP", "ContextTokens", "GeneratedTokens")
	if err != nil {
		return nil, err
	}
	return &azureRows{tableRows: tableRows{t: t}, want: want}, nil
}

func (r *azureRows) read() (traceRow, bool) {
	if r.e != nil || !r.t.next() {
		return traceRow{}, false
	}
	s := r.t.field(0)
	ts, aware, err := parseTimestamp(s)
	if err != nil {
		r.e = r.t.colErrorf(0, "%v", err)
		return traceRow{}, false
	}
	dialect := FormatAzure2023
	if aware {
		dialect = FormatAzure2024
	}
	if r.dialect == "" {
		if r.want != FormatAzure && r.want != dialect {
			r.e = r.t.colErrorf(0, "%q is written in the %s dialect, not %s", s, dialect, r.want)
			return traceRow{}, false
		}
		r.dialect, r.t0 = dialect, ts
	} else if dialect != r.dialect {
		r.e = r.t.colErrorf(0, "%q is in the %s dialect but the first row is %s", s, dialect, r.dialect)
		return traceRow{}, false
	}
	row := traceRow{at: float64(ts.Sub(r.t0)) / float64(time.Second), atText: s}
	return row, r.lengths(&row)
}

// burstGPTRows reads BurstGPT, rebased to the file's first row. Failed requests
// (Response tokens 0) are skipped unless keep is set.
type burstGPTRows struct {
	tableRows
	keep    bool
	started bool
	t0      float64
	dropped int
}

func newBurstGPTRows(r io.Reader, name string, keep bool) (*burstGPTRows, error) {
	t, err := newTable(r, name, "Timestamp", "Request tokens", "Response tokens")
	if err != nil {
		return nil, err
	}
	return &burstGPTRows{tableRows: tableRows{t: t}, keep: keep}, nil
}

func (r *burstGPTRows) read() (traceRow, bool) {
	for r.e == nil && r.t.next() {
		at, err := r.t.number(0)
		if err != nil {
			r.e = err
			return traceRow{}, false
		}
		if !r.started {
			r.started, r.t0 = true, at
		}
		row := traceRow{at: at - r.t0, atText: r.t.field(0)}
		if !r.lengths(&row) {
			return traceRow{}, false
		}
		if row.decode == 0 && !r.keep {
			r.dropped++
			continue
		}
		return row, true
	}
	return traceRow{}, false
}

// mooncakeRows reads Mooncake JSONL: timestamp in milliseconds since the first request,
// input_length and output_length in tokens. hash_ids and any other fields are ignored.
type mooncakeRows struct {
	name string
	sc   *bufio.Scanner
	line int
	e    error
}

func newMooncakeRows(r io.Reader, name string) *mooncakeRows {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 64<<20)
	return &mooncakeRows{name: name, sc: sc}
}

type mooncakeLine struct {
	Timestamp    *json.Number `json:"timestamp"`
	InputLength  *json.Number `json:"input_length"`
	OutputLength *json.Number `json:"output_length"`
}

func (r *mooncakeRows) read() (traceRow, bool) {
	for r.e == nil && r.sc.Scan() {
		r.line++
		b := bytes.TrimSpace(r.sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var l mooncakeLine
		if err := json.Unmarshal(b, &l); err != nil {
			r.e = fmt.Errorf("workload: %s:%d: %v", r.name, r.line, err)
			return traceRow{}, false
		}
		var row traceRow
		var ms float64
		if ms, r.e = r.field("timestamp", l.Timestamp); r.e != nil {
			return traceRow{}, false
		}
		if row.prefill, r.e = r.field("input_length", l.InputLength); r.e != nil {
			return traceRow{}, false
		}
		if row.decode, r.e = r.field("output_length", l.OutputLength); r.e != nil {
			return traceRow{}, false
		}
		if row.prefill > math.MaxInt32 || row.decode > math.MaxInt32 {
			r.e = r.errorf("input_length", "token count is too large")
			return traceRow{}, false
		}
		row.at, row.atText = ms/1000, l.Timestamp.String()
		return row, true
	}
	if r.e == nil {
		if err := r.sc.Err(); err != nil {
			r.e = fmt.Errorf("workload: %s:%d: %w", r.name, r.line+1, err)
		}
	}
	return traceRow{}, false
}

// field checks one required non-negative number.
func (r *mooncakeRows) field(name string, n *json.Number) (float64, error) {
	if n == nil {
		return 0, r.errorf(name, "missing")
	}
	v, err := strconv.ParseFloat(n.String(), 64)
	if err != nil || math.IsInf(v, 0) {
		return 0, r.errorf(name, "%s is not a finite number", n.String())
	}
	if v < 0 {
		return 0, r.errorf(name, "%s is negative", n.String())
	}
	return v, nil
}

func (r *mooncakeRows) err() error { return r.e }

func (r *mooncakeRows) columns() [3]string {
	return [3]string{"timestamp", "input_length", "output_length"}
}

func (r *mooncakeRows) errorf(column, format string, args ...any) error {
	return fmt.Errorf("workload: %s:%d: field %s: %s", r.name, r.line, column, fmt.Sprintf(format, args...))
}
