// Package catalog describes what llmsim simulates: LLM architectures (dense, GQA, MLA, MoE,
// hybrid linear attention), GPU SKUs and the nodes that hold them.
//
// Reading guide:
//
//   - catalog.go: the Model, GPU and Node types every stage shares.
//   - load.go: Default (the built-in catalog, from the embedded models.yaml, gpus.yaml and
//     nodes.yaml), Load (built-ins plus a user's YAML files), and lookup by name or alias.
//   - model.go: what follows from a Model's shape: parameter counts (total, activated, per
//     layer), KV-cache and recurrent-state bytes per token, FLOPs per token, which layers are
//     MoE or full attention, Validate, and Vidur's own per-layer parameter count.
//   - hf.go: ImportHF, which turns a Hugging Face config.json into a Model.
//   - dtype.go: DtypeBytes.
//   - models.yaml, gpus.yaml, nodes.yaml: the built-in data, each entry citing its source.
//
// Quantities follow published conventions so that they can be checked against model cards:
// total parameters include embeddings and exclude DeepSeek's multi-token-prediction module;
// activated parameters count the top-k routed plus shared experts. Where Vidur deviates from
// the published numbers (Llama-2's vocabulary, the H100's TFLOP/s), the catalog records the
// published value and the YAML comment records Vidur's.
//
// A Catalog is a value owned by its caller: Default and Load return fresh copies, and nothing
// in the package holds mutable global state.
package catalog
