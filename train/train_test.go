package train

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/llmsim/llmsim/profile"
)

func smallOptions() Options {
	return Options{
		Selection: Selection{GPU: "a100", TP: 1, BlockSize: 16},
		Predictor: "auto", Grid: SmallGrid(42), Folds: 10, Ranges: DefaultRanges(), Seed: 42, Workers: 2,
	}
}

func TestTrainArtifactByteIdentical(t *testing.T) {
	rows := llama2A100Rows(t)
	in := Input{Rows: rows, Datasets: []DatasetRef{{ID: "test", Rows: len(rows)}}}
	var dirs []string
	for i, workers := range []int{1, 2} {
		opt := smallOptions()
		opt.Workers = workers
		res, err := Train(in, llama2_7b, opt)
		if err != nil {
			t.Fatal(err)
		}
		dir, err := WriteArtifact(filepath.Join(t.TempDir(), "models", string(rune('a'+i))), res)
		if err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, dir)
	}
	if filepath.Base(dirs[0]) != filepath.Base(dirs[1]) {
		t.Fatalf("versions differ: %s, %s", dirs[0], dirs[1])
	}
	names, _ := filepath.Glob(filepath.Join(dirs[0], "*"))
	for _, n := range names {
		if filepath.Base(n) == TrainingFile {
			continue
		}
		a, _ := os.ReadFile(n)
		b, err := os.ReadFile(filepath.Join(dirs[1], filepath.Base(n)))
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("%s differs between retrains (%v)", filepath.Base(n), err)
		}
	}
	a, err := OpenArtifact(dirs[0], "")
	if err != nil {
		t.Fatal(err)
	}
	wantOps := append(slices.Clone(denseOps), "attn_kv_cache_save", "attn_prefill", "attn_decode")
	if got := a.Ops(); !sameSet(got, wantOps) {
		t.Errorf("ops %v, want %v", got, wantOps)
	}
	for _, rec := range a.Manifest.Operators {
		if rec.Op == "attn_kv_cache_save" {
			if rec.Kind != KindAbsent {
				t.Errorf("attn_kv_cache_save kind %s, want absent (the sample has no such column)", rec.Kind)
			}
			continue
		}
		if len(rec.CV) != 3 || rec.Rows == 0 {
			t.Errorf("%s: %d kinds scored on %d rows", rec.Op, len(rec.CV), rec.Rows)
		}
	}
	g, err := a.Grid("attn_prefill")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(g.Axes[0]) * len(g.Axes[1]); n != 65*4096 || len(g.Median) != n {
		t.Errorf("prefill grid %d×%d, %d values", len(g.Axes[0]), len(g.Axes[1]), len(g.Median))
	}
	// Found by id prefix and by version name.
	root := filepath.Dir(filepath.Dir(filepath.Dir(filepath.Dir(dirs[0]))))
	for _, key := range []string{a.Manifest.ID[:10], a.Manifest.Version()} {
		if b, err := OpenArtifact(key, root); err != nil || b.Dir != a.Dir {
			t.Errorf("OpenArtifact(%q): %v", key, err)
		}
	}
	if es, err := FindArtifacts(root, "a100", llama2_7b.Name); err != nil || len(es) != 1 {
		t.Errorf("FindArtifacts: %d entries, %v", len(es), err)
	}

	// A changed operator file is a clear error.
	f := filepath.Join(dirs[0], opFileName("mlp_act"))
	data, _ := os.ReadFile(f)
	data[len(data)/2] ^= 0xff
	if err := os.WriteFile(f, data, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = OpenArtifact(dirs[0], "")
	if err == nil || !strings.Contains(err.Error(), "mlp_act.grid.zst") || !strings.Contains(err.Error(), "changed after training") {
		t.Errorf("corrupted file: err = %v", err)
	}
	// So is an edited manifest.
	man := filepath.Join(dirs[1], ManifestFile)
	mb, _ := os.ReadFile(man)
	os.WriteFile(man, bytes.Replace(mb, []byte(`"seed": 42`), []byte(`"seed": 43`), 1), 0o644)
	if _, err := OpenArtifact(dirs[1], ""); err == nil || !strings.Contains(err.Error(), "manifest was edited") {
		t.Errorf("edited manifest: err = %v", err)
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func TestTrainErrors(t *testing.T) {
	rows := llama2A100Rows(t)
	for _, tc := range []struct {
		name string
		rows []profile.Row
		mod  func(*Options)
		want []string
	}{
		{"missing operator", slices.DeleteFunc(slices.Clone(rows), func(r profile.Row) bool { return r.Operator == "attn_decode" }),
			nil, []string{"attn_decode", "no rows"}},
		{"no tp 3", rows, func(o *Options) { o.TP = 3 }, []string{"attn_pre_proj", "tp = 3", "1, 2, 4, 8"}},
		{"wrong gpu", rows, func(o *Options) { o.GPU = "h100" }, []string{"gpu = h100", "a100"}},
		{"nan target", func() []profile.Row {
			r := slices.Clone(rows)
			r[5].MedianMS = math.NaN()
			return r
		}(), nil, []string{"mlp.csv:", "median_ms is NaN"}},
		{"bad predictor", rows, func(o *Options) { o.Predictor = "svm" }, []string{"unknown predictor"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opt := smallOptions()
			opt.Predictor = "linear" // the errors come before any fitting; keep it fast
			if tc.mod != nil {
				tc.mod(&opt)
			}
			_, err := Train(Input{Rows: tc.rows}, llama2_7b, opt)
			if err == nil {
				t.Fatal("want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestEmptyFilterNamesKey(t *testing.T) {
	rows := llama2A100Rows(t)
	m := llama2_7b
	m.NumKVHeads = 8
	_, err := selectRows(rows, OpSpec{Op: "attn_decode", class: classDecode}, m, Selection{GPU: "a100", TP: 1})
	if err == nil || !strings.Contains(err.Error(), "num_kv_heads = 8") || !strings.Contains(err.Error(), "32") {
		t.Errorf("err = %v", err)
	}
}

// TestSelectionPicksSensibly: a table that is exactly a line is won by the linear
// kind; a step function by a kind that can represent steps.
func TestSelectionPicksSensibly(t *testing.T) {
	line := &table{}
	step := &table{}
	for i := 1; i <= 200; i++ {
		x := float64(i * 8)
		line.x = append(line.x, []float64{x})
		line.y = append(line.y, 0.01+0.001*x)
		step.x = append(step.x, []float64{x})
		step.y = append(step.y, 0.05+0.5*float64(i/50))
	}
	cfg := searchConfig{kinds: []Kind{KindForest, KindLinear, KindInterp}, grid: SmallGrid(1), k: 10, workers: 2}
	cfg.fold = interleavedFolds(200, 10)
	for _, tc := range []struct {
		name string
		t    *table
		want []Kind
	}{
		{"line", line, []Kind{KindLinear}},
		{"step", step, []Kind{KindForest, KindInterp}},
	} {
		rs, err := crossValidate(tc.t, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if got := rs[best(rs)].Kind; !slices.Contains(tc.want, got) {
			t.Errorf("%s: picked %s (%+v), want one of %v", tc.name, got, rs, tc.want)
		}
	}
}

func TestInterpExactOnTrainingPoints(t *testing.T) {
	rows := llama2A100Rows(t)
	for _, spec := range Operators(llama2_7b) {
		if spec.Op != "attn_decode" && spec.Op != "attn_prefill" && spec.Op != "mlp_up_proj" {
			continue
		}
		tb, err := selectRows(rows, spec, llama2_7b, Selection{GPU: "a100", TP: 1})
		if err != nil {
			t.Fatal(err)
		}
		m, err := FitInterp(tb.x, tb.y)
		if err != nil {
			t.Fatal(err)
		}
		// Average duplicates the way FitInterp does, then demand exact answers.
		want := map[string][]float64{}
		for i, x := range tb.x {
			want[fmt.Sprint(x)] = append(want[fmt.Sprint(x)], tb.y[i])
		}
		for i, x := range tb.x {
			v, ood := m.PredictDomain(x)
			w := want[fmt.Sprint(x)]
			if ood || math.Abs(v-mean(w)) > 1e-12*math.Abs(mean(w)) {
				t.Fatalf("%s row %d %v: interp %v (ood %v), measured %v", spec.Op, i, x, v, ood, w)
			}
		}
		if _, ood := m.PredictDomain(slices.Repeat([]float64{1e9}, len(tb.x[0]))); !ood {
			t.Errorf("%s: a query far outside is not flagged out of domain", spec.Op)
		}
	}
}

func formatFloat(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }

func TestPolyRecoversPolynomial(t *testing.T) {
	var x [][]float64
	var y []float64
	for i := 1; i <= 50; i++ {
		v := float64(i * 80)
		x = append(x, []float64{v})
		y = append(y, 0.02+3e-4*v+2e-8*v*v)
	}
	for _, p := range VidurPolyGrid() {
		if p.Degree < 2 || p.InteractionOnly || (!p.IncludeBias && !p.FitIntercept) {
			continue
		}
		m, err := FitPoly(x, y, p)
		if err != nil {
			t.Fatal(err)
		}
		for i := range x {
			if got := m.Predict(x[i]); math.Abs(got-y[i]) > 1e-9 {
				t.Fatalf("%+v: Predict(%v) = %v, want %v", p, x[i][0], got, y[i])
			}
		}
	}
}

func TestFolds(t *testing.T) {
	if got, want := contiguousFolds(7, 3), []int{0, 0, 0, 1, 1, 2, 2}; !slices.Equal(got, want) {
		t.Errorf("contiguousFolds(7,3) = %v, want %v", got, want)
	}
	if got, want := interleavedFolds(5, 2), []int{0, 1, 0, 1, 0}; !slices.Equal(got, want) {
		t.Errorf("interleavedFolds(5,2) = %v, want %v", got, want)
	}
	if foldCount(5, 10) != 2 || foldCount(50, 10) != 10 {
		t.Error("foldCount does not follow Vidur's rule")
	}
	for _, tc := range []struct{ y, p, want float64 }{{0, 0, 0}, {0, 1, 100}, {2, 1, 50}, {-2, -1, 50}} {
		if got := ape(tc.y, tc.p); got != tc.want {
			t.Errorf("ape(%v, %v) = %v, want %v", tc.y, tc.p, got, tc.want)
		}
	}
}

// TestReportLlama2A100 logs the cross-validated MAPE of every kind per operator on the
// a100 Llama-2-7b table (go test -run ReportLlama2 -v); it asserts only loose bounds.
func TestReportLlama2A100(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	rows := llama2A100Rows(t)
	opt := smallOptions()
	opt.Workers = runtime.GOMAXPROCS(0)
	res, err := Train(Input{Rows: rows}, llama2_7b, opt)
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range res.Manifest.Operators {
		line := rec.Op + " chosen=" + string(rec.Kind)
		for _, s := range rec.CV {
			if s.CVMAPE != nil {
				line += " " + string(s.Kind) + "=" + formatFloat(*s.CVMAPE)
			}
		}
		t.Log(line)
	}
}
