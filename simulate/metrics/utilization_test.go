package metrics

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestUtilizationFiles checks the plots/replica_*.json files: Vidur's off-by-one names
// and means under VidurCompat, the engine's ids and time-weighted means otherwise, and
// json.dump's layout (ints stay ints) in both.
func TestUtilizationFiles(t *testing.T) {
	record := func(r *Recorder) {
		// Replica 0: memory 10% from t=1 to t=3, 30% after; one batch from 1 to 2 on
		// stage 0. Replica 1 never runs anything.
		r.RecordMemory(0, 1, 10)
		r.RecordBatch(&BatchRecord{ID: 0, ReplicaID: 0, StageID: 0, ScheduledAt: 1, StartedAt: 1, CompletedAt: 2, ExecutionTime: 1, MFU: 40, Size: 1, NumTokens: 1})
		r.RecordMemory(0, 3, 30)
		r.RecordMemory(0, 4, 30)
	}
	tests := []struct {
		name   string
		compat bool
		want   map[string]string
	}{
		{"vidur", true, map[string]string{
			// Samples 0 (the initial put), 10, 30, 30: a plain mean of 17.5.
			"replica_2_memory_usage.json": `{"replica_2_memory_usage_min": 0, "replica_2_memory_usage_max": 30.0, "replica_2_memory_usage_weighted_mean": 17.5}`,
			// Only the segment from t=1 counts: busy 100 for 1 s of 1 s.
			"replica_2_stage_1_busy_time_percent.json": `{"replica_2_stage_1_busy_time_percent_min": 0, "replica_2_stage_1_busy_time_percent_max": 100, "replica_2_stage_1_busy_time_percent_weighted_mean": 100.0}`,
			"replica_2_stage_1_mfu.json":               `{"replica_2_stage_1_mfu_min": 0, "replica_2_stage_1_mfu_max": 40.0, "replica_2_stage_1_mfu_weighted_mean": 40.0}`,
			// Replica 1 lands in slot 0, file 1; its memory meter has only put(0, 0),
			// its stage meters no segment, so Vidur writes no stage files.
			"replica_1_memory_usage.json": `{"replica_1_memory_usage_min": 0, "replica_1_memory_usage_max": 0, "replica_1_memory_usage_weighted_mean": 0.0}`,
		}},
		{"llmsim", false, map[string]string{
			// 0% for 1 s, 10% for 2 s, 30% for 1 s: 50/4.
			"replica_0_memory_usage.json":              `{"replica_0_memory_usage_min": 0, "replica_0_memory_usage_max": 30.0, "replica_0_memory_usage_weighted_mean": 12.5}`,
			"replica_0_stage_0_busy_time_percent.json": `{"replica_0_stage_0_busy_time_percent_min": 0, "replica_0_stage_0_busy_time_percent_max": 100, "replica_0_stage_0_busy_time_percent_weighted_mean": 50.0}`,
			"replica_0_stage_0_mfu.json":               `{"replica_0_stage_0_mfu_min": 0, "replica_0_stage_0_mfu_max": 40.0, "replica_0_stage_0_mfu_weighted_mean": 20.0}`,
			"replica_1_memory_usage.json":              `{"replica_1_memory_usage_min": 0, "replica_1_memory_usage_max": 0, "replica_1_memory_usage_weighted_mean": 0.0}`,
			"replica_1_stage_0_busy_time_percent.json": `{"replica_1_stage_0_busy_time_percent_min": 0, "replica_1_stage_0_busy_time_percent_max": 0, "replica_1_stage_0_busy_time_percent_weighted_mean": 0.0}`,
			"replica_1_stage_0_mfu.json":               `{"replica_1_stage_0_mfu_min": 0, "replica_1_stage_0_mfu_max": 0, "replica_1_stage_0_mfu_weighted_mean": 0.0}`,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			r, err := NewRecorder(dir, Options{Utilization: true, NumReplicas: 2, NumStages: 1, VidurCompat: tc.compat})
			if err != nil {
				t.Fatal(err)
			}
			record(r)
			if err := r.Close(nil); err != nil {
				t.Fatal(err)
			}
			files, _ := filepath.Glob(filepath.Join(dir, "plots", "*.json"))
			var names []string
			for _, f := range files {
				names = append(names, filepath.Base(f))
			}
			var want []string
			for name := range tc.want {
				want = append(want, name)
			}
			slices.Sort(want)
			if !slices.Equal(names, want) {
				t.Errorf("files %v, want %v", names, want)
			}
			for name, text := range tc.want {
				got, err := os.ReadFile(filepath.Join(dir, "plots", name))
				if err != nil {
					continue
				}
				if string(got) != text {
					t.Errorf("%s:\n got %s\nwant %s", name, got, text)
				}
			}
		})
	}
}
