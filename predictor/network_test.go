package predictor

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/llmsim/llmsim/internal/fixture"
	"github.com/llmsim/llmsim/train"
)

// networkArtifact trains and opens a collectives-only artifact of node under a
// temporary models folder, with message sizes 16 B..96 KiB (fixture.NetworkArtifact).
func networkArtifact(t *testing.T, node string, scale float64) *train.Artifact {
	t.Helper()
	root := filepath.Join(t.TempDir(), "models")
	dir, _ := fixture.NetworkArtifact(t, root, node, scale, 16, 26, 0)
	a, err := train.OpenArtifact(dir, root)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestWithCollectivesTP2 checks that a TP-2, PP-2 replica priced from a compute artifact
// and a collectives-only artifact looks its all-reduce and send/recv up in the network
// artifact's grids, at the message bytes of its token count, even where the compute
// artifact bundles its own; and that the other operators stay the compute artifact's.
func TestWithCollectivesTP2(t *testing.T) {
	net := networkArtifact(t, "a100_dgx", 1)
	tb := smallTables()
	compute := asGrids(tb) // it has all_reduce and send_recv grids of its own
	const hidden = 16
	got, err := FromGrids(WithCollectives(compute, net), "test", tb.Limits,
		CommSetup{HiddenSize: hidden, TensorParallel: 2, PipelineStages: 2, GPUsPerNode: 8})
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range []TokenOp{AllReduce, SendRecv} {
		g, err := net.Grid(op.String())
		if err != nil {
			t.Fatal(err)
		}
		for n := 1; n <= tb.Limits.MaxTokens; n++ {
			point := make([]float64, len(g.Features))
			for i, f := range g.Features {
				point[i] = map[string]float64{"bytes": float64(n * hidden * 2), "group_size": 2, "ranks_per_node": 2}[f]
			}
			want, _ := g.At(point)
			if got.Token[op][n] != want {
				t.Fatalf("%s at %d tokens: %v ms, the network artifact's grid says %v", op, n, got.Token[op][n], want)
			}
			if got.Token[op][n] == tb.Token[op][n] {
				t.Fatalf("%s at %d tokens: the compute artifact's %v ms", op, n, tb.Token[op][n])
			}
		}
	}
	if got.Token[MLPUpProj][7] != tb.Token[MLPUpProj][7] || got.Decode[5] != tb.Decode[5] {
		t.Errorf("compute operators changed: mlp_up_proj %v, decode %v", got.Token[MLPUpProj][7], got.Decode[5])
	}
}

// TestAllToAllFromNetworkArtifact checks that a network artifact's all_to_all grid
// times the MoE dispatch collectives of the groups it holds: the grid's value at its
// byte sizes, log-log interpolation between them, the last size's bandwidth beyond it,
// and the fallback model for other group sizes and for collectives it lacks.
func TestAllToAllFromNetworkArtifact(t *testing.T) {
	root := filepath.Join(t.TempDir(), "models")
	dir, _ := fixture.NetworkArtifact(t, root, "h200_dgx", 1, 1024, 30, 8)
	net, err := train.OpenArtifact(dir, root)
	if err != nil {
		t.Fatal(err)
	}
	tb := smallTables()
	got, err := FromGrids(WithCollectives(asGrids(tb), net), "test", tb.Limits,
		CommSetup{HiddenSize: 16, TensorParallel: 2, GPUsPerNode: 8})
	if err != nil {
		t.Fatal(err)
	}
	if got.AllToAll == nil {
		t.Fatal("no all-to-all model from a network artifact with an all_to_all grid")
	}
	g, err := net.Grid("all_to_all")
	if err != nil {
		t.Fatal(err)
	}
	fallback := &AnalyticalComm{IntraNode: 100e9, InterNode: 10e9}
	comm := WithFallback(got.AllToAll, fallback)
	ep8 := Group{Kind: GroupEP, Size: 8, RanksPerNode: 8}
	var bytesAxis []float64
	for i, f := range g.Features {
		if f == "bytes" {
			bytesAxis = g.Axes[i]
		}
	}
	at := func(b float64) float64 {
		point := make([]float64, len(g.Features))
		for i, f := range g.Features {
			point[i] = map[string]float64{"bytes": b, "group_size": 8, "ranks_per_node": 8}[f]
		}
		v, _ := g.At(point)
		return v * 1e-3
	}
	for _, b := range bytesAxis[:5] {
		c, err := comm.CollectiveTime(CollAllToAll, b, ep8)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(c.Seconds-at(b)) > 1e-12*at(b) {
			t.Fatalf("%g bytes: %g s, the grid says %g s", b, c.Seconds, at(b))
		}
	}
	mid := math.Sqrt(bytesAxis[3] * bytesAxis[4])
	if c, _ := comm.CollectiveTime(CollAllToAll, mid, ep8); !(c.Seconds > at(bytesAxis[3]) && c.Seconds < at(bytesAxis[4])) {
		t.Errorf("%g bytes: %g s, not between its neighbours %g and %g", mid, c.Seconds, at(bytesAxis[3]), at(bytesAxis[4]))
	}
	last := bytesAxis[len(bytesAxis)-1]
	if c, _ := comm.CollectiveTime(CollAllToAll, 4*last, ep8); !c.OutOfDomain || math.Abs(c.Seconds-4*at(last)) > 1e-9*at(last) {
		t.Errorf("4x the largest message: %+v, want %g s at its bandwidth, out of domain", c, 4*at(last))
	}
	for _, tc := range []struct {
		c Collective
		g Group
	}{
		{CollAllToAll, Group{Kind: GroupEP, Size: 16, RanksPerNode: 8}},
		{CollAllGather, Group{Kind: GroupTP, Size: 8, RanksPerNode: 8}},
	} {
		c, err := comm.CollectiveTime(tc.c, 1<<20, tc.g)
		want, _ := fallback.CollectiveTime(tc.c, 1<<20, tc.g)
		if err != nil || c != want {
			t.Errorf("%s over %+v: %+v, %v; want the fallback's %+v", tc.c, tc.g, c, err, want)
		}
	}
	// Without an all_to_all grid there is no model.
	plain, err := FromGrids(WithCollectives(asGrids(tb), networkArtifact(t, "a100_dgx", 1)), "test", tb.Limits,
		CommSetup{HiddenSize: 16, TensorParallel: 2, GPUsPerNode: 8})
	if err != nil || plain.AllToAll != nil {
		t.Errorf("network artifact without all_to_all: AllToAll %v, err %v", plain.AllToAll, err)
	}
}
