// Package vidurcase reruns Microsoft Vidur reference cases with llmsim and compares
// the results with Vidur's own outputs; `llmsim validate` and this package's test use
// it.
//
// A case folder holds cmd.txt (Vidur's command line), trace.csv, request_metrics.csv
// and batch_metrics.csv. Read case.go first (Load, Simulate: parse the command line,
// run in Vidur compatibility mode with Vidur's prediction tables), then compare.go
// (per-metric maximum and 99th-percentile relative differences).
package vidurcase
