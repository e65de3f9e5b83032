package main

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
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
//
// The TP all-reduce and PP send/recv come from a collectives-only artifact of the
// experiment's network when one is given (--network-artifact); otherwise from the
// compute artifact's bundled grids, and where it lacks one a replica needs, from the
// only collectives-only artifact of the network under --models-root, else from the
// analytical model.
type artifactPools struct {
	cfg     *config.Config
	cat     *catalog.Catalog
	model   *catalog.Model
	gpu     *catalog.GPU
	network string // the experiment's node, as the catalog names it
	root    string
	byTP    map[int]*train.Artifact
	tables  map[simulate.PoolShape]*predictor.Tables
	main    *train.Artifact // the artifact of the shared TP: --artifact, or found under root
	// outOfDomain collects the tables' extrapolation notes, for the run to print.
	outOfDomain []string

	netArtifact *train.Artifact // the collectives-only artifact the run reads, if any
	// netFound says that netArtifact was found under root, not named on the command
	// line: it then serves only replicas whose compute artifact lacks a collective
	// (netReason says which lacked what first), and netSearched that root was searched.
	netFound, netSearched bool
	netReason             string
	// netSearch enables the search: only the vidur backend reads the artifact's
	// collectives (the others replace them).
	netSearch bool
}

// newArtifactPools opens the pinned artifact (cfg.Artifact, for the shared TP), the pool
// artifacts and the network artifact (networkArtifact; "" for none), and checks that
// each was trained for the experiment's model and GPU, or network.
func newArtifactPools(cfg *config.Config, cat *catalog.Catalog, root string, poolArtifacts []string, networkArtifact string) (*artifactPools, error) {
	rc := cfg.Cluster.Replica
	model, err := cat.Model(rc.ModelName)
	if err != nil {
		return nil, err
	}
	gpu, err := cat.GPU(rc.Device)
	if err != nil {
		return nil, err
	}
	p := &artifactPools{cfg: cfg, cat: cat, model: model, gpu: gpu, network: rc.NetworkDevice, root: root,
		byTP: map[int]*train.Artifact{}, tables: map[simulate.PoolShape]*predictor.Tables{},
		netSearch: cfg.ExecutionTimePredictor.Backend == config.BackendVidur}
	if node, err := cat.Node(rc.NetworkDevice); err == nil {
		p.network = node.Name
	}
	var main *train.Artifact
	if cfg.Artifact != "" {
		main, err = p.open(cfg.Artifact)
	} else {
		// No --artifact: a Vidur command line names none, so take the only artifact of
		// the experiment's model, GPU and TP under the models root (the pinned ones
		// included), and say which; several or none is an error that says what to do.
		main, err = p.artifact(rc.TensorParallelSize, "--artifact")
	}
	if err != nil {
		return nil, err
	}
	p.main = main
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
	if networkArtifact != "" {
		if p.netArtifact, err = p.openNetwork(networkArtifact); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// openNetwork opens the --network-artifact and checks that it is a collectives-only
// artifact of the experiment's network.
func (p *artifactPools) openNetwork(id string) (*train.Artifact, error) {
	a, err := train.OpenArtifact(id, p.root)
	if err != nil {
		return nil, fmt.Errorf("simulate: --network-artifact: %w", err)
	}
	m := a.Manifest
	if !m.CollectivesOnly {
		return nil, fmt.Errorf("simulate: --network-artifact %s: artifact %s (%s) is a compute artifact, not collectives-only; make one with:\n  llmsim train --collectives-only --network %s --dataset NETWORK_DATASET --out %s",
			id, m.ShortID(), a.Dir, p.network, p.root)
	}
	if !p.sameNetwork(m.Network) {
		return nil, fmt.Errorf("simulate: --network-artifact %s: artifact %s was trained for network %s, the experiment runs on %s (--replica_config_network_device)",
			id, m.ShortID(), m.Network, p.network)
	}
	return a, nil
}

// sameNetwork says whether the node named n is the experiment's.
func (p *artifactPools) sameNetwork(n string) bool {
	if node, err := p.cat.Node(n); err == nil {
		n = node.Name
	}
	return n == p.network
}

// networkFor returns the collectives-only artifact whose collectives replicas of shape
// sh read beside their compute artifact a, or nil when a's own grids (or the analytical
// model) serve them.
func (p *artifactPools) networkFor(a *train.Artifact, sh simulate.PoolShape) (*train.Artifact, error) {
	if p.netArtifact != nil && !p.netFound {
		return p.netArtifact, nil
	}
	if !p.netSearch {
		return nil, nil
	}
	lacking := ""
	ops := a.Ops()
	switch {
	case sh.TP > 1 && !slices.Contains(ops, predictor.CollAllReduce.String()):
		lacking = predictor.CollAllReduce.String()
	case sh.PP > 1 && !slices.Contains(ops, predictor.CollSendRecv.String()):
		lacking = predictor.CollSendRecv.String()
	default:
		return nil, nil
	}
	if !p.netSearched {
		p.netSearched = true
		net, err := p.findNetwork()
		if err != nil {
			return nil, err
		}
		if net != nil {
			p.netArtifact, p.netFound = net, true
			p.netReason = fmt.Sprintf("artifact %s has no %s grid", a.Manifest.ShortID(), lacking)
		}
	}
	return p.netArtifact, nil
}

// findNetwork returns the only collectives-only artifact of the experiment's network
// under the models root, or nil when there is none (or no models root).
func (p *artifactPools) findNetwork() (*train.Artifact, error) {
	if _, err := os.Stat(p.root); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	entries, err := train.FindArtifacts(p.root, "", "")
	if err != nil {
		return nil, fmt.Errorf("simulate: network %s: %w", p.network, err)
	}
	var dirs []string
	for _, e := range entries {
		if e.Manifest.CollectivesOnly && p.sameNetwork(e.Manifest.Network) {
			dirs = append(dirs, e.Dir)
		}
	}
	switch len(dirs) {
	case 0:
		return nil, nil
	case 1:
	default:
		return nil, fmt.Errorf("simulate: several collectives-only artifacts for network %s under %s (%s); pick one with --network-artifact",
			p.network, p.root, strings.Join(dirs, ", "))
	}
	a, err := train.OpenArtifact(dirs[0], p.root)
	if err != nil {
		return nil, fmt.Errorf("simulate: network %s: %w", p.network, err)
	}
	return a, nil
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
// command line named none; flag is the option the errors tell the user to set.
func (p *artifactPools) artifact(tp int, flag string) (*train.Artifact, error) {
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
		return nil, fmt.Errorf("simulate: no artifact for %s on %s at TP %d under %s; make one with:\n  %s\n  then pass its id with %s",
			p.model.Name, p.gpu.Name, tp, p.root, simulate.ArtifactCommands(p.model, p.gpu.Name, l), flag)
	case 1:
	default:
		dirs := make([]string, len(hits))
		for i, e := range hits {
			dirs[i] = e.Dir
		}
		return nil, fmt.Errorf("simulate: several artifacts for %s on %s at TP %d under %s (%s); pick one with %s",
			p.model.Name, p.gpu.Name, tp, p.root, strings.Join(dirs, ", "), flag)
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
	a, err := p.artifact(sh.TP, "--pool-artifact")
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
	var src predictor.GridSource = a
	source := m.ID
	net, err := p.networkFor(a, sh)
	if err != nil {
		return nil, err
	}
	if net != nil {
		src = predictor.WithCollectives(a, net)
		source = fmt.Sprintf("%s with network artifact %s", m.ID, net.Manifest.ID)
	}
	t, err := predictor.FromGrids(src, source, limits, predictor.CommSetup{
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
	p.outOfDomain = append(p.outOfDomain, t.OutOfDomain...)
	return t, nil
}

// OutOfDomain lists what the loaded tables extrapolate beyond their measurements.
func (p *artifactPools) OutOfDomain() []string { return p.outOfDomain }

// MainID is the id of the pinned artifact.
func (p *artifactPools) MainID() string {
	return p.byTP[p.cfg.Cluster.Replica.TensorParallelSize].Manifest.ID
}

// Network returns the collectives-only artifact the run read, nil for none; found says
// that it was looked up under the models root, and reason which compute artifact
// lacked which collective.
func (p *artifactPools) Network() (a *train.Artifact, found bool, reason string) {
	return p.netArtifact, p.netFound, p.netReason
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
