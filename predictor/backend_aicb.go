package predictor

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/llmsim/llmsim/profile"
)

// AICBKey is the parallel layout an AICB layer table was generated for; it is part of
// the table's file name, vidur-<Model>-world_size<W>-tp<T>-pp<P>-ep<E>-bs<B>-seq<S>-<phase>.csv.
type AICBKey struct {
	Model                 string // AICB's name: DeepSeek-671B, Qwen3-Moe-235B, Qwen3-Next-80B
	WorldSize, TP, PP, EP int
}

// AICBModelName returns AICB's name of a catalog model family, or "" when AICB has no
// layer tables for it.
func AICBModelName(family string) string {
	switch family {
	case "deepseek_v3":
		return "DeepSeek-671B"
	case "qwen3_moe":
		return "Qwen3-Moe-235B"
	case "qwen3_next":
		return "Qwen3-Next-80B"
	}
	return ""
}

// AICBModel is the aicb backend: a stage's time from AICB's per-layer tables (AIOB
// compute per layer, and the bytes each layer communicates), one table per phase,
// batch size and sequence length, interpolated linearly in the sequence length between
// generated tables as vidur-alibabacloud does.
//
// Units: comp_time is nanoseconds, so a layer takes comp_time·1e-9 s. vidur-alibabacloud
// multiplies the sum by 1e-3 once more, making AICB compute 1000× too small; ForkUnits
// reproduces that (--compat vidur-alibabacloud).
type AICBModel struct {
	Key    AICBKey
	Dir    string
	curves map[aicbCurveKey][]aicbPoint
	// Comm times the layers' collectives: MoE dispatch+combine as an all_to_all over the
	// EP group, attention/MLP comm_size as a TP all_reduce. With ForkUnits the MoE bytes
	// go over ForkRDMABytesPerSecond and TP comm is ignored, as in the fork.
	Comm                   CommModel
	GPUsPerNode            int
	ForkUnits              bool
	ForkRDMABytesPerSecond float64
	// ForceBS1 uses the batch-size-1 tables for every batch (--aicb_force_bs1).
	ForceBS1 bool
}

type aicbCurveKey struct {
	prefill bool
	bs      int
}

// aicbPoint is one layer table summed: compute seconds per kind and comm bytes.
type aicbPoint struct {
	seq               int
	attn, mlp, moe    float64 // seconds
	tpBytes, moeBytes float64 // summed over the table's layers
	// tpLayers and moeLayers count the layer rows that carry those bytes: each row is
	// one collective, and a collective pays its latency once, so the sums are priced
	// per layer, not as one message.
	tpLayers, moeLayers int
}

