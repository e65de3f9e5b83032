package config

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/llmsim/llmsim/catalog"
)

func BenchmarkLoadYAML(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("testdata", "sarathi.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := LoadYAML("sarathi.yaml", data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFromCommandLine(b *testing.B) {
	const line = "python3 -m vidur.main --seed 42 --replica_config_device a100 --replica_config_model_name meta-llama/Llama-2-7b-hf " +
		"--cluster_config_num_replicas 2 --replica_scheduler_config_type sarathi --sarathi_scheduler_config_chunk_size 512 " +
		"--no-metrics_config_store_plots --metrics_config_keep_individual_batch_metrics"
	for b.Loop() {
		if _, err := FromCommandLine(line); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidate(b *testing.B) {
	c := Default()
	cat := catalog.Default()
	for b.Loop() {
		if err := c.Validate(cat); err != nil {
			b.Fatal(err)
		}
	}
}
