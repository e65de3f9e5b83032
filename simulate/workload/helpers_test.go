package workload

import (
	"compress/gzip"
	"io"
	"math/rand/v2"
)

func gzipWriter(w io.Writer) *gzip.Writer { return gzip.NewWriter(w) }

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0)) }
