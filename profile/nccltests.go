package profile

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// NCCLTestsReader reads the stdout of NVIDIA/nccl-tests binaries (all_reduce_perf,
// all_gather_perf, alltoall_perf, sendrecv_perf, ...), old (≤2.10: no root column,
// "error" instead of "#wrong") and current (2.13–2.19) layouts alike, with mpirun
// --tag-output prefixes, NCCL INFO and ssh noise between the lines, and several tests
// in one file.
//
// Each table line gives two Rows, out-of-place and in-place (InPlace set), so RowsRead
// counts placements, not lines. Per Row: Operator from the test name (all_reduce_perf →
// all_reduce, alltoall → all_to_all, sendrecv → send_recv, ...), Bytes = size as printed
// (the whole buffer, rounded down by nccl-tests for alignment), time µs → ms, algbw and
// busbw kept as printed (GB/s = 1e9 B/s), GroupSize = number of ranks listed under
// "Using devices" (else nThread·nGpus), RanksPerNode = the most ranks on one host, GPU
// from the device name ("NVIDIA H100 80GB HBM3" → h100), Dtype from the type column
// (float → fp32, half → fp16, ...), Count = iters × agg iters. nccl-tests prints one
// time per point, the mean over the timed iterations; it fills both MeanMS and MedianMS
// (the target column every collective row carries). Rows with size 0 are skipped. A
// log with no result table (a run that failed before printing one) is an error.
//
// The collective comes from the "Collective test starting" line, else the file name
// (nccl_allreduce.log), else the numbers: busbw = algbw × 2(n−1)/n singles out
// all_reduce. A table none of these identifies is an error.
var NCCLTestsReader = Reader{
	Name:   nameNCCLTests,
	Detect: detectNCCLTests,
	Read:   readNCCLTests,
}

// nameNCCLTests is NCCLTestsReader.Name, also written into Row.Reader.
const nameNCCLTests = "nccl_tests"

// detectNCCLTests claims a file that has the nccl-tests banner: the "# nThread ..."
// parameter line or the "Collective test starting" line of nccl-tests ≥ 2.17.
func detectNCCLTests(_ string, head []byte) bool {
	if bytes.Contains(head, []byte("# Collective test starting:")) {
		return true
	}
	i := bytes.Index(head, []byte("# nThread "))
	return i >= 0 && bytes.Contains(head[i:], []byte(" nGpus ")) && bytes.Contains(head[i:], []byte("minBytes"))
}

// maxLineBytes bounds one input line of the text formats (NCCL INFO lines run to a
// few hundred bytes; anything near this is not a profile).
const maxLineBytes = 4 << 20

// lineScanner returns a scanner over r whose lines may be up to maxLineBytes long.
func lineScanner(r io.Reader) *bufio.Scanner {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLineBytes)
	return sc
}

// scanError turns a bufio.Scanner failure after line n into an error naming the file.
func scanError(file string, n int, err error) error {
	if err == bufio.ErrTooLong {
		return &InputError{File: file, Line: n + 1, Msg: fmt.Sprintf("line longer than %d bytes: not a text profile", maxLineBytes)}
	}
	return fmt.Errorf("profile: %s: %w", file, err)
}

// ncclColumn is one timing column of an nccl-tests table, by placement.
type ncclColumn struct {
	name      string // as in the header: time, algbw, busbw, #wrong, i_min ...
	placement int    // 0 out-of-place, 1 in-place
	width     int    // value tokens the column takes (2 for a date-time timestamp)
}

// ncclBlock is the state of one test in a log: the header facts and its rows, whose
// operator and group size are filled in when the block ends (old logs name the
// collective nowhere but in the file name).
type ncclBlock struct {
	op        string
	nThread   int64
	nGpus     int64
	iters     int64
	aggIters  int64
	hosts     map[int64]string // rank → host, from the "Using devices" lines
	device    string           // device name of the lowest rank
	deviceOf  int64            // rank that device came from
	cols      []ncclColumn     // timing columns from the table header; nil until seen
	headNames []string         // every column the header names, a timestamp counted twice
	tailWidth int              // value tokens the timing columns take
	rows      []Row
	firstLine int
	redops    map[string]bool
}

