package workload

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/llmsim/llmsim/simulate/config"
)

// Stream constants for the generators that Vidur gives their own seeded RNG, so that
// each gets an independent PCG stream even when two seeds coincide.
const (
	zipfStream    = 0x5a495046 // "ZIPF"
	shuffleStream = 0x53485546 // "SHUF"
)

// FromConfig builds the workload an experiment config describes. rng is the request
// generator's stream (seed it from the config's request generator seed): uniform
// lengths and Poisson and gamma intervals draw from it in Vidur's order, interval
// then lengths. As in Vidur, the Zipf generator and the length-trace shuffle use their
// own streams, seeded from their own configs' seeds.
//
// A trace_replay workload is read through once (ValidateTrace) so that a bad row is
// reported before the simulation starts, then streamed. The returned Source may hold
// an open file: it closes it when exhausted, and implements io.Closer for callers
// that stop early.
func FromConfig(c config.RequestGeneratorConfig, rng *rand.Rand) (Source, error) {
	switch c.Type {
	case config.GeneratorTraceReplay:
		t := c.TraceReplay
		opts := TraceOptions{
			Format:             t.Format,
			PrefillScaleFactor: t.PrefillScaleFactor,
			DecodeScaleFactor:  t.DecodeScaleFactor,
			TimeScaleFactor:    t.TimeScaleFactor,
			MaxTokens:          t.MaxTokens,
		}
		if _, err := ValidateTrace(t.TraceFile, opts); err != nil {
			return nil, err
		}
		s, err := OpenTrace(t.TraceFile, opts)
		if err != nil {
			return nil, err
		}
		s.closeAtEnd = true
		return s, nil
	case config.GeneratorSynthetic, "":
		s := c.Synthetic
		lengths, err := lengthsFromConfig(s.LengthGenerator, rng)
		if err != nil {
			return nil, err
		}
		intervals, err := intervalsFromConfig(s.IntervalGenerator, rng)
		if err != nil {
			return nil, err
		}
		return NewSynthetic(lengths, intervals, s.NumRequests, s.Duration)
	}
	return nil, fmt.Errorf("workload: unknown request generator type %q (want %s or %s)", c.Type, config.GeneratorSynthetic, config.GeneratorTraceReplay)
}

func lengthsFromConfig(l config.LengthGeneratorConfig, rng *rand.Rand) (LengthGenerator, error) {
	switch l.Type {
	case config.LengthFixed, "":
		return NewFixedLengths(l.Fixed.PrefillTokens, l.Fixed.DecodeTokens)
	case config.LengthUniform:
		u := l.Uniform
		return NewUniformLengths(rng, u.MinTokens, u.MaxTokens, u.PrefillToDecodeRatio)
	case config.LengthZipf:
		z := l.Zipf
		own := rand.New(rand.NewPCG(uint64(z.Seed), zipfStream))
		return NewZipfLengths(own, ZipfParams{
			MinTokens: z.MinTokens, MaxTokens: z.MaxTokens, Theta: z.Theta,
			Scramble: z.Scramble, ScrambleSeed: uint64(z.Seed), PrefillToDecodeRatio: z.PrefillToDecodeRatio,
		})
	case config.LengthTrace:
		t := l.Trace
		own := rand.New(rand.NewPCG(uint64(t.Seed), shuffleStream))
		return NewTraceLengths(own, t.TraceFile, LengthTraceOptions{
			PrefillScaleFactor: t.PrefillScaleFactor, DecodeScaleFactor: t.DecodeScaleFactor, MaxTokens: t.MaxTokens,
		})
	}
	return nil, fmt.Errorf("workload: unknown length generator type %q (want fixed, uniform, zipf or trace)", l.Type)
}

func intervalsFromConfig(i config.IntervalGeneratorConfig, rng *rand.Rand) (IntervalGenerator, error) {
	switch i.Type {
	case config.IntervalPoisson, "":
		return NewPoissonIntervals(rng, i.Poisson.QPS)
	case config.IntervalGamma:
		return NewGammaIntervals(rng, i.Gamma.QPS, i.Gamma.CV)
	case config.IntervalStatic:
		return StaticIntervals{}, nil
	case config.IntervalTrace:
		t := i.Trace
		opts := IntervalTraceOptions{TimeScaleFactor: t.TimeScaleFactor}
		for _, b := range []struct {
			name, text string
			dst        *time.Time
		}{{"start_time", t.StartTime, &opts.Start}, {"end_time", t.EndTime, &opts.End}} {
			if b.text == "" {
				continue
			}
			ts, _, err := parseTimestamp(b.text)
			if err != nil {
				return nil, fmt.Errorf("workload: trace interval generator %s: %v", b.name, err)
			}
			*b.dst = ts
		}
		return NewTraceIntervals(t.TraceFile, opts)
	}
	return nil, fmt.Errorf("workload: unknown interval generator type %q (want poisson, gamma, static or trace)", i.Type)
}
