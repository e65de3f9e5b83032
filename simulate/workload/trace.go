package workload

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
)

// Trace formats OpenTrace understands. FormatAzure accepts either Azure dialect; the
// source then reports the one it found.
const (
	FormatVidur     = "vidur"     // arrived_at,num_prefill_tokens,num_decode_tokens (seconds)
	FormatAzure     = "azure"     // TIMESTAMP,ContextTokens,GeneratedTokens, either dialect
	FormatAzure2023 = "azure2023" // naive datetimes with 7 fractional digits
	FormatAzure2024 = "azure2024" // datetimes with 6 digits and a UTC offset
	FormatBurstGPT  = "burstgpt"  // Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type
	FormatMooncake  = "mooncake"  // JSONL {"timestamp" (ms), "input_length", "output_length", "hash_ids"}
)

// TraceFormats lists the names OpenTrace accepts in TraceOptions.Format besides "" and
// "auto".
var TraceFormats = []string{FormatVidur, FormatAzure, FormatAzure2023, FormatAzure2024, FormatBurstGPT, FormatMooncake}

// TraceOptions says how to turn a trace's rows into requests. The zero value replays
// the file as recorded: format detected from the content, no scaling, no token cap.
type TraceOptions struct {
	// Format is one of TraceFormats, or "" / "auto" to detect it from the header (or
	// the first byte, for JSONL).
	Format string
	// Scale factors multiply the token counts (then truncated toward zero, as pandas'
	// astype(int) does) and the arrival times. Zero means 1.
	PrefillScaleFactor float64
	DecodeScaleFactor  float64
	TimeScaleFactor    float64
	// MaxTokens caps P+D by cutting the prompt, as Vidur's trace_replay does
	// (Vidur's default is 4096). ≤ 0 disables the cap.
	MaxTokens int
	// KeepFailures keeps BurstGPT's failed requests (Response tokens 0), which are
	// dropped by default; kept ones get one output token, like any zero count.
	KeepFailures bool
}

func (o TraceOptions) scales() (prefill, decode, time float64, err error) {
	prefill, decode, time = orOne(o.PrefillScaleFactor), orOne(o.DecodeScaleFactor), orOne(o.TimeScaleFactor)
	for _, f := range []struct {
		name string
		v    float64
	}{{"prefill_scale_factor", prefill}, {"decode_scale_factor", decode}, {"time_scale_factor", time}} {
		if !(f.v > 0) || math.IsInf(f.v, 0) {
			return 0, 0, 0, fmt.Errorf("%s must be positive and finite, got %g", f.name, f.v)
		}
	}
	return prefill, decode, time, nil
}

func (o LengthTraceOptions) scales() (prefill, decode float64, err error) {
	prefill, decode, _, err = TraceOptions{PrefillScaleFactor: o.PrefillScaleFactor, DecodeScaleFactor: o.DecodeScaleFactor}.scales()
	return prefill, decode, err
}

func orOne(f float64) float64 {
	if f == 0 {
		return 1
	}
	return f
}

// TraceStats describes what a TraceSource has handed out so far.
type TraceStats struct {
	Format          string  `json:"format"`
	Requests        int     `json:"requests"`
	FirstArrival    float64 `json:"first_arrival"`
	LastArrival     float64 `json:"last_arrival"`
	PrefillTokens   int64   `json:"prefill_tokens"`
	DecodeTokens    int64   `json:"decode_tokens"`
	Capped          int     `json:"capped"`           // rows whose prompt was cut to fit MaxTokens
	DroppedFailures int     `json:"dropped_failures"` // BurstGPT failure rows skipped
}

