package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"

	"github.com/llmsim/llmsim/catalog"
	"github.com/llmsim/llmsim/simulate/config"
)

// configEnvVar names the experiment file when --config is not given.
const configEnvVar = "LLMSIM_CONFIG"

// addExperimentFlags adds to cmd every experiment setting as a flag with Vidur's name
// (--replica_config_model_name, --cluster_config_num_replicas, ...), plus --config (the YAML
// experiment file) and --catalog (extra catalog files). Read the result with loadExperiment.
func addExperimentFlags(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.String("config", "", "YAML experiment file (default $"+configEnvVar+"); flags and LLMSIM_* environment variables override it")
	fs.StringArray("catalog", nil, "extra catalog YAML file of models, GPUs and nodes, added to the built-in catalog (repeatable; see docs/catalog.md)")
	// The flags only carry values to viper; their storage is never read.
	defaults := config.Default()
	config.RegisterFlags(fs, &defaults)
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return config.FlagError(c.Flags(), err)
	})
}

// loadExperiment resolves the experiment of a command set up by addExperimentFlags and
// validates it against the catalog. Each setting comes from, in order of precedence: its flag,
// its environment variable (LLMSIM_<FLAG NAME>, or LLMSIM_<NESTED_KEY>), the --config file,
// Vidur's default. An unknown key in the file, a malformed value anywhere, and a setting that
// cannot work are errors that name the key or variable.
func loadExperiment(cmd *cobra.Command) (*config.Config, error) {
	fs := cmd.Flags()
	v := viper.New()
	defaults := config.Default()
	var errs []error
	for _, f := range config.Fields() {
		v.SetDefault(f.Key, f.Value(&defaults))
		// Bound under its nested key, not its flat name, so that the flag and the file meet.
		if fl := fs.Lookup(f.Flag); fl != nil {
			if err := v.BindPFlag(f.Key, fl); err != nil {
				return nil, fmt.Errorf("config: binding --%s: %w", f.Flag, err)
			}
		}
		envs := []string{f.EnvVar(), f.NestedEnvVar()}
		if err := v.BindEnv(append([]string{f.Key}, envs...)...); err != nil {
			return nil, fmt.Errorf("config: binding %s: %w", f.EnvVar(), err)
		}
		// viper converts loosely (it would read "2.5" as TP 2); check the text first.
		for _, name := range envs {
			if s := os.Getenv(name); s != "" {
				if _, err := f.Parse(s); err != nil {
					errs = append(errs, fmt.Errorf("config: environment variable %s (%s): %v", name, f.Key, err))
				}
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}

	path, _ := fs.GetString("config")
	if path == "" {
		path = os.Getenv(configEnvVar)
	}
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		settings, err := config.ReadYAML(path, data)
		if err != nil {
			return nil, err
		}
		if err := v.MergeConfigMap(config.NestedMap(settings)); err != nil {
			return nil, fmt.Errorf("config: %s: %w", path, err)
		}
	}

	var c config.Config
	if err := v.UnmarshalExact(&c); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	cat, err := experimentCatalog(cmd)
	if err != nil {
		return nil, err
	}
	if err := c.Validate(cat); err != nil {
		return nil, err
	}
	return &c, nil
}

// experimentCatalog is the built-in catalog extended with the --catalog files.
func experimentCatalog(cmd *cobra.Command) (*catalog.Catalog, error) {
	files, _ := cmd.Flags().GetStringArray("catalog")
	if len(files) == 0 {
		return catalog.Default(), nil
	}
	return catalog.Load(files...)
}
