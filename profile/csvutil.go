package profile

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// This file holds the CSV plumbing every CSV-based Reader shares: a header-indexed
// record accessor whose parse errors are *InputError values naming file, line and
// column. A reader typically does:
//
//	t, err := newCSVTable(src.Name, src.R, ',')
//	if err != nil { return Result{}, err }
//	if err := t.requireCols("size"); err != nil { return Result{}, err }
//	size := t.col("size")            // -1 for an absent optional column
//	for t.next() {
//		v, ok, err := t.float(size)    // ok is false for "", "N/A", "NaN", "nan"
//		...
//	}
//	if err := t.err(); err != nil { return Result{}, err }
//
// Quoted fields (`"[32, 32]"`) and quoted newlines are handled by encoding/csv; the
// line reported for a record is the line its first field starts on. A pandas
// to_csv index (a header that starts with an empty name, e.g. ",time_stats...") is
// recognised and named "" so that column lookups by name skip it.

// csvTable reads one delimited text file with a header line.
type csvTable struct {
	file   string         // name used in errors (Source.Name)
	header []string       // column names, trimmed; header[0] is "" for a pandas index
	index  map[string]int // column name → position (first occurrence wins)
	r      *csv.Reader
	rec    []string // current record
	line   int      // 1-based line of the current record
	e      error    // sticky error; io.EOF is not stored
}

// newCSVTable reads the header of a delimited file. comma is the field delimiter
// (',' for every CSV here, '\t' for AICB's vidur-*.csv). An empty file, or a
// header that looks like it uses another delimiter than comma, is an *InputError.
func newCSVTable(file string, r io.Reader, comma rune) (*csvTable, error) {
	cr := csv.NewReader(r)
	cr.Comma = comma
	cr.FieldsPerRecord = -1 // field counts are checked here, with a better message
	cr.ReuseRecord = true
	cr.LazyQuotes = true
	hdr, err := cr.Read()
	if err == io.EOF {
		return nil, &InputError{File: file, Line: 1, Msg: "empty file: no header line"}
	}
	if err != nil {
		return nil, csvError(file, err)
	}
	t := &csvTable{file: file, r: cr, index: make(map[string]int, len(hdr))}
	t.header = make([]string, len(hdr))
	for i, h := range hdr {
		h = strings.TrimSpace(h)
		if i == 0 {
			h = strings.TrimPrefix(h, "\ufeff") // a UTF-8 byte-order mark from Excel
		}
		t.header[i] = h
		if _, dup := t.index[h]; !dup && h != "" {
			t.index[h] = i
		}
	}
	if len(t.header) == 1 {
		if d := guessDelimiter(t.header[0], comma); d != 0 {
			return nil, &InputError{File: file, Line: 1, Column: "1",
				Msg: fmt.Sprintf("header is one column that contains %q: the file is not %s-separated", d, delimName(comma))}
		}
	}
	return t, nil
}

// guessDelimiter returns a delimiter other than comma that s contains, or 0.
func guessDelimiter(s string, comma rune) rune {
	for _, d := range []rune{';', '\t', '|', ','} {
		if d != comma && strings.ContainsRune(s, d) {
			return d
		}
	}
	return 0
}

func delimName(c rune) string {
	switch c {
	case ',':
		return "comma"
	case '\t':
		return "tab"
	case ';':
		return "semicolon"
	}
	return strconv.QuoteRune(c)
}

// csvError converts an encoding/csv error into an *InputError.
func csvError(file string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &InputError{File: file, Line: pe.Line, Column: strconv.Itoa(pe.Column), Msg: pe.Err.Error()}
	}
	return fmt.Errorf("profile: %s: %w", file, err)
}

// next advances to the next record. It returns false at the end of the file or on
// an error, which err reports. A record whose field count differs from the
// header's (a truncated last line, a stray delimiter) is an error; blank lines are
// skipped by encoding/csv.
func (t *csvTable) next() bool {
	if t.e != nil {
		return false
	}
	rec, err := t.r.Read()
	if err == io.EOF {
		return false
	}
	if err != nil {
		t.e = csvError(t.file, err)
		return false
	}
	t.rec = rec
	t.line, _ = t.r.FieldPos(0)
	if len(rec) != len(t.header) {
		t.e = &InputError{File: t.file, Line: t.line,
			Msg: fmt.Sprintf("%d fields, the header has %d (truncated line or stray delimiter?)", len(rec), len(t.header))}
		return false
	}
	return true
}

