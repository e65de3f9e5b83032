// Package predictor turns a batch into its execution time on one pipeline stage by
// looking operator times up in precomputed tables, the way Vidur's
// SklearnExecutionTimePredictor does, without walking any model during simulation.
//
// Reading guide:
//
//   - tables.go: Tables, every operator's time per layer on dense lattices (token
//     counts; decode batch × KV length; prefill KV length × equivalent chunk), and the
//     grid Limits beyond which Vidur stops with a KeyError.
//   - predictor.go: Shape (a batch's lookup keys: T8 = tokens rounded up to 8, decode
//     count and mean KV, prefill Σ KV and √Σ chunk²) and Predict, which assembles the
//     stage time term by term in Vidur's order, so that the same tables give the same
//     float64 as Vidur.
//   - vidurcsv.go: the table backend, reading Vidur's own prediction-cache CSVs.
//   - moe.go: Arch, the pricing of MoE layers (router, dispatch/combine over the EP
//     group, grouped GEMMs on the most loaded rank, shared experts), MLA and Gated
//     DeltaNet layers, with attention data parallelism.
//   - artifact.go: the artifact backend, resampling a train artifact's grids onto the
//     same lattices (collectives are looked up by message bytes, TP group and ranks per
//     node); WithCollectives takes them from a network's collectives-only artifact.
//   - comm.go: CommModel, the one interface every collective time goes through
//     (collective, bytes, group), and P2PLink; comm_profiled.go (ProfiledComm: measured
//     collectives, log-log interpolation) and comm_analytical.go (AnalyticalComm: SimAI's
//     α + factor·bytes/busbw); comm_eval.go scores the profiled model on held-out sizes.
//   - backend.go, backend_aicb.go: the execution-time backends vidur, simai_analytical,
//     simai_simulation (SimAI's EndToEnd.csv results) and aicb (AICB layer tables);
//     docs/comm.md.
package predictor