type ncclParser struct {
	src  Source
	opts Options
	res  Result
	skip skipper
	blk  *ncclBlock
}

func readNCCLTests(src Source, opts Options) (Result, error) {
	p := &ncclParser{src: src, opts: opts}
	p.skip = skipper{res: &p.res, lenient: opts.Lenient}
	p.blk = &ncclBlock{}
	sc := lineScanner(src.R)
	n := 0
	for sc.Scan() {
		n++
		if err := p.line(n, sc.Text()); err != nil {
			return Result{}, err
		}
	}
	if err := sc.Err(); err != nil {
		return Result{}, scanError(src.Name, n, err)
	}
	if err := p.endBlock(); err != nil {
		return Result{}, err
	}
	if p.res.RowsRead == 0 {
		return Result{}, &InputError{File: src.Name, Line: n + 1,
			Msg: `no result table: no "# size count ..." header followed by rows (a failed or truncated run?)`}
	}
	return p.res, nil
}

// line handles one physical line of the log.
func (p *ncclParser) line(n int, s string) error {
	s = stripMPITags(strings.TrimSuffix(s, "\r"))
	t := strings.TrimSpace(s)
	if t == "" {
		return nil
	}
	if t[0] == '#' {
		return p.meta(n, strings.TrimSpace(t[1:]))
	}
	f := strings.Fields(t)
	if p.blk.cols != nil && t[0] >= '0' && t[0] <= '9' && strings.ContainsAny(f[0], ",;|") {
		p.res.RowsRead++
		return p.skip.bad(&InputError{File: p.src.Name, Line: n, Column: "size",
			Msg: fmt.Sprintf("%q: table fields are separated by %q, nccl-tests separates them with blanks", clip(f[0]), f[0][strings.IndexAny(f[0], ",;|")])})
	}
	if len(f) < 2 || !isUint(f[0]) || !isUint(f[1]) || p.blk.cols == nil {
		// NCCL INFO, "NCCL version", ssh warnings, shell echoes: anything that is not
		// a table line under a table header.
		return nil
	}
	return p.dataRow(n, s, f)
}

// meta reads a "#" line: banner, parameters, devices, or the table header.
func (p *ncclParser) meta(n int, s string) error {
	b := p.blk
	switch {
	case strings.HasPrefix(s, "nccl-tests version"):
		return p.newBlock()
	case strings.HasPrefix(s, "Collective test starting:"):
		if len(b.rows) > 0 || b.op != "" {
			if err := p.newBlock(); err != nil {
				return err
			}
		}
		p.blk.op = ncclTestOperator(strings.TrimSpace(strings.TrimPrefix(s, "Collective test starting:")))
	case strings.HasPrefix(s, "nThread "):
		if len(b.rows) > 0 {
			if err := p.newBlock(); err != nil {
				return err
			}
		}
		p.params(s)
	case s == "Using devices":
		if len(b.rows) > 0 {
			if err := p.newBlock(); err != nil {
				return err
			}
		}
	case strings.HasPrefix(s, "Rank "):
		p.rank(s)
	default:
		f := strings.Fields(s)
		if len(f) >= 3 && f[0] == "size" && f[1] == "count" {
			p.header(f)
		}
	}
	return nil
}

// newBlock finishes the current test and starts an empty one.
func (p *ncclParser) newBlock() error {
	err := p.endBlock()
	p.blk = &ncclBlock{}
	return err
}