// nextRecord is next for a reader that honours Options.Lenient. It counts every
// record it passes in skip's Result.RowsRead, well-formed or not, and hands a record
// that next rejects (a stray quote, a wrong field count), its line moved down by
// lineShift, to skip: strict mode stops there, with err reporting the error;
// lenient mode records the skip and reads on, since encoding/csv resumes at the
// following record. Like next, it returns false at the end of the file.
func (t *csvTable) nextRecord(skip skipper, lineShift int) bool {
	for !t.next() {
		if t.e == nil {
			return false
		}
		if err := skip.bad(shiftLine(t.e, lineShift)); err != nil {
			t.e = err
			return false
		}
		skip.res.RowsRead++
		t.e = nil
	}
	skip.res.RowsRead++
	return true
}

// shiftLine moves the line of an *InputError down by n lines (for a reader that
// consumed lines before handing the rest to a csvTable).
func shiftLine(err error, n int) error {
	var ie *InputError
	if n == 0 || !errors.As(err, &ie) || ie.Line == 0 {
		return err
	}
	c := *ie
	c.Line += n
	return &c
}

// err returns the first error met by next, or nil at a clean end of file.
func (t *csvTable) err() error { return t.e }

// col returns the position of the named column, or -1 when the header lacks it.
func (t *csvTable) col(name string) int {
	if i, ok := t.index[name]; ok {
		return i
	}
	return -1
}

// requireCols returns an *InputError (line 1) naming the first missing column.
func (t *csvTable) requireCols(names ...string) error {
	for _, n := range names {
		if t.col(n) < 0 {
			return &InputError{File: t.file, Line: 1, Column: n, Msg: "required column is missing from the header"}
		}
	}
	return nil
}

// raw returns field i of the current record, trimmed of surrounding spaces; "" when
// i < 0 (an absent optional column).
func (t *csvTable) raw(i int) string {
	if i < 0 || i >= len(t.rec) {
		return ""
	}
	return strings.TrimSpace(t.rec[i])
}

// colName names column i for error messages (its header, or its 1-based position).
func (t *csvTable) colName(i int) string {
	if i >= 0 && i < len(t.header) && t.header[i] != "" {
		return t.header[i]
	}
	return strconv.Itoa(i + 1)
}

// errorf builds an *InputError for column i of the current record.
func (t *csvTable) errorf(i int, format string, args ...any) *InputError {
	return &InputError{File: t.file, Line: t.line, Column: t.colName(i), Msg: fmt.Sprintf(format, args...)}
}

// isMissing reports whether a field means "no value": empty, N/A, NA, NaN, None, null.
func isMissing(s string) bool {
	switch strings.ToLower(s) {
	case "", "n/a", "na", "nan", "-nan", "none", "null":
		return true
	}
	return false
}

// float parses field i as a float64. ok is false (with a nil error) when the field
// is missing (see isMissing) or the column is absent; ±Inf and text are errors.
func (t *csvTable) float(i int) (v float64, ok bool, err error) {
	s := t.raw(i)
	if isMissing(s) {
		return 0, false, nil
	}
	v, perr := strconv.ParseFloat(s, 64)
	if perr != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, false, t.errorf(i, "%q is not a number", s)
	}
	return v, true, nil
}

// int parses field i as an int64. Integral floats ("64.0", which pandas writes for
// integer columns holding a NaN) are accepted; fractions are errors. ok is false
// when the field is missing or the column is absent.
func (t *csvTable) int(i int) (v int64, ok bool, err error) {
	s := t.raw(i)
	if isMissing(s) {
		return 0, false, nil
	}
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		return v, true, nil
	}
	f, perr := strconv.ParseFloat(s, 64)
	if perr != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false, t.errorf(i, "%q is not an integer", s)
	}
	return int64(f), true, nil
}

// bool parses field i as a boolean: True/False, true/false, 1/0, yes/no. ok is false
// when the field is missing or the column is absent.
func (t *csvTable) bool(i int) (v bool, ok bool, err error) {
	s := t.raw(i)
	if isMissing(s) {
		return false, false, nil
	}
	switch strings.ToLower(s) {
	case "true", "1", "1.0", "yes", "y", "t":
		return true, true, nil
	case "false", "0", "0.0", "no", "n", "f":
		return false, true, nil
	}
	return false, false, t.errorf(i, "%q is not a boolean", s)
}

// headerFields splits the first line of head on the first of ',', ';' or '\t' that
// it contains, for Detect functions: a file written with the wrong delimiter is
// still claimed by its reader, which then reports the delimiter as an error instead
// of the file being silently skipped as unrecognized.
func headerFields(head []byte) []string {
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		head = head[:i]
	}
	line := strings.TrimSuffix(strings.TrimPrefix(string(head), "\ufeff"), "\r")
	sep := ","
	if !strings.Contains(line, ",") {
		for _, d := range []string{";", "\t"} {
			if strings.Contains(line, d) {
				sep = d
				break
			}
		}
	}
	f := strings.Split(line, sep)
	for i := range f {
		f[i] = strings.Trim(strings.TrimSpace(f[i]), `"`)
	}
	return f
}
