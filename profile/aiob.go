package profile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// AIOBReader reads AIOB compute profiles (results/aiob_outputs/*.txt,
// workload/aiob_inputs/*.txt): a first line train_iter:<N> (training) or
// inference_term:<prefill|decode> (inference), then one section per timed kernel group,
//
//	atten_qkv:
//	    time_gpu_max: 1255
//	    time_gpu_min: 862
//	    time_gpu_avg: 889
//
// in µs. The unprocessed form AIOB writes first (the header line followed by a JSON
// {name: [{"time_gpu": µs}, ...]}) is read too.
//
// Each section becomes one Row: Operator = the section name as AIOB writes it (Emb,
// layernorm, atten_qkv, atten_flash, mlp_linear_1, moe_up_gate, param_time, ...), times
// µs → ms. The processed form has no median: MedianMS carries the average, which is the
// value AIOB's own consumers (SimAI's extract_averages) use, beside MeanMS, MinMS and
// MaxMS. The JSON form gives the true median, mean, min, max, population std and
// count. IsPrefill is set for inference_term:prefill; Extra holds phase or train_iter;
// Model, WorldSize, TP, PP, EP, BatchSize and Extra seq come from the AIOB file name
// when it follows AIOB's pattern.
var AIOBReader = Reader{
	Name:   nameAIOB,
	Detect: detectAIOB,
	Read:   readAIOB,
}

// nameAIOB is AIOBReader.Name, also written into Row.Reader.
const nameAIOB = "aiob"

// detectAIOB claims a file whose first non-blank line is train_iter:<N> or
// inference_term:<phase>.
func detectAIOB(_ string, head []byte) bool {
	head = bytes.TrimLeft(head, " \t\r\n\ufeff")
	return bytes.HasPrefix(head, []byte("train_iter:")) || bytes.HasPrefix(head, []byte("inference_term:"))
}

// maxAIOBBytes bounds an AIOB file, which is read whole (real ones are a few KB).
const maxAIOBBytes = 64 << 20

func readAIOB(src Source, opts Options) (Result, error) {
	data, err := io.ReadAll(io.LimitReader(src.R, maxAIOBBytes+1))
	if err != nil {
		return Result{}, fmt.Errorf("profile: %s: %w", src.Name, err)
	}
	if len(data) > maxAIOBBytes {
		return Result{}, &InputError{File: src.Name, Msg: fmt.Sprintf("larger than %d bytes: not an AIOB profile", maxAIOBBytes)}
	}
	p := aiobParser{src: src, keys: parseAICBRunName(src.Name)}
	p.skip = skipper{res: &p.res, lenient: opts.Lenient}
	if p.src.Model == "" {
		p.src.Model = p.keys.model
	}
	if err := p.parse(data); err != nil {
		return Result{}, err
	}
	return p.res, nil
}

type aiobParser struct {
	src      Source
	keys     aicbRunKeys
	res      Result
	skip     skipper
	extraKey string // phase or train_iter
	extraVal string
	pre      bool // inference_term:prefill
	head     bool // a train_iter/inference_term line has been seen

	sec     string // current section name, "" when none
	secLine int
	stats   [3]float64 // max, min, avg in µs
	has     [3]bool
}

var aiobStatKeys = [3]string{"time_gpu_max", "time_gpu_min", "time_gpu_avg"}

func (p *aiobParser) parse(data []byte) error {
	line := 0
	for off := 0; off < len(data); {
		end := bytes.IndexByte(data[off:], '\n')
		next := len(data)
		if end >= 0 {
			next = off + end + 1
		} else {
			end = len(data) - off
		}
		raw := string(bytes.TrimRight(data[off:off+end], " \t\r"))
		line++
		s := strings.TrimSpace(raw)
		switch {
		case s == "":
		case strings.HasPrefix(s, "train_iter:") || strings.HasPrefix(s, "inference_term:"):
			if err := p.flush(); err != nil {
				return err
			}
			if err := p.header(line, s); err != nil {
				return err
			}
			// The unprocessed form: the header is followed by one JSON object.
			rest := bytes.TrimLeft(data[next:], " \t\r\n")
			if len(rest) > 0 && rest[0] == '{' {
				jsonStart := len(data) - len(rest)
				jsonLine := line + 1 + bytes.Count(data[next:jsonStart], []byte{'\n'})
				n, err := p.json(jsonLine, data[jsonStart:])
				if err != nil {
					return err
				}
				next = jsonStart + n
				if next < len(data) && data[next] == '\n' {
					next++
				}
				line = jsonLine + bytes.Count(data[jsonStart:next], []byte{'\n'}) - 1
			}
		case !p.head:
			return &InputError{File: p.src.Name, Line: line, Msg: fmt.Sprintf("%q: expected train_iter:<N> or inference_term:<phase> first", clip(s))}
		case raw[0] != ' ' && raw[0] != '\t' && strings.HasSuffix(s, ":") && isWord(s[:len(s)-1]):
			if err := p.flush(); err != nil {
				return err
			}
			p.sec, p.secLine, p.has = s[:len(s)-1], line, [3]bool{}
		default:
			if err := p.stat(line, s); err != nil {
				return err
			}
		}
		off = next
	}
	return p.flush()
}

// header reads train_iter:<N> or inference_term:<phase>.
func (p *aiobParser) header(line int, s string) error {
	k, v, _ := strings.Cut(s, ":")
	v = strings.TrimSpace(v)
	p.head, p.pre = true, false
	if k == "train_iter" {
		if !isUint(v) {
			return p.skip.bad(&InputError{File: p.src.Name, Line: line, Column: k, Msg: fmt.Sprintf("%q: expected an iteration number", clip(v))})
		}
		p.extraKey, p.extraVal = k, v
		return nil
	}
	if !isWord(v) {
		return p.skip.bad(&InputError{File: p.src.Name, Line: line, Column: k, Msg: fmt.Sprintf("%q: expected prefill or decode", clip(v))})
	}
	p.extraKey, p.extraVal, p.pre = "phase", v, v == "prefill"
	return nil
}

