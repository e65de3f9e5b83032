package profile

import (
	"io"
	"strconv"
)

// Source is one raw input file handed to a Reader.
type Source struct {
	// Name is the path shown in errors and recorded in the manifest, relative to the
	// ingest root (e.g. "compute/a100/meta-llama/Llama-2-7b-hf/mlp.csv").
	Name string
	R    io.Reader
	// GPU and Network come from the ingest command (--gpu, --network) or from the folder
	// layout; a reader that finds the GPU inside the file (nccl-tests "Using devices")
	// prefers what the file says.
	GPU     string
	Network string
	// Model is the model folder the file sits in, when the layout says so.
	Model string
}

// Options control how strictly a Reader treats malformed rows.
type Options struct {
	// Lenient skips malformed rows (counting each in Result.Skipped) instead of failing.
	Lenient bool
}

// Skip records one input row that was read but not kept, and why.
type Skip struct {
	Line   int    // 1-based line in the source (0 when not line-based)
	Reason string // "duplicate", "NaN target", "malformed: column x: ...", "filtered: ..."
}

// Result is what a Reader got out of one Source.
type Result struct {
	Rows     []Row
	RowsRead int // data rows seen in the file, kept or not
	Skipped  []Skip
}

// Reader parses one raw profile format into normalized rows.
type Reader struct {
	// Name identifies the format in the manifest and in Row.Reader: vidur_mlp,
	// vidur_attention, frontier_linear_op, frontier_moe, vidur_collective, nccl_tests,
	// aicb_comm_log, aiob, aicb_layer_table, simai_workload, simai_busbw, simai_ratio.
	Name string
	// Detect reports whether the file looks like this format, from its base name and the
	// first bytes of its content (at most 64 KiB). Content decides; the name only breaks ties.
	Detect func(base string, head []byte) bool
	// Read parses the whole source. A malformed field is an *InputError unless
	// opts.Lenient, in which case the row is skipped and recorded in Result.Skipped.
	Read func(src Source, opts Options) (Result, error)
}

// InputError is a malformed-input error that names the file, line and column.
type InputError struct {
	File   string
	Line   int    // 1-based; 0 when unknown
	Column string // column name (or 1-based index when the file has no header)
	Msg    string // what was found and what was expected
}

// Error formats e as "profile: file:line: column c: msg", leaving out an unknown line
// or column.
func (e *InputError) Error() string {
	s := "profile: " + e.File
	if e.Line > 0 {
		s += ":" + strconv.Itoa(e.Line)
	}
	if e.Column != "" {
		s += ": column " + e.Column
	}
	return s + ": " + e.Msg
}
