package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/llmsim/llmsim/simulate/config"
)

// runExperiment runs a throwaway command wired like simulate and returns what loadExperiment
// resolved.
func runExperiment(t *testing.T, args ...string) (*config.Config, error) {
	t.Helper()
	var got *config.Config
	cmd := &cobra.Command{
		Use:           "exp",
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := loadExperiment(cmd)
			got = c
			return err
		},
	}
	addExperimentFlags(cmd)
	cmd.SetArgs(args)
	cmd.SetOut(new(strings.Builder))
	cmd.SetErr(new(strings.Builder))
	err := cmd.Execute()
	return got, err
}

func writeFile(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "exp.yaml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadExperimentDefaults(t *testing.T) {
	c, err := runExperiment(t)
	if err != nil {
		t.Fatal(err)
	}
	want := config.Default()
	if c.Cluster.Replica.ModelName != want.Cluster.Replica.ModelName || c.Seed != 42 ||
		c.Cluster.ReplicaScheduler.Sarathi.ChunkSize != 512 ||
		len(c.ExecutionTimePredictor.RandomForrest.NumEstimators) != 3 {
		t.Errorf("defaults resolved as %+v", c)
	}
}

// TestLoadExperimentPrecedence: flag > environment > file > default, setting by setting.
func TestLoadExperimentPrecedence(t *testing.T) {
	file := writeFile(t, `
cluster_config:
  num_replicas: 3                        # overridden by the environment
  replica_config: {tensor_parallel_size: 2}
  replica_scheduler_config:
    sarathi: {chunk_size: 256}           # overridden by the flag
metrics_config: {store_plots: false}
`)
	t.Setenv("LLMSIM_CLUSTER_CONFIG_NUM_REPLICAS", "4")
	t.Setenv("LLMSIM_SARATHI_SCHEDULER_CONFIG_CHUNK_SIZE", "128")   // overridden by the flag
	t.Setenv("LLMSIM_CLUSTER_CONFIG_REPLICA_CONFIG_DEVICE", "a100") // nested spelling
	t.Setenv("LLMSIM_RANDOM_FORREST_EXECUTION_TIME_PREDICTOR_CONFIG_MAX_DEPTH", "4,8")
	c, err := runExperiment(t, "--config", file, "--sarathi_scheduler_config_chunk_size", "1024", "--no-metrics_config_enable_chrome_trace")
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"tp from file", c.Cluster.Replica.TensorParallelSize, 2},
		{"replicas from env over file", c.Cluster.NumReplicas, 4},
		{"chunk from flag over env and file", c.Cluster.ReplicaScheduler.Sarathi.ChunkSize, 1024},
		{"store_plots from file", c.Metrics.StorePlots, false},
		{"chrome trace from --no- flag", c.Metrics.EnableChromeTrace, false},
		{"list from env", fmt.Sprint(c.ExecutionTimePredictor.RandomForrest.MaxDepth), "[4 8]"},
		{"default kept", c.Cluster.ReplicaScheduler.VLLM.MaxTokensInBatch, 4096},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s: got %v, want %v", ch.name, ch.got, ch.want)
		}
	}
}

func TestLoadExperimentErrors(t *testing.T) {
	tests := []struct {
		name string
		file string
		env  [2]string
		args []string
		want []string
	}{
		{name: "yaml key typo", file: "cluster_config:\n  replica_config:\n    tensor_paralel_size: 2\n",
			want: []string{"exp.yaml:3", "unknown key cluster_config.replica_config.tensor_paralel_size", "did you mean cluster_config.replica_config.tensor_parallel_size?"}},
		{name: "unknown flag", args: []string{"--replica_config_tensr_parallel_size", "2"},
			want: []string{"unknown flag --replica_config_tensr_parallel_size", "did you mean --replica_config_tensor_parallel_size?"}},
		{name: "invalid tp", args: []string{"--replica_config_tensor_parallel_size", "3"},
			want: []string{"--replica_config_tensor_parallel_size", "= 3", "does not divide the 32 query heads"}},
		{name: "invalid tp in file", file: "replica_config_tensor_parallel_size: 3\n",
			want: []string{"cluster_config.replica_config.tensor_parallel_size", "= 3"}},
		{name: "malformed env", env: [2]string{"LLMSIM_REPLICA_CONFIG_TENSOR_PARALLEL_SIZE", "2.5"},
			want: []string{"LLMSIM_REPLICA_CONFIG_TENSOR_PARALLEL_SIZE", `"2.5" is not an integer`}},
		{name: "missing file", args: []string{"--config", "/nonexistent/exp.yaml"}, want: []string{"/nonexistent/exp.yaml"}},
		{name: "unknown model", args: []string{"--replica_config_model_name", "llama-9"}, want: []string{"--replica_config_model_name", "llama-9"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			if tt.file != "" {
				args = append([]string{"--config", writeFile(t, tt.file)}, args...)
			}
			if tt.env[0] != "" {
				t.Setenv(tt.env[0], tt.env[1])
			}
			_, err := runExperiment(t, args...)
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n%v\ndoes not contain %q", err, w)
				}
			}
		})
	}
}

func TestConfigFileFromEnv(t *testing.T) {
	t.Setenv(configEnvVar, writeFile(t, "seed: 9\n"))
	c, err := runExperiment(t)
	if err != nil {
		t.Fatal(err)
	}
	if c.Seed != 9 {
		t.Errorf("seed = %d, want 9 from $%s", c.Seed, configEnvVar)
	}
}
