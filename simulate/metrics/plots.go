package metrics

import (
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// cdfPoints is how many quantiles a CDF plot draws (0, 0.5%, …, 100%).
const cdfPoints = 201

var (
	plotBlue   = color.RGBA{R: 31, G: 119, B: 180, A: 255}
	plotOrange = color.RGBA{R: 255, G: 127, B: 14, A: 255}
)

// writePlots renders the PNGs under plots/: CDFs of TTFT, TBT, e2e latency and
// scheduling delay, requests arrived and completed over time, and the mean batch size
// over time. Everything comes from the bounded summaries, never from kept records.
func (r *Recorder) writePlots() error {
	cdfs := []struct {
		file, title, xlabel string
		d                   *dist
	}{
		{"ttft_cdf.png", "Time to first token", "TTFT (s)", r.ttft},
		{"tbt_cdf.png", "Mean time between tokens per request", "TBT (s)", r.tbt},
		{"e2e_cdf.png", "End-to-end latency", "e2e latency (s)", r.e2e},
		{"scheduling_delay_cdf.png", "Scheduling delay", "scheduling delay (s)", r.schedDelay},
	}
	for _, c := range cdfs {
		if c.d.n == 0 {
			continue
		}
		qs := make([]float64, cdfPoints)
		for i := range qs {
			qs[i] = float64(i) / (cdfPoints - 1)
		}
		xs := c.d.quantiles(qs)
		pts := make(plotter.XYs, len(qs))
		for i := range qs {
			pts[i] = plotter.XY{X: xs[i], Y: qs[i]}
		}
		p := newPlot(c.title, c.xlabel, "fraction of requests")
		if err := addLine(p, pts, plotBlue, ""); err != nil {
			return err
		}
		if err := r.savePlot(p, c.file); err != nil {
			return err
		}
	}

	if n := max(r.arrivals.used(), r.completions.used()); n > 0 {
		// Both series share a bucket width once coarsened to the same span.
		for r.arrivals.width < r.completions.width {
			r.arrivals.coarsen()
		}
		for r.completions.width < r.arrivals.width {
			r.completions.coarsen()
		}
		n = max(r.arrivals.used(), r.completions.used())
		p := newPlot("Requests over time", "time (s)", "requests (cumulative)")
		for _, s := range []struct {
			name string
			ser  *series
			c    color.Color
		}{{"arrived", r.arrivals, plotBlue}, {"completed", r.completions, plotOrange}} {
			pts := make(plotter.XYs, n+1)
			total := 0.0
			for i := 0; i < n; i++ {
				total += s.ser.count[i]
				pts[i+1] = plotter.XY{X: float64(i+1) * s.ser.width, Y: total}
			}
			if err := addLine(p, pts, s.c, s.name); err != nil {
				return err
			}
		}
		if err := r.savePlot(p, "requests_over_time.png"); err != nil {
			return err
		}
	}

	if n := r.batchSizes.used(); n > 0 {
		var pts plotter.XYs
		for i := 0; i < n; i++ {
			if c := r.batchSizes.count[i]; c > 0 {
				pts = append(pts, plotter.XY{X: (float64(i) + 0.5) * r.batchSizes.width, Y: r.batchSizes.sum[i] / c})
			}
		}
		p := newPlot(fmt.Sprintf("Batch size over time (%g s buckets)", r.batchSizes.width), "time (s)", "mean batch size")
		if err := addLine(p, pts, plotBlue, ""); err != nil {
			return err
		}
		if err := r.savePlot(p, "batch_size_over_time.png"); err != nil {
			return err
		}
	}
	return nil
}

func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.Add(plotter.NewGrid())
	return p
}

func addLine(p *plot.Plot, pts plotter.XYs, c color.Color, legend string) error {
	l, err := plotter.NewLine(pts)
	if err != nil {
		return fmt.Errorf("metrics: plot %q: %w", p.Title.Text, err)
	}
	l.Color = c
	l.Width = vg.Points(1.5)
	p.Add(l)
	if legend != "" {
		p.Legend.Add(legend, l)
		p.Legend.Top = true
		p.Legend.Left = true
	}
	return nil
}

func (r *Recorder) savePlot(p *plot.Plot, name string) error {
	wt, err := p.WriterTo(6*vg.Inch, 4*vg.Inch, "png")
	if err != nil {
		return fmt.Errorf("metrics: plot %s: %w", name, err)
	}
	out, err := r.open("plots/" + name)
	if err != nil {
		return err
	}
	if _, err := wt.WriteTo(out.w); err != nil {
		return fmt.Errorf("metrics: plot %s: %w", name, err)
	}
	return nil
}
