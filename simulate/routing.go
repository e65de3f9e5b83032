package simulate

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/llmsim/llmsim/predictor"
)

// Routing distributions: how likely the router is to pick each expert.
const (
	RoutingUniform   = "uniform"
	RoutingZipf      = "zipf"
	RoutingHistogram = "histogram"
)

// RoutingConfig chooses the routing distribution of a run.
type RoutingConfig struct {
	Kind         string    // uniform, zipf or histogram
	ZipfExponent float64   // zipf: expert of popularity rank r has weight 1/r^s
	Histogram    []float64 // histogram: measured load of each expert, by expert id
}

// Router draws each token's top-k experts from a fixed popularity distribution and
// reports the load of the most loaded expert-parallel rank. Expert e lives on rank
// e / (experts/EP), as in Megatron and vLLM. Zipf popularity ranks are dealt to experts
// by a seeded shuffle, so hot experts land on arbitrary ranks; a histogram keeps its
// measured placement. It implements predictor.Router.
type Router struct {
	experts, topK, ep int
	uniform           bool
	prob              []float64 // alias table (Vose): keep probability of each column
	alias             []int     // ... and the column it defers to
	weights           []float64 // the distribution itself, for exact draws without replacement; nil: uniform
	rng               *rand.Rand
	load              []int // per expert, reused by Route
	rankLoad          []int
	picked            []int
}

// NewRouter builds the router of a model with experts routed experts, top-k routing and
// EP ranks; rng is the run's routing random source.
func NewRouter(cfg RoutingConfig, experts, topK, ep int, rng *rand.Rand) (*Router, error) {
	switch {
	case experts < 1 || topK < 1 || topK > experts:
		return nil, fmt.Errorf("simulate: routing: top-%d of %d experts", topK, experts)
	case ep < 1 || experts%ep != 0:
		return nil, fmt.Errorf("simulate: routing: EP %d does not divide %d experts", ep, experts)
	case rng == nil:
		return nil, fmt.Errorf("simulate: routing: no random source")
	}
	r := &Router{experts: experts, topK: topK, ep: ep, rng: rng,
		load: make([]int, experts), rankLoad: make([]int, ep), picked: make([]int, 0, topK)}
	var w []float64
	switch cfg.Kind {
	case RoutingUniform, "":
		r.uniform = true
		return r, nil
	case RoutingZipf:
		if !(cfg.ZipfExponent > 0) {
			return nil, fmt.Errorf("simulate: routing: zipf exponent %v must be positive", cfg.ZipfExponent)
		}
		w = make([]float64, experts)
		for rank, e := range rng.Perm(experts) {
			w[e] = math.Pow(float64(rank+1), -cfg.ZipfExponent)
		}
	case RoutingHistogram:
		if len(cfg.Histogram) != experts {
			return nil, fmt.Errorf("simulate: routing: the histogram has %d experts, the model %d", len(cfg.Histogram), experts)
		}
		w = cfg.Histogram
	default:
		return nil, fmt.Errorf("simulate: routing: unknown distribution %q (want uniform, zipf or histogram)", cfg.Kind)
	}
	nonzero := 0
	for _, x := range w {
		if x < 0 || math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("simulate: routing: expert weight %v is not a finite non-negative number", x)
		}
		if x > 0 {
			nonzero++
		}
	}
	if nonzero < topK {
		return nil, fmt.Errorf("simulate: routing: only %d experts have a positive load; top-%d routing needs at least %d", nonzero, topK, topK)
	}
	r.prob, r.alias = aliasTable(w)
	r.weights = slices.Clone(w)
	return r, nil
}

// aliasTable builds Vose's alias table of the weights w (not all zero).
func aliasTable(w []float64) ([]float64, []int) {
	n := len(w)
	var sum float64
	for _, x := range w {
		sum += x
	}
	prob := make([]float64, n)
	alias := make([]int, n)
	scaled := make([]float64, n)
	var small, large []int
	for i, x := range w {
		scaled[i] = x * float64(n) / sum
		if scaled[i] < 1 {
			small = append(small, i)
		} else {
			large = append(large, i)
		}
	}
	for len(small) > 0 && len(large) > 0 {
		s, l := small[len(small)-1], large[len(large)-1]
		small, large = small[:len(small)-1], large[:len(large)-1]
		prob[s], alias[s] = scaled[s], l
		scaled[l] -= 1 - scaled[s]
		if scaled[l] < 1 {
			small = append(small, l)
		} else {
			large = append(large, l)
		}
	}
	for _, i := range append(small, large...) {
		prob[i], alias[i] = 1, i
	}
	return prob, alias
}

