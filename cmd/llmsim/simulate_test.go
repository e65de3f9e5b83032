package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmsim/llmsim/internal/shareddata"
)

// runSimulateCmd runs `llmsim simulate args...` with the output under a fresh folder,
// and returns that folder and the error.
func runSimulateCmd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "runs")
	cmd := newSimulateCmd()
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	cmd.SetArgs(append([]string{"--metrics_config_output_dir", out, "--no-progress"}, args...))
	cmd.SetOut(new(strings.Builder))
	cmd.SetErr(new(strings.Builder))
	return out, cmd.Execute()
}

// TestSimulateRejectsBadInput checks that bad input stops `llmsim simulate` before the
// simulation starts, with a message that says where the problem is, and that nothing
// is written: no run folder, no partial metrics.
func TestSimulateRejectsBadInput(t *testing.T) {
	preds := shareddata.Path(t, "vidur_reference/predictions/a100_llama-2-7b_tp1")
	table := []string{"--execution_time_predictor_config_type", "table", "--table_execution_time_predictor_config_predictions_dir", preds}
	trace := func(text string) string {
		p := filepath.Join(t.TempDir(), "trace.csv")
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	replay := func(text string) []string {
		return append([]string{"--request_generator_config_type", "trace_replay", "--trace_request_generator_config_trace_file", trace(text)}, table...)
	}
	tests := []struct {
		name string
		args []string
		want []string // substrings of the error
	}{
		{
			"negative length",
			replay("arrived_at,num_prefill_tokens,num_decode_tokens\n0.0,100,10\n0.5,-3,10\n"),
			[]string{"trace.csv:3", "num_prefill_tokens", "-3"},
		},
		{
			"unsorted timestamps",
			replay("arrived_at,num_prefill_tokens,num_decode_tokens\n0.0,100,10\n2.0,100,10\n1.0,100,10\n"),
			[]string{"trace.csv:4", "arrived_at"},
		},
		{
			"missing column",
			append(replay("arrived_at,num_prefill_tokens\n0.0,100\n"), "--trace_request_generator_config_format", "vidur"),
			[]string{"trace.csv:1", "num_decode_tokens"},
		},
		{
			"missing column, format detected",
			replay("arrived_at,num_prefill_tokens\n0.0,100\n"),
			[]string{"trace.csv:1", "cannot tell the trace format"},
		},
		{
			"model does not fit",
			append([]string{"--replica_config_model_name", "meta-llama/Llama-2-70b-hf"}, table...),
			[]string{"does not fit", "raise TP or PP"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := runSimulateCmd(t, tc.args...)
			if err == nil {
				t.Fatal("simulate accepted the input")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if _, serr := os.Stat(out); !os.IsNotExist(serr) {
				entries, _ := os.ReadDir(out)
				t.Errorf("the failed run wrote %s (%d entries)", out, len(entries))
			}
		})
	}
}
