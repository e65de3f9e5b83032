package forest

import (
	"encoding/json"
	"math"
	"os"
	"testing"
)

// sklearnTrees is testdata/sklearn_trees.json, written by
// tools/sklearn-compare/dump_trees.py with scikit-learn 1.9.0.
type sklearnTrees struct {
	Sklearn string
	X       [][]float64
	Y       []float64
	Cases   []struct {
		Params struct {
			NEstimators     int     `json:"n_estimators"`
			MaxDepth        int     `json:"max_depth"`
			MinSamplesSplit int     `json:"min_samples_split"`
			MinSamplesLeaf  int     `json:"min_samples_leaf"`
			MaxFeatures     float64 `json:"max_features"`
			Bootstrap       bool
			RandomState     uint64 `json:"random_state"`
		}
		Trees []struct {
			Seed      uint32
			Feature   []int32
			Threshold []float64
			N         []int32
			Value     []float64
			Left      []int32
			Right     []int32
		}
		PredTrain []float64 `json:"pred_train"`
		Probe     [][]float64
		PredProbe []float64 `json:"pred_probe"`
	}
}

// TestTreesMatchSklearn checks that a forest is scikit-learn's RandomForestRegressor
// with the same random_state, bit for bit: every tree's seed, every node's feature,
// threshold, row count, value and children, and the forest's predictions.
func TestTreesMatchSklearn(t *testing.T) {
	raw, err := os.ReadFile("testdata/sklearn_trees.json")
	if err != nil {
		t.Fatal(err)
	}
	var d sklearnTrees
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	same := func(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }
	for ci, c := range d.Cases {
		sp := c.Params
		p := Params{NEstimators: sp.NEstimators, MaxDepth: sp.MaxDepth, MinSamplesSplit: sp.MinSamplesSplit,
			MinSamplesLeaf: sp.MinSamplesLeaf, MaxFeatures: sp.MaxFeatures, Bootstrap: sp.Bootstrap, Seed: sp.RandomState}
		f, err := Fit(d.X, d.Y, p, FitOptions{Workers: 3})
		if err != nil {
			t.Fatal(err)
		}
		seeds := treeSeeds(uint32(p.Seed), p.NEstimators)
		for ti, st := range c.Trees {
			if seeds[ti] != st.Seed {
				t.Fatalf("case %d tree %d: seed %d, sklearn %d", ci, ti, seeds[ti], st.Seed)
			}
			nodes := f.Trees[ti].Nodes
			if len(nodes) != len(st.N) {
				t.Fatalf("case %d tree %d: %d nodes, sklearn %d", ci, ti, len(nodes), len(st.N))
			}
			for i, n := range nodes {
				leaf := st.Left[i] < 0
				switch {
				case leaf != (n.Feature < 0), n.N != st.N[i], !same(n.Value, st.Value[i]):
				case !leaf && (n.Feature != st.Feature[i] || !same(n.Threshold, st.Threshold[i]) ||
					n.Left != st.Left[i] || n.Right != st.Right[i]):
				default:
					continue
				}
				t.Fatalf("case %d tree %d node %d: %+v, sklearn feature %d threshold %v n %d value %v children %d/%d",
					ci, ti, i, n, st.Feature[i], st.Threshold[i], st.N[i], st.Value[i], st.Left[i], st.Right[i])
			}
		}
		for i, x := range d.X {
			if got := f.Predict(x); !same(got, c.PredTrain[i]) {
				t.Errorf("case %d row %d: predicted %v, sklearn %v", ci, i, got, c.PredTrain[i])
			}
		}
		for i, x := range c.Probe {
			if got := f.Predict(x); !same(got, c.PredProbe[i]) {
				t.Errorf("case %d probe %v: predicted %v, sklearn %v", ci, x, got, c.PredProbe[i])
			}
		}
	}
}

// TestNumpyRandomState checks the generator against values numpy 2.4 printed:
// RandomState(0).randint(2**31 - 1) five times (sklearn's first five tree seeds),
// RandomState(209652396).randint(0, 37, 10), and randint(0, 1) drawing nothing.
func TestNumpyRandomState(t *testing.T) {
	want := []uint32{209652396, 398764591, 924231285, 1478610112, 441365315}
	for i, s := range treeSeeds(0, 5) {
		if s != want[i] {
			t.Fatalf("tree seeds %v, numpy %v", treeSeeds(0, 5), want)
		}
	}
	r := newRandomState(209652396)
	for i, w := range []uint32{35, 32, 0, 3, 9, 6, 1, 7, 31, 34} {
		if got := r.randInt(37); got != w {
			t.Fatalf("draw %d: %d, numpy %d", i, got, w)
		}
	}
	if got := splitterState(209652396); got != 2087557356 {
		t.Fatalf("splitter state %d, numpy 2087557356", got)
	}
	r = newRandomState(42)
	if a, b := r.randInt(1), r.randInt(1000); a != 0 || b != 102 {
		t.Fatalf("randint(0,1), randint(0,1000) = %d, %d; numpy 0, 102", a, b)
	}
}

func TestSplitterStateShortcut(t *testing.T) {
	for _, s := range append(treeSeeds(5, 2000), 0, 1, math.MaxUint32) {
		if got, want := splitterState(s), newRandomState(s).randInt(randRMax); got != want {
			t.Fatalf("seed %d: %d, full generator %d", s, got, want)
		}
	}
}
