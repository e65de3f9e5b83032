package vidurcase

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/llmsim/llmsim/catalog"
	"github.com/llmsim/llmsim/internal/shareddata"
)

// TestReferenceCases reruns every Vidur reference case and checks llmsim against
// Vidur's own outputs: per request TTFT, end-to-end time and scheduling delay within
// 0.1% (or 1 µs), and the same number of batches.
func TestReferenceCases(t *testing.T) {
	root := shareddata.Path(t, "vidur_reference")
	dirs, err := filepath.Glob(filepath.Join(root, "v*"))
	if err != nil || len(dirs) == 0 {
		t.Skipf("no reference cases under %s", root)
	}
	cat := catalog.Default()
	for _, dir := range dirs {
		if st, err := os.Stat(filepath.Join(dir, "cmd.txt")); err != nil || st.IsDir() {
			continue
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			c, err := Load(dir, "")
			if err != nil {
				t.Fatal(err)
			}
			out, err := c.Simulate(cat, nil)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := c.Compare(out, DefaultTolerance)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Batches != rep.RefBatches {
				t.Errorf("%d batches, Vidur ran %d", rep.Batches, rep.RefBatches)
			}
			if rep.Requests != rep.RefRequests || rep.MissingRequests != 0 {
				t.Errorf("%d requests completed (%d missing), Vidur completed %d", rep.Requests, rep.MissingRequests, rep.RefRequests)
			}
			for _, name := range []string{"prefill_e2e_time", "request_e2e_time", "request_scheduling_delay"} {
				m, ok := rep.Metric(name)
				if !ok {
					t.Errorf("metric %s not compared", name)
					continue
				}
				if m.Failures > 0 {
					t.Errorf("%s: %d of %d requests beyond tolerance; worst request %d: %v, Vidur %v", name, m.Failures, m.Rows, m.WorstID, m.WorstGot, m.WorstWant)
				}
			}
			if t.Failed() || testing.Verbose() {
				rep.WriteTo(testWriter{t})
			}
		})
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}
