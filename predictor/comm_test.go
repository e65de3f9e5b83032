package predictor

import (
	"math"
	"os"
	"strings"
	"testing"

	"github.com/llmsim/llmsim/internal/shareddata"
	"github.com/llmsim/llmsim/profile"
)

func near(a, b, rel float64) bool { return math.Abs(a-b) <= rel*math.Max(math.Abs(a), math.Abs(b)) }

func TestBusFactor(t *testing.T) {
	for _, tc := range []struct {
		c    Collective
		n    int
		want float64
	}{
		{CollAllReduce, 8, 1.75},
		{CollAllReduce, 2, 1},
		{CollAllGather, 4, 0.75},
		{CollReduceScatter, 8, 0.875},
		{CollAllToAll, 16, 15.0 / 16},
		{CollSendRecv, 2, 1},
		{CollAllReduce, 1, 0},
	} {
		if got := tc.c.BusFactor(tc.n); got != tc.want {
			t.Errorf("%s n=%d: factor %g, want %g", tc.c, tc.n, got, tc.want)
		}
	}
}

func collRow(op string, bytes int64, n, perNode int64, ms float64) profile.Row {
	return profile.Row{Operator: op, Network: "test", Bytes: bytes, GroupSize: n, RanksPerNode: perNode, MedianMS: ms}
}

func TestProfiledComm(t *testing.T) {
	rows := []profile.Row{
		collRow("all_reduce", 1024, 4, 4, 0.010),
		collRow("all_reduce", 1024, 4, 4, 0.012), // in-place twin: median 0.011
		collRow("all_reduce", 4096, 4, 4, 0.020),
		collRow("all_reduce", 1<<20, 4, 4, 1.0),
		collRow("send_recv", 1<<20, 2, 1, 0.5),
		collRow("mlp_up_proj", 1<<20, 0, 0, 1), // not a collective: ignored
	}
	m, err := NewProfiledComm(rows, "test")
	if err != nil {
		t.Fatal(err)
	}
	g := Group{Kind: GroupTP, Size: 4, RanksPerNode: 4}
	for _, tc := range []struct {
		name  string
		bytes float64
		want  float64
		ood   bool
	}{
		{"measured", 4096, 0.020e-3, false},
		{"duplicates combined by median", 1024, 0.011e-3, false},
		// Halfway in log(bytes) between 1 KiB and 4 KiB: the geometric mean of the times.
		{"log-log interpolation", 2048, math.Sqrt(0.011e-3 * 0.020e-3), false},
		{"beyond the largest: its bandwidth", 4 << 20, 4e-3, true},
		{"below the smallest: latency floor", 16, 0.011e-3, true},
	} {
		got, err := m.CollectiveTime(CollAllReduce, tc.bytes, g)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !near(got.Seconds, tc.want, 1e-12) || got.OutOfDomain != tc.ood {
			t.Errorf("%s: %+v, want %g s (out of domain %v)", tc.name, got, tc.want, tc.ood)
		}
	}
	_, err = m.CollectiveTime(CollAllReduce, 1024, Group{Kind: GroupTP, Size: 8, RanksPerNode: 8})
	if err == nil || !strings.Contains(err.Error(), "n=4 per_node=4") {
		t.Errorf("unmeasured group: error %v, want one listing the measured groups", err)
	}
	if _, err := m.CollectiveTime(CollAllGather, 1024, g); err == nil {
		t.Error("unmeasured collective: no error")
	}
	mixed := append(rows, profile.Row{Operator: "all_reduce", Network: "other", Bytes: 1024, GroupSize: 4, RanksPerNode: 4, MedianMS: 1})
	if _, err := NewProfiledComm(mixed, "mixed"); err == nil {
		t.Error("rows of two networks: no error")
	}
}

func TestAnalyticalComm(t *testing.T) {
	a := &AnalyticalComm{IntraNode: 100e9, InterNode: 50e9}
	gib := float64(1 << 30)
	for _, tc := range []struct {
		name  string
		c     Collective
		bytes float64
		g     Group
		want  float64
	}{
		{"all_reduce 8 ranks NVLink", CollAllReduce, gib, Group{GroupTP, 8, 8}, 15e-6 + 1.75*gib/100e9},
		{"all_gather 16 ranks RDMA", CollAllGather, gib, Group{GroupDP, 16, 8}, 66e-6 + 15.0/16*gib/50e9},
		{"send_recv between nodes", CollSendRecv, gib, Group{GroupPP, 2, 1}, 10e-6 + gib/50e9},
		// 6 ranks: halfway in log2 between 4 (12 µs) and 8 (15 µs) is log2(6) ≈ 2.585.
		{"latency interpolated in log2 n", CollAllToAll, 6e6, Group{GroupEP, 6, 8}, 12e-6 + (math.Log2(6)-2)*3e-6 + 5.0/6*6e6/100e9},
		{"one rank moves nothing", CollAllReduce, gib, Group{GroupTP, 1, 1}, 0},
	} {
		got, err := a.CollectiveTime(tc.c, tc.bytes, tc.g)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !near(got.Seconds, tc.want, 1e-12) {
			t.Errorf("%s: %g s, want %g", tc.name, got.Seconds, tc.want)
		}
	}
	simai := &AnalyticalComm{IntraNode: 100e9, InterNode: 50e9, SimAISmallMessages: true}
	if got, _ := simai.CollectiveTime(CollAllReduce, 64<<10, Group{GroupTP, 8, 8}); got.Seconds != 15e-6 {
		t.Errorf("SimAI small message: %g s, want the 15 µs table latency alone", got.Seconds)
	}
	if got, _ := simai.CollectiveTime(CollAllReduce, 64<<10, Group{GroupTP, 6, 8}); got.Seconds != 0 {
		t.Errorf("SimAI small message, 6 ranks: %g s, want SimAI's 0", got.Seconds)
	}
}