// TraceSource replays a trace file as a Source. It reads one row per Next, so memory
// does not depend on the trace's length, and it checks every row: a negative or
// non-numeric count, a missing column or an arrival earlier than the previous row's is
// an error naming file:line and the column.
//
// Arrival times: Vidur CSVs are replayed as written (then scaled); Azure and BurstGPT
// traces are rebased so that the file's first row arrives at 0; Mooncake timestamps are
// already milliseconds since the first request and are converted to seconds.
type TraceSource struct {
	name   string
	rows   rowReader
	closer io.Closer

	prefillScale, decodeScale, timeScale float64
	maxTokens                            int

	stats      TraceStats
	prevRaw    float64
	err        error
	done       bool
	closeAtEnd bool // FromConfig's sources release their file once drained
}

// OpenTrace opens the trace at path (gzip-compressed files are read transparently).
// The caller must Close the returned source (sources made by FromConfig also close
// their file themselves once drained or failed).
func OpenTrace(path string, opts TraceOptions) (*TraceSource, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("workload: %w", err)
	}
	s, err := ReadTrace(f, path, opts)
	if err != nil {
		f.Close()
		return nil, err
	}
	s.closer = f
	return s, nil
}

// ReadTrace replays a trace read from r; name is used in error messages. Closing the
// returned source does not close r.
func ReadTrace(r io.Reader, name string, opts TraceOptions) (*TraceSource, error) {
	ps, ds, ts, err := opts.scales()
	if err != nil {
		return nil, fmt.Errorf("workload: %s: %w", name, err)
	}
	br := bufio.NewReaderSize(r, 64<<10)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("workload: %s: %w", name, err)
		}
		br = bufio.NewReaderSize(zr, 64<<10)
	}
	format, err := resolveFormat(br, name, opts.Format)
	if err != nil {
		return nil, err
	}
	var rows rowReader
	switch format {
	case FormatVidur:
		rows, err = newVidurRows(br, name)
	case FormatAzure, FormatAzure2023, FormatAzure2024:
		rows, err = newAzureRows(br, name, format)
	case FormatBurstGPT:
		rows, err = newBurstGPTRows(br, name, opts.KeepFailures)
	case FormatMooncake:
		rows = newMooncakeRows(br, name)
	}
	if err != nil {
		return nil, err
	}
	return &TraceSource{
		name: name, rows: rows,
		prefillScale: ps, decodeScale: ds, timeScale: ts, maxTokens: opts.MaxTokens,
		stats: TraceStats{Format: format},
	}, nil
}

// ValidateTrace reads the whole trace at path, checking every row, and returns what it
// holds; the simulator calls it before starting so that a bad row is reported before
// any simulated time passes.
func ValidateTrace(path string, opts TraceOptions) (TraceStats, error) {
	s, err := OpenTrace(path, opts)
	if err != nil {
		return TraceStats{}, err
	}
	defer s.Close()
	for {
		if _, ok := s.Next(); !ok {
			break
		}
	}
	if err := s.Err(); err != nil {
		return TraceStats{}, err
	}
	if s.stats.Requests == 0 {
		return TraceStats{}, fmt.Errorf("workload: %s: no requests", path)
	}
	return s.Stats(), nil
}

// Format returns the trace format being read (for Azure, the dialect once the first
// row has been read).
func (s *TraceSource) Format() string { return s.stats.Format }

// Stats returns the running totals of the requests handed out so far.
func (s *TraceSource) Stats() TraceStats { return s.stats }

// Close closes the file OpenTrace opened.
func (s *TraceSource) Close() error {
	if s.closer == nil {
		return nil
	}
	c := s.closer
	s.closer = nil
	return c.Close()
}

// Err implements Source.
func (s *TraceSource) Err() error { return s.err }

