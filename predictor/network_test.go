package predictor

import (
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
	dir, _ := fixture.NetworkArtifact(t, root, node, scale, 16, 26)
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