// LoadAICB reads every layer table of key in dir (AICB's results/workload folder).
func LoadAICB(dir string, key AICBKey) (*AICBModel, error) {
	prefix := fmt.Sprintf("vidur-%s-world_size%d-tp%d-pp%d-ep%d-", key.Model, key.WorldSize, key.TP, key.PP, key.EP)
	want := prefix + "bs<B>-seq<S>-{prefill,decode}.csv"
	files, err := filepath.Glob(filepath.Join(dir, prefix+"bs*-seq*-*.csv"))
	if err != nil {
		return nil, fmt.Errorf("predictor: aicb: %w", err)
	}
	if len(files) == 0 {
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("predictor: aicb: AICB layer-table folder %s does not exist (it is <simai_dir>/aicb/results/workload; AICB's Vidur_workload_generator writes %s there; see docs/comm.md)", dir, want)
		}
		return nil, fmt.Errorf("predictor: aicb: no AICB layer table %s in %s (generate it with AICB's Vidur_workload_generator; see docs/comm.md)", want, dir)
	}
	m := &AICBModel{Key: key, Dir: dir, curves: map[aicbCurveKey][]aicbPoint{}}
	for _, path := range files {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("predictor: aicb: %w", err)
		}
		res, err := profile.AICBLayerTableReader.Read(profile.Source{Name: filepath.Base(path), R: f}, profile.Options{})
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("predictor: aicb: %w", err)
		}
		if len(res.Rows) == 0 {
			return nil, fmt.Errorf("predictor: aicb: %s has no layers", path)
		}
		var p aicbPoint
		var ck aicbCurveKey
		for i, r := range res.Rows {
			if i == 0 {
				ck = aicbCurveKey{prefill: r.IsPrefill, bs: int(r.BatchSize)}
				if _, err := fmt.Sscan(extraValue(r.Extra, "seq"), &p.seq); err != nil {
					return nil, fmt.Errorf("predictor: aicb: %s: no sequence length in the file name", path)
				}
			}
			s := r.MedianMS * 1e-3 // the reader gives comp_time (ns) in ms
			switch r.Operator {
			case "attention":
				p.attn += s
				p.tpBytes += float64(r.Bytes)
				p.tpLayers += min(1, int(r.Bytes))
			case "mlp":
				p.mlp += s
				p.tpBytes += float64(r.Bytes)
				p.tpLayers += min(1, int(r.Bytes))
			case "moe":
				p.moe += s
				p.moeBytes += float64(r.Bytes)
				p.moeLayers += min(1, int(r.Bytes))
			default:
				return nil, fmt.Errorf("predictor: aicb: %s: unknown layer kind %q (want attention, mlp or moe)", path, r.Operator)
			}
		}
		m.curves[ck] = append(m.curves[ck], p)
	}
	for k, c := range m.curves {
		sort.Slice(c, func(i, j int) bool { return c[i].seq < c[j].seq })
		m.curves[k] = c
	}
	return m, nil
}

// stage returns the time of one phase of a batch on one of stages pipeline stages: bs
// requests of seq tokens each (prefill) or of seq context tokens each (decode), and
// whether seq lay outside the generated tables' sequence lengths (held at the nearest).
func (m *AICBModel) stage(prefill bool, bs, seq, stages int) (t Times, clamped bool, err error) {
	if m.ForceBS1 {
		bs = 1
	}
	c := m.curves[aicbCurveKey{prefill, bs}]
	if len(c) == 0 {
		phase := "decode"
		if prefill {
			phase = "prefill"
		}
		var have []string
		for k := range m.curves {
			if k.prefill == prefill {
				have = append(have, fmt.Sprint(k.bs))
			}
		}
		slices.Sort(have)
		return Times{}, false, fmt.Errorf("predictor: aicb: no layer table vidur-%s-world_size%d-tp%d-pp%d-ep%d-bs%d-seq*-%s.csv in %s (batch sizes there: %s; --random_forrest_execution_time_predictor_config_aicb_force_bs1 uses bs1)",
			m.Key.Model, m.Key.WorldSize, m.Key.TP, m.Key.PP, m.Key.EP, bs, phase, m.Dir, strings.Join(have, ", "))
	}
	var p aicbPoint
	j := sort.Search(len(c), func(i int) bool { return c[i].seq >= seq })
	switch {
	case j < len(c) && c[j].seq == seq:
		p = c[j]
	case j == 0 || j == len(c):
		clamped = true
		p = c[min(j, len(c)-1)]
	default:
		a, b := c[j-1], c[j]
		w := float64(seq-a.seq) / float64(b.seq-a.seq)
		lerp := func(x, y float64) float64 { return x + w*(y-x) }
		p = aicbPoint{seq: seq, attn: lerp(a.attn, b.attn), mlp: lerp(a.mlp, b.mlp), moe: lerp(a.moe, b.moe), tpBytes: lerp(a.tpBytes, b.tpBytes), moeBytes: lerp(a.moeBytes, b.moeBytes),
			tpLayers: max(a.tpLayers, b.tpLayers), moeLayers: max(a.moeLayers, b.moeLayers)}
	}
	var comm, dispatch float64
	if m.ForkUnits {
		comm = p.moeBytes / m.ForkRDMABytesPerSecond
		dispatch = comm
	} else if m.Comm != nil {
		perNode := m.GPUsPerNode
		if perNode <= 0 {
			perNode = m.Key.TP
		}
		// layers collectives of bytes/layers each.
		perLayer := func(c Collective, bytes float64, layers int, g Group) (float64, error) {
			if bytes <= 0 {
				return 0, nil
			}
			layers = max(layers, 1)
			t, err := m.Comm.CollectiveTime(c, bytes/float64(layers), g)
			return float64(layers) * t.Seconds, err
		}
		var err error
		if dispatch, err = perLayer(CollAllToAll, p.moeBytes, p.moeLayers, Group{Kind: GroupEP, Size: m.Key.EP, RanksPerNode: min(m.Key.EP, perNode)}); err != nil {
			return Times{}, false, err
		}
		comm = dispatch
		if m.Key.TP > 1 {
			ar, err := perLayer(CollAllReduce, p.tpBytes, p.tpLayers, Group{Kind: GroupTP, Size: m.Key.TP, RanksPerNode: min(m.Key.TP, perNode)})
			if err != nil {
				return Times{}, false, err
			}
			comm += ar
		}
	}
	scale := 1 / float64(stages) // the tables hold the whole model's layers
	if m.ForkUnits {
		scale *= 1e-3
	}
	t = Times{Attention: p.attn * scale, MLP: (p.mlp + p.moe) * scale, MoE: p.moe * scale, Comm: comm * scale, Dispatch: dispatch * scale}
	t.Total = t.Attention + t.MLP + t.Comm
	t.Model = t.Total
	return t, clamped, nil
}

