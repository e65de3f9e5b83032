package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/llmsim/llmsim/catalog"
	"github.com/llmsim/llmsim/predictor"
	"github.com/llmsim/llmsim/simulate"
	"github.com/llmsim/llmsim/simulate/config"
	"github.com/llmsim/llmsim/train"
)

// artifactPools serves prediction tables per replica shape from trained artifacts. An
// artifact is trained for one TP, so a disaggregated pool of another TP reads another
// artifact: one given with --pool-artifact, else the only artifact of the model, GPU
// and TP under --models-root. Expert grids are resampled per EP from the same artifact.
type artifactPools struct {
	cfg    *config.Config
	cat    *catalog.Catalog
	model  *catalog.Model
	gpu    *catalog.GPU
	root   string
	byTP   map[int]*train.Artifact
	tables map[simulate.PoolShape]*predictor.Tables
}

// newArtifactPools opens the pinned artifact (cfg.Artifact, for the shared TP) and the
// pool artifacts, and checks that each was trained for the experiment's model and GPU.
func newArtifactPools(cfg *config.Config, cat *catalog.Catalog, root string, poolArtifacts []string) (*artifactPools, error) {
	rc := cfg.Cluster.Replica
	model, err := cat.Model(rc.ModelName)
	if err != nil {
		return nil, err
	}
	gpu, err := cat.GPU(rc.Device)
	if err != nil {
		return nil, err
	}
	p := &artifactPools{cfg: cfg, cat: cat, model: model, gpu: gpu, root: root,
		byTP: map[int]*train.Artifact{}, tables: map[simulate.PoolShape]*predictor.Tables{}}
	main, err := p.open(cfg.Artifact)
	if err != nil {
		return nil, err
	}
	if m := main.Manifest; m.TP != 0 && m.TP != rc.TensorParallelSize {
		return nil, fmt.Errorf("simulate: artifact %s was trained for TP %d, the experiment uses TP %d", m.ShortID(), m.TP, rc.TensorParallelSize)
	}
	p.byTP[rc.TensorParallelSize] = main
	for _, id := range poolArtifacts {
		a, err := p.open(id)
		if err != nil {
			return nil, err
		}
		tp := a.Manifest.TP
		if prev, ok := p.byTP[tp]; ok && prev.Manifest.ID != a.Manifest.ID {
			return nil, fmt.Errorf("simulate: --pool-artifact %s: artifact %s already serves TP %d; give one artifact per TP", id, prev.Manifest.ShortID(), tp)
		}
		p.byTP[tp] = a
	}
	return p, nil
}

// open opens and verifies one artifact and checks its model and GPU.
func (p *artifactPools) open(id string) (*train.Artifact, error) {
	a, err := train.OpenArtifact(id, p.root)
	if err != nil {
		return nil, fmt.Errorf("simulate: %w", err)
	}
	m := a.Manifest
	if mm, err := p.cat.Model(m.Model); err != nil || mm.Name != p.model.Name {
		return nil, fmt.Errorf("simulate: artifact %s was trained for model %s, the experiment runs %s%s", m.ShortID(), m.Model, p.model.Name, artifactRecipe(p.cfg, p.cat))
	}
	if mg, err := p.cat.GPU(m.GPU); err != nil || mg.Name != p.gpu.Name {
		return nil, fmt.Errorf("simulate: artifact %s was trained on GPU %s, the experiment runs on %s%s", m.ShortID(), m.GPU, p.gpu.Name, artifactRecipe(p.cfg, p.cat))
	}
	return a, nil
}

