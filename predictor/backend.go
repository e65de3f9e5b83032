package predictor

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/llmsim/llmsim/profile"
)

// Execution-time backends, as vidur-alibabacloud's
// --random_forrest_execution_time_predictor_config_backend names them (docs/comm.md).
const (
	// BackendVidur: operator tables from a trained artifact or Vidur's CSVs, collectives
	// included (profiled all_reduce and send_recv).
	BackendVidur = "vidur"
	// BackendSimAIAnalytical: the same compute tables, with TP and PP collectives from
	// the analytical bus-bandwidth model (AnalyticalComm).
	BackendSimAIAnalytical = "simai_analytical"
	// BackendSimAISimulation: the same compute tables, with TP all-reduces timed by
	// SimAI's own runs (LoadSimAIResults).
	BackendSimAISimulation = "simai_simulation"
	// BackendAICB: per-layer compute from AICB's layer tables (AICBModel).
	BackendAICB = "aicb"
)

// WithComm returns a copy of t whose TP all-reduce and PP send/recv tables come from m:
// a message of n tokens is n·HiddenSize·2 bytes (fp16/bf16 activations), the TP group
// is TensorParallel ranks inside a node when they fit, and pipeline stages sit on
// different nodes when the replica spans nodes (Vidur's rule). It also returns how many
// table entries m extrapolated beyond its data.
func WithComm(t *Tables, m CommModel, c CommSetup) (*Tables, int, error) {
	out := *t
	ood := 0
	if c.TensorParallel > 1 {
		perNode := c.TensorParallel
		if c.GPUsPerNode > 0 {
			perNode = min(c.TensorParallel, c.GPUsPerNode)
		}
		v, n, err := commTokenTable(m, CollAllReduce, Group{Kind: GroupTP, Size: c.TensorParallel, RanksPerNode: perNode}, c.HiddenSize, t.Limits.MaxTokens)
		if err != nil {
			return nil, 0, fmt.Errorf("predictor: TP all_reduce: %w", err)
		}
		out.Token[AllReduce], ood = v, ood+n
	}
	if c.PipelineStages > 1 && !c.TPOnly {
		perNode := 2
		if c.GPUsPerNode > 0 && c.TensorParallel*c.PipelineStages > c.GPUsPerNode {
			perNode = 1
		}
		v, n, err := commTokenTable(m, CollSendRecv, Group{Kind: GroupPP, Size: 2, RanksPerNode: perNode}, c.HiddenSize, t.Limits.MaxTokens)
		if err != nil {
			return nil, 0, fmt.Errorf("predictor: PP send_recv: %w", err)
		}
		out.Token[SendRecv], ood = v, ood+n
	}
	out.Source = t.Source + " + " + fmt.Sprint(m)
	if ood > 0 {
		out.OutOfDomain = append(slices.Clip(t.OutOfDomain), fmt.Sprintf("%d TP/PP collective table entries lie outside the message sizes the communication model (%v) measured and are extrapolated", ood, m))
	}
	return &out, ood, nil
}

// String names the model in a table's Source.
func (a *AnalyticalComm) String() string {
	if a.BusBW != nil {
		return "simai_analytical(busbw.yaml " + a.BusBW.Name + ")"
	}
	return fmt.Sprintf("simai_analytical(NVLink %.4g GB/s, RDMA %.4g GB/s)", a.IntraNode/1e9, a.InterNode/1e9)
}

// String names the model in a table's Source.
func (p *ProfiledComm) String() string { return "profiled(" + p.source + ")" }