func (r *Router) draw() int {
	i := r.rng.IntN(r.experts)
	if r.uniform || r.rng.Float64() < r.prob[i] {
		return i
	}
	return r.alias[i]
}

// pickRest completes r.picked to top-k distinct experts by drawing each next one with
// probability proportional to its weight among the experts not picked yet: exact
// sampling without replacement, O(experts) per pick.
func (r *Router) pickRest() {
	weight := func(e int) float64 {
		if r.weights == nil {
			return 1
		}
		return r.weights[e]
	}
	for len(r.picked) < r.topK {
		var left float64
		for e := range r.experts {
			if !slices.Contains(r.picked, e) {
				left += weight(e)
			}
		}
		u := r.rng.Float64() * left
		last := -1
		for e := range r.experts {
			if slices.Contains(r.picked, e) || weight(e) == 0 {
				continue
			}
			last = e
			if u -= weight(e); u < 0 {
				break
			}
		}
		r.picked = append(r.picked, last) // last: rounding left u at or above 0 after the final expert
	}
}

// Route draws top-k distinct experts for each of tokens tokens. One draw stands for
// every MoE layer of the batch: the layers route independently, but their most loaded
// ranks are alike in distribution.
func (r *Router) Route(tokens int) predictor.Routing {
	clear(r.load)
	clear(r.rankLoad)
	for range tokens {
		r.picked = r.picked[:0]
		// Rejection of repeats is cheap while the distinct experts left hold most of the
		// weight; under extreme skew it is not (one hot expert at 10^6× the others took
		// ~80 ms per 64 tokens), so after a few tries the rest is drawn exactly.
		for tries := 0; len(r.picked) < r.topK; tries++ {
			if tries == 4*r.topK {
				r.pickRest()
				break
			}
			if e := r.draw(); !slices.Contains(r.picked, e) {
				r.picked = append(r.picked, e)
			}
		}
		for _, e := range r.picked {
			r.load[e]++
		}
	}
	per := r.experts / r.ep
	maxExpert := 0
	for e, n := range r.load {
		r.rankLoad[e/per] += n
		maxExpert = max(maxExpert, n)
	}
	maxRank := 0
	for _, n := range r.rankLoad {
		maxRank = max(maxRank, n)
	}
	skew := 1.0
	if tokens > 0 {
		skew = float64(maxExpert) / (float64(tokens*r.topK) / float64(r.experts))
	}
	return predictor.Routing{MaxRankSlots: maxRank, ExpertSkew: skew}
}

// ReadRoutingHistogram reads measured expert loads: one expert a line, either a bare
// count or "expert,count" (expert ids 0..experts−1, each once). Blank lines, # comments
// and a first line that is not numeric (a header) are skipped. name is for errors.
func ReadRoutingHistogram(name string, rd io.Reader, experts int) ([]float64, error) {
	h := make([]float64, experts)
	seen := make([]bool, experts)
	sc := bufio.NewScanner(rd)
	line, next := 0, 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		fields := strings.Split(text, ",")
		for i := range fields {
			fields[i] = strings.TrimSpace(fields[i])
		}
		var id int
		var count float64
		var err error
		switch len(fields) {
		case 1:
			id = next
			count, err = strconv.ParseFloat(fields[0], 64)
		case 2:
			if id, err = strconv.Atoi(fields[0]); err == nil {
				count, err = strconv.ParseFloat(fields[1], 64)
			}
		default:
			return nil, fmt.Errorf("simulate: %s:%d: want \"count\" or \"expert,count\", got %d fields", name, line, len(fields))
		}
		if err != nil {
			if line == 1 {
				continue // a header
			}
			return nil, fmt.Errorf("simulate: %s:%d: %q is not an expert load: %v", name, line, text, err)
		}
		switch {
		case id < 0 || id >= experts:
			return nil, fmt.Errorf("simulate: %s:%d: expert %d is outside 0..%d", name, line, id, experts-1)
		case seen[id]:
			return nil, fmt.Errorf("simulate: %s:%d: expert %d listed twice", name, line, id)
		case count < 0 || math.IsNaN(count) || math.IsInf(count, 0):
			return nil, fmt.Errorf("simulate: %s:%d: load %v must be a finite non-negative number", name, line, count)
		}
		h[id], seen[id] = count, true
		next = id + 1
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("simulate: %s: %w", name, err)
	}
	for e, ok := range seen {
		if !ok {
			return nil, fmt.Errorf("simulate: %s: no load for expert %d (the model has %d experts)", name, e, experts)
		}
	}
	return h, nil
}

// LoadRoutingHistogram reads the histogram file at path.
func LoadRoutingHistogram(path string, experts int) ([]float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("simulate: routing histogram: %w", err)
	}
	defer f.Close()
	return ReadRoutingHistogram(path, f, experts)
}