// artifact returns the artifact of TP tp, looking it up under the models root when the
// command line named none.
func (p *artifactPools) artifact(tp int) (*train.Artifact, error) {
	if a, ok := p.byTP[tp]; ok {
		return a, nil
	}
	entries, err := train.FindArtifacts(p.root, "", "")
	if err != nil {
		return nil, fmt.Errorf("simulate: TP %d: %w", tp, err)
	}
	var hits []train.Entry
	for _, e := range entries {
		m := e.Manifest
		mm, err1 := p.cat.Model(m.Model)
		mg, err2 := p.cat.GPU(m.GPU)
		if err1 == nil && err2 == nil && mm.Name == p.model.Name && mg.Name == p.gpu.Name && m.TP == tp {
			hits = append(hits, e)
		}
	}
	switch len(hits) {
	case 0:
		l, _ := simulate.LayoutFromConfig(simulate.PoolShape{TP: tp, PP: 1, EP: p.cfg.Cluster.Replica.ExpertModelParallelSize}.Apply(p.cfg.Cluster.Replica), p.model, p.cat)
		return nil, fmt.Errorf("no artifact for %s on %s at TP %d under %s; make one with:\n  %s\n  then pass its id with --pool-artifact",
			p.model.Name, p.gpu.Name, tp, p.root, simulate.ArtifactCommands(p.model, p.gpu.Name, l))
	case 1:
	default:
		dirs := make([]string, len(hits))
		for i, e := range hits {
			dirs[i] = e.Dir
		}
		return nil, fmt.Errorf("several artifacts for %s on %s at TP %d under %s (%s); pick one with --pool-artifact",
			p.model.Name, p.gpu.Name, tp, p.root, strings.Join(dirs, ", "))
	}
	a, err := train.OpenArtifact(hits[0].Dir, p.root)
	if err != nil {
		return nil, fmt.Errorf("simulate: %w", err)
	}
	p.byTP[tp] = a
	return a, nil
}

// Tables is a simulate.PoolTables: the tables of replicas of shape sh, built once per
// shape.
func (p *artifactPools) Tables(sh simulate.PoolShape) (*predictor.Tables, error) {
	if t, ok := p.tables[sh]; ok {
		return t, nil
	}
	a, err := p.artifact(sh.TP)
	if err != nil {
		return nil, err
	}
	rc := sh.Apply(p.cfg.Cluster.Replica)
	gpusPerNode := 0
	if node, err := p.cat.Node(rc.NetworkDevice); err == nil {
		gpusPerNode = node.GPUsPerNode
	}
	m := a.Manifest
	r := m.Ranges
	limits := predictor.Limits{MaxTokens: r.MaxTokens, MaxBatchSize: r.MaxBatch, MaxKV: r.MaxKV, MaxChunk: r.MaxChunk, KVGranularity: r.KVStep}
	t, err := predictor.FromGrids(a, m.ID, limits, predictor.CommSetup{
		HiddenSize:     p.model.HiddenSize,
		TensorParallel: sh.TP,
		PipelineStages: sh.PP,
		GPUsPerNode:    gpusPerNode,
		Fallback:       simulate.CommFromConfig(rc, p.cat),
		NoDenseMLP:     p.model.IsMoE() && p.model.NumMoELayers() == p.model.NumLayers,
	})
	if err != nil {
		return nil, err
	}
	if simulate.NeedsArch(p.model) {
		layout, err := simulate.LayoutFromConfig(rc, p.model, p.cat)
		if err != nil {
			return nil, err
		}
		if t.Arch, err = predictor.LoadArchTables(a, m.ID, limits, simulate.ArchNeeds(p.model, layout)); err != nil {
			return nil, fmt.Errorf("%w; make one from the roofline with:\n  %s", err, simulate.ArtifactRecipe(p.model, p.gpu.Name, layout))
		}
	}
	p.tables[sh] = t
	return t, nil
}

// MainID is the id of the pinned artifact.
func (p *artifactPools) MainID() string {
	return p.byTP[p.cfg.Cluster.Replica.TensorParallelSize].Manifest.ID
}

// PoolIDs returns the ids of the other artifacts the run read, "tp<N>" → id, for
// config.json; nil when the pinned one served every replica.
func (p *artifactPools) PoolIDs() map[string]string {
	var ids map[string]string
	for _, tp := range slices.Sorted(maps.Keys(p.byTP)) {
		if id := p.byTP[tp].Manifest.ID; id != p.MainID() {
			if ids == nil {
				ids = map[string]string{}
			}
			ids[fmt.Sprintf("tp%d", tp)] = id
		}
	}
	return ids
}
