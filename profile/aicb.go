package profile

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
)

// gbPerGiB converts GiB/s (AICB and SimAI divide bytes by 1024³) to the dataset's
// GB/s (10⁹ bytes per second).
const gbPerGiB = float64(1<<30) / 1e9

// AICBCommLogReader reads AICB's measured communication log
// (results/comm_logs/<name>_log.csv, the LogItem fields: comm_type, comm_group,
// [comm_group_size], msg_size, stage, dst, src, additional, _elapsed_time, algbw,
// busbw, count), and the workload CSVs of the same layout that AICB writes without
// timings (--workload_only; an optional "[rank0 ~ rankN]" line before the header).
//
// Each timed collective becomes one Row: Operator from comm_type without "CommType."
// (all_gather_into_tensor → all_gather, reduce_scatter_tensor → reduce_scatter, isend →
// send, irecv → recv), Bytes = msg_size, GroupSize = comm_group_size (0 when None),
// _elapsed_time (already ms, one measured call) in MedianMS, MeanMS, MinMS and MaxMS,
// Count = count, and algbw and busbw converted from GiB/s to GB/s (× 1.073741824).
// busbw is kept with AICB's own factors, which differ from nccl-tests for all_to_all
// (AICB: busbw = algbw). Extra carries the group (tp_group, ep_group, ...) and stage
// (init.model_setup, forward.MoE, ...) so that warm-up calls can be told apart.
// Skipped, not malformed: epoch_end and computation rows (no operator features),
// barriers, overlapped calls (logged with time 0) and rows without a time or a size
// (workload files).
var AICBCommLogReader = Reader{
	Name:   nameAICBCommLog,
	Detect: detectAICBCommLog,
	Read:   readAICBCommLog,
}

// nameAICBCommLog is AICBCommLogReader.Name, also written into Row.Reader.
const nameAICBCommLog = "aicb_comm_log"

// detectAICBCommLog claims a CSV whose header (first line, or second after AICB's
// "[rank0 ~ rankN]" line) starts with comm_type, comm_group and has msg_size.
func detectAICBCommLog(_ string, head []byte) bool {
	if bytes.HasPrefix(head, []byte("[rank")) {
		i := bytes.IndexByte(head, '\n')
		if i < 0 {
			return false
		}
		head = head[i+1:]
	}
	f := headerFields(head)
	if len(f) < 4 || f[0] != "comm_type" || f[1] != "comm_group" {
		return false
	}
	for _, c := range f {
		if c == "msg_size" {
			return true
		}
	}
	return false
}

func readAICBCommLog(src Source, opts Options) (Result, error) {
	var res Result
	br := bufio.NewReader(src.R)
	offset := 0
	if first, err := br.Peek(5); err == nil && string(first) == "[rank" {
		if _, err := br.ReadString('\n'); err != nil && err != io.EOF {
			return res, fmt.Errorf("profile: %s: %w", src.Name, err)
		}
		offset = 1
	}
	t, err := newCSVTable(src.Name, br, ',')
	if err != nil {
		return res, shiftLine(err, offset)
	}
	if err := t.requireCols("comm_type", "msg_size", "_elapsed_time"); err != nil {
		return res, shiftLine(err, offset)
	}
	c := aicbCols{
		typ: t.col("comm_type"), group: t.col("comm_group"), groupSize: t.col("comm_group_size"),
		size: t.col("msg_size"), stage: t.col("stage"), additional: t.col("additional"),
		time: t.col("_elapsed_time"), algbw: t.col("algbw"), busbw: t.col("busbw"), count: t.col("count"),
	}
	skip := skipper{res: &res, lenient: opts.Lenient}
	for t.nextRecord(skip, offset) {
		row, reason, err := aicbCommRow(t, src, c)
		line := t.line + offset
		switch {
		case err != nil:
			if err := skip.bad(shiftLine(err, offset)); err != nil {
				return Result{}, err
			}
		case reason != "":
			res.Skipped = append(res.Skipped, Skip{Line: line, Reason: reason})
		default:
			row.Line = int64(line)
			res.Rows = append(res.Rows, row)
		}
	}
	if err := t.err(); err != nil {
		return Result{}, err
	}
	return res, nil
}

type aicbCols struct {
	typ, group, groupSize, size, stage, additional, time, algbw, busbw, count int
}

