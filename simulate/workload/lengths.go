package workload

import (
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
)

// LengthGenerator draws the prompt and output lengths of the next synthetic request.
// ok is false when a finite generator (a length trace) has no more rows.
type LengthGenerator interface {
	NextLengths() (prefill, decode int, ok bool)
}

// FixedLengths gives every request the same lengths (Vidur's "fixed" generator;
// Vidur's defaults are 2048 and 512).
type FixedLengths struct {
	prefill, decode int
}

// NewFixedLengths returns a generator of (prefill, decode) forever.
func NewFixedLengths(prefill, decode int) (*FixedLengths, error) {
	if prefill < 1 || decode < 1 {
		return nil, fmt.Errorf("workload: fixed lengths need at least 1 prefill and 1 decode token, got %d and %d", prefill, decode)
	}
	return &FixedLengths{prefill: prefill, decode: decode}, nil
}

// NextLengths implements LengthGenerator.
func (f *FixedLengths) NextLengths() (int, int, bool) { return f.prefill, f.decode, true }

// UniformLengths is Vidur's "uniform" generator: the total length is a float drawn
// uniformly from [min, max], the decode share is ceil(total/(1+ratio)) and the prompt
// is the rest, truncated to an integer as Vidur's int() does.
type UniformLengths struct {
	rng      *rand.Rand
	min, max float64
	ratio    float64
}

// NewUniformLengths returns Vidur's uniform length generator (Vidur's defaults:
// minTokens 1024, maxTokens 4096, prefillToDecodeRatio 20).
func NewUniformLengths(rng *rand.Rand, minTokens, maxTokens int, prefillToDecodeRatio float64) (*UniformLengths, error) {
	if err := checkLengthRange("uniform", minTokens, maxTokens, prefillToDecodeRatio); err != nil {
		return nil, err
	}
	return &UniformLengths{rng: rng, min: float64(minTokens), max: float64(maxTokens), ratio: prefillToDecodeRatio}, nil
}

// NextLengths implements LengthGenerator.
func (u *UniformLengths) NextLengths() (int, int, bool) {
	// Python's random.uniform(a, b) is a + (b−a)·random().
	total := u.min + (u.max-u.min)*u.rng.Float64()
	d := math.Ceil(total / (1 + u.ratio))
	return atLeastOne(total - d), atLeastOne(d), true
}

// ZipfParams configures ZipfLengths. Vidur's defaults: MinTokens 1024, MaxTokens 4096,
// Theta 0.6, Scramble false, PrefillToDecodeRatio 20.
type ZipfParams struct {
	MinTokens, MaxTokens int
	Theta                float64 // skew, in (0, 1)
	// Scramble spreads the popular totals over the range. Vidur hashes
	// str(value)+str(seed) with Python's per-process string hash; llmsim uses FNV-1a
	// of the same string, so scrambled draws are reproducible across runs.
	Scramble     bool
	ScrambleSeed uint64
	// PrefillToDecodeRatio splits a total as D = total/(1+ratio), P = total − D.
	PrefillToDecodeRatio float64
}

// ZipfLengths is Vidur's "zipf" generator: Gray et al.'s quick Zipf sampler over the
// totals [MinTokens, MaxTokens], split into prompt and output by the ratio.
type ZipfLengths struct {
	rng                     *rand.Rand
	p                       ZipfParams
	items                   float64
	zetan, alpha, eta, half float64
	scrambleBuf             []byte
}

// NewZipfLengths returns a Zipf length generator drawing from rng.
func NewZipfLengths(rng *rand.Rand, p ZipfParams) (*ZipfLengths, error) {
	if err := checkLengthRange("zipf", p.MinTokens, p.MaxTokens, p.PrefillToDecodeRatio); err != nil {
		return nil, err
	}
	if !(p.Theta > 0 && p.Theta < 1) {
		return nil, fmt.Errorf("workload: zipf theta must be in (0, 1), got %g", p.Theta)
	}
	z := &ZipfLengths{rng: rng, p: p, items: float64(p.MaxTokens - p.MinTokens + 1)}
	n := p.MaxTokens - p.MinTokens + 1
	// Vidur's zeta(n, θ) sums i^−θ for i in 1..n−1 (numpy arange's open upper end), so
	// zeta(2, θ) is 1; kept as is so that the distribution matches Vidur's.
	zeta2 := 1.0
	for i := 1; i < n; i++ {
		z.zetan += math.Pow(float64(i), -p.Theta)
	}
	z.alpha = 1 / (1 - p.Theta)
	z.eta = (1 - math.Pow(2/z.items, 1-p.Theta)) / (1 - zeta2/(z.zetan+1e-8))
	z.half = 1 + math.Pow(0.5, p.Theta)
	return z, nil
}

// NextLengths implements LengthGenerator.
func (z *ZipfLengths) NextLengths() (int, int, bool) {
	total := float64(z.next())
	d := total / (1 + z.p.PrefillToDecodeRatio)
	return atLeastOne(total - d), atLeastOne(d), true
}

