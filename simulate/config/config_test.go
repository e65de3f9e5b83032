package config

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/llmsim/llmsim/catalog"
	"github.com/llmsim/llmsim/internal/shareddata"
)

func readLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// TestEveryVidurFlag checks that each flag of Vidur and of vidur-alibabacloud is accepted.
func TestEveryVidurFlag(t *testing.T) {
	c := Default()
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	RegisterFlags(fs, &c)
	for _, file := range []string{"testdata/vidur_flags.txt", "testdata/vidur_alibabacloud_flags.txt"} {
		for _, name := range readLines(t, file) {
			fl := fs.Lookup(name)
			if fl == nil {
				t.Errorf("%s: flag --%s is not registered", file, name)
				continue
			}
			if fl.Value.Type() == "bool" && fs.Lookup("no-"+name) == nil {
				t.Errorf("%s: boolean flag --%s has no --no-%s", file, name, name)
			}
		}
	}
}

func TestFieldsUnique(t *testing.T) {
	names := map[string]string{}
	keys := map[string]bool{}
	for _, f := range Fields() {
		if keys[f.Key] {
			t.Errorf("key %s appears twice", f.Key)
		}
		keys[f.Key] = true
		for _, n := range append([]string{f.Flag}, f.Aliases...) {
			if prev, ok := names[n]; ok {
				t.Errorf("flag --%s names both %s and %s", n, prev, f.Key)
			}
			names[n] = f.Key
		}
		if f.Usage == "" {
			t.Errorf("%s has no help text", f.Key)
		}
	}
	// A YAML key that is a group must never also be a flat flag name, or ReadYAML would be ambiguous.
	ix := theIndex()
	for g := range ix.groups {
		if _, ok := ix.byName[g]; ok {
			t.Errorf("%s is both a group key and a flag name", g)
		}
	}
}

func TestDefaultIsValid(t *testing.T) {
	c := Default()
	if err := c.Validate(catalog.Default()); err != nil {
		t.Fatalf("Default() does not validate:\n%v", err)
	}
}

func TestFromArgs(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		check func(*Config) any // returns the value under test
		want  any
	}{
		{"tp", []string{"--replica_config_tensor_parallel_size", "2"}, func(c *Config) any { return c.Cluster.Replica.TensorParallelSize }, 2},
		{"equals form", []string{"--cluster_config_num_replicas=3"}, func(c *Config) any { return c.Cluster.NumReplicas }, 3},
		{"no- form", []string{"--no-metrics_config_store_plots"}, func(c *Config) any { return c.Metrics.StorePlots }, false},
		{"bare bool", []string{"--metrics_config_keep_individual_batch_metrics"}, func(c *Config) any { return c.Metrics.KeepIndividualBatchMetrics }, true},
		{"bool value", []string{"--metrics_config_write_metrics=false"}, func(c *Config) any { return c.Metrics.WriteMetrics }, false},
		{"nargs list", []string{"--random_forrest_execution_time_predictor_config_num_estimators", "10", "20", "--seed", "7"},
			func(c *Config) any { return c.ExecutionTimePredictor.RandomForrest.NumEstimators }, []int{10, 20}},
		{"comma list", []string{"--linear_regression_execution_time_predictor_config_fit_intercept=true,true"},
			func(c *Config) any { return c.ExecutionTimePredictor.LinearRegression.FitIntercept }, []bool{true, true}},
		{"seed after list", []string{"--random_forrest_execution_time_predictor_config_max_depth", "4", "--seed", "7"}, func(c *Config) any { return c.Seed }, int64(7)},
		{"predictor alias", []string{"--linear_regression_execution_time_predictor_config_backend", "aicb"}, func(c *Config) any { return c.ExecutionTimePredictor.Backend }, "aicb"},
		{"bool alias negated", []string{"--no-linear_regression_execution_time_predictor_config_skip_cpu_overhead_modeling"},
			func(c *Config) any { return c.ExecutionTimePredictor.SkipCPUOverheadModeling }, false},
		{"per-scheduler block", []string{"--lightllm_scheduler_config_block_size", "1", "--replica_scheduler_config_type", "lightllm"},
			func(c *Config) any { a, _ := c.Cluster.ReplicaScheduler.Active(); return a.BlockSize }, 1},
		{"other scheduler untouched", []string{"--lightllm_scheduler_config_block_size", "1"},
			func(c *Config) any { return c.Cluster.ReplicaScheduler.Sarathi.BlockSize }, 16},
		{"placeholder kept", []string{"--trace_request_generator_config_trace_file", "$CASE/trace.csv"},
			func(c *Config) any { return c.RequestGenerator.TraceReplay.TraceFile }, "$CASE/trace.csv"},
		{"negative int", []string{"--random_forrest_execution_time_predictor_config_num_training_job_threads", "-1"},
			func(c *Config) any { return c.ExecutionTimePredictor.NumTrainingJobThreads }, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := FromArgs(tt.args)
			if err != nil {
				t.Fatal(err)
			}
			if got := tt.check(c); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFromArgsErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--replica_config_tensor_paralel_size", "2"}, "unknown flag --replica_config_tensor_paralel_size (did you mean --replica_config_tensor_parallel_size?)"},
		{[]string{"--totally_unrelated_thing_here_xyz", "2"}, "unknown flag --totally_unrelated_thing_here_xyz"},
		{[]string{"--replica_config_tensor_parallel_size", "2.5"}, "replica_config_tensor_parallel_size"},
		{[]string{"--seed", "1", "stray"}, `unexpected argument "stray"`},
	}
	for _, tt := range tests {
		_, err := FromArgs(tt.args)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("FromArgs(%q) = %v, want an error containing %q", tt.args, err, tt.want)
		}
	}
}

