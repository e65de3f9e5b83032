package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/llmsim/llmsim/catalog"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
		want []string // substrings of the error; nil means valid
	}{
		{"default", func(*Config) {}, nil},
		{"tp 8 on llama-2-7b", func(c *Config) {
			c.Cluster.Replica.TensorParallelSize = 8
			c.Cluster.Replica.NetworkDevice = "a100_dgx"
		}, nil},
		{"tp 3", func(c *Config) { c.Cluster.Replica.TensorParallelSize = 3 },
			[]string{"--replica_config_tensor_parallel_size", "= 3", "does not divide the 32 query heads", "1, 2, 4, 8, 16, 32"}},
		{"tp 16 on GQA with 8 kv heads is fine", func(c *Config) {
			c.Cluster.Replica.ModelName = "meta-llama/Llama-2-70b-hf"
			c.Cluster.Replica.TensorParallelSize = 16
			c.Cluster.Replica.NetworkDevice = "a100_dgx"
		}, nil},
		{"pp 5", func(c *Config) { c.Cluster.Replica.NumPipelineStages = 5 },
			[]string{"--replica_config_num_pipeline_stages", "does not divide the 32 layers"}},
		{"replica spills over nodes", func(c *Config) {
			c.Cluster.Replica.ModelName = "codellama-34b" // 48 layers
			c.Cluster.Replica.TensorParallelSize = 2
			c.Cluster.Replica.NumPipelineStages = 3
		},
			[]string{"neither fits in one 4-GPU a100_pairwise_nvlink node"}},
		{"ep on dense", func(c *Config) { c.Cluster.Replica.ExpertModelParallelSize = 2 },
			[]string{"--replica_config_expert_model_parallel_size", "dense model"}},
		{"ep over experts", func(c *Config) {
			c.Cluster.Replica.ModelName = "mixtral-8x7b"
			c.Cluster.Replica.Device, c.Cluster.Replica.NetworkDevice = "h100", "h100_dgx"
			c.Cluster.Replica.TensorParallelSize = 8
			c.Cluster.Replica.NumPipelineStages = 2
			c.Cluster.Replica.ExpertModelParallelSize = 16
		}, []string{"exceeds the 8 routed experts"}},
		{"ep fine", func(c *Config) {
			c.Cluster.Replica.ModelName = "mixtral-8x7b"
			c.Cluster.Replica.Device, c.Cluster.Replica.NetworkDevice = "h100", "h100_dgx"
			c.Cluster.Replica.TensorParallelSize = 8
			c.Cluster.Replica.ExpertModelParallelSize = 8
		}, nil},
		{"unknown model", func(c *Config) { c.Cluster.Replica.ModelName = "llama-9-7b" },
			[]string{"--replica_config_model_name", "unknown model"}},
		{"unknown gpu", func(c *Config) { c.Cluster.Replica.Device = "z900" }, []string{"--replica_config_device", "unknown gpu"}},
		{"node of another gpu", func(c *Config) { c.Cluster.Replica.NetworkDevice = "h100_dgx" },
			[]string{"--replica_config_network_device", "holds h100 GPUs but --replica_config_device is a100"}},
		{"unknown scheduler", func(c *Config) { c.Cluster.ReplicaScheduler.Type = "fifo" },
			[]string{"--replica_scheduler_config_type", `"fifo"`, "use one of vllm, sarathi"}},
		{"unknown global scheduler", func(c *Config) { c.Cluster.GlobalScheduler.Type = "rr" }, []string{"--global_scheduler_config_type"}},
		{"negative replicas", func(c *Config) { c.Cluster.NumReplicas = -1 }, []string{"--cluster_config_num_replicas", "at least 1"}},
		{"pd ratio 0", func(c *Config) { c.Cluster.Replica.PDNodeRatio = 0 }, []string{"--replica_config_pd_node_ratio", "(0, 1]"}},
		{"pd ratio above 1", func(c *Config) { c.Cluster.Replica.PDNodeRatio = 1.5 }, []string{"--replica_config_pd_node_ratio"}},
		{"pd without split_wise", func(c *Config) { c.Cluster.NumReplicas = 2; c.Cluster.Replica.PDNodeRatio = 0.5 },
			[]string{"needs --global_scheduler_config_type split_wise"}},
		{"split_wise", func(c *Config) {
			c.Cluster.NumReplicas = 4
			c.Cluster.Replica.PDNodeRatio = 0.5
			c.Cluster.GlobalScheduler.Type = GlobalSplitWise
			c.Cluster.ReplicaScheduler.Type = SchedulerSplitWise
		}, nil},
		{"split_wise with one replica", func(c *Config) {
			c.Cluster.Replica.PDNodeRatio = 0.5
			c.Cluster.GlobalScheduler.Type = GlobalSplitWise
			c.Cluster.ReplicaScheduler.Type = SchedulerSplitWise
		}, []string{"1 replicas split into 0 prefill and 1 decode"}},
		{"split_wise half", func(c *Config) { c.Cluster.GlobalScheduler.Type = GlobalSplitWise },
			[]string{"only work together"}},
		{"split_wise under compat vidur", func(c *Config) {
			c.Compat = CompatVidur
			c.Cluster.NumReplicas = 2
			c.Cluster.Replica.PDNodeRatio = 0.5
			c.Cluster.GlobalScheduler.Type = GlobalSplitWise
			c.Cluster.ReplicaScheduler.Type = SchedulerSplitWise
		}, []string{"split_wise is not in Vidur"}},
		{"lightllm block size", func(c *Config) { c.Cluster.ReplicaScheduler.Type = SchedulerLightLLM },
			[]string{"--lightllm_scheduler_config_block_size", "set it to 1"}},
		{"sarathi chunk", func(c *Config) { c.Cluster.ReplicaScheduler.Sarathi.ChunkSize = 0 },
			[]string{"--sarathi_scheduler_config_chunk_size"}},
		{"unknown compat", func(c *Config) { c.Compat = "vllm" }, []string{"--compat"}},
		{"bad dtype", func(c *Config) { c.Cluster.Replica.KVCacheDtype = "fp7" }, []string{"--replica_config_kv_cache_dtype"}},
		{"trace replay without file", func(c *Config) {
			c.RequestGenerator.Type = GeneratorTraceReplay
			c.RequestGenerator.TraceReplay.TraceFile = ""
		}, []string{"--trace_request_generator_config_trace_file"}},
		{"zipf theta 1", func(c *Config) {
			c.RequestGenerator.Synthetic.LengthGenerator.Type = LengthZipf
			c.RequestGenerator.Synthetic.LengthGenerator.Zipf.Theta = 1
		}, []string{"--zipf_request_length_generator_config_theta"}},
		{"poisson qps 0", func(c *Config) { c.RequestGenerator.Synthetic.IntervalGenerator.Poisson.QPS = 0 },
			[]string{"--poisson_request_interval_generator_config_qps"}},
		{"no end of workload", func(c *Config) { c.RequestGenerator.Synthetic.NumRequests = 0 },
			[]string{"--synthetic_request_generator_config_num_requests"}},
		{"table needs dir", func(c *Config) { c.ExecutionTimePredictor.Type = PredictorTable },
			[]string{"--random_forrest_execution_time_predictor_config_predictions_dir"}},
		{"wandb", func(c *Config) { c.Metrics.WandbProject = "x" }, []string{"--metrics_config_wandb_project", "Weights & Biases"}},
		{"several at once", func(c *Config) { c.Cluster.Replica.TensorParallelSize = 3; c.Cluster.NumReplicas = 0 },
			[]string{"tensor_parallel_size", "num_replicas"}},
	}
	cat := catalog.Default()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.edit(&c)
			err := c.Validate(cat)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("unexpected error:\n%v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want one containing %q", tt.want)
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Errorf("error %v holds no *FieldError", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n%v\ndoes not contain %q", err, w)
				}
			}
		})
	}
}

func TestPDSplit(t *testing.T) {
	tests := []struct {
		n, p   int
		ratio  float64
		wp, wd int
	}{
		{4, 0, 1, 4, 4},
		{4, 0, 0.5, 2, 2},
		{5, 0, 0.5, 2, 3},
		{5, 1, 0.5, 1, 4},
	}
	for _, tt := range tests {
		c := ClusterConfig{NumReplicas: tt.n, Replica: ReplicaConfig{PDNodeRatio: tt.ratio, NumPrefillReplicas: tt.p}}
		if p, d := c.PDSplit(); p != tt.wp || d != tt.wd {
			t.Errorf("PDSplit(%d replicas, ratio %g, prefill %d) = %d, %d; want %d, %d", tt.n, tt.ratio, tt.p, p, d, tt.wp, tt.wd)
		}
	}
}
