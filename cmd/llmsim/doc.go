// Command llmsim profiles, trains and simulates LLM serving clusters; see the README.
//
// Reading guide: root.go lists every subcommand in one place. Each command lives in its
// own file with a constructor newXxxCmd and holds wiring only; the work is done by the
// packages it calls:
//
//   - profile.go: `llmsim profile ingest|inspect|synth` (package profile).
//   - train.go: `llmsim train`, and the flags and dataset loading it shares with
//     compare.go, `llmsim compare` (package train; comparecomm.go scores the profiled
//     collective model of package predictor).
//   - models.go: `llmsim models list|show|verify`, the artifacts under a models folder.
//   - simulate.go: `llmsim simulate`, with config.go (experiment flags, environment and
//     --config file, resolved through simulate/config) and backend.go (the prediction
//     tables of the execution-time backend).
//   - validate.go: `llmsim validate`, Vidur reference cases rerun (simulate/vidurcase).
//   - catalog.go: `llmsim catalog`, the models, GPUs and nodes llmsim knows (package catalog).
//   - version.go: `llmsim version`.
package main