// aicbCommRow converts the current record of an AICB comm log.
func aicbCommRow(t *csvTable, src Source, c aicbCols) (Row, string, error) {
	typ := t.raw(c.typ)
	op, ok := strings.CutPrefix(typ, "CommType.")
	if !ok || op == "" {
		return Row{}, "", t.errorf(c.typ, "%q: expected CommType.<name>", typ)
	}
	switch op {
	case "epoch_end", "computation":
		return Row{}, "filtered: " + op + " row (no operator features)", nil
	case "barrier":
		return Row{}, "filtered: barrier moves no data", nil
	case "all_gather_into_tensor":
		op = "all_gather"
	case "reduce_scatter_tensor":
		op = "reduce_scatter"
	case "isend":
		op = "send"
	case "irecv":
		op = "recv"
	}
	ms, hasTime, err := t.float(c.time)
	if err != nil {
		return Row{}, "", err
	}
	if !hasTime {
		return Row{}, "filtered: no time (an AICB workload description, not a measurement)", nil
	}
	if ms < 0 {
		return Row{}, "", t.errorf(c.time, "%g is negative: expected a time in ms", ms)
	}
	size, hasSize, err := t.int(c.size)
	if err != nil {
		return Row{}, "", err
	}
	if size < 0 {
		return Row{}, "", t.errorf(c.size, "%d is negative: expected a message size in bytes", size)
	}
	if !hasSize || size == 0 {
		return Row{}, "filtered: no message size", nil
	}
	if ms == 0 {
		if t.raw(c.additional) == "overlap" {
			return Row{}, "filtered: overlapped call, logged with time 0", nil
		}
		return Row{}, "NaN target: time 0", nil
	}
	groupSize, _, err := t.int(c.groupSize)
	if err != nil {
		return Row{}, "", err
	}
	if groupSize < 0 {
		return Row{}, "", t.errorf(c.groupSize, "%d is negative: expected a group size", groupSize)
	}
	var bw [2]float64
	for i, col := range [2]int{c.algbw, c.busbw} {
		v, _, err := t.float(col)
		if err != nil {
			return Row{}, "", err
		}
		if v < 0 {
			return Row{}, "", t.errorf(col, "%g is negative: expected a bandwidth in GiB/s", v)
		}
		bw[i] = v * gbPerGiB
	}
	count, hasCount, err := t.int(c.count)
	if err != nil {
		return Row{}, "", err
	}
	if !hasCount {
		count = 1
	}
	group := t.raw(c.group)
	if isMissing(group) {
		group = ""
	}
	group = strings.TrimPrefix(group, "CommGroup.")
	additional := t.raw(c.additional)
	return Row{
		Operator:  op,
		GPU:       src.GPU,
		Network:   src.Network,
		Model:     src.Model,
		Source:    src.Name,
		Reader:    nameAICBCommLog,
		Extra:     kvExtra("group", group, "stage", t.raw(c.stage), "additional", additional),
		Bytes:     size,
		GroupSize: groupSize,
		AlgBWGBps: bw[0],
		BusBWGBps: bw[1],
		MedianMS:  ms,
		MeanMS:    ms,
		MinMS:     ms,
		MaxMS:     ms,
		Count:     count,
	}, "", nil
}

// AICBLayerTableReader reads the per-layer table that AICB's Vidur_workload_generator
// writes for vidur-alibabacloud (results/workload/vidur-<Model>-world_size<W>-tp<T>-
// pp<P>-ep<E>-bs<B>-seq<S>-<phase>.csv). Despite the name it is TAB-separated:
// layer_id, layer_name, comp_time (ns), comm_size (bytes).
//
// Each line becomes one Row: Operator = layer_name (attention, mlp, moe), comp_time
// ns → ms in MedianMS and MeanMS (AIOB averages summed over the mocked sub-layers),
// Bytes = comm_size (the layer's TP all-reduce or MoE dispatch+combine volume),
// Extra layer_id, and from the file name Model, WorldSize, TP, PP, EP, BatchSize,
// IsPrefill and Extra seq.
var AICBLayerTableReader = Reader{
	Name:   nameAICBLayerTable,
	Detect: detectAICBLayerTable,
	Read:   readAICBLayerTable,
}

// nameAICBLayerTable is AICBLayerTableReader.Name, also written into Row.Reader.
const nameAICBLayerTable = "aicb_layer_table"

// detectAICBLayerTable claims a file whose first line is the layer-table header.
// A comma-separated copy is claimed too, so that reading it reports the delimiter.
func detectAICBLayerTable(_ string, head []byte) bool {
	f := headerFields(head)
	return len(f) == 4 && f[0] == "layer_id" && f[1] == "layer_name" && f[2] == "comp_time" && f[3] == "comm_size"
}

