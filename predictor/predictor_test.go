package predictor

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/llmsim/llmsim/internal/shareddata"
	"github.com/llmsim/llmsim/train"
)

// smallTables is a synthetic table set: every token op costs n·1e-3 ms for n tokens
// (up to 64), decode b·(kv+1)·1e-4, prefill (kv+c)·1e-4.
func smallTables() *Tables {
	t := &Tables{KVStep: 64, Limits: Limits{MaxTokens: 64, MaxBatchSize: 4, MaxKV: 128, MaxChunk: 64, KVGranularity: 64}, Source: "test"}
	for op := TokenOp(0); op < numTokenOps; op++ {
		t.Token[op] = make([]float64, 65)
		for n := 1; n <= 64; n++ {
			t.Token[op][n] = float64(n) * 1e-3
		}
	}
	t.DecodeRows, t.DecodeKVCols = 4, 3
	for b := 1; b <= 4; b++ {
		for c := 0; c < 3; c++ {
			t.Decode = append(t.Decode, float64(b)*float64(c*64+1)*1e-4)
		}
	}
	t.PrefillKVRows, t.PrefillChunks = 3, 64
	for r := 0; r < 3; r++ {
		for c := 1; c <= 64; c++ {
			t.Prefill = append(t.Prefill, float64(r*64+c)*1e-4)
		}
	}
	return t
}

func TestPredictLookupKeys(t *testing.T) {
	tests := []struct {
		name  string
		shape func() Shape
		cfg   Config
		want  float64 // last-stage total, seconds
	}{
		{
			name:  "one prefill chunk of 5 tokens",
			shape: func() Shape { var s Shape; s.AddPrefill(0, 5, 64); return s },
			cfg:   Config{LayersPerStage: 2, NumStages: 1, TensorParallel: 1, PostAttnNorm: true},
			// T8 = 8: 9 token ops at 8e-3 ms (kv save is unrounded: 5e-3) + prefill (0+5)e-4.
			want: ((8e-3 + 8e-3 + 8e-3 + 5e-3 + 0 + 5e-4 + 8e-3) + (8e-3 + 8e-3 + 8e-3 + 8e-3) + 8e-3) * 2 * 1e-3,
		},
		{
			name: "two decodes use the mean kv rounded up and no GQA overhead",
			shape: func() Shape {
				var s Shape
				s.AddDecode(10)
				s.AddDecode(100)
				return s
			},
			cfg:  Config{LayersPerStage: 1, NumStages: 1, TensorParallel: 1, DecodeBatchingOverhead: 0},
			want: ((8e-3 + 8e-3 + 8e-3 + 2e-3 + 2*65e-4 + 0 + 8e-3) + (8e-3 + 8e-3 + 8e-3 + 0) + 8e-3) * 1e-3,
		},
		{
			name: "GQA overhead applies to batched decodes",
			shape: func() Shape {
				var s Shape
				s.AddDecode(10)
				s.AddDecode(100)
				return s
			},
			cfg:  Config{LayersPerStage: 1, NumStages: 1, TensorParallel: 1, DecodeBatchingOverhead: 0.1},
			want: ((8e-3 + 8e-3 + 8e-3 + 2e-3 + 2*65e-4*(1+0.1) + 0 + 8e-3) + (8e-3 + 8e-3 + 8e-3 + 0) + 8e-3) * 1e-3,
		},
		{
			name: "two prefills: Σ ceil64 kv and round(√Σc²)",
			shape: func() Shape {
				var s Shape
				s.AddPrefill(1, 3, 64)  // kv 64
				s.AddPrefill(64, 4, 64) // kv 64; √(9+16) = 5
				return s
			},
			cfg:  Config{LayersPerStage: 1, NumStages: 1, TensorParallel: 1},
			want: ((8e-3 + 8e-3 + 8e-3 + 7e-3 + 0 + (128+5)*1e-4 + 8e-3) + (8e-3 + 8e-3 + 8e-3 + 0) + 8e-3) * 1e-3,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := New(smallTables(), tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			s := tc.shape()
			last, _, err := p.Predict(&s)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(last.Total-tc.want) > 1e-15 {
				t.Errorf("total %v, want %v", last.Total, tc.want)
			}
			if sum := last.Attention + last.MLP + last.Comm + last.Other; math.Abs(sum-last.Total) > 1e-15 {
				t.Errorf("split sums to %v, total %v", sum, last.Total)
			}
		})
	}
}