// predictAICB prices a batch from the AICB tables: the prefills as one batch of their
// summed tokens (bs 1, as AICB's prefill tables are), the decodes as DecodeCount
// requests of their mean context.
func (p *Predictor) predictAICB(s *Shape) (last, inner Times, err error) {
	m := p.cfg.AICB
	add := func(t Times) {
		last.Attention += t.Attention
		last.MLP += t.MLP
		last.MoE += t.MoE
		last.Comm += t.Comm
		last.Dispatch += t.Dispatch
		last.Total += t.Total
		last.Model += t.Model
	}
	if s.PrefillCount > 0 {
		t, clamped, err := m.stage(true, 1, s.NumTokens-s.DecodeCount, p.cfg.NumStages)
		if err != nil {
			return last, inner, err
		}
		if clamped {
			p.Clamped++
		}
		add(t)
	}
	if s.DecodeCount > 0 {
		t, clamped, err := m.stage(false, s.DecodeCount, s.DecodeKVSum/s.DecodeCount, p.cfg.NumStages)
		if err != nil {
			return last, inner, err
		}
		if clamped {
			p.Clamped++
		}
		add(t)
	}
	inner = last
	if p.cfg.NumStages > 1 && p.t.Token[SendRecv] != nil {
		pp, err := p.token(SendRecv, ceilTo(s.NumTokens, 8))
		if err != nil {
			return last, inner, err
		}
		inner.Comm += pp * 1e-3
		inner.Total += pp * 1e-3
		inner.Model += pp * 1e-3
	}
	return last, inner, nil
}

// AICBTables are the tables of the aicb backend: no operator tables (AICB gives whole
// layers), the KV granularity, and the TP and PP collectives from comm, which predictor
// assembly needs for pipeline stages.
func AICBTables(m *AICBModel, comm CommModel, c CommSetup, limits Limits) (*Tables, error) {
	t := &Tables{KVStep: limits.KVGranularity, Limits: limits, AICB: m, Source: "aicb " + m.Dir}
	out, _, err := WithComm(t, comm, c)
	if err != nil {
		return nil, err
	}
	out.Source = t.Source
	return out, nil
}
