package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/llmsim/llmsim/catalog"
	"github.com/llmsim/llmsim/internal/shareddata"
)

func loadFile(t *testing.T, name string) *Config {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	c, err := LoadYAML(name, data)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(catalog.Default()); err != nil {
		t.Fatalf("%s does not validate:\n%v", name, err)
	}
	return c
}

func TestLoadYAMLNested(t *testing.T) {
	c := loadFile(t, "sarathi.yaml")
	want := Default()
	want.Seed = 7
	want.Cluster.NumReplicas = 2
	want.Cluster.Replica.TensorParallelSize = 2
	want.Cluster.ReplicaScheduler.Sarathi.ChunkSize = 256
	want.RequestGenerator.Synthetic.NumRequests = 64
	want.RequestGenerator.Synthetic.LengthGenerator.Type = LengthUniform
	want.RequestGenerator.Synthetic.LengthGenerator.Uniform.MinTokens = 512
	want.RequestGenerator.Synthetic.LengthGenerator.Uniform.MaxTokens = 2048
	want.RequestGenerator.Synthetic.IntervalGenerator.Poisson.QPS = 2.5
	want.ExecutionTimePredictor.RandomForrest.NumEstimators = []int{10, 20}
	want.Metrics.StorePlots = false
	if !reflect.DeepEqual(*c, want) {
		t.Errorf("sarathi.yaml loaded as\n%+v\nwant\n%+v", *c, want)
	}
	if got := c.RequestGenerator.MaxTokens(); got != 2048 {
		t.Errorf("MaxTokens() = %d, want the uniform generator's 2048", got)
	}
}

func TestLoadYAMLFlat(t *testing.T) {
	c := loadFile(t, "flat.yaml")
	if c.Cluster.Replica.TensorParallelSize != 2 || c.Cluster.ReplicaScheduler.Type != SchedulerVLLM ||
		c.Cluster.ReplicaScheduler.VLLM.MaxTokensInBatch != 8192 || !c.ExecutionTimePredictor.NoCache ||
		c.RequestGenerator.TraceReplay.TraceFile != "trace.csv" {
		t.Errorf("flat.yaml loaded as %+v", c)
	}
}

func TestReadYAMLErrors(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"typo", "cluster_config:\n  replica_config:\n    tensr_parallel_size: 2\n",
			[]string{"x.yaml:3:", "unknown key cluster_config.replica_config.tensr_parallel_size", "did you mean cluster_config.replica_config.tensor_parallel_size?"}},
		{"top-level typo", "sead: 3\n", []string{"x.yaml:1:", "unknown key sead", "did you mean seed?"}},
		{"not an int", "cluster_config:\n  num_replicas: 2.5\n", []string{"x.yaml:2:", "cluster_config.num_replicas", `"2.5" is not an integer`}},
		{"not a bool", "metrics_config: {store_plots: yes}\n", []string{"metrics_config.store_plots", `"yes" is not true or false`}},
		{"group as value", "cluster_config: 3\n", []string{"cluster_config is a group of settings"}},
		{"value as group", "seed: {a: 1}\n", []string{"seed: takes a int64, not a mapping"}},
		{"list for scalar", "seed: [1, 2]\n", []string{"seed: takes one int64, not a list"}},
		{"set twice", "replica_config_tensor_parallel_size: 2\ncluster_config:\n  replica_config: {tensor_parallel_size: 4}\n",
			[]string{"x.yaml:3:", "already set on line 1"}},
		{"not a mapping", "- a\n- b\n", []string{"must be a mapping"}},
		{"syntax", "a: [\n", []string{"x.yaml"}},
		{"every problem", "sead: 1\nlog_levl: info\n", []string{"sead", "log_levl"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadYAML("x.yaml", []byte(tt.yaml))
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

func TestReadYAMLEmpty(t *testing.T) {
	for _, in := range []string{"", "# nothing\n", "---\n"} {
		s, err := ReadYAML("e.yaml", []byte(in))
		if err != nil || len(s) != 0 {
			t.Errorf("ReadYAML(%q) = %v, %v; want no settings", in, s, err)
		}
	}
}

func TestNestedMap(t *testing.T) {
	s, err := ReadYAML("x.yaml", []byte("seed: 3\nreplica_config_device: h100\n"))
	if err != nil {
		t.Fatal(err)
	}
	got := NestedMap(s)
	want := map[string]any{
		"seed":           int64(3),
		"cluster_config": map[string]any{"replica_config": map[string]any{"device": "h100"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("NestedMap = %v, want %v", got, want)
	}
}

// FuzzReadYAML checks that no input makes the reader panic, and that what it accepts loads.
func FuzzReadYAML(f *testing.F) {
	for _, name := range []string{"sarathi.yaml", "flat.yaml"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("cluster_config: {replica_config: {tensor_parallel_size: 2}}\n"))
	f.Add([]byte("a: &x {seed: 1}\nseed: *x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ReadYAML("fuzz.yaml", data)
		if err != nil {
			return
		}
		c := Default()
		for _, st := range s {
			st.Field.set(&c, st.Value)
		}
		_ = NestedMap(s)
	})
}

// FuzzFromCommandLine checks that no command line makes the parser panic.
func FuzzFromCommandLine(f *testing.F) {
	f.Add("python3 -m vidur.main --seed 1 --no-metrics_config_store_plots")
	f.Add("--random_forrest_execution_time_predictor_config_num_estimators 1 2 3 --seed=4")
	f.Add(`--metrics_config_output_dir "a b" --x 'y`)
	if root := shareddata.Root(); root != "" {
		cmds, _ := filepath.Glob(filepath.Join(root, "vidur_reference", "*", "cmd.txt"))
		for _, p := range cmds {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(string(b))
			}
		}
	}
	f.Fuzz(func(t *testing.T, text string) {
		c, err := FromCommandLine(text)
		if err == nil && c == nil {
			t.Fatal("nil config without error")
		}
	})
}
