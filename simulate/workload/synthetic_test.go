package workload

import (
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/llmsim/llmsim/internal/shareddata"
	"github.com/llmsim/llmsim/simulate/config"
)

func mustSynthetic(t *testing.T, l LengthGenerator, i IntervalGenerator, n int, dur float64) []Request {
	t.Helper()
	s, err := NewSynthetic(l, i, n, dur)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Collect(s)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSyntheticFixedStatic(t *testing.T) {
	l, _ := NewFixedLengths(2048, 512)
	got := mustSynthetic(t, l, StaticIntervals{}, 3, 0)
	sameRequests(t, got, reqs([3]float64{0, 2048, 512}, [3]float64{0, 2048, 512}, [3]float64{0, 2048, 512}))
}

func TestSyntheticDurationWinsOverNumRequests(t *testing.T) {
	l, _ := NewFixedLengths(10, 2)
	p, _ := NewPoissonIntervals(newRand(7), 5)
	got := mustSynthetic(t, l, p, 3, 100)
	if len(got) < 300 || got[len(got)-1].ArrivedAt >= 100 {
		t.Fatalf("%d requests, last at %g: want about 500 before t=100", len(got), got[len(got)-1].ArrivedAt)
	}
}

func TestSyntheticNeedsAnEnd(t *testing.T) {
	l, _ := NewFixedLengths(10, 2)
	if _, err := NewSynthetic(l, StaticIntervals{}, 0, 0); err == nil {
		t.Fatal("an endless workload was accepted")
	}
	ti, err := NewTraceIntervals("testdata/arrivals.csv", IntervalTraceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := mustSynthetic(t, l, ti, 0, 0)
	if len(got) != len(ti.deltas) {
		t.Fatalf("%d requests from %d intervals", len(got), len(ti.deltas))
	}
}

func TestSyntheticDeterminism(t *testing.T) {
	build := func(seed uint64) []Request {
		rng := newRand(seed)
		l, _ := NewUniformLengths(rng, 1024, 4096, 20)
		i, _ := NewGammaIntervals(rng, 2, 1.5)
		return mustSynthetic(t, l, i, 200, 0)
	}
	a, b, c := build(42), build(42), build(43)
	if !slices.Equal(a, b) {
		t.Fatal("same seed gave different requests")
	}
	if slices.Equal(a, c) {
		t.Fatal("different seeds gave the same requests")
	}
}

func TestLengthGenerators(t *testing.T) {
	rng := newRand(3)
	uniform, _ := NewUniformLengths(rng, 1024, 4096, 20)
	zipf, _ := NewZipfLengths(rng, ZipfParams{MinTokens: 1024, MaxTokens: 4096, Theta: 0.6, PrefillToDecodeRatio: 20})
	scrambled, _ := NewZipfLengths(rng, ZipfParams{MinTokens: 1024, MaxTokens: 4096, Theta: 0.6, Scramble: true, ScrambleSeed: 42, PrefillToDecodeRatio: 20})
	for name, g := range map[string]LengthGenerator{"uniform": uniform, "zipf": zipf, "zipf scrambled": scrambled} {
		const n = 20000
		var sum float64
		minTotal := math.MaxInt
		for range n {
			p, d, ok := g.NextLengths()
			if !ok || p < 1 || d < 1 {
				t.Fatalf("%s: lengths %d, %d, %v", name, p, d, ok)
			}
			total := p + d
			if total < 1023 || total > 4097 {
				t.Fatalf("%s: total %d outside [1024, 4096]", name, total)
			}
			// ratio 20: D is about a 21st of the total.
			if d < total/21-1 || d > total/21+2 {
				t.Fatalf("%s: %d decode tokens of %d", name, d, total)
			}
			sum += float64(total)
			minTotal = min(minTotal, total)
		}
		mean := sum / n
		switch name {
		case "uniform":
			if math.Abs(mean-2560) > 30 {
				t.Errorf("uniform mean total %g, want about 2560", mean)
			}
		case "zipf":
			// Zipf favours the short end: the minimum is the mode.
			if mean > 2400 || minTotal > 1025 {
				t.Errorf("zipf mean total %g, min %d: want skew towards 1024", mean, minTotal)
			}
		}
	}
}

func TestIntervalGenerators(t *testing.T) {
	rng := newRand(11)
	const n = 200000
	p, _ := NewPoissonIntervals(rng, 4)
	g, _ := NewGammaIntervals(rng, 4, 2)
	for name, gen := range map[string]IntervalGenerator{"poisson": p, "gamma": g} {
		var sum, sq, maxDt float64
		for range n {
			dt, ok := gen.NextInterval()
			if !ok || dt < 0 {
				t.Fatalf("%s: interval %g", name, dt)
			}
			sum += dt
			sq += dt * dt
			maxDt = max(maxDt, dt)
		}
		mean := sum / n
		cv := math.Sqrt(sq/n-mean*mean) / mean
		t.Logf("%s: mean %.4f cv %.3f max %.3f", name, mean, cv, maxDt)
		switch name {
		case "poisson":
			// Clamping at 3/qps trims the tail: mean = (1 − e^−3)/qps.
			if maxDt > 0.75 || math.Abs(mean-(1-math.Exp(-3))/4) > 0.003 {
				t.Errorf("poisson: mean %g max %g", mean, maxDt)
			}
		case "gamma":
			if math.Abs(mean-0.25) > 0.005 || math.Abs(cv-2) > 0.08 {
				t.Errorf("gamma: mean %g cv %g, want 0.25 and 2", mean, cv)
			}
		}
	}
}

func TestTraceIntervals(t *testing.T) {
	start, _, _ := parseTimestamp("1970-01-04 12:00:00")
	end, _, _ := parseTimestamp("1970-01-04 15:00:00")
	ti, err := NewTraceIntervals("testdata/arrivals.csv", IntervalTraceOptions{Start: start, End: end, TimeScaleFactor: 2})
	if err != nil {
		t.Fatal(err)
	}
	// Kept: 12:00:01.250, 12:00:01.900, 12:00:05.100 → whole seconds 0, 0, 3 → ×2 → gaps 0, 6.
	if !slices.Equal(ti.deltas, []float64{0, 6}) {
		t.Fatalf("deltas %v, want [0 6]", ti.deltas)
	}
	_, err = ReadTraceIntervals(strings.NewReader("arrival_time\n1970-01-04 12:00:02\n1970-01-04 12:00:01\n"), "a.csv", IntervalTraceOptions{})
	if err == nil || !strings.Contains(err.Error(), "a.csv:3: column arrival_time") {
		t.Fatalf("unsorted arrivals: error %v", err)
	}
}

func TestTraceLengthsCapProportionally(t *testing.T) {
	g, err := ReadTraceLengths(newRand(1), strings.NewReader("num_prefill_tokens,num_decode_tokens,pd_ratio\n3000,2000,1.5\n10,0,x\n"), "l.csv", LengthTraceOptions{MaxTokens: 4096})
	if err != nil {
		t.Fatal(err)
	}
	var got [][2]int
	for {
		p, d, ok := g.NextLengths()
		if !ok {
			break
		}
		got = append(got, [2]int{p, d})
	}
	slices.SortFunc(got, func(a, b [2]int) int { return a[0] - b[0] })
	// 5000 > 4096 by 904: prompt loses ceil(904·0.6) = 543, decode ceil(904·0.4) = 362.
	if want := [][2]int{{10, 1}, {2457, 1638}}; !slices.Equal(got, want) {
		t.Fatalf("lengths %v, want %v", got, want)
	}
}

func TestTraceLengthsRealArxiv(t *testing.T) {
	p := shareddata.Path(t, "vidur/processed_traces/arxiv_summarization_stats_llama2_tokenizer_filtered_v2.csv")
	g, err := NewTraceLengths(newRand(42), p, LengthTraceOptions{MaxTokens: 4096})
	if err != nil {
		t.Fatal(err)
	}
	if g.Len() != 28257 {
		t.Errorf("%d rows, want 28257", g.Len())
	}
}

func TestFromConfig(t *testing.T) {
	c := config.Default().RequestGenerator
	s, err := FromConfig(c, newRand(42))
	if err != nil {
		t.Fatal(err)
	}
	got, err := Collect(s)
	if err != nil || len(got) != c.Synthetic.NumRequests {
		t.Fatalf("default config: %d requests, err %v", len(got), err)
	}

	c.Type = config.GeneratorTraceReplay
	c.TraceReplay.TraceFile = filepath.Join("testdata", "vidur.csv")
	c.TraceReplay.MaxTokens = 4096
	s, err = FromConfig(c, newRand(42))
	if err != nil {
		t.Fatal(err)
	}
	got, err = Collect(s)
	if err != nil || len(got) != 4 || got[2].NumPrefillTokens != 4076 {
		t.Fatalf("trace replay: %v, err %v", got, err)
	}

	c.TraceReplay.TraceFile = filepath.Join(t.TempDir(), "missing.csv")
	if _, err := FromConfig(c, newRand(42)); err == nil {
		t.Fatal("missing trace accepted")
	}

	c = config.Default().RequestGenerator
	c.Synthetic.IntervalGenerator.Type = config.IntervalTrace
	c.Synthetic.IntervalGenerator.Trace = config.TraceIntervalConfig{TraceFile: "testdata/arrivals.csv", StartTime: "1970-01-04 12:00:00", EndTime: "1970-01-04 15:00:00", TimeScaleFactor: 1}
	c.Synthetic.NumRequests = 0
	s, err = FromConfig(c, newRand(42))
	if err != nil {
		t.Fatal(err)
	}
	if got, err = Collect(s); err != nil || len(got) != 2 || got[1].ArrivedAt != 3 {
		t.Fatalf("trace intervals: %v, err %v", got, err)
	}
}

func TestParseTimestamp(t *testing.T) {
	tests := []struct {
		in    string
		aware bool
		ns    int
	}{
		{"2023-11-16 18:15:46.6805900", false, 680590000},
		{"2024-05-10 00:00:00.009930+00:00", true, 9930000},
		{"2024-05-10T00:00:00Z", true, 0},
		{"1970-01-04 12:00:00", false, 0},
	}
	for _, tc := range tests {
		ts, aware, err := parseTimestamp(tc.in)
		if err != nil || aware != tc.aware || ts.Nanosecond() != tc.ns || ts.Location() != time.UTC && !aware {
			t.Errorf("parseTimestamp(%q) = %v, %v, %v", tc.in, ts, aware, err)
		}
	}
}