func readAICBLayerTable(src Source, opts Options) (Result, error) {
	var res Result
	t, err := newCSVTable(src.Name, src.R, '\t')
	if err != nil {
		return res, err
	}
	if err := t.requireCols("layer_id", "layer_name", "comp_time", "comm_size"); err != nil {
		return res, err
	}
	cID, cName, cTime, cSize := t.col("layer_id"), t.col("layer_name"), t.col("comp_time"), t.col("comm_size")
	keys := parseAICBRunName(src.Name)
	model := src.Model
	if model == "" {
		model = keys.model
	}
	skip := skipper{res: &res, lenient: opts.Lenient}
	for t.nextRecord(skip, 0) {
		row, err := func() (Row, error) {
			id, ok, err := t.int(cID)
			if err == nil && (!ok || id < 0) {
				err = t.errorf(cID, "%q: expected a layer number ≥ 0", t.raw(cID))
			}
			if err != nil {
				return Row{}, err
			}
			name := t.raw(cName)
			if name == "" {
				return Row{}, t.errorf(cName, "empty: expected a layer type (attention, mlp, moe)")
			}
			ns, ok, err := t.float(cTime)
			if err == nil && (!ok || ns < 0) {
				err = t.errorf(cTime, "%q: expected a time in ns ≥ 0", t.raw(cTime))
			}
			if err != nil {
				return Row{}, err
			}
			size, ok, err := t.int(cSize)
			if err == nil && (!ok || size < 0) {
				err = t.errorf(cSize, "%q: expected a size in bytes ≥ 0", t.raw(cSize))
			}
			if err != nil {
				return Row{}, err
			}
			ms := ns / 1e6
			return Row{
				Operator:  name,
				GPU:       src.GPU,
				Network:   src.Network,
				Model:     model,
				Source:    src.Name,
				Line:      int64(t.line),
				Reader:    nameAICBLayerTable,
				TP:        keys.tp,
				EP:        keys.ep,
				PP:        keys.pp,
				WorldSize: keys.world,
				BatchSize: keys.batch,
				IsPrefill: keys.phase == "prefill",
				Extra:     kvExtra("layer_id", strconv.FormatInt(id, 10), "seq", keys.seqString()),
				Bytes:     size,
				MedianMS:  ms,
				MeanMS:    ms,
			}, nil
		}()
		if err != nil {
			if err := skip.bad(err); err != nil {
				return Result{}, err
			}
			continue
		}
		if row.MedianMS == 0 {
			res.Skipped = append(res.Skipped, Skip{Line: t.line, Reason: "NaN target: comp_time 0"})
			continue
		}
		res.Rows = append(res.Rows, row)
	}
	if err := t.err(); err != nil {
		return Result{}, err
	}
	return res, nil
}

// aicbRunKeys are the run parameters AICB writes into its output file names:
// {model}-world_size{W}-tp{T}-pp{P}-ep{E}-{bs|bpg|gbs..-mbs}{B}-seq{S}-{phase|flash_attn-X}.
type aicbRunKeys struct {
	model                         string
	world, tp, pp, ep, batch, seq int64
	phase                         string // prefill, decode or "" (training)
}

func (k aicbRunKeys) seqString() string {
	if k.seq == 0 {
		return ""
	}
	return strconv.FormatInt(k.seq, 10)
}

// parseAICBRunName reads the run keys from a file name; parts it does not
// recognise leave the keys zero.
func parseAICBRunName(name string) aicbRunKeys {
	base := path.Base(strings.ReplaceAll(name, `\`, "/"))
	base = strings.TrimSuffix(base, path.Ext(base))
	base = strings.TrimPrefix(base, "vidur-")
	parts := strings.Split(base, "-")
	var k aicbRunKeys
	start := -1
	for i, p := range parts {
		if v, ok := cutNumber(p, "world_size"); ok {
			k.world, start = v, i
			break
		}
	}
	if start < 0 {
		return aicbRunKeys{}
	}
	k.model = strings.Join(parts[:start], "-")
	for _, p := range parts[start+1:] {
		for _, f := range [...]struct {
			prefix string
			dst    *int64
		}{{"tp", &k.tp}, {"pp", &k.pp}, {"ep", &k.ep}, {"bpg", &k.batch}, {"mbs", &k.batch}, {"bs", &k.batch}, {"seq", &k.seq}} {
			if v, ok := cutNumber(p, f.prefix); ok {
				*f.dst = v
				break
			}
		}
		if p == "prefill" || p == "decode" {
			k.phase = p
		}
	}
	return k
}

// cutNumber returns the integer after prefix in s ("tp8" → 8 for "tp").
func cutNumber(s, prefix string) (int64, bool) {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok || !isUint(rest) {
		return 0, false
	}
	v, err := strconv.ParseInt(rest, 10, 64)
	return v, err == nil
}

// kvExtra builds a Row.Extra value from key, value pairs: "k=v;k=v" sorted by key,
// pairs with an empty value left out. Separators inside values become '_' so that
// the string splits back unambiguously.
func kvExtra(kv ...string) string {
	type pair struct{ k, v string }
	var buf [8]pair
	ps := buf[:0]
	n := 0
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			continue
		}
		p := pair{kv[i], kv[i+1]}
		if strings.ContainsAny(p.v, ";=") {
			p.v = extraEscaper.Replace(p.v)
		}
		// Insertion sort, stable: the lists are a handful of pairs.
		j := len(ps)
		ps = append(ps, p)
		for ; j > 0 && ps[j-1].k > p.k; j-- {
			ps[j] = ps[j-1]
		}
		ps[j] = p
		n += len(p.k) + len(p.v) + 2
	}
	var b strings.Builder
	b.Grow(n)
	for i, p := range ps {
		if i > 0 {
			b.WriteByte(';')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String()
}

var extraEscaper = strings.NewReplacer(";", "_", "=", "_")
