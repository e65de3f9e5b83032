package profile

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"path"
	"strconv"
	"strings"
)

// SimAIWorkloadReader reads SimAI workload files (.txt), as AICB's generators and
// vidur-alibabacloud write them: line 1 "<POLICY> key: value ..." (model_parallel_NPU_group,
// ep, pp, vpp, ga, all_gpus, checkpoints, pp_comm with or without its colon), line 2 the
// number of layer lines, then one line per layer with 12 whitespace-separated fields:
// name, dependency, then for the forward, input-gradient and weight-gradient passes
// a compute time (ns) and a comm type and size (bytes), and an update time (ns).
//
// What becomes what, per layer line and pass (fwd, ig, wg):
//   - compute time > 1 ns (SimAI writes 1 for "not measured") → a Row with Operator =
//     the layer name (attention_layer, mlp_layer, moe_route, ...), ns → ms in
//     MedianMS and MeanMS, Extra phase=<pass>;
//   - comm type other than NONE with size > 0 → a Row with Operator = the collective
//     (ALLREDUCE → all_reduce, ALLGATHER → all_gather, REDUCESCATTER → reduce_scatter,
//     ALLTOALL → all_to_all), Bytes = size, no time (the workload says what to send, not
//     how long it takes), Extra group/layer/phase. The group is SimAI's: a bare type is
//     TP in fwd/ig and DP in wg, _EP is EP, _DP_EP is DP×EP; GroupSize is TP, EP,
//     DP = all_gpus/(TP·PP) or DP/EP accordingly, when the header gives them;
//   - the update time (field 12, a constant 100 or 1 in every generator) is not a
//     measurement and becomes nothing; BROADCAST and other types SimAI does not parse
//     mean no communication, as in SimAI.
//
// A header pp_comm > 0 adds one send_recv Row (group pp) with that size. TP, EP, PP and
// WorldSize of every Row come from the header.
var SimAIWorkloadReader = Reader{
	Name:   nameSimAIWorkload,
	Detect: detectSimAIWorkload,
	Read:   readSimAIWorkload,
}

// nameSimAIWorkload is SimAIWorkloadReader.Name, also written into Row.Reader.
const nameSimAIWorkload = "simai_workload"

// simaiPolicies are the parallelism policies astra-sim's Workload.cc accepts on line 1.
var simaiPolicies = map[string]bool{
	"DATA": true, "MODEL": true, "HYBRID_TRANSFORMER": true, "HYBRID_TRANSFORMER_FWD_IN_BCKWD": true,
	"HYBRID_DLRM": true, "HYBRID_DLRM_ENHANCED": true, "HYBRID_DATA_MODEL": true,
	"HYBRID_MODEL_DATA": true, "HYBRID_CUSTOMIZED": true, "MICRO": true, "DISTRIBUTED_INFERENCE": true,
}

// detectSimAIWorkload claims a file whose first word is a SimAI policy and whose
// second line is a layer count.
func detectSimAIWorkload(_ string, head []byte) bool {
	first, rest, ok := bytes.Cut(head, []byte{'\n'})
	if !ok {
		return false
	}
	f := strings.Fields(string(first))
	if len(f) == 0 || !simaiPolicies[f[0]] {
		return false
	}
	second, _, _ := bytes.Cut(rest, []byte{'\n'})
	return isUint(strings.TrimSpace(string(second)))
}

// simaiHeader is line 1 of a workload.
type simaiHeader struct {
	policy                  string
	tp, ep, pp, world       int64
	ppComm                  int64
	hasTP, hasEP, hasPP, hw bool
}

type simaiParser struct {
	src  Source
	res  Result
	skip skipper
	hdr  simaiHeader
	want int // layer lines announced on line 2
	got  int
}

