// Package config is an llmsim experiment: the cluster, the workload, the execution-time
// predictor and the metrics to record, with Vidur's names, defaults and command-line flags.
//
// Reading guide: config.go holds the Config type, its groups and Default (Vidur's defaults);
// fields.go derives from Config's struct tags the list of settings (Fields), each with its
// nested YAML key and its Vidur flag name; flags.go registers those flags on a pflag.FlagSet
// and parses a Vidur command line (FromArgs, FromCommandLine); yaml.go reads an experiment
// file (ReadYAML, LoadYAML) with line-numbered errors for unknown keys; validate.go checks a
// Config against the model and hardware catalog (Validate).
//
// Every setting has three spellings that mean the same thing:
//
//	YAML key   cluster_config.replica_config.tensor_parallel_size: 2
//	flag       --replica_config_tensor_parallel_size 2   (Vidur's name)
//	env var    LLMSIM_REPLICA_CONFIG_TENSOR_PARALLEL_SIZE=2
//
// Polymorphic groups (replica scheduler, request generator, length and interval generators,
// predictor) have a type key and one block per type, keyed by the type's name, as in
//
//	cluster_config:
//	  replica_scheduler_config:
//	    type: sarathi
//	    sarathi: {chunk_size: 512}
//
// Binding flags, environment and file together with precedence is the CLI's job
// (cmd/llmsim/config.go); this package stays free of viper.
package config