// params reads "nThread 1 nGpus 8 minBytes ... iters: 20 agg iters: 1 ...".
func (p *ncclParser) params(s string) {
	f := strings.Fields(s)
	for i := 0; i+1 < len(f); i++ {
		v, err := strconv.ParseInt(f[i+1], 10, 64)
		if err != nil {
			continue
		}
		switch f[i] {
		case "nThread":
			p.blk.nThread = v
		case "nGpus":
			p.blk.nGpus = v
		case "iters:":
			if i > 0 && f[i-1] == "agg" {
				p.blk.aggIters = v
			} else if i == 0 || f[i-1] != "warmup" {
				p.blk.iters = v
			}
		}
	}
}

// rank reads a device line: "Rank  0 Group  0 Pid 4180122 on cnode3-002 device  0
// [0000:1b:00] NVIDIA H100 80GB HBM3" (older versions have no Group).
func (p *ncclParser) rank(s string) {
	f := strings.Fields(s)
	if len(f) < 2 {
		return
	}
	r, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil || r < 0 {
		return
	}
	host := ""
	for i := 2; i+1 < len(f); i++ {
		if f[i] == "on" {
			host = f[i+1]
			break
		}
	}
	b := p.blk
	if b.hosts == nil {
		b.hosts = make(map[int64]string)
	}
	b.hosts[r] = host
	if j := strings.IndexByte(s, ']'); j >= 0 {
		if dev := strings.TrimSpace(s[j+1:]); dev != "" && (b.device == "" || r < b.deviceOf) {
			b.device, b.deviceOf = dev, r
		}
	}
}

// header reads the column-name line of the table and lays out the timing columns:
// everything from the first time column on, split into out-of-place and in-place
// at the second time column.
func (p *ncclParser) header(f []string) {
	start := -1
	for i, c := range f {
		if c == "time" || c == "cputime" {
			start = i
			break
		}
	}
	if start < 0 {
		return
	}
	var cols []ncclColumn
	width, placement := 0, 0
	for i, c := range f[start:] {
		if c == "cputime" {
			c = "time"
		}
		if c == "time" && i > 0 {
			placement = 1
		}
		w := 1
		if strings.Contains(strings.ToLower(c), "timestamp") {
			w = 2 // printed as "YYYY-MM-DD HH:MM:SS"
		}
		cols = append(cols, ncclColumn{c, placement, w})
		width += w
	}
	names := slices.Clone(f)
	for i := len(names) - 1; i >= 0; i-- {
		if strings.Contains(strings.ToLower(names[i]), "timestamp") {
			names = slices.Insert(names, i+1, names[i])
		}
	}
	p.blk.cols, p.blk.tailWidth, p.blk.headNames = cols, width, names
}

