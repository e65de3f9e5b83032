package train

import "sort"

// At interpolates the grid multilinearly at point (one value per feature, in Features
// order). A coordinate outside an axis is clamped to its end and reported out of
// domain. On lattice points it returns the stored value exactly.
func (g *Grid) At(point []float64) (v float64, outside bool) {
	// Walk the 2^d corners of the enclosing cell.
	n := len(g.Axes)
	lo := make([]int, n)
	frac := make([]float64, n)
	for a, ax := range g.Axes {
		x := point[a]
		switch {
		case x <= ax[0]:
			lo[a], outside = 0, outside || x < ax[0]
		case x >= ax[len(ax)-1]:
			lo[a], outside = len(ax)-1, outside || x > ax[len(ax)-1]
		default:
			i := sort.SearchFloat64s(ax, x) // ax[i-1] < x <= ax[i]
			if ax[i] == x {
				lo[a] = i
			} else {
				lo[a] = i - 1
				frac[a] = (x - ax[i-1]) / (ax[i] - ax[i-1])
			}
		}
	}
	for corner := 0; corner < 1<<n; corner++ {
		w := 1.0
		flat := 0
		for a := range n {
			i := lo[a]
			if corner&(1<<a) != 0 {
				if frac[a] == 0 {
					w = 0
					break
				}
				i++
				w *= frac[a]
			} else {
				w *= 1 - frac[a]
			}
			flat = flat*len(g.Axes[a]) + i
		}
		if w != 0 {
			v += w * g.Median[flat]
		}
	}
	return v, outside
}