func (z *ZipfLengths) next() int {
	u := z.rng.Float64()
	var v int
	switch {
	case u*z.zetan < 1:
		v = z.p.MinTokens
	case u*z.zetan < z.half:
		v = z.p.MinTokens + 1
	default:
		v = z.p.MinTokens + int(z.items*math.Pow(z.eta*u-z.eta+1, z.alpha))
	}
	if z.p.Scramble {
		z.scrambleBuf = strconv.AppendInt(z.scrambleBuf[:0], int64(v), 10)
		z.scrambleBuf = strconv.AppendUint(z.scrambleBuf, z.p.ScrambleSeed, 10)
		h := fnv.New64a()
		h.Write(z.scrambleBuf)
		v = z.p.MinTokens + int(h.Sum64()%uint64(z.items))
	}
	return v
}

func checkLengthRange(kind string, minTokens, maxTokens int, ratio float64) error {
	switch {
	case minTokens < 2:
		return fmt.Errorf("workload: %s lengths: min_tokens must be at least 2 (one prompt and one output token), got %d", kind, minTokens)
	case maxTokens < minTokens:
		return fmt.Errorf("workload: %s lengths: max_tokens %d is below min_tokens %d", kind, maxTokens, minTokens)
	case !(ratio > 0) || math.IsInf(ratio, 0):
		return fmt.Errorf("workload: %s lengths: prefill_to_decode_ratio must be positive and finite, got %g", kind, ratio)
	}
	return nil
}

// atLeastOne truncates x toward zero like Python's int() and keeps at least one token,
// which Vidur asserts but does not enforce.
func atLeastOne(x float64) int {
	if x < 1 {
		return 1
	}
	return int(x)
}

// LengthTraceOptions configures TraceLengths. Zero scale factors mean 1; MaxTokens ≤ 0
// disables the cap (Vidur's default cap is 4096).
type LengthTraceOptions struct {
	PrefillScaleFactor float64
	DecodeScaleFactor  float64
	MaxTokens          int
}

// TraceLengths is Vidur's "trace" length generator: it reads the num_prefill_tokens
// and num_decode_tokens columns of a CSV (other columns are ignored), scales and
// truncates them, trims totals above MaxTokens proportionally from both counts, shuffles
// the rows and hands them out once each.
//
// Vidur shuffles with pandas' DataFrame.sample(random_state=seed); llmsim shuffles with
// rng (Fisher–Yates), so the order differs from Vidur's but the multiset of lengths is
// the same.
type TraceLengths struct {
	rows [][2]int32
	next int
}

// NewTraceLengths reads the length trace at path.
func NewTraceLengths(rng *rand.Rand, path string, opts LengthTraceOptions) (*TraceLengths, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("workload: %w", err)
	}
	defer f.Close()
	return ReadTraceLengths(rng, f, path, opts)
}

// ReadTraceLengths reads a length trace from r; name is used in error messages.
func ReadTraceLengths(rng *rand.Rand, r io.Reader, name string, opts LengthTraceOptions) (*TraceLengths, error) {
	ps, ds, err := opts.scales()
	if err != nil {
		return nil, fmt.Errorf("workload: %s: %w", name, err)
	}
	t, err := newTable(r, name, "num_prefill_tokens", "num_decode_tokens")
	if err != nil {
		return nil, err
	}
	var rows [][2]int32
	for t.next() {
		p, err := t.tokens(0)
		if err != nil {
			return nil, err
		}
		d, err := t.tokens(1)
		if err != nil {
			return nil, err
		}
		sp, err := scaleTokens(p, ps)
		if err != nil {
			return nil, t.colErrorf(0, "%v", err)
		}
		sd, err := scaleTokens(d, ds)
		if err != nil {
			return nil, t.colErrorf(1, "%v", err)
		}
		P, D, err := capProportionally(sp, sd, opts.MaxTokens)
		if err != nil {
			return nil, t.errorf("%v", err)
		}
		rows = append(rows, [2]int32{int32(P), int32(D)})
	}
	if err := t.err(); err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("workload: %s: no rows", name)
	}
	rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	return &TraceLengths{rows: rows}, nil
}

// Len returns the number of rows in the trace.
func (t *TraceLengths) Len() int { return len(t.rows) }

// NextLengths implements LengthGenerator.
func (t *TraceLengths) NextLengths() (int, int, bool) {
	if t.next >= len(t.rows) {
		return 0, 0, false
	}
	r := t.rows[t.next]
	t.next++
	return int(r[0]), int(r[1]), true
}

// capProportionally trims P+D above maxTokens from both counts in proportion to their
// share, rounding each cut up, then keeps at least one token of each — the order of
// Vidur's trace length generator.
func capProportionally(p, d, maxTokens int) (int, int, error) {
	total := p + d
	if maxTokens > 0 && total > maxTokens {
		diff := float64(total - maxTokens)
		// pandas computes the share first, then multiplies; same float order here.
		p -= int(math.Ceil(diff * (float64(p) / float64(total))))
		d -= int(math.Ceil(diff * (float64(d) / float64(total))))
	}
	p, d = max(p, 1), max(d, 1)
	if maxTokens > 0 && p+d > maxTokens {
		return 0, 0, fmt.Errorf("%d prefill + %d decode tokens exceed max_tokens %d", p, d, maxTokens)
	}
	return p, d, nil
}