func TestAnalyticalCommBusBWYAML(t *testing.T) {
	const y = "test\nTP:\nallreduce,: 300\nallgather,: 280\nreducescatter,: 280\nalltoall,: 230\nEP:\nalltoall,: 80\nPP:\nbusbw: 47.5"
	b, err := profile.ParseBusBWYAML(strings.NewReader(y), "busbw.yaml")
	if err != nil {
		t.Fatal(err)
	}
	a := &AnalyticalComm{IntraNode: 1, InterNode: 1, BusBW: b}
	gib := float64(1 << 30)
	got, err := a.CollectiveTime(CollAllReduce, gib, Group{GroupTP, 8, 8})
	if err != nil {
		t.Fatal(err)
	}
	// SimAI: bytes/2³⁰/busbw seconds, times the all-reduce factor.
	if want := 15e-6 + 1.75/300; !near(got.Seconds, want, 1e-12) {
		t.Errorf("TP all_reduce from busbw.yaml: %g s, want %g", got.Seconds, want)
	}
	got, _ = a.CollectiveTime(CollSendRecv, gib, Group{GroupPP, 2, 1})
	if want := 10e-6 + 1/47.5; !near(got.Seconds, want, 1e-12) {
		t.Errorf("PP send_recv from busbw.yaml: %g s, want %g", got.Seconds, want)
	}
	// DP has no entry: the link figure (1 B/s here) is used.
	got, _ = a.CollectiveTime(CollAllGather, 1e3, Group{GroupDP, 2, 2})
	if want := 10e-6 + 0.5*1e3; !near(got.Seconds, want, 1e-12) {
		t.Errorf("fallback to the link figure: %g s, want %g", got.Seconds, want)
	}
}

func TestP2PLink(t *testing.T) {
	// vidur-alibabacloud's README sample: 3,561,947,136 bytes at 800 "Gbps" read as
	// 800·1024³/8 B/s take 0.0331732 s.
	l := P2PLink{BytesPerSecond: 800 * GbpsBytesAlibabaCloud}
	got, err := l.CollectiveTime(CollSendRecv, 3561947136, Group{Kind: GroupPD, Size: 2, RanksPerNode: 1})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got.Seconds-0.0331732) > 5e-8 {
		t.Errorf("README sample: %.7f s, want 0.0331732", got.Seconds)
	}
	if _, err := l.CollectiveTime(CollAllReduce, 1, Group{}); err == nil {
		t.Error("all_reduce on a point-to-point link: no error")
	}
}

// TestProfiledCommHeldOut leaves every 4th message size of real collective profiles out
// (nccl-tests logs from an 8×A100 node and a 2×8 H100 cluster, Vidur's A100 DGX
// all_reduce.csv and send_recv.csv), builds the model from the rest and checks, per
// collective, the median absolute percentage error over all left-out sizes.
func TestProfiledCommHeldOut(t *testing.T) {
	files := []struct {
		path, network string
		r             profile.Reader
	}{
		{"profiles/nccl-tests/microsoft+superbenchmark/tests/data/nccl_allreduce.log", "a100_sxm", profile.NCCLTestsReader},
		{"profiles/nccl-tests/microsoft+superbenchmark/tests/data/nccl_allgather.log", "a100_sxm", profile.NCCLTestsReader},
		{"profiles/nccl-tests/microsoft+superbenchmark/tests/data/nccl_reducescatter.log", "a100_sxm", profile.NCCLTestsReader},
		{"profiles/nccl-tests/microsoft+superbenchmark/tests/data/nccl_alltoall.log", "a100_sxm", profile.NCCLTestsReader},
		{"profiles/nccl-tests/KeitaW+p5-nccl-test-2024-07-19/nccl-test-output-v2.22.3-1.log", "p5", profile.NCCLTestsReader},
		{"vidur/profiling/network/a100_dgx/all_reduce.csv", "a100_dgx", profile.VidurCollectiveReader},
		{"vidur/profiling/network/a100_dgx/send_recv.csv", "a100_dgx", profile.VidurCollectiveReader},
	}
	pooled := map[string][]float64{}
	for _, fl := range files {
		f, err := os.Open(shareddata.Path(t, fl.path))
		if err != nil {
			t.Fatal(err)
		}
		res, err := fl.r.Read(profile.Source{Name: fl.path, R: f, Network: fl.network}, profile.Options{Lenient: true})
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		errs, err := HeldOutCollectiveErrors(res.Rows, 4)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range errs {
			t.Logf("%-9s %-14s n=%-2d per node %d: %3d sizes, median APE %.2f%%, max %.2f%%", e.Network, e.Collective, e.Group.Size, e.Group.RanksPerNode, e.N, e.MedianAPE, e.MaxAPE)
			pooled[e.Collective] = append(pooled[e.Collective], e.APEs...)
		}
	}
	for _, c := range collectiveNames {
		a := pooled[c]
		if len(a) == 0 {
			t.Errorf("%s: no held-out sizes", c)
			continue
		}
		m := median(a)
		t.Logf("%-14s all curves: %4d held-out sizes, median APE %.2f%%", c, len(a), m)
		if m > 5 {
			t.Errorf("%s: median APE %.2f%% on held-out sizes, want ≤ 5%%", c, m)
		}
	}
}
