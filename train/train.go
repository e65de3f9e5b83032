package train

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/llmsim/llmsim/catalog"
	"github.com/llmsim/llmsim/profile"
)

// Input is what training reads: the rows of one or more datasets.
type Input struct {
	Rows     []profile.Row
	Datasets []DatasetRef
}

// DatasetRef names a dataset an artifact was trained on.
type DatasetRef struct {
	ID        string `json:"id"` // the dataset's content hash (profile.Manifest.DatasetID)
	Rows      int    `json:"rows"`
	Synthetic bool   `json:"synthetic"`
}

// Options control one training run (one GPU, model and TP degree).
type Options struct {
	Selection
	// Predictor is what --predictor said (auto, forest, linear, interp); Kinds follow
	// from it (ParseKinds).
	Predictor string
	Grid      SearchGrid
	Folds     int // k of k-fold CV; Vidur's default is 10
	// CV assigns rows to folds; the zero value is CVInterleaved.
	CV      CVScheme
	OOB     bool // score forests out of bag instead of by k-fold (about k times cheaper)
	Ranges  Ranges
	Seed    uint64
	Workers int // <= 0: GOMAXPROCS
	// Progress, when set, is called before each operator is trained.
	Progress func(op string, index, total int)
}

// Result is a trained artifact in memory.
type Result struct {
	Manifest Manifest
	Grids    map[string]*Grid
	models   map[string][]byte // small fitted models (linear, interp), JSON
	// Seconds is the training wall time per operator. It is kept out of the manifest so
	// that retraining gives the same bytes; WriteArtifact stores it in training.json.
	Seconds map[string]float64
}

// Train selects and fits a predictor for every operator of model m in the input rows,
// evaluates it on the prediction grids, and returns the artifact to write.
func Train(in Input, m catalog.Model, opt Options) (*Result, error) {
	if opt.TP < 1 {
		return nil, fmt.Errorf("train: tp %d < 1", opt.TP)
	}
	if opt.GPU == "" {
		gpus := map[string]bool{}
		for i := range in.Rows {
			if in.Rows[i].Network == "" && !slices.Contains(collectiveOps, in.Rows[i].Operator) {
				gpus[in.Rows[i].GPU] = true
			}
		}
		if len(gpus) != 1 {
			return nil, fmt.Errorf("train: the dataset holds compute rows of %d GPUs (%v); choose one", len(gpus), sortedKeys(gpus))
		}
		opt.GPU = sortedKeys(gpus)[0]
	}
	res, err := newResult(in, opt)
	if err != nil {
		return nil, err
	}
	res.Manifest.Model = m.Name
	return res, trainOps(res, in.Rows, Operators(m), m, opt)
}

// TrainCollectives fits the collective operators of one network alone. The artifact
// belongs to no model and no TP degree: it is the network's measured collectives
// (all_reduce, send_recv, and all_gather, reduce_scatter, all_to_all where the data has
// them), keyed by bytes, group size and ranks per node, for any model served on that
// node. Its manifest says collectives_only; it lives under
// <models>/<gpu>/network-<node>/<short id>/.
func TrainCollectives(in Input, node catalog.Node, opt Options) (*Result, error) {
	opt.GPU, opt.Network, opt.TP, opt.BlockSize = node.GPU, node.Name, 0, 0
	res, err := newResult(in, opt)
	if err != nil {
		return nil, err
	}
	res.Manifest.CollectivesOnly = true
	var specs []OpSpec
	for _, s := range Operators(catalog.Model{}) {
		if s.class == classCollective {
			specs = append(specs, s)
		}
	}
	if err := trainOps(res, in.Rows, specs, catalog.Model{}, opt); err != nil {
		return nil, err
	}
	if len(res.Manifest.Operators) == 0 {
		return nil, fmt.Errorf("train: no collective rows of network %s in the datasets", node.Name)
	}
	return res, nil
}

// newResult checks the options shared by every artifact and starts its manifest.
func newResult(in Input, opt Options) (*Result, error) {
	kinds, err := ParseKinds(opt.Predictor)
	if err != nil {
		return nil, err
	}
	if opt.Folds < 2 {
		return nil, fmt.Errorf("train: %d folds; k-fold CV needs at least 2", opt.Folds)
	}
	if err := opt.Ranges.Validate(); err != nil {
		return nil, err
	}
	if len(opt.Grid.Forest) == 0 && slices.Contains(kinds, KindForest) {
		return nil, fmt.Errorf("train: the %q grid has no forest points", opt.Grid.Name)
	}
	if opt.CV, err = ParseCVScheme(string(opt.CV)); err != nil {
		return nil, err
	}
	selection, cv := "kfold", string(opt.CV)
	if opt.OOB {
		selection, cv = "oob", ""
	}
	res := &Result{
		Manifest: Manifest{
			SchemaVersion: ArtifactSchemaVersion,
			GPU:           opt.GPU, TP: opt.TP, Network: opt.Network, BlockSize: opt.BlockSize,
			Datasets: in.Datasets, Seed: opt.Seed, Predictor: string(kinds[0]), GridName: opt.Grid.Name,
			Selection: selection, Folds: opt.Folds, CV: cv, Ranges: opt.Ranges, Target: targetMedianMSCol,
		},
		Grids:   map[string]*Grid{},
		models:  map[string][]byte{},
		Seconds: map[string]float64{},
	}
	if len(kinds) > 1 {
		res.Manifest.Predictor = "auto"
	}
	return res, nil
}

