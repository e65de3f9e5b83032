package train

import "testing"

// BenchmarkTrainLlama2A100 trains every operator of a100 Llama-2-7b at TP 1 with
// Vidur's full grid (27 forests, 40 polynomials, interpolation) and 10-fold CV, and
// evaluates the prediction grids: the whole `llmsim train` minus writing files.
func BenchmarkTrainLlama2A100(b *testing.B) {
	rows := llama2A100Rows(b)
	opt := Options{
		Selection: Selection{GPU: "a100", TP: 1, BlockSize: 16},
		Predictor: "auto", Grid: VidurGrid(42), Folds: 10, Ranges: DefaultRanges(), Seed: 42,
	}
	b.ResetTimer()
	for b.Loop() {
		res, err := Train(Input{Rows: rows}, llama2_7b, opt)
		if err != nil {
			b.Fatal(err)
		}
		total := 0.0
		for _, s := range res.Seconds {
			total += s
		}
		b.ReportMetric(total, "train-s")
	}
}