// Next implements Source.
func (s *TraceSource) Next() (Request, bool) {
	if s.done {
		return Request{}, false
	}
	row, ok := s.rows.read()
	switch rows := s.rows.(type) {
	case *azureRows:
		if rows.dialect != "" {
			s.stats.Format = rows.dialect
		}
	case *burstGPTRows:
		s.stats.DroppedFailures = rows.dropped
	}
	if !ok {
		s.done, s.err = true, s.rows.err()
		s.end()
		return Request{}, false
	}
	n := s.stats.Requests
	if n > 0 && row.at < s.prevRaw {
		return s.fail(s.rows.errorf(s.rows.columns()[0], "arrival %s is earlier than the previous row's; the trace must be sorted by arrival time", row.atText))
	}
	s.prevRaw = row.at
	p, err := scaleTokens(row.prefill, s.prefillScale)
	if err != nil {
		return s.fail(s.rows.errorf(s.rows.columns()[1], "%v", err))
	}
	d, err := scaleTokens(row.decode, s.decodeScale)
	if err != nil {
		return s.fail(s.rows.errorf(s.rows.columns()[2], "%v", err))
	}
	// Vidur's trace_replay order: truncate, keep at least one token of each, then cut
	// the excess over max_tokens from the prompt.
	p, d = max(p, 1), max(d, 1)
	if s.maxTokens > 0 && p+d > s.maxTokens {
		if d >= s.maxTokens {
			return s.fail(s.rows.errorf(s.rows.columns()[2], "%d decode tokens leave no room for a prompt within max_tokens %d", d, s.maxTokens))
		}
		p = s.maxTokens - d
		s.stats.Capped++
	}
	r := Request{ID: n, ArrivedAt: row.at * s.timeScale, NumPrefillTokens: p, NumDecodeTokens: d}
	if n == 0 {
		s.stats.FirstArrival = r.ArrivedAt
	}
	s.stats.LastArrival = r.ArrivedAt
	s.stats.Requests++
	s.stats.PrefillTokens += int64(p)
	s.stats.DecodeTokens += int64(d)
	return r, true
}

func (s *TraceSource) fail(err error) (Request, bool) {
	s.done, s.err = true, err
	s.end()
	return Request{}, false
}

func (s *TraceSource) end() {
	if s.closeAtEnd {
		s.Close()
	}
}

func scaleTokens(v, factor float64) (int, error) {
	x := v * factor
	if x > math.MaxInt32 {
		return 0, fmt.Errorf("%g tokens scaled by %g is too large", v, factor)
	}
	return int(x), nil
}

// resolveFormat checks a named format or detects one from the first lines in br
// without consuming them.
func resolveFormat(br *bufio.Reader, name, format string) (string, error) {
	format = strings.ToLower(strings.TrimSpace(format))
	switch format {
	case "", "auto":
	case FormatVidur, FormatAzure, FormatAzure2023, FormatAzure2024, FormatBurstGPT, FormatMooncake:
		return format, nil
	default:
		return "", fmt.Errorf("workload: %s: unknown trace format %q (want auto or one of %s)", name, format, strings.Join(TraceFormats, ", "))
	}
	head, _ := br.Peek(br.Size())
	head = bytes.TrimLeft(head, "\ufeff \t\r\n")
	if len(head) == 0 {
		return "", fmt.Errorf("workload: %s: empty trace", name)
	}
	if head[0] == '{' {
		return FormatMooncake, nil
	}
	header, _, _ := bytes.Cut(head, []byte("\n"))
	cols := map[string]bool{}
	for _, c := range strings.Split(string(header), ",") {
		cols[strings.Trim(strings.TrimSpace(c), `"`)] = true
	}
	switch {
	case cols["arrived_at"] && cols["num_prefill_tokens"] && cols["num_decode_tokens"]:
		return FormatVidur, nil
	case cols["TIMESTAMP"] && cols["ContextTokens"] && cols["GeneratedTokens"]:
		return FormatAzure, nil
	case cols["Timestamp"] && cols["Request tokens"] && cols["Response tokens"]:
		return FormatBurstGPT, nil
	}
	return "", fmt.Errorf("workload: %s:1: cannot tell the trace format from header %q; name it (one of %s)", name, truncate(string(header), 120), strings.Join(TraceFormats, ", "))
}

func truncate(s string, n int) string {
	s = strings.TrimRight(s, "\r")
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
