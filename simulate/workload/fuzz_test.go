package workload

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/llmsim/llmsim/internal/shareddata"
)

// seedFuzz adds the testdata examples and, when the shared data is present, the head
// of each real file (whole lines, a few KB) to f's corpus.
func seedFuzz(f *testing.F, testdata []string, shared []string) {
	for _, name := range testdata {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	if root := shareddata.Root(); root != "" {
		for _, rel := range shared {
			b, err := os.ReadFile(filepath.Join(root, rel))
			if err != nil {
				continue
			}
			if len(b) > 4<<10 {
				b = b[:bytes.LastIndexByte(b[:4<<10], '\n')+1]
			}
			f.Add(b)
		}
	}
}

// checkTrace replays data and checks the Source contract on whatever it accepts.
func checkTrace(t *testing.T, data []byte, format string) {
	const maxTokens = 4096
	for _, opts := range []TraceOptions{
		{Format: format},
		{Format: format, MaxTokens: maxTokens, PrefillScaleFactor: 0.5, DecodeScaleFactor: 3, TimeScaleFactor: 2, KeepFailures: true},
		{}, // detection must not panic on anything either
	} {
		s, err := ReadTrace(bytes.NewReader(data), "fuzz", opts)
		if err != nil {
			continue
		}
		prev := 0.0
		for i := 0; ; i++ {
			r, ok := s.Next()
			if !ok {
				break
			}
			if r.ID != i || r.NumPrefillTokens < 1 || r.NumDecodeTokens < 1 || (i > 0 && r.ArrivedAt < prev) {
				t.Fatalf("request %d breaks the Source contract: %+v (previous arrival %g)", i, r, prev)
			}
			if opts.MaxTokens > 0 && r.NumPrefillTokens+r.NumDecodeTokens > opts.MaxTokens {
				t.Fatalf("request %d has %d tokens, over max_tokens %d", i, r.NumPrefillTokens+r.NumDecodeTokens, opts.MaxTokens)
			}
			prev = r.ArrivedAt
		}
	}
}

func FuzzVidurTrace(f *testing.F) {
	seedFuzz(f, []string{"vidur.csv"}, []string{
		"vidur/processed_traces/splitwise_conv.csv",
		"vidur/processed_traces/splitwise_code.csv",
		"vidur_reference/v1_sarathi512_1rep/trace.csv",
	})
	f.Fuzz(func(t *testing.T, data []byte) { checkTrace(t, data, FormatVidur) })
}

func FuzzAzureTrace(f *testing.F) {
	seedFuzz(f, []string{"azure2023.csv", "azure2024.csv"}, nil)
	f.Fuzz(func(t *testing.T, data []byte) { checkTrace(t, data, FormatAzure) })
}

func FuzzBurstGPT(f *testing.F) {
	seedFuzz(f, []string{"burstgpt.csv"}, nil)
	f.Fuzz(func(t *testing.T, data []byte) { checkTrace(t, data, FormatBurstGPT) })
}

func FuzzMooncake(f *testing.F) {
	seedFuzz(f, []string{"mooncake.jsonl"}, nil)
	f.Fuzz(func(t *testing.T, data []byte) { checkTrace(t, data, FormatMooncake) })
}

func FuzzTraceLengths(f *testing.F) {
	seedFuzz(f, []string{"vidur.csv"}, []string{"vidur/processed_traces/arxiv_summarization_stats_llama2_tokenizer_filtered_v2.csv"})
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := ReadTraceLengths(newRand(1), bytes.NewReader(data), "fuzz", LengthTraceOptions{MaxTokens: 4096, PrefillScaleFactor: 1.5})
		if err != nil {
			return
		}
		for {
			p, d, ok := g.NextLengths()
			if !ok {
				break
			}
			if p < 1 || d < 1 || p+d > 4096 {
				t.Fatalf("lengths %d+%d break the contract", p, d)
			}
		}
	})
}
