package train

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmsim/llmsim/catalog"
	"github.com/llmsim/llmsim/profile"
)

// TestKeepOneRegime: rows measured in several regimes keep the preferred one (and the
// rows that do not record the column); a mix without the preferred value is an error.
func TestKeepOneRegime(t *testing.T) {
	row := func(extra string) *profile.Row {
		return &profile.Row{Operator: "moe_gating_routing_topk", Extra: extra}
	}
	for _, tc := range []struct {
		name    string
		extras  []string
		want    []string // Extra of the kept rows, in order
		wantErr string
	}{
		{"one regime", []string{"routing_assignment_policy=round_robin_uniform", "routing_assignment_policy=round_robin_uniform"},
			[]string{"routing_assignment_policy=round_robin_uniform", "routing_assignment_policy=round_robin_uniform"}, ""},
		{"routing mixed", []string{"routing_assignment_policy=round_robin_uniform", "routing_assignment_policy=logit_topk", ""},
			[]string{"routing_assignment_policy=logit_topk", ""}, ""},
		{"context mixed", []string{
			"gating_runtime_context=prefill_hot;routing_assignment_policy=logit_topk",
			"gating_runtime_context=standalone_legacy;routing_assignment_policy=logit_topk"},
			[]string{"gating_runtime_context=standalone_legacy;routing_assignment_policy=logit_topk"}, ""},
		{"kernel-only and events", []string{"measurement_type=KERNEL_ONLY", "measurement_type=CUDA_EVENT"},
			[]string{"measurement_type=CUDA_EVENT"}, ""},
		{"no preferred value", []string{"measurement_type=KERNEL_ONLY", "measurement_type=NVTX"}, nil,
			"mix measurement_type KERNEL_ONLY, NVTX and none is CUDA_EVENT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var cand []*profile.Row
			for _, e := range tc.extras {
				cand = append(cand, row(e))
			}
			got, err := keepOneRegime("moe_gating_routing_topk", cand)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var extras []string
			for _, r := range got {
				extras = append(extras, r.Extra)
			}
			if strings.Join(extras, "|") != strings.Join(tc.want, "|") {
				t.Errorf("kept %q, want %q", extras, tc.want)
			}
		})
	}
}

// TestTrainCollectivesOnly trains a network artifact from two measured curves and
// checks its place, its manifest and that it opens and verifies.
func TestTrainCollectivesOnly(t *testing.T) {
	var rows []profile.Row
	for _, op := range []string{"all_reduce", "send_recv"} {
		for i := range 24 {
			b := int64(1) << (10 + i/2)
			if i%2 == 1 {
				b += b / 2
			}
			rows = append(rows, profile.Row{Operator: op, GPU: "a100_dgx", Network: "a100_dgx",
				Bytes: b, GroupSize: 2, RanksPerNode: 2, MedianMS: 0.01 + float64(b)/2e8})
		}
	}
	rows = append(rows, profile.Row{Operator: "all_reduce", GPU: "h100_dgx", Network: "h100_dgx", Bytes: 1024, GroupSize: 2, RanksPerNode: 2, MedianMS: 1})
	node, err := catalog.Default().Node("a100_dgx")
	if err != nil {
		t.Fatal(err)
	}
	opt := smallOptions()
	opt.Predictor = "interp"
	res, err := TrainCollectives(Input{Rows: rows, Datasets: []DatasetRef{{ID: "net", Rows: len(rows)}}}, *node, opt)
	if err != nil {
		t.Fatal(err)
	}
	m := &res.Manifest
	if !m.CollectivesOnly || m.Model != "" || m.TP != 0 || m.Network != "a100_dgx" || m.GPU != node.GPU {
		t.Errorf("manifest: collectives_only %v model %q tp %d network %q gpu %q", m.CollectivesOnly, m.Model, m.TP, m.Network, m.GPU)
	}
	var ops []string
	for _, r := range m.Operators {
		ops = append(ops, r.Op)
		if r.Rows != 24 {
			t.Errorf("%s: %d rows, want 24 (the other network's row is not this one's)", r.Op, r.Rows)
		}
	}
	if strings.Join(ops, ",") != "all_reduce,send_recv" {
		t.Errorf("operators %v", ops)
	}
	root := filepath.Join(t.TempDir(), "models")
	dir, err := WriteArtifact(root, res)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(root, node.GPU, "network-a100_dgx", m.ShortID()); dir != want {
		t.Errorf("written to %s, want %s", dir, want)
	}
	a, err := OpenArtifact(m.ShortID(), root)
	if err != nil {
		t.Fatal(err)
	}
	g, err := a.Grid("all_reduce")
	if err != nil {
		t.Fatal(err)
	}
	// Interpolation is exact on a measured point: 1 MiB between 2 ranks of one node.
	if v, out := g.At([]float64{2, 2, 1 << 20}); out || math.Abs(v-(0.01+float64(1<<20)/2e8)) > 1e-9 {
		t.Errorf("all_reduce at 1 MiB: %v (out of domain %v)", v, out)
	}

	if _, err := TrainCollectives(Input{Rows: rows[:1]}, catalog.Node{Name: "h100_dgx", GPU: "h100"}, opt); err == nil || !strings.Contains(err.Error(), "network = h100_dgx") {
		t.Errorf("network without rows: err = %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, ManifestFile)); err != nil {
		t.Error(err)
	}
}

// TestSelectRowsPrefersThisModelsMeasurements: measured rows of another model on the
// same GPU do not hide the roofline rows of this one, and this model's measured rows
// win over its roofline rows.
func TestSelectRowsPrefersThisModelsMeasurements(t *testing.T) {
	m, err := catalog.Default().Model("meta-llama/Llama-2-7b-hf")
	if err != nil {
		t.Fatal(err)
	}
	add := func(hidden int64, synthetic bool, ms float64) profile.Row {
		return profile.Row{Operator: "add", GPU: "a800", HiddenSize: hidden, NumQHeads: int64(m.NumQHeads),
			NumKVHeads: int64(m.NumKVHeads), IntermediateSize: int64(m.IntermediateSize), GatedMLP: true,
			TP: 1, NumTokens: 8, MedianMS: ms, Synthetic: synthetic}
	}
	spec := OpSpec{Op: "add", class: classDense, Features: []string{FeatNumTokens}}
	sel := Selection{GPU: "a800", TP: 1}
	other := int64(m.HiddenSize) * 2

	// Another model's measurement and this model's roofline: the roofline is used.
	tab, err := selectRows([]profile.Row{add(other, false, 1), add(int64(m.HiddenSize), true, 2)}, spec, *m, sel)
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.y) != 1 || tab.y[0] != 2 || !tab.synthetic {
		t.Errorf("got targets %v (synthetic %v), want the roofline row 2", tab.y, tab.synthetic)
	}
	// This model's measurement and roofline: the measurement wins.
	tab, err = selectRows([]profile.Row{add(int64(m.HiddenSize), true, 2), add(int64(m.HiddenSize), false, 3)}, spec, *m, sel)
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.y) != 1 || tab.y[0] != 3 || tab.synthetic {
		t.Errorf("got targets %v (synthetic %v), want the measured row 3", tab.y, tab.synthetic)
	}
}