func TestFromCommandLine(t *testing.T) {
	text := "# comment\npython3 -m vidur.main --seed 3 \\\n  --replica_config_model_name 'meta-llama/Llama-2-7b-hf' --metrics_config_output_dir \"out dir\"\n"
	c, err := FromCommandLine(text)
	if err != nil {
		t.Fatal(err)
	}
	if c.Seed != 3 || c.Metrics.OutputDir != "out dir" || c.Cluster.Replica.ModelName != "meta-llama/Llama-2-7b-hf" {
		t.Errorf("got seed %d, output_dir %q, model %q", c.Seed, c.Metrics.OutputDir, c.Cluster.Replica.ModelName)
	}
	if _, err := FromCommandLine("--seed 'unterminated"); err == nil {
		t.Error("an unterminated quote parsed")
	}
}

// TestReferenceCommandLines parses each Vidur reference case's cmd.txt and compares the result
// with the config.json Vidur wrote for that run, setting by setting.
func TestReferenceCommandLines(t *testing.T) {
	root := shareddata.Path(t, "vidur_reference")
	cmds, _ := filepath.Glob(filepath.Join(root, "*", "cmd.txt"))
	if len(cmds) == 0 {
		t.Skip("no reference cases")
	}
	for _, cmdFile := range cmds {
		dir := filepath.Dir(cmdFile)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			text, err := os.ReadFile(cmdFile)
			if err != nil {
				t.Fatal(err)
			}
			c, err := FromCommandLine(string(text))
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Validate(catalog.Default()); err != nil {
				t.Errorf("reference case does not validate:\n%v", err)
			}
			raw, err := os.ReadFile(filepath.Join(dir, "config.json"))
			if err != nil {
				t.Fatal(err)
			}
			var dump map[string]any
			if err := json.Unmarshal(raw, &dump); err != nil {
				t.Fatal(err)
			}
			compared := 0
			for key, want := range vidurSettings(dump, "") {
				f, ok := FieldByKey(key)
				if !ok {
					t.Errorf("config.json setting %s has no field", key)
					continue
				}
				got := f.Value(c)
				if !sameValue(got, want) {
					// Vidur's dump has CASE and CACHE expanded; the command line has them as written.
					if s, ok := got.(string); ok && strings.Contains(s, "$") {
						continue
					}
					t.Errorf("%s = %v, Vidur ran with %v", key, got, want)
				}
				compared++
			}
			if compared < 60 {
				t.Errorf("only %d settings compared", compared)
			}
		})
	}
}

// vidurSettings flattens Vidur's config.json into llmsim keys: a polymorphic group's "name"
// becomes its type, and its members move into the block of that type where llmsim has one.
func vidurSettings(m map[string]any, prefix string) map[string]any {
	out := map[string]any{}
	name, _ := m["name"].(string)
	_, poly := m["name"]
	poly = poly && prefix != "" && strings.HasSuffix(prefix, "_config.") && !strings.HasSuffix(prefix, "replica_config.") &&
		!strings.HasSuffix(prefix, "metrics_config.")
	for k, v := range m {
		switch k {
		case "world_size", "model_config", "device_config", "node_config", "output_dir":
			continue // derived by Vidur, or timestamped
		case "name":
			if poly {
				out[prefix+"type"] = v
			}
			continue
		}
		key := prefix + k
		if poly {
			if _, ok := FieldByKey(prefix + name + "." + k); ok {
				key = prefix + name + "." + k
			} else if sub, ok := v.(map[string]any); ok {
				for kk, vv := range vidurSettings(sub, prefix+name+"."+k+".") {
					out[kk] = vv
				}
				continue
			}
		}
		if sub, ok := v.(map[string]any); ok {
			for kk, vv := range vidurSettings(sub, key+".") {
				out[kk] = vv
			}
			continue
		}
		out[key] = v
	}
	return out
}

func sameValue(got, want any) bool {
	if want == nil { // Vidur's None is llmsim's zero
		return reflect.ValueOf(got).IsZero()
	}
	switch g := got.(type) {
	case int:
		w, ok := want.(float64)
		return ok && float64(g) == w
	case int64:
		w, ok := want.(float64)
		return ok && float64(g) == w
	case float64:
		w, ok := want.(float64)
		return ok && g == w
	case []int:
		w, ok := want.([]any)
		if !ok || len(w) != len(g) {
			return false
		}
		for i := range g {
			if x, ok := w[i].(float64); !ok || x != float64(g[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(got, want)
}
