// Package workload produces the requests a simulation serves: synthetic workloads
// built the way Vidur's request generators build them, and replays of recorded traces
// (Vidur's CSV, the Azure LLM inference traces of 2023 and 2024, BurstGPT, Mooncake).
//
// Reading guide: request.go first (Request, the streaming Source contract, Collect),
// then trace.go (OpenTrace, TraceOptions, format detection, Vidur's trace_replay
// scaling and max_tokens capping) with formats.go (one row reader per format) and
// table.go (the CSV plumbing that gives every error its file:line and column).
// synthetic.go combines a LengthGenerator (lengths.go: fixed, uniform, zipf, trace) with
// an IntervalGenerator (intervals.go: poisson, gamma, static, trace); fromconfig.go
// maps an experiment's config onto all of this.
//
// Fidelity to Vidur. The generators follow Vidur's formulas, rounding and order of
// draws (reference-vidur.md §6): P+D capping cuts the prompt in trace replay and both
// counts proportionally in the length trace; token counts are truncated toward zero;
// Poisson gaps are clamped to 3/qps; duration wins over num_requests. The random
// streams are not Vidur's: llmsim draws from math/rand/v2 PCG generators passed in by
// the caller (numpy and Python's Mersenne Twister are not reproduced), so a workload
// has Vidur's distribution, not Vidur's exact numbers. The same seed always gives the
// same requests. Replaying a trace involves no randomness and gives exactly Vidur's
// requests.
//
// Differences on purpose: trace rows must be in time order, and negative or
// non-numeric counts are errors naming file:line and column (Vidur accepts them
// silently); a trace that runs out ends the workload where Vidur would crash; the
// Zipf scramble hashes with FNV-1a instead of Python's per-process string hash.
package workload