// dataRow parses one table line. f are its whitespace-separated fields; s is the
// line itself, needed to tell an in-place-only row (trace replay pads the missing
// half with blanks) from a truncated one.
func (p *ncclParser) dataRow(n int, s string, f []string) error {
	b := p.blk
	if len(b.rows) == 0 && b.firstLine == 0 {
		b.firstLine = n
	}
	cols, tail := b.cols, b.tailWidth
	if len(f) < 3+tail {
		half, halfWidth := inPlaceColumns(cols)
		if halfWidth > 0 && len(f) >= 3+halfWidth && blankBefore(s, len(f)-halfWidth) >= 30 {
			cols, tail = half, halfWidth
		} else {
			p.res.RowsRead++
			col, want := "", len(b.headNames)
			if len(f) < want {
				col = b.headNames[len(f)]
			}
			return p.skip.bad(&InputError{File: p.src.Name, Line: n, Column: col,
				Msg: fmt.Sprintf("table line has %d fields, the table header names %d: truncated line?", len(f), want)})
		}
	}
	placements := 1
	if cols[0].placement == 0 && cols[len(cols)-1].placement == 1 {
		placements = 2
	}
	bad := func(col, format string, args ...any) error {
		p.res.RowsRead++ // a malformed line counts once, as it is skipped once
		return p.skip.bad(&InputError{File: p.src.Name, Line: n, Column: col, Msg: fmt.Sprintf(format, args...)})
	}
	size, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return bad("size", "%q is out of range", f[0])
	}
	count, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return bad("count", "%q is out of range", f[1])
	}
	mid := f[2 : len(f)-tail]
	if len(mid) > 3 {
		return bad("type", "%d fields between count and time, expected type [redop] [root]", len(mid))
	}
	dtype := mid[0]
	if _, err := strconv.ParseFloat(dtype, 64); err == nil {
		return bad("type", "%q is a number, expected a data type name (float, half, ...)", dtype)
	}
	var redop, root string
	for _, m := range mid[1:] {
		if isInt(m) {
			root = m
		} else {
			redop = m
		}
	}
	if b.redops == nil {
		b.redops = make(map[string]bool)
	}
	b.redops[redop] = true

	type half struct {
		time, algbw, busbw, wrong float64
		hasTime, hasWrong         bool
		extra                     []string
	}
	var h [2]half
	k := len(f) - tail
	for _, c := range cols {
		tok := f[k]
		if c.width == 2 {
			tok += " " + f[k+1]
		}
		k += c.width
		if c.width == 2 {
			continue // timestamps identify the run, not the sample
		}
		pl := &h[c.placement]
		if isMissing(tok) {
			continue
		}
		v, err := strconv.ParseFloat(tok, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return bad(c.name, "%q is not a non-negative number", tok)
		}
		switch c.name {
		case "time":
			pl.time, pl.hasTime = v, true
		case "algbw":
			pl.algbw = v
		case "busbw":
			pl.busbw = v
		case "#wrong", "error", "wrong":
			pl.wrong, pl.hasWrong = v, true
		default:
			pl.extra = append(pl.extra, c.name, tok)
		}
	}
	p.res.RowsRead += placements
	for pi := range placements {
		pl := h[cols[0].placement+pi]
		inPlace := cols[0].placement+pi == 1
		switch {
		case size == 0:
			p.res.Skipped = append(p.res.Skipped, Skip{Line: n, Reason: "filtered: 0-byte message"})
			continue
		case !pl.hasTime || pl.time == 0:
			p.res.Skipped = append(p.res.Skipped, Skip{Line: n, Reason: "NaN target: no time"})
			continue
		}
		kv := append([]string{"elements", strconv.FormatInt(count, 10)}, pl.extra...)
		if redop != "" && redop != "none" {
			kv = append(kv, "redop", redop)
		}
		if root != "" && root != "-1" {
			kv = append(kv, "root", root)
		}
		if pl.hasWrong && pl.wrong != 0 {
			kv = append(kv, "wrong", strconv.FormatFloat(pl.wrong, 'g', -1, 64))
		}
		ms := pl.time / 1000
		b.rows = append(b.rows, Row{
			Source:    p.src.Name,
			Line:      int64(n),
			Reader:    nameNCCLTests,
			Network:   p.src.Network,
			Model:     p.src.Model,
			Dtype:     ncclDtype(dtype),
			Extra:     kvExtra(kv...),
			Bytes:     size,
			InPlace:   inPlace,
			AlgBWGBps: pl.algbw,
			BusBWGBps: pl.busbw,
			MedianMS:  ms,
			MeanMS:    ms,
		})
	}
	return nil
}

// blankBefore returns the length of the run of blanks in front of field k (0-based)
// of s: trace-replay mode prints 32 blanks where the out-of-place half would be.
func blankBefore(s string, k int) int {
	run, field := 0, -1
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' || s[i] == '\t' {
			run++
			continue
		}
		if i == 0 || s[i-1] == ' ' || s[i-1] == '\t' {
			field++
			if field == k {
				return run
			}
		}
		run = 0
	}
	return 0
}

// inPlaceColumns returns the in-place half of a layout and its width.
func inPlaceColumns(cols []ncclColumn) ([]ncclColumn, int) {
	for i, c := range cols {
		if c.placement == 1 {
			w := 0
			for _, d := range cols[i:] {
				w += d.width
			}
			return cols[i:], w
		}
	}
	return nil, 0
}

