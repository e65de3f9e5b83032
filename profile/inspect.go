package profile

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// OperatorSummary describes one operator's rows in a dataset.
type OperatorSummary struct {
	Operator string
	Rows     int
	GPUs     []string
	Models   int
	TP       []int64
	// Ranges of the features that are set (non-zero) on at least one row, by column name.
	Ranges map[string][2]float64
	// Median time range, ms.
	MedianMS  [2]float64
	Synthetic int // rows that are roofline estimates
}

// Summarize groups a dataset's rows by operator, in operator order.
func Summarize(rows []Row) []OperatorSummary {
	type acc struct {
		s      OperatorSummary
		gpus   map[string]bool
		models map[string]bool
		tps    map[int64]bool
	}
	by := map[string]*acc{}
	for i := range rows {
		r := &rows[i]
		a := by[r.Operator]
		if a == nil {
			a = &acc{s: OperatorSummary{Operator: r.Operator, Ranges: map[string][2]float64{},
				MedianMS: [2]float64{r.MedianMS, r.MedianMS}}, gpus: map[string]bool{}, models: map[string]bool{}, tps: map[int64]bool{}}
			by[r.Operator] = a
		}
		a.s.Rows++
		a.gpus[r.GPU] = true
		a.models[r.Model] = true
		if r.TP > 0 {
			a.tps[r.TP] = true
		}
		if r.Synthetic {
			a.s.Synthetic++
		}
		a.s.MedianMS = [2]float64{min(a.s.MedianMS[0], r.MedianMS), max(a.s.MedianMS[1], r.MedianMS)}
		for _, f := range [...]struct {
			name string
			v    float64
		}{
			{"num_tokens", float64(r.NumTokens)}, {"batch_size", float64(r.BatchSize)},
			{"kv_cache_size", float64(r.KVCacheSize)}, {"prefill_chunk_size", float64(r.PrefillChunkSize)},
			{"hidden_size", float64(r.HiddenSize)}, {"num_experts", float64(r.NumExperts)},
			{"routing_skew", r.RoutingSkew}, {"bytes", float64(r.Bytes)}, {"group_size", float64(r.GroupSize)},
		} {
			if f.v == 0 {
				continue
			}
			if rg, ok := a.s.Ranges[f.name]; ok {
				a.s.Ranges[f.name] = [2]float64{min(rg[0], f.v), max(rg[1], f.v)}
			} else {
				a.s.Ranges[f.name] = [2]float64{f.v, f.v}
			}
		}
	}
	out := make([]OperatorSummary, 0, len(by))
	for _, op := range slices.Sorted(maps.Keys(by)) {
		a := by[op]
		a.s.GPUs = slices.Sorted(maps.Keys(a.gpus))
		a.s.Models = len(a.models)
		a.s.TP = slices.Sorted(maps.Keys(a.tps))
		out = append(out, a.s)
	}
	return out
}

// WriteSummary prints what `llmsim profile inspect` shows: the manifest's identity,
// one line per operator (rows, GPUs, TP degrees, feature and time ranges), and one
// line per source (reader, rows read, kept and dropped by reason).
func (d *Dataset) WriteSummary(w io.Writer) error {
	m := &d.Manifest
	kind := KindMeasured
	if m.Synthetic {
		kind = KindSynthetic + " (roofline estimates, not measurements)"
	}
	fmt.Fprintf(w, "dataset   %s\nid        %s\nschema    %s\ncreated   %s\nrows      %d\nkind      %s\n\n",
		d.Dir, m.DatasetID, m.SchemaVersion, m.CreatedBy, m.Rows, kind)
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "OPERATOR\tROWS\tGPUS\tMODELS\tTP\tMEDIAN MS\tFEATURES")
	for _, s := range Summarize(d.Rows) {
		var feats []string
		for _, k := range slices.Sorted(maps.Keys(s.Ranges)) {
			rg := s.Ranges[k]
			feats = append(feats, fmt.Sprintf("%s %s..%s", k, fmtNum(rg[0]), fmtNum(rg[1])))
		}
		tps := make([]string, len(s.TP))
		for i, tp := range s.TP {
			tps[i] = strconv.FormatInt(tp, 10)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%s\t%s..%s\t%s\n", s.Operator, s.Rows, strings.Join(s.GPUs, ","), s.Models,
			cmp.Or(strings.Join(tps, ","), "-"), fmtNum(s.MedianMS[0]), fmtNum(s.MedianMS[1]), strings.Join(feats, ", "))
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "SOURCE\tREADER\tGPU\tREAD\tKEPT\tDROPPED")
	for _, s := range m.Sources {
		var drops []string
		for _, k := range slices.Sorted(maps.Keys(s.Dropped)) {
			drops = append(drops, fmt.Sprintf("%s %d", k, s.Dropped[k]))
		}
		if s.Error != "" {
			drops = append(drops, "error: "+s.Error)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\n", s.Path, s.Reader, cmp.Or(s.GPU, s.Network, "-"), s.RowsRead, s.RowsKept,
			cmp.Or(strings.Join(drops, ", "), "-"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(m.Unrecognized) > 0 {
		fmt.Fprintf(w, "\n%d files no reader recognised:\n", len(m.Unrecognized))
		for _, u := range m.Unrecognized {
			fmt.Fprintf(w, "  %s\n", u)
		}
	}
	return nil
}

func fmtNum(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) }