// trainOps trains specs one after another into res.
func trainOps(res *Result, rows []profile.Row, specs []OpSpec, m catalog.Model, opt Options) error {
	kinds, err := ParseKinds(opt.Predictor)
	if err != nil {
		return err
	}
	for i, spec := range specs {
		if opt.Progress != nil {
			opt.Progress(spec.Op, i, len(specs))
		}
		start := time.Now()
		rec, grid, mod, err := trainOp(rows, spec, m, kinds, opt)
		if err != nil {
			return err
		}
		res.Seconds[spec.Op] = time.Since(start).Seconds()
		if rec == nil {
			continue // optional operator without rows and without a Vidur default
		}
		res.Manifest.Operators = append(res.Manifest.Operators, *rec)
		if grid != nil {
			res.Grids[spec.Op] = grid
		}
		if mod != nil {
			res.models[spec.Op] = mod
		}
	}
	return nil
}

func trainOp(rows []profile.Row, spec OpSpec, m catalog.Model, kinds []Kind, opt Options) (*OpRecord, *Grid, []byte, error) {
	t, err := selectRows(rows, spec, m, opt.Selection)
	// An optional block operator whose rows are all of other shapes or TP degrees is as
	// absent as one without rows; for collectives and MoE operators a filter that keeps
	// nothing (a mistyped --network) stays an error.
	dense := spec.class == classDense || spec.class == classKVSave
	if (errors.Is(err, ErrNoRows) || dense && errors.Is(err, ErrFilteredOut)) && !spec.Required {
		if spec.class != classDense && spec.class != classKVSave {
			return nil, nil, nil, nil
		}
		names, axes, _ := gridAxes(spec, nil, opt.Ranges)
		return &OpRecord{Op: spec.Op, Kind: KindAbsent, Features: []FeatureRange{{Name: spec.Features[0]}},
				GridFeatures: names, Note: "no rows for this model in the dataset; predicted as 0, as Vidur does"},
			zeroGrid(spec.Op, names, axes), nil, nil
	}
	if err != nil {
		return nil, nil, nil, err
	}
	rec := &OpRecord{Op: spec.Op, Rows: len(t.y), Synthetic: t.synthetic}
	for j, name := range spec.Features {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, x := range t.x {
			lo, hi = math.Min(lo, x[j]), math.Max(hi, x[j])
		}
		rec.Features = append(rec.Features, FeatureRange{Name: name, Min: lo, Max: hi})
	}
	var chosen KindResult
	if t.synthetic {
		// A roofline table is exact by construction: interpolate it, nothing to select.
		chosen = KindResult{Kind: KindRoofline}
		rec.CV = []KindScore{{Kind: KindRoofline, Note: "rows from profile synth; interpolated, not cross-validated"}}
	} else {
		k := foldCount(len(t.y), opt.Folds)
		cfg := searchConfig{kinds: kinds, grid: opt.Grid, fold: opt.CV.folds(len(t.y), k), k: k, oob: opt.OOB, workers: opt.Workers}
		results, err := crossValidate(t, cfg)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("train: %s: %w", spec.Op, err)
		}
		for _, r := range results {
			rec.CV = append(rec.CV, scoreOf(r))
		}
		b := best(results)
		if b < 0 {
			return nil, nil, nil, fmt.Errorf("train: %s: no predictor kind could be scored (%s)", spec.Op, rec.CV[0].Note)
		}
		chosen = results[b]
		rec.Params = chosen.Params
	}
	rec.Kind = chosen.Kind
	fit, err := fitKind(t, chosen, opt.Workers)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("train: %s: %w", spec.Op, err)
	}
	names, axes, toModel := gridAxes(spec, t, opt.Ranges)
	rec.GridFeatures = names
	grid := evalGrid(spec.Op, names, axes, toModel, fit)
	var small []byte
	if chosen.Kind != KindForest {
		if b, err := json.Marshal(fit); err == nil && len(b) <= maxEmbeddedModel {
			small = b
		}
	}
	return rec, grid, small, nil
}

// maxEmbeddedModel bounds the fitted model stored beside a grid. Forests (megabytes to
// hundreds of megabytes) are never stored: the grid is what the simulator reads.
const maxEmbeddedModel = 1 << 20

func scoreOf(r KindResult) KindScore {
	s := KindScore{Kind: r.Kind, Params: r.Params, Note: r.Note}
	if !math.IsNaN(r.MAPE) {
		v := r.MAPE
		s.CVMAPE = &v
	}
	return s
}