// stat reads one "time_gpu_xxx: value" line of the current section. Other keys
// are ignored, as AIOB's own reader does.
func (p *aiobParser) stat(line int, s string) error {
	k, v, ok := strings.Cut(s, ":")
	if !ok {
		return p.skip.bad(&InputError{File: p.src.Name, Line: line, Msg: fmt.Sprintf("%q: expected a section name (name:) or a time_gpu_avg/min/max line", clip(s))})
	}
	k = strings.TrimSpace(k)
	i := slices.Index(aiobStatKeys[:], k)
	if i < 0 {
		return nil
	}
	if p.sec == "" {
		return p.skip.bad(&InputError{File: p.src.Name, Line: line, Column: k, Msg: "value outside a section: expected a section name (name:) before it"})
	}
	v = strings.TrimSpace(v)
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
		p.sec = "" // the section is unusable; its remaining lines are ignored
		p.res.RowsRead++
		return p.skip.bad(&InputError{File: p.src.Name, Line: line, Column: k, Msg: fmt.Sprintf("%q is not a time in µs ≥ 0", clip(v))})
	}
	p.stats[i], p.has[i] = f, true
	return nil
}

// flush emits the current section as a Row.
func (p *aiobParser) flush() error {
	if p.sec == "" {
		return nil
	}
	name, line := p.sec, p.secLine
	p.sec = ""
	p.res.RowsRead++
	if !p.has[2] {
		return p.skip.bad(&InputError{File: p.src.Name, Line: line, Column: "time_gpu_avg", Msg: fmt.Sprintf("section %s has no time_gpu_avg", name)})
	}
	avg := p.stats[2] / 1000
	if avg == 0 {
		p.res.Skipped = append(p.res.Skipped, Skip{Line: line, Reason: "NaN target: time_gpu_avg 0"})
		return nil
	}
	r := p.row(name, line)
	r.MedianMS, r.MeanMS = avg, avg
	if p.has[0] {
		r.MaxMS = p.stats[0] / 1000
	}
	if p.has[1] {
		r.MinMS = p.stats[1] / 1000
	}
	p.res.Rows = append(p.res.Rows, r)
	return nil
}

func (p *aiobParser) row(op string, line int) Row {
	k := p.keys
	return Row{
		Operator:  op,
		GPU:       p.src.GPU,
		Network:   p.src.Network,
		Model:     p.src.Model,
		Source:    p.src.Name,
		Line:      int64(line),
		Reader:    nameAIOB,
		TP:        k.tp,
		EP:        k.ep,
		PP:        k.pp,
		WorldSize: k.world,
		BatchSize: k.batch,
		IsPrefill: p.pre,
		Extra:     kvExtra(p.extraKey, p.extraVal, "seq", k.seqString()),
	}
}

// json reads the unprocessed form starting at data[0] == '{' and returns how many
// bytes it used. Keys are emitted in sorted order so that output is deterministic.
func (p *aiobParser) json(line int, data []byte) (int, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	var m map[string][]struct {
		TimeGPU *float64 `json:"time_gpu"`
	}
	if err := dec.Decode(&m); err != nil {
		return 0, &InputError{File: p.src.Name, Line: line, Msg: "JSON samples: " + err.Error()}
	}
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, name := range names {
		p.res.RowsRead++
		var xs []float64
		for _, s := range m[name] {
			if s.TimeGPU != nil {
				xs = append(xs, *s.TimeGPU/1000)
			}
		}
		bad := slices.ContainsFunc(xs, func(x float64) bool { return x < 0 })
		switch {
		case !isWord(name):
			if err := p.skip.bad(&InputError{File: p.src.Name, Line: line, Msg: fmt.Sprintf("%q is not a section name (letters, digits, _)", clip(name))}); err != nil {
				return 0, err
			}
			continue
		case bad:
			if err := p.skip.bad(&InputError{File: p.src.Name, Line: line, Column: name, Msg: "negative time_gpu sample"}); err != nil {
				return 0, err
			}
			continue
		case len(xs) == 0:
			p.res.Skipped = append(p.res.Skipped, Skip{Line: line, Reason: "NaN target: " + name + " has no time_gpu samples"})
			continue
		}
		r := p.row(name, line)
		slices.Sort(xs)
		r.MinMS, r.MaxMS, r.Count = xs[0], xs[len(xs)-1], int64(len(xs))
		r.MedianMS = xs[len(xs)/2]
		if len(xs)%2 == 0 {
			r.MedianMS = (xs[len(xs)/2-1] + xs[len(xs)/2]) / 2
		}
		var sum, sq float64
		for _, x := range xs {
			sum += x
		}
		r.MeanMS = sum / float64(len(xs))
		for _, x := range xs {
			sq += (x - r.MeanMS) * (x - r.MeanMS)
		}
		r.StdMS = math.Sqrt(sq / float64(len(xs)))
		if r.MedianMS == 0 {
			p.res.Skipped = append(p.res.Skipped, Skip{Line: line, Reason: "NaN target: " + name + " median 0"})
			continue
		}
		p.res.Rows = append(p.res.Rows, r)
	}
	return int(dec.InputOffset()), nil
}

// isWord reports whether s matches AIOB's section pattern \w+.
func isWord(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// clip shortens s for an error message.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