func readSimAIWorkload(src Source, opts Options) (Result, error) {
	p := &simaiParser{src: src}
	p.skip = skipper{res: &p.res, lenient: opts.Lenient}
	sc := lineScanner(src.R)
	n, state := 0, 0 // state: 0 before the header, 1 before the count, 2 layers
	for sc.Scan() {
		n++
		s := strings.TrimSpace(strings.TrimSuffix(sc.Text(), "\r"))
		if s == "" {
			continue
		}
		switch state {
		case 0:
			if err := p.header(n, s); err != nil {
				return Result{}, err
			}
			state = 1
		case 1:
			v, err := strconv.Atoi(s)
			if err != nil || v < 0 {
				return Result{}, &InputError{File: src.Name, Line: n, Column: "layers", Msg: fmt.Sprintf("%q: expected the number of layer lines", clip(s))}
			}
			p.want, state = v, 2
		default:
			p.res.RowsRead++
			if p.got >= p.want {
				if err := p.skip.bad(&InputError{File: src.Name, Line: n,
					Msg: fmt.Sprintf("more layer lines than the %d that line 2 announces", p.want)}); err != nil {
					return Result{}, err
				}
				continue
			}
			p.got++
			if err := p.layer(n, s); err != nil {
				if err := p.skip.bad(err); err != nil {
					return Result{}, err
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		return Result{}, scanError(src.Name, n, err)
	}
	switch {
	case state == 0:
		return Result{}, &InputError{File: src.Name, Line: 1, Msg: "empty file: expected a SimAI workload header"}
	case state == 1:
		return Result{}, &InputError{File: src.Name, Line: n + 1, Column: "layers", Msg: "end of file: expected the number of layer lines (truncated file?)"}
	case p.got < p.want:
		err := &InputError{File: src.Name, Line: n + 1,
			Msg: fmt.Sprintf("end of file after %d layer lines, line 2 announces %d (truncated file?)", p.got, p.want)}
		if e := p.skip.bad(err); e != nil {
			return Result{}, e
		}
	}
	return p.res, nil
}

// header reads line 1. Keys may come in any order; pp_comm may lack its colon and be
// written as a float; checkpoints: k is followed by k layer ids.
func (p *simaiParser) header(n int, s string) error {
	f := strings.Fields(s)
	h := &p.hdr
	h.policy = f[0]
	if !simaiPolicies[h.policy] {
		return &InputError{File: p.src.Name, Line: n, Column: "policy", Msg: fmt.Sprintf("%q is not a SimAI parallelism policy (HYBRID_TRANSFORMER_FWD_IN_BCKWD, MICRO, ...)", clip(h.policy))}
	}
	for i := 1; i < len(f); i++ {
		key, colon := strings.CutSuffix(f[i], ":")
		if !colon && key != "pp_comm" {
			continue // a value of a key this reader does not use
		}
		if i+1 >= len(f) {
			return &InputError{File: p.src.Name, Line: n, Column: key, Msg: "no value after the key"}
		}
		v, err := strconv.ParseFloat(f[i+1], 64)
		if err != nil || v < 0 || v != math.Trunc(v) || v > 1<<53 {
			return &InputError{File: p.src.Name, Line: n, Column: key, Msg: fmt.Sprintf("%q is not a non-negative integer", clip(f[i+1]))}
		}
		iv := int64(v)
		i++
		switch key {
		case "model_parallel_NPU_group":
			h.tp, h.hasTP = iv, true
		case "ep":
			h.ep, h.hasEP = iv, true
		case "pp":
			h.pp, h.hasPP = iv, true
		case "all_gpus":
			h.world, h.hw = iv, true
		case "pp_comm":
			h.ppComm = iv
		case "checkpoints", "checkpoint_initiates":
			i += int(min(iv, int64(len(f)))) // the layer ids that follow
		}
	}
	if h.ppComm > 0 {
		r := p.base(n)
		r.Operator, r.Bytes, r.Extra = "send_recv", h.ppComm, kvExtra("group", "pp")
		if h.hasPP {
			r.GroupSize = h.pp
		}
		p.res.Rows = append(p.res.Rows, r)
	}
	return nil
}

// base returns a Row with the fields every row of the file shares.
func (p *simaiParser) base(n int) Row {
	h := p.hdr
	return Row{
		GPU:       p.src.GPU,
		Network:   p.src.Network,
		Model:     p.src.Model,
		Source:    p.src.Name,
		Line:      int64(n),
		Reader:    nameSimAIWorkload,
		TP:        h.tp,
		EP:        h.ep,
		PP:        h.pp,
		WorldSize: h.world,
	}
}

var simaiPhases = [3]string{"fwd", "ig", "wg"}

// layer reads one 12-field layer line.
func (p *simaiParser) layer(n int, s string) error {
	f := strings.Fields(s)
	if len(f) != 12 {
		return &InputError{File: p.src.Name, Line: n, Column: strconv.Itoa(min(len(f), 12) + 1),
			Msg: fmt.Sprintf("%d fields, expected 12 (name, dependency, then compute, comm type, comm size for fwd, ig and wg, then update time)", len(f))}
	}
	num := func(i int, what string) (int64, error) {
		v, err := strconv.ParseUint(f[i], 10, 63)
		if err != nil {
			return 0, &InputError{File: p.src.Name, Line: n, Column: strconv.Itoa(i + 1), Msg: fmt.Sprintf("%q is not %s", clip(f[i]), what)}
		}
		return int64(v), nil
	}
	if dep := f[1]; !isInt(dep) {
		return &InputError{File: p.src.Name, Line: n, Column: "2", Msg: fmt.Sprintf("%q is not a dependency (an integer, -1)", clip(dep))}
	}
	if _, err := num(11, "an update time in ns"); err != nil {
		return err
	}
	var rows []Row
	for k, phase := range simaiPhases {
		ns, err := num(2+3*k, "a compute time in ns")
		if err != nil {
			return err
		}
		typ := f[3+3*k]
		if !isWord(typ) || typ[0] >= '0' && typ[0] <= '9' {
			return &InputError{File: p.src.Name, Line: n, Column: strconv.Itoa(4 + 3*k), Msg: fmt.Sprintf("%q is not a comm type (NONE, ALLREDUCE, ALLGATHER_EP, ...)", clip(typ))}
		}
		size, err := num(4+3*k, "a comm size in bytes")
		if err != nil {
			return err
		}
		if ns > 1 {
			r := p.base(n)
			r.Operator, r.Extra = f[0], kvExtra("phase", phase)
			r.MedianMS = float64(ns) / 1e6
			r.MeanMS = r.MedianMS
			rows = append(rows, r)
		}
		op, group := simaiComm(typ, phase)
		if op == "" || size == 0 {
			continue
		}
		r := p.base(n)
		r.Operator, r.Bytes = op, size
		r.GroupSize = p.groupSize(group)
		r.Extra = kvExtra("group", group, "layer", f[0], "phase", phase)
		rows = append(rows, r)
	}
	p.res.Rows = append(p.res.Rows, rows...)
	return nil
}

// simaiComm maps a comm type token to a collective and its group as astra-sim's
// Workload.cc does: by prefix, with the _EP/_DP_EP suffix choosing the group and a
// bare type meaning TP in the fwd/ig passes and DP in the wg pass. op is "" for NONE
// and for the types SimAI does not parse (BROADCAST).
func simaiComm(typ, phase string) (op, group string) {
	switch {
	case strings.HasPrefix(typ, "ALLREDUCE"):
		op = "all_reduce"
	case strings.HasPrefix(typ, "ALLGATHER"):
		op = "all_gather"
	case strings.HasPrefix(typ, "REDUCESCATTER"):
		op = "reduce_scatter"
	case strings.HasPrefix(typ, "ALLTOALL"):
		op = "all_to_all"
	default:
		return "", ""
	}
	switch {
	case strings.HasSuffix(typ, "_DP_EP"):
		group = "dp_ep"
	case strings.HasSuffix(typ, "_EP"):
		group = "ep"
	case phase == "wg":
		group = "dp"
	default:
		group = "tp"
	}
	return op, group
}

// groupSize is the number of ranks in a SimAI group, when the header says enough.
func (p *simaiParser) groupSize(group string) int64 {
	h := p.hdr
	dp := int64(0)
	if h.hw && h.tp > 0 {
		pp := max(h.pp, 1)
		if h.world%(h.tp*pp) == 0 {
			dp = h.world / (h.tp * pp)
		}
	}
	switch group {
	case "tp":
		return h.tp
	case "ep":
		return h.ep
	case "dp":
		return dp
	case "dp_ep":
		if h.ep > 0 && dp%h.ep == 0 {
			return dp / h.ep
		}
	}
	return 0
}

// BusBW is a SimAI busbw.yaml: user-set bus bandwidths per parallel group and
// collective, for SimAI's analytical mode before PR #144.
type BusBW struct {
	Name    string // the free-form first line
	Entries []BusBWEntry
}

// BusBWEntry is one set value of a busbw.yaml. Values written "null" are not entries.
type BusBWEntry struct {
	Group      string // tp, dp, ep, pp: the section, lower-cased
	Collective string // all_reduce, all_gather, reduce_scatter, all_to_all; send_recv for PP's busbw
	// GiBps is the value as written. The file says "GB/s", but SimAI divides bytes by
	// 2³⁰ before dividing by it, so it acts as GiB/s; GBps converts.
	GiBps float64
	Line  int
}

// GBps is the entry's bandwidth in 10⁹ bytes per second.
func (e BusBWEntry) GBps() float64 { return e.GiBps * gbPerGiB }

// Lookup returns the entry for a group (tp, dp, ep, pp) and collective, as the
// dataset names them.
func (b *BusBW) Lookup(group, collective string) (BusBWEntry, bool) {
	for _, e := range b.Entries {
		if e.Group == group && e.Collective == collective {
			return e, true
		}
	}
	return BusBWEntry{}, false
}

// ParseBusBWYAML reads a SimAI busbw.yaml the way SimAI's parseYaml did: the first line
// is a name; blank lines and "#" lines are skipped; "SECTION:" opens a section;
// "key: value" sets a value, with anything after ',' in the key dropped and only the
// first word after ':' read; "null" means unset. name is used in errors.
func ParseBusBWYAML(r io.Reader, name string) (*BusBW, error) {
	b := &BusBW{}
	sc := lineScanner(r)
	n, section := 0, ""
	seen := make(map[[2]string]int)
	for sc.Scan() {
		n++
		s := strings.TrimSpace(strings.TrimSuffix(sc.Text(), "\r"))
		if n == 1 {
			b.Name = s
			continue
		}
		if s == "" || s[0] == '#' {
			continue
		}
		if sec, ok := strings.CutSuffix(s, ":"); ok && !strings.Contains(sec, ":") {
			if key, _, comma := strings.Cut(sec, ","); comma {
				// "allreduce,:" with its value cut off, not a section
				return nil, &InputError{File: name, Line: n, Column: strings.ToLower(strings.TrimSpace(key)), Msg: "no value: expected a bandwidth or null"}
			}
			section = strings.ToLower(strings.TrimSpace(sec))
			if section == "" || !isWord(section) {
				return nil, &InputError{File: name, Line: n, Msg: fmt.Sprintf("%q: expected a section name (TP:, DP:, EP:, PP:)", clip(s))}
			}
			continue
		}
		key, val, ok := strings.Cut(s, ":")
		if !ok {
			return nil, &InputError{File: name, Line: n, Msg: fmt.Sprintf("%q: expected \"key: value\" or \"SECTION:\"", clip(s))}
		}
		if section == "" {
			return nil, &InputError{File: name, Line: n, Column: strings.TrimSpace(key), Msg: "value before any section (TP:, DP:, EP:, PP:)"}
		}
		key, _, _ = strings.Cut(key, ",")
		key = strings.ToLower(strings.TrimSpace(key))
		coll := busbwCollective(key)
		if coll == "" {
			return nil, &InputError{File: name, Line: n, Column: key, Msg: "unknown key: expected allreduce, allgather, reducescatter, alltoall or busbw"}
		}
		words := strings.Fields(val)
		if len(words) == 0 {
			return nil, &InputError{File: name, Line: n, Column: key, Msg: "no value: expected a bandwidth or null"}
		}
		if words[0] == "null" {
			continue
		}
		v, err := strconv.ParseFloat(words[0], 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v <= 0 {
			return nil, &InputError{File: name, Line: n, Column: key, Msg: fmt.Sprintf("%q is not a bandwidth > 0 (or null)", clip(words[0]))}
		}
		k := [2]string{section, coll}
		if prev, dup := seen[k]; dup {
			return nil, &InputError{File: name, Line: n, Column: key, Msg: fmt.Sprintf("set twice in section %s (first on line %d)", strings.ToUpper(section), prev)}
		}
		seen[k] = n
		b.Entries = append(b.Entries, BusBWEntry{Group: section, Collective: coll, GiBps: v, Line: n})
	}
	if err := sc.Err(); err != nil {
		return nil, scanError(name, n, err)
	}
	if n == 0 {
		return nil, &InputError{File: name, Line: 1, Msg: "empty file: expected a busbw.yaml"}
	}
	return b, nil
}

// busbwCollective maps a busbw.yaml key to the dataset's collective name.
func busbwCollective(key string) string {
	switch key {
	case "allreduce":
		return "all_reduce"
	case "allgather":
		return "all_gather"
	case "reducescatter":
		return "reduce_scatter"
	case "alltoall":
		return "all_to_all"
	case "busbw":
		return "send_recv"
	}
	return ""
}

// SimAIBusBWReader turns a busbw.yaml into Rows: one per set value, Operator = the
// collective (PP's busbw is the pipeline send_recv), BusBWGBps = the value converted
// from the GiB/s SimAI applies it as, Extra group=<section>. A malformed line is an
// error even when lenient: a busbw table with a value left out would silently change
// the communication model.
var SimAIBusBWReader = Reader{
	Name:   nameSimAIBusBW,
	Detect: detectSimAIBusBW,
	Read:   readSimAIBusBW,
}

// nameSimAIBusBW is SimAIBusBWReader.Name, also written into Row.Reader.
const nameSimAIBusBW = "simai_busbw"

// detectSimAIBusBW claims a file with SimAI's peculiar "allreduce,:" keys, or a PP
// section with a busbw key, under a TP/DP/EP/PP section line.
func detectSimAIBusBW(_ string, head []byte) bool {
	hasSection := bytes.Contains(head, []byte("\nTP:")) || bytes.Contains(head, []byte("\nDP:")) ||
		bytes.Contains(head, []byte("\nEP:")) || bytes.Contains(head, []byte("\nPP:"))
	return hasSection && (bytes.Contains(head, []byte("allreduce,:")) || bytes.Contains(head, []byte("alltoall,:")) ||
		bytes.Contains(head, []byte("\nPP:")) && bytes.Contains(head, []byte("busbw:")))
}

func readSimAIBusBW(src Source, _ Options) (Result, error) {
	b, err := ParseBusBWYAML(src.R, src.Name)
	if err != nil {
		return Result{}, err
	}
	var res Result
	for _, e := range b.Entries {
		res.RowsRead++
		res.Rows = append(res.Rows, Row{
			Operator:  e.Collective,
			GPU:       src.GPU,
			Network:   src.Network,
			Model:     src.Model,
			Source:    src.Name,
			Line:      int64(e.Line),
			Reader:    nameSimAIBusBW,
			Extra:     kvExtra("group", e.Group),
			BusBWGBps: e.GBps(),
		})
	}
	return res, nil
}

// RatioTable is one of SimAI's auto-busbw efficiency tables
// (astra-sim-alibabacloud/inputs/ratio/{nic,nvlink,ata}_ratio.csv): for each message
// size, the fraction of the link bandwidth a collective reaches, per cluster shape.
type RatioTable struct {
	Kind    string // nic, nvlink or ata, from the file name; "" when it does not say
	Columns []RatioColumn
	Sizes   []int64     // message sizes in bytes, one per table row, as in the file
	Ratios  [][]float64 // Ratios[i][j]: size i, column j; NaN where the cell is empty
	lines   []int       // 1-based file line of each table row
}

// RatioColumn describes one column of a RatioTable from its header text.
type RatioColumn struct {
	Header string // as written, trimmed ("2Node-16GPU(NIC )", "Muiti 64")
	Nodes  int    // node count (1 for "1 Node(NVLinkx)"); 0 for the Multi columns
	GPUs   int    // GPU count when the header gives it ("16GPU", "Multi 16"); else 0
	Multi  bool   // one of the "Multi" columns
}

// Ratio returns the efficiency at row i for column j, and false for an empty cell.
func (t *RatioTable) Ratio(i, j int) (float64, bool) {
	if i < 0 || i >= len(t.Ratios) || j < 0 || j >= len(t.Ratios[i]) || math.IsNaN(t.Ratios[i][j]) {
		return 0, false
	}
	return t.Ratios[i][j], true
}

// ParseSimAIRatioTable reads a SimAI ratio table: a "Size" column of bytes, then one
// column per cluster shape holding efficiencies in [0, 1]; cells may be empty. name
// is used in errors and gives the table's Kind.
func ParseSimAIRatioTable(r io.Reader, name string) (*RatioTable, error) {
	t, err := newCSVTable(name, r, ',')
	if err != nil {
		return nil, err
	}
	for i, h := range t.header {
		if strings.ContainsAny(h, "\r\n") {
			return nil, &InputError{File: name, Line: 1, Column: strconv.Itoa(i + 1), Msg: fmt.Sprintf("header %q contains a line break", clip(h))}
		}
	}
	if len(t.header) < 2 || !strings.EqualFold(t.header[0], "Size") {
		return nil, &InputError{File: name, Line: 1, Column: "1", Msg: fmt.Sprintf("%q: expected the first column to be Size, followed by one column per cluster shape", clip(t.header[0]))}
	}
	tab := &RatioTable{Kind: ratioKind(name)}
	for _, h := range t.header[1:] {
		tab.Columns = append(tab.Columns, parseRatioColumn(h))
	}
	for t.next() {
		size, ok, err := t.int(0)
		if err == nil && (!ok || size <= 0) {
			err = t.errorf(0, "%q: expected a message size in bytes > 0", clip(t.raw(0)))
		}
		if err != nil {
			return nil, err
		}
		row := make([]float64, len(tab.Columns))
		for j := range row {
			v, ok, err := t.float(j + 1)
			if err != nil {
				return nil, err
			}
			if !ok {
				row[j] = math.NaN()
				continue
			}
			if v < 0 || v > 1 {
				return nil, t.errorf(j+1, "%g: expected an efficiency in [0, 1]", v)
			}
			row[j] = v
		}
		tab.Sizes = append(tab.Sizes, size)
		tab.Ratios = append(tab.Ratios, row)
		tab.lines = append(tab.lines, t.line)
	}
	if err := t.err(); err != nil {
		return nil, err
	}
	return tab, nil
}

// ratioKind names a ratio table from its file name: nic_ratio.csv → nic.
func ratioKind(name string) string {
	base := path.Base(strings.ReplaceAll(name, `\`, "/"))
	if k, ok := strings.CutSuffix(base, "_ratio.csv"); ok {
		return strings.ToLower(k)
	}
	return ""
}

// parseRatioColumn reads the cluster shape out of a header such as
// "1 Node(NVLinkx)", "2Node-16GPU(NIC )", "Multi 32" or "Muiti 64" (sic).
func parseRatioColumn(h string) RatioColumn {
	c := RatioColumn{Header: h}
	l := strings.ToLower(h)
	if strings.HasPrefix(l, "mu") {
		c.Multi = true
		c.GPUs = leadingInt(strings.TrimSpace(strings.TrimLeft(l, "abcdefghijklmnopqrstuvwxyz")))
		return c
	}
	c.Nodes = leadingInt(l)
	if i := strings.Index(l, "-"); i >= 0 {
		c.GPUs = leadingInt(l[i+1:])
	}
	return c
}

// leadingInt returns the integer at the start of s, or 0.
func leadingInt(s string) int {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' && i < 9 {
		i++
	}
	v, _ := strconv.Atoi(s[:i])
	return v
}

// SimAIRatioReader turns a SimAI ratio table into Rows: one per non-empty cell, with
// Operator busbw_ratio, Bytes = the size, GroupSize = the column's GPU count when the
// header gives it, and Extra table (nic, nvlink, ata), column (the header), nodes and
// ratio (the efficiency, which has no column of its own in the dataset). As for
// busbw.yaml, a malformed cell is an error even when lenient; an empty cell is a skip.
var SimAIRatioReader = Reader{
	Name:   nameSimAIRatio,
	Detect: detectSimAIRatio,
	Read:   readSimAIRatio,
}

// nameSimAIRatio is SimAIRatioReader.Name, also written into Row.Reader.
const nameSimAIRatio = "simai_ratio"

// detectSimAIRatio claims a CSV whose header starts with Size and names Node or
// Multi columns.
func detectSimAIRatio(_ string, head []byte) bool {
	f := headerFields(head)
	if len(f) < 2 || f[0] != "Size" {
		return false
	}
	for _, c := range f[1:] {
		l := strings.ToLower(c)
		if strings.Contains(l, "node") || strings.HasPrefix(l, "multi") {
			return true
		}
	}
	return false
}

func readSimAIRatio(src Source, _ Options) (Result, error) {
	tab, err := ParseSimAIRatioTable(src.R, src.Name)
	if err != nil {
		return Result{}, err
	}
	var res Result
	for i, size := range tab.Sizes {
		for j, c := range tab.Columns {
			res.RowsRead++
			v, ok := tab.Ratio(i, j)
			if !ok {
				res.Skipped = append(res.Skipped, Skip{Line: tab.lines[i], Reason: "NaN target: empty cell in column " + c.Header})
				continue
			}
			nodes := ""
			if c.Nodes > 0 {
				nodes = strconv.Itoa(c.Nodes)
			}
			res.Rows = append(res.Rows, Row{
				Operator:  "busbw_ratio",
				GPU:       src.GPU,
				Network:   src.Network,
				Model:     src.Model,
				Source:    src.Name,
				Line:      int64(tab.lines[i]),
				Reader:    nameSimAIRatio,
				Extra:     kvExtra("table", tab.Kind, "column", c.Header, "nodes", nodes, "ratio", strconv.FormatFloat(v, 'g', -1, 64)),
				Bytes:     size,
				GroupSize: int64(c.GPUs),
			})
		}
	}
	return res, nil
}