func TestPredictOutsideGrid(t *testing.T) {
	var s Shape
	s.AddPrefill(0, 60, 64)
	s.AddPrefill(0, 60, 64) // 120 tokens > MaxTokens 64
	strict, err := New(smallTables(), Config{LayersPerStage: 1, NumStages: 1, TensorParallel: 1, Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = strict.Predict(&s)
	var ke *KeyError
	if !errors.As(err, &ke) || !strings.Contains(err.Error(), "KeyError") {
		t.Fatalf("strict: err = %v, want a KeyError", err)
	}
	lax, _ := New(smallTables(), Config{LayersPerStage: 1, NumStages: 1, TensorParallel: 1})
	if _, _, err := lax.Predict(&s); err != nil {
		t.Fatalf("clamping: %v", err)
	}
	if lax.Clamped == 0 {
		t.Error("clamped lookups not counted")
	}
}

func TestNewRejectsMissingComm(t *testing.T) {
	tb := smallTables()
	tb.Token[AllReduce] = nil
	if _, err := New(tb, Config{LayersPerStage: 1, NumStages: 1, TensorParallel: 2}); err == nil {
		t.Error("TP 2 without an all_reduce table accepted")
	}
}

// TestVidurTablesReferenceBatches checks the first two batches of Vidur's
// v1_sarathi512_1rep case against the times in its chrome trace.
func TestVidurTablesReferenceBatches(t *testing.T) {
	dir := shareddata.Path(t, "vidur_reference/predictions/a100_llama-2-7b_tp1")
	tb, err := LoadVidurTables(dir, VidurLimits(false))
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(tb, Config{LayersPerStage: 32, NumStages: 1, TensorParallel: 1, PostAttnNorm: true, Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	var prefill, decode Shape
	prefill.AddPrefill(0, 374, 64)
	decode.AddDecode(375)
	for _, tc := range []struct {
		s    Shape
		want float64
	}{{prefill, 0.02488053832163652}, {decode, 0.009601405141702733}} {
		got, _, err := p.Predict(&tc.s)
		if err != nil {
			t.Fatal(err)
		}
		if got.Total != tc.want {
			t.Errorf("%+v: %v s, Vidur %v s", tc.s, got.Total, tc.want)
		}
	}
}

// gridSource serves Tables back as train grids, the layout train writes.
type gridSource map[string]*train.Grid

func (g gridSource) Ops() []string {
	var ops []string
	for k := range g {
		ops = append(ops, k)
	}
	return ops
}

func (g gridSource) Grid(op string) (*train.Grid, error) {
	if x, ok := g[op]; ok {
		return x, nil
	}
	return nil, errors.New("no grid " + op)
}

func asGrids(tb *Tables) gridSource {
	src := gridSource{}
	for op := TokenOp(0); op < numTokenOps; op++ {
		if tb.Token[op] == nil {
			continue
		}
		var axis []float64
		for n := 1; n < len(tb.Token[op]); n++ {
			axis = append(axis, float64(n))
		}
		src[op.String()] = &train.Grid{Op: op.String(), Features: []string{"num_tokens"}, Axes: [][]float64{axis}, Median: tb.Token[op][1:]}
	}
	var b, kv, ch []float64
	for i := 1; i <= tb.DecodeRows; i++ {
		b = append(b, float64(i))
	}
	for i := 0; i < tb.DecodeKVCols; i++ {
		kv = append(kv, float64(i*tb.KVStep))
	}
	src[OpAttnDecode] = &train.Grid{Op: OpAttnDecode, Features: []string{"batch_size", "kv_cache_size"}, Axes: [][]float64{b, kv}, Median: tb.Decode}
	kv = nil
	for i := 0; i < tb.PrefillKVRows; i++ {
		kv = append(kv, float64(i*tb.KVStep))
	}
	for i := 1; i <= tb.PrefillChunks; i++ {
		ch = append(ch, float64(i))
	}
	src[OpAttnPrefill] = &train.Grid{Op: OpAttnPrefill, Features: []string{"kv_cache_size", "prefill_chunk_size"}, Axes: [][]float64{kv, ch}, Median: tb.Prefill}
	return src
}

// TestFromGridsMatchesTables checks that the artifact backend, given grids on the
// simulator's lattice, predicts exactly what the table backend does.
func TestFromGridsMatchesTables(t *testing.T) {
	tb := smallTables()
	tb.Token[AllReduce], tb.Token[SendRecv] = nil, nil
	gt, err := FromGrids(asGrids(tb), "grids", tb.Limits, CommSetup{HiddenSize: 16, TensorParallel: 1, PipelineStages: 1})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{LayersPerStage: 3, NumStages: 1, TensorParallel: 1, PostAttnNorm: true}
	a, _ := New(tb, cfg)
	b, _ := New(gt, cfg)
	for kv := 0; kv < 128; kv += 7 {
		for c := 1; c <= 40; c += 3 {
			var s Shape
			s.AddPrefill(kv, c, 64)
			s.AddDecode(kv + 1)
			x, _, _ := a.Predict(&s)
			y, _, _ := b.Predict(&s)
			if x != y {
				t.Fatalf("kv %d chunk %d: tables %+v, grids %+v", kv, c, x, y)
			}
		}
	}
}

func TestFromGridsInterpolates(t *testing.T) {
	g := &train.Grid{Op: "x", Features: []string{"num_tokens"}, Axes: [][]float64{{1, 11}}, Median: []float64{1, 2}}
	gr, err := newGrid("test", g)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ x, want float64 }{{1, 1}, {6, 1.5}, {11, 2}, {50, 2}, {0, 1}} {
		got, err := gr.at(map[string]float64{"num_tokens": tc.x})
		if err != nil || math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("at(%v) = %v, %v; want %v", tc.x, got, err, tc.want)
		}
	}
}

func FuzzParseNumericCSV(f *testing.F) {
	f.Add("num_tokens,prediction\n1,0.0020000000000000013\n2,0.002\n")
	f.Add("batch_size,kv_cache_size,prediction\n1,0,0.013131999999999932\n1,64,0.01318799999999993\n")
	f.Add("kv_cache_size,prefill_chunk_size_squared,prediction\n0,1,0.02335199999999996\r\n")
	f.Add("a,b\n1\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		tb, err := parseNumericCSV("fuzz.csv", strings.NewReader(s))
		if err != nil {
			return
		}
		if len(tb.data)%len(tb.header) != 0 {
			t.Fatalf("%d values do not make whole rows under a header of %d", len(tb.data), len(tb.header))
		}
	})
}

// TestFromGridsExtrapolatesLargeCollectives: an all-reduce larger than the largest
// profiled message is priced at that message's bandwidth (time ∝ bytes), not held at its
// time, and the tables say so.
func TestFromGridsExtrapolatesLargeCollectives(t *testing.T) {
	tb := smallTables()
	src := asGrids(tb)
	// Profiled up to 16 tokens' worth of bytes (hidden 16 × 2 B): 512 B at 1 ms.
	src[AllReduce.String()] = &train.Grid{Op: AllReduce.String(),
		Features: []string{"bytes", "group_size", "ranks_per_node"},
		Axes:     [][]float64{{32, 512}, {2}, {2}}, Median: []float64{0.5, 1}}
	gt, err := FromGrids(src, "grids", tb.Limits, CommSetup{HiddenSize: 16, TensorParallel: 2, PipelineStages: 1, GPUsPerNode: 8})
	if err != nil {
		t.Fatal(err)
	}
	ar := gt.Token[AllReduce]
	if ar[16] != 1 {
		t.Errorf("16 tokens (512 B, the largest profiled): %v ms, want 1", ar[16])
	}
	if want := 1 * 64.0 / 16; ar[64] != want {
		t.Errorf("64 tokens (2048 B): %v ms, want %v (bandwidth of the largest message)", ar[64], want)
	}
	if len(gt.OutOfDomain) != 1 || !strings.Contains(gt.OutOfDomain[0], "all_reduce") {
		t.Errorf("OutOfDomain = %q, want one all_reduce note", gt.OutOfDomain)
	}
}
