package workload

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmsim/llmsim/internal/shareddata"
)

func reqs(rows ...[3]float64) []Request {
	out := make([]Request, len(rows))
	for i, r := range rows {
		out[i] = Request{ID: i, ArrivedAt: r[0], NumPrefillTokens: int(r[1]), NumDecodeTokens: int(r[2])}
	}
	return out
}

func sameRequests(t *testing.T, got, want []Request) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d requests, want %d:\n%v", len(got), len(want), got)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.ID != w.ID || g.NumPrefillTokens != w.NumPrefillTokens || g.NumDecodeTokens != w.NumDecodeTokens ||
			math.Abs(g.ArrivedAt-w.ArrivedAt) > 1e-9 {
			t.Errorf("request %d = %+v, want %+v", i, g, w)
		}
	}
}

func TestReadTraceFormats(t *testing.T) {
	tests := []struct {
		file    string
		opts    TraceOptions
		format  string
		want    []Request
		capped  int
		dropped int
	}{
		{"vidur.csv", TraceOptions{MaxTokens: 4096}, FormatVidur,
			reqs([3]float64{0, 374, 44}, [3]float64{4.314579, 396, 109}, [3]float64{4.314579, 4076, 20}, [3]float64{7.1, 10, 1}), 1, 0},
		{"vidur.csv", TraceOptions{}, FormatVidur,
			reqs([3]float64{0, 374, 44}, [3]float64{4.314579, 396, 109}, [3]float64{4.314579, 4500, 20}, [3]float64{7.1, 10, 1}), 0, 0},
		{"vidur.csv", TraceOptions{PrefillScaleFactor: 0.5, DecodeScaleFactor: 2, TimeScaleFactor: 10, MaxTokens: 2000}, FormatVidur,
			reqs([3]float64{0, 187, 88}, [3]float64{43.14579, 198, 218}, [3]float64{43.14579, 1960, 40}, [3]float64{71, 5, 1}), 1, 0},
		{"azure2023.csv", TraceOptions{}, FormatAzure2023,
			reqs([3]float64{0, 374, 44}, [3]float64{4.314579, 396, 109}, [3]float64{4.907569, 879, 55}, [3]float64{13.31941, 91, 16}), 0, 0},
		{"azure2024.csv", TraceOptions{Format: "azure"}, FormatAzure2024,
			reqs([3]float64{0, 4808, 10}, [3]float64{0.052, 3180, 8}, [3]float64{0.99007, 110, 27}), 0, 0},
		{"burstgpt.csv", TraceOptions{}, FormatBurstGPT,
			reqs([3]float64{0, 472, 18}, [3]float64{113, 417, 276}, [3]float64{125, 1360, 93}), 0, 2},
		{"burstgpt.csv", TraceOptions{KeepFailures: true}, FormatBurstGPT,
			reqs([3]float64{0, 472, 18}, [3]float64{40, 1087, 1}, [3]float64{113, 417, 276}, [3]float64{113, 1, 1}, [3]float64{125, 1360, 93}), 0, 0},
		{"mooncake.jsonl", TraceOptions{MaxTokens: 7000}, FormatMooncake,
			reqs([3]float64{0, 6758, 9}, [3]float64{0, 6980, 20}, [3]float64{3.052, 512, 1}, [3]float64{3.053, 100, 1}), 1, 0},
	}
	for _, tc := range tests {
		t.Run(tc.file+"/"+tc.format, func(t *testing.T) {
			s, err := OpenTrace(filepath.Join("testdata", tc.file), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			got, err := Collect(s)
			if err != nil {
				t.Fatal(err)
			}
			sameRequests(t, got, tc.want)
			st := s.Stats()
			if st.Format != tc.format || st.Capped != tc.capped || st.DroppedFailures != tc.dropped || st.Requests != len(tc.want) {
				t.Errorf("stats = %+v, want format %s, %d capped, %d dropped", st, tc.format, tc.capped, tc.dropped)
			}
		})
	}
}

func TestReadTraceGzip(t *testing.T) {
	// A gzip stream is recognised by its magic bytes, whatever the name.
	data, err := os.ReadFile("testdata/mooncake.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var zbuf bytes.Buffer
	zw := gzipWriter(&zbuf)
	zw.Write(data)
	zw.Close()
	s, err := ReadTrace(&zbuf, "mooncake.jsonl.gz", TraceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Collect(s)
	if err != nil || len(got) != 4 || s.Format() != FormatMooncake {
		t.Fatalf("got %d requests, format %s, err %v", len(got), s.Format(), err)
	}
}

func TestTraceErrors(t *testing.T) {
	tests := []struct {
		name, data string
		opts       TraceOptions
		want       string
	}{
		{"negative length", "arrived_at,num_prefill_tokens,num_decode_tokens\n0,10,5\n1,-3,5\n", TraceOptions{},
			"t.csv:3: column num_prefill_tokens: token count -3 is negative"},
		{"unsorted", "arrived_at,num_prefill_tokens,num_decode_tokens\n0,10,5\n2,10,5\n1,10,5\n", TraceOptions{},
			"t.csv:4: column arrived_at: arrival 1 is earlier than the previous row's"},
		{"missing column", "arrived_at,num_prefill_tokens\n0,10\n", TraceOptions{Format: "vidur"},
			`t.csv:1: missing column "num_decode_tokens"`},
		{"not a number", "arrived_at,num_prefill_tokens,num_decode_tokens\n0,ten,5\n", TraceOptions{},
			`t.csv:2: column num_prefill_tokens: "ten" is not a finite number`},
		{"short row", "arrived_at,num_prefill_tokens,num_decode_tokens\n0,10\n", TraceOptions{},
			"t.csv:2: wrong number of fields"},
		{"unknown header", "a,b,c\n1,2,3\n", TraceOptions{}, "t.csv:1: cannot tell the trace format"},
		{"decode over max", "arrived_at,num_prefill_tokens,num_decode_tokens\n0,10,5000\n", TraceOptions{MaxTokens: 4096},
			"t.csv:2: column num_decode_tokens: 5000 decode tokens leave no room"},
		{"azure bad stamp", "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.68,1,1\nyesterday,1,1\n", TraceOptions{},
			`t.csv:3: column TIMESTAMP: "yesterday" is not a datetime`},
		{"azure mixed dialects", "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.68,1,1\n2023-11-16 18:15:47.00+00:00,1,1\n", TraceOptions{},
			"t.csv:3: column TIMESTAMP"},
		{"azure wrong dialect", "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.68,1,1\n", TraceOptions{Format: "azure2024"},
			"written in the azure2023 dialect, not azure2024"},
		{"azure unsorted", "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.68,1,1\n2023-11-16 18:15:45.00,1,1\n", TraceOptions{},
			"t.csv:3: column TIMESTAMP: arrival 2023-11-16 18:15:45.00 is earlier"},
		{"burstgpt negative", "Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n1,ChatGPT,-1,5,4,API log\n", TraceOptions{},
			"t.csv:2: column Request tokens: token count -1 is negative"},
		{"mooncake missing field", `{"timestamp": 0, "input_length": 5}` + "\n", TraceOptions{},
			"t.csv:1: field output_length: missing"},
		{"mooncake unsorted", `{"timestamp": 5, "input_length": 5, "output_length": 1}` + "\n" + `{"timestamp": 4, "input_length": 5, "output_length": 1}` + "\n", TraceOptions{},
			"t.csv:2: field timestamp: arrival 4 is earlier"},
		{"mooncake negative", `{"timestamp": 5, "input_length": 5, "output_length": -1}` + "\n", TraceOptions{},
			"t.csv:1: field output_length: -1 is negative"},
		{"mooncake bad json", `{"timestamp": 5, "input_length": 5,` + "\n", TraceOptions{},
			"t.csv:1: unexpected end of JSON input"},
		{"unknown format", "x\n", TraceOptions{Format: "sharegpt"}, `unknown trace format "sharegpt"`},
		{"bad scale", "x\n", TraceOptions{TimeScaleFactor: -1}, "time_scale_factor must be positive"},
		{"empty", "", TraceOptions{}, "t.csv: empty trace"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ReadTrace(strings.NewReader(tc.data), "t.csv", tc.opts)
			if err == nil {
				_, err = Collect(s)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "workload: ") {
				t.Errorf("error %q does not start with the package name", err)
			}
		})
	}
}

func TestValidateTrace(t *testing.T) {
	st, err := ValidateTrace("testdata/azure2023.csv", TraceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := TraceStats{Format: FormatAzure2023, Requests: 4, LastArrival: 13.31941, PrefillTokens: 374 + 396 + 879 + 91, DecodeTokens: 44 + 109 + 55 + 16}
	if math.Abs(st.LastArrival-want.LastArrival) > 1e-9 {
		t.Errorf("last arrival %v, want %v", st.LastArrival, want.LastArrival)
	}
	st.LastArrival = want.LastArrival
	if st != want {
		t.Errorf("stats = %+v, want %+v", st, want)
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("arrived_at,num_prefill_tokens,num_decode_tokens\n0,1,1\n0,1,-1\n"), 0o644)
	if _, err := ValidateTrace(bad, TraceOptions{}); err == nil || !strings.Contains(err.Error(), "bad.csv:3: column num_decode_tokens") {
		t.Errorf("error = %v", err)
	}
}

// TestReplayMatchesVidurReference checks the Vidur semantics end to end: the reference
// case's trace.csv is splitwise_conv.csv's first 1000 rows with P+D capped at 4096 by
// cutting the prompt (74 rows) and arrivals ×1.3, written with 6 decimals.
func TestReplayMatchesVidurReference(t *testing.T) {
	conv := shareddata.Path(t, "vidur/processed_traces/splitwise_conv.csv")
	ref := shareddata.Path(t, "vidur_reference/v1_sarathi512_1rep/trace.csv")
	s, err := OpenTrace(conv, TraceOptions{MaxTokens: 4096, TimeScaleFactor: 1.3})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r, err := OpenTrace(ref, TraceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	want, err := Collect(r)
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range want {
		g, ok := s.Next()
		if !ok {
			t.Fatalf("replay ended after %d requests: %v", i, s.Err())
		}
		if g.NumPrefillTokens != w.NumPrefillTokens || g.NumDecodeTokens != w.NumDecodeTokens || math.Abs(g.ArrivedAt-w.ArrivedAt) > 5e-7 {
			t.Fatalf("request %d = %+v, reference %+v", i, g, w)
		}
	}
	if got := s.Stats().Capped; got != 74 {
		t.Errorf("%d rows capped, reference README says 74", got)
	}
}

func TestRealTracesValidate(t *testing.T) {
	for _, name := range []string{"splitwise_conv.csv", "splitwise_code.csv"} {
		p := shareddata.Path(t, "vidur/processed_traces/"+name)
		st, err := ValidateTrace(p, TraceOptions{MaxTokens: 4096})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %+v", name, st)
		if st.Format != FormatVidur || st.Requests < 8000 {
			t.Errorf("%s: %+v", name, st)
		}
	}
}