// endBlock settles the facts of the finished test (collective, group size, ranks per
// node, GPU, iterations) on its rows and moves them to the result.
func (p *ncclParser) endBlock() error {
	b := p.blk
	if len(b.rows) == 0 {
		return nil
	}
	n := int64(len(b.hosts))
	if n == 0 {
		n = max(b.nThread, 1) * max(b.nGpus, 1)
		if b.nThread == 0 && b.nGpus == 0 {
			n = 0
		}
	}
	perNode := int64(0)
	if len(b.hosts) > 0 {
		onHost := make(map[string]int64)
		for _, h := range b.hosts {
			onHost[h]++
			perNode = max(perNode, onHost[h])
		}
	}
	op := b.op
	if op == "" {
		op = ncclOperatorFromName(p.src.Name)
	}
	if op == "" {
		op = ncclOperatorFromBandwidth(b.rows, n, b.redops)
	}
	if op == "" {
		err := &InputError{File: p.src.Name, Line: b.firstLine,
			Msg: "cannot tell which collective this table measures: no \"Collective test starting\" line, the file name names none, and busbw/algbw does not single one out"}
		if !p.opts.Lenient {
			return err
		}
		for _, r := range b.rows {
			p.res.Skipped = append(p.res.Skipped, Skip{Line: int(r.Line), Reason: "malformed: " + err.Msg})
		}
		b.rows = nil
		return nil
	}
	gpu := p.src.GPU
	if g := normalizeGPUName(b.device); g != "" {
		gpu = g
	}
	count := b.iters * max(b.aggIters, 1)
	for i := range b.rows {
		r := &b.rows[i]
		r.Operator, r.GPU, r.GroupSize, r.RanksPerNode, r.Count = op, gpu, n, perNode, count
	}
	p.res.Rows = append(p.res.Rows, b.rows...)
	b.rows = nil
	return nil
}

// ncclTestOperator maps an nccl-tests binary name to the dataset operator name.
func ncclTestOperator(test string) string {
	t := strings.ToLower(strings.TrimSpace(test))
	t = strings.TrimSuffix(t, "_mpi")
	t = strings.TrimSuffix(t, "_perf")
	switch t {
	case "alltoall":
		return "all_to_all"
	case "alltoallv":
		return "all_to_allv"
	case "sendrecv":
		return "send_recv"
	}
	return t
}

// ncclOperatorFromName finds the collective in a log's file name, for old logs that
// print no "Collective test starting" line (nccl_allreduce.log,
// result_all_gather_perf.txt, ...). Longer names are tried first so that all_reduce
// is not mistaken for reduce.
func ncclOperatorFromName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	var b strings.Builder
	for _, c := range strings.ToLower(name) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			b.WriteRune(c)
		}
	}
	s := b.String()
	for _, m := range [...]struct{ key, op string }{
		{"allreduce", "all_reduce"}, {"reducescatter", "reduce_scatter"},
		{"allgather", "all_gather"}, {"alltoallv", "all_to_allv"}, {"alltoall", "all_to_all"},
		{"sendrecv", "send_recv"}, {"broadcast", "broadcast"}, {"hypercube", "hypercube"},
		{"reduce", "reduce"}, {"gather", "gather"}, {"scatter", "scatter"},
	} {
		if strings.Contains(s, m.key) {
			return m.op
		}
	}
	return ""
}

// ncclOperatorFromBandwidth recognises an all_reduce table from its numbers: busbw =
// algbw × 2(n−1)/n is unique to all_reduce once n > 2 (the other collectives use
// (n−1)/n or 1). Only rows with algbw ≥ 1 GB/s count; smaller values are rounded to
// two decimals and say nothing.
func ncclOperatorFromBandwidth(rows []Row, n int64, redops map[string]bool) string {
	if n <= 2 || !redops["sum"] || len(redops) != 1 {
		return ""
	}
	want, _ := busBWFactor("all_reduce", n)
	seen := 0
	for _, r := range rows {
		if r.AlgBWGBps < 1 {
			continue
		}
		if math.Abs(r.BusBWGBps/r.AlgBWGBps-want) > 0.02*want {
			return ""
		}
		seen++
	}
	if seen == 0 {
		return ""
	}
	return "all_reduce"
}

