package train

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// WriteCompareCSV writes one line per (operator, predictor).
func WriteCompareCSV(w io.Writer, rows []CompareRow) error {
	cw := csv.NewWriter(w)
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 4, 64) }
	cw.Write([]string{"op", "predictor", "rows", "mape", "p90_ape", "max_ape", "ood_share", "holdout_rows", "holdout_mape", "holdout_p90_ape", "holdout_max_ape"})
	for _, r := range rows {
		rec := []string{r.Op, r.Predictor, strconv.Itoa(r.Rows), f(r.MAPE), f(r.P90APE), f(r.MaxAPE), f(r.OODShare)}
		if r.Holdout != nil {
			rec = append(rec, strconv.Itoa(r.Holdout.Rows), f(r.Holdout.MAPE), f(r.Holdout.P90APE), f(r.Holdout.MaxAPE))
		} else {
			rec = append(rec, "", "", "", "")
		}
		cw.Write(rec)
	}
	cw.Flush()
	return cw.Error()
}

// WriteComparePlots writes dir/<op>.png for every operator: predicted against measured
// time, log-log, one colour per predictor, with the y = x line.
func WriteComparePlots(dir string, rows []CompareRow) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	var order []string
	byOp := map[string][]CompareRow{}
	for _, r := range rows {
		if _, ok := byOp[r.Op]; !ok {
			order = append(order, r.Op)
		}
		byOp[r.Op] = append(byOp[r.Op], r)
	}
	for _, op := range order {
		p := plot.New()
		p.Title.Text = op + ": predicted vs measured"
		p.X.Label.Text = "measured (ms)"
		p.Y.Label.Text = "predicted (ms)"
		p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
		p.X.Tick.Marker, p.Y.Tick.Marker = plot.LogTicks{}, plot.LogTicks{}
		lo, hi := math.Inf(1), math.Inf(-1)
		var args []any
		for _, r := range byOp[op] {
			var pts plotter.XYs
			for i, y := range r.Measured {
				v := r.Predicted[i]
				// A log axis cannot place zero or negative times; they are left out.
				if y > 0 && v > 0 && !math.IsNaN(v) {
					pts = append(pts, plotter.XY{X: y, Y: v})
					lo, hi = math.Min(lo, math.Min(y, v)), math.Max(hi, math.Max(y, v))
				}
			}
			if len(pts) > 0 {
				args = append(args, fmt.Sprintf("%s (MAPE %.1f%%)", r.Predictor, r.MAPE), pts)
			}
		}
		if len(args) == 0 {
			continue
		}
		if err := plotutil.AddScatters(p, args...); err != nil {
			return fmt.Errorf("train: plot %s: %w", op, err)
		}
		diag, err := plotter.NewLine(plotter.XYs{{X: lo, Y: lo}, {X: hi, Y: hi}})
		if err != nil {
			return fmt.Errorf("train: plot %s: %w", op, err)
		}
		diag.Dashes = []vg.Length{vg.Points(3), vg.Points(3)}
		p.Add(diag)
		p.Legend.Top, p.Legend.Left = true, true
		path := filepath.Join(dir, op+".png")
		tmp := path + ".tmp.png"
		if err := p.Save(6*vg.Inch, 5*vg.Inch, tmp); err != nil {
			return fmt.Errorf("train: plot %s: %w", op, err)
		}
		if err := os.Rename(tmp, path); err != nil {
			return fmt.Errorf("train: %w", err)
		}
	}
	return nil
}