// LoadSimAIResults reads the results of SimAI runs (SimAI_simulator or
// SimAI_analytical) from dir into a profiled collective model. Each run is a SimAI
// workload <name>.txt (the collectives to time, e.g. vidur-alibabacloud's one-layer
// ALLREDUCE probe) with its result <name>_EndToEnd.csv beside it or in dir/results/
// (what `SimAI_analytical -r <name>_` writes; rename ns-3's ncclFlowModel_EndToEnd.csv
// to it). From each layer row of the result the "fwd exposed comm" column (µs) becomes
// the time of that layer's forward collective, whose size and group the workload gives.
func LoadSimAIResults(dir string) (*ProfiledComm, error) {
	wls, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		return nil, fmt.Errorf("predictor: simai_simulation: %w", err)
	}
	var rows []profile.Row
	var missing []string
	for _, wl := range wls {
		base := strings.TrimSuffix(filepath.Base(wl), ".txt")
		if head, err := readHead(wl); err != nil || !profile.SimAIWorkloadReader.Detect(filepath.Base(wl), head) {
			continue // not a SimAI workload
		}
		res := ""
		for _, c := range []string{filepath.Join(dir, base+"_EndToEnd.csv"), filepath.Join(dir, "results", base+"_EndToEnd.csv")} {
			if _, err := os.Stat(c); err == nil {
				res = c
				break
			}
		}
		if res == "" {
			missing = append(missing, base+"_EndToEnd.csv")
			continue
		}
		f, err := os.Open(wl)
		if err != nil {
			return nil, fmt.Errorf("predictor: simai_simulation: %w", err)
		}
		wr, err := profile.SimAIWorkloadReader.Read(profile.Source{Name: wl, R: f}, profile.Options{})
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("predictor: simai_simulation: %w", err)
		}
		times, err := readSimAIExposedComm(res)
		if err != nil {
			return nil, err
		}
		for _, r := range wr.Rows {
			if r.Bytes == 0 || !strings.Contains(r.Extra, "phase=fwd") {
				continue
			}
			layer := extraValue(r.Extra, "layer")
			us, ok := times[layer]
			if !ok {
				return nil, fmt.Errorf("predictor: simai_simulation: %s has no row for layer %s of %s", res, layer, wl)
			}
			r.MedianMS = us * 1e-3
			r.RanksPerNode = r.GroupSize // SimAI's TP group sits in one node
			r.Network = "simai"
			rows = append(rows, r)
		}
	}
	if len(rows) == 0 {
		msg := fmt.Sprintf("predictor: simai_simulation: no SimAI results in %s: it needs SimAI workloads <name>.txt with their results <name>_EndToEnd.csv (or results/<name>_EndToEnd.csv); see docs/comm.md", dir)
		if len(missing) > 0 {
			msg += "; missing " + strings.Join(missing, ", ")
		}
		return nil, fmt.Errorf("%s", msg)
	}
	return NewProfiledComm(rows, "SimAI results in "+dir)
}

// readHead returns the first 64 KiB of a file, what a profile.Reader's Detect looks at.
func readHead(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, 64<<10)
	n, err := io.ReadFull(f, b)
	if err == io.ErrUnexpectedEOF || err == io.EOF {
		err = nil
	}
	return b[:n], err
}

func extraValue(extra, key string) string {
	for _, kv := range strings.Split(extra, ";") {
		if v, ok := strings.CutPrefix(kv, key+"="); ok {
			return v
		}
	}
	return ""
}

// readSimAIExposedComm reads a SimAI EndToEnd.csv and returns each layer's "fwd exposed
// comm", µs. The file starts with a summary block (analytical) or ends with one (ns-3);
// layer rows follow the header line that starts with layer_name.
func readSimAIExposedComm(path string) (map[string]float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("predictor: simai_simulation: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<22)
	col, n := -1, 0
	out := map[string]float64{}
	for sc.Scan() {
		n++
		fs := strings.Split(sc.Text(), ",")
		for i := range fs {
			fs[i] = strings.TrimSpace(fs[i])
		}
		if fs[0] == "layer_name" {
			col = slices.Index(fs, "fwd exposed comm")
			if col < 0 {
				return nil, fmt.Errorf("predictor: %s:%d: header has no \"fwd exposed comm\" column", path, n)
			}
			continue
		}
		if col < 0 || len(fs) <= col || fs[0] == "" || fs[0] == "SUM" || strings.HasPrefix(fs[0], "total") {
			continue
		}
		v, err := strconv.ParseFloat(fs[col], 64)
		if err != nil || v < 0 {
			return nil, fmt.Errorf("predictor: %s:%d: column fwd exposed comm: %q is not a time in µs", path, n, fs[col])
		}
		out[fs[0]] = v
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("predictor: %s: %w", path, err)
	}
	if col < 0 {
		return nil, fmt.Errorf("predictor: %s: not a SimAI EndToEnd.csv (no layer_name header)", path)
	}
	return out, nil
}