// busBWFactor returns busbw/algbw for a collective over n ranks, as nccl-tests
// computes it (src/*.cu *GetBw): 2(n−1)/n for all_reduce; (n−1)/n for all_gather,
// reduce_scatter, all_to_all(v), gather and scatter; 1 for broadcast, reduce,
// send_recv and hypercube. ok is false for an operator that is not a collective.
func busBWFactor(op string, n int64) (factor float64, ok bool) {
	nf := float64(n)
	switch op {
	case "all_reduce":
		if n < 1 {
			return 0, true
		}
		return 2 * (nf - 1) / nf, true
	case "all_gather", "reduce_scatter", "all_to_all", "all_to_allv", "gather", "scatter":
		if n < 1 {
			return 0, true
		}
		return (nf - 1) / nf, true
	case "broadcast", "reduce", "send_recv", "hypercube":
		return 1, true
	}
	return 0, false
}

// ncclDtype maps an nccl-tests type name to the dataset's dtype names.
func ncclDtype(t string) string {
	switch strings.ToLower(t) {
	case "float", "float32":
		return "fp32"
	case "double", "float64":
		return "fp64"
	case "half", "float16":
		return "fp16"
	case "bfloat16":
		return "bf16"
	case "f8e4m3", "fp8_e4m3":
		return "fp8_e4m3"
	case "f8e5m2", "fp8_e5m2":
		return "fp8_e5m2"
	}
	return strings.ToLower(t)
}

// normalizeGPUName turns a CUDA device name into a catalog GPU name: the first word
// that is a model number (letters then digits: h100, a100, h20, l40s, gb200),
// lower-cased, so "NVIDIA H100 80GB HBM3" → h100, "A100-SXM4-80GB" → a100 and
// "Tesla V100-SXM2-32GB" → v100. Names with no such word are lower-cased with
// spaces turned to underscores.
func normalizeGPUName(dev string) string {
	dev = strings.TrimSpace(dev)
	if dev == "" {
		return ""
	}
	words := strings.FieldsFunc(strings.ToLower(dev), func(r rune) bool { return r == ' ' || r == '-' || r == '_' })
	for _, w := range words {
		i := 0
		for i < len(w) && w[i] >= 'a' && w[i] <= 'z' {
			i++
		}
		if i > 0 && i < len(w) && w[i] >= '0' && w[i] <= '9' && !strings.HasSuffix(w, "gb") {
			return w
		}
	}
	return strings.Join(words, "_")
}

// stripMPITags removes the "[1,0]<stdout>:" tags that mpirun --tag-output writes at
// the start of every chunk of output, which can land in the middle of a table line.
// The tag is removed without leaving a blank: it sits between two printf calls, and
// nccl-tests puts the blanks inside its own fields.
func stripMPITags(s string) string {
	if !strings.Contains(s, "]<std") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "]<std")
		if i < 0 {
			break
		}
		rest := s[i+len("]<std"):]
		j := strings.LastIndexByte(s[:i], '[')
		if j < 0 || !isRankPair(s[j+1:i]) || !(strings.HasPrefix(rest, "out>:") || strings.HasPrefix(rest, "err>:")) {
			b.WriteString(s[:i+1])
			s = s[i+1:]
			continue
		}
		b.WriteString(s[:j])
		s = rest[len("out>:"):]
	}
	b.WriteString(s)
	return b.String()
}

// isRankPair reports whether s is "<digits>,<digits>".
func isRankPair(s string) bool {
	a, c, ok := strings.Cut(s, ",")
	return ok && isUint(a) && isUint(c)
}

// isUint reports whether s is a non-empty run of ASCII digits.
func isUint(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isInt reports whether s is an optionally signed run of ASCII digits.
func isInt(s string) bool {
	return isUint(strings.TrimPrefix(s, "-"))
}
