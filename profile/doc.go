// Package profile turns raw GPU measurements into llmsim's normalized dataset: one
// Parquet file of Row values plus a manifest.json that traces every row to the file
// it came from (docs/dataset.md has the schema).
//
// Reading guide:
//
//   - row.go: the Row schema and SchemaVersion, the contract with package train.
//   - reader.go: the Reader contract (Detect from content, Read into rows) and InputError.
//   - registry.go: Readers, the one list of every format llmsim reads.
//   - ingest.go: Ingest walks the inputs, detects each file's reader, infers GPU,
//     network and model from the folder layout, and de-duplicates rows.
//   - dataset.go: WriteDataset (sorted rows, zstd Parquet, manifest, atomic rename) and
//     ReadDataset, which checks the data file against the manifest's dataset id.
//   - csvutil.go: the header-indexed CSV accessor every CSV reader shares, whose parse
//     errors name file, line and column.
//   - timestats.go, compute.go: the compute readers (Vidur mlp.csv and attention.csv,
//     Frontier linear_op.csv and moe.csv and their variants), all built on one
//     time_stats table parser.
//   - nccl*.go, vidurnet*.go, aicb*.go, aiob*.go, simai*.go: collective, AICB/AIOB and
//     SimAI readers.
//   - synth.go: Synthesize, a roofline profile for a GPU without measurements.
//   - inspect.go: the summary `llmsim profile inspect` prints.
//
// Units are normalised at ingest: every time is milliseconds, every bandwidth GB/s
// (10^9 bytes per second). Bad input is an *InputError naming the file, line and
// column, unless Options.Lenient, which skips and counts the row instead; nothing is
// ever written unless everything was.
package profile
