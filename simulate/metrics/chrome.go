package metrics

import (
	"math"
	"slices"
	"strconv"
)

// chromeTrace streams chrome_trace.json (the Trace Event Format that chrome://tracing
// and Perfetto open): one complete event ("ph":"X") per batch stage, pid = replica,
// tid = stage, times in microseconds. The event fields follow Vidur's: name is the
// batch's request ids as Python prints a list ("[0, 3]"), ts is end − execution time
// and dur the execution time (both as Python's repr writes them), args hold batch_id,
// batch_size, request_ids and num_tokens. llmsim adds the prefill/decode token split,
// the time split in microseconds (to the nanosecond) and the MFU in percent. Process
// and thread names are written at the end.
//
// The trace is the largest output (a few hundred bytes per batch stage), so an event
// is built with as little work as possible: the request-id list is formatted once and
// copied into both name and request_ids, and reused as is when a batch has the same
// requests as the one before (decode batches mostly do); so is the token list; the
// added fields use fixed-point formatting instead of shortest-repr.
type chromeTrace struct {
	out    *output
	buf    []byte
	events int
	lanes  [][]bool // lanes[replica][stage]: seen, for the name metadata

	ids, tokens intList   // "[0, 3]" and "[1,374]"
	dur         lastFloat // consecutive decode batches often take the same time
}

// lastFloat caches the JSON text of the last float it wrote.
type lastFloat struct {
	v    uint64 // bits of the value
	text []byte
}

func (l *lastFloat) append(b []byte, v float64) []byte {
	if bits := math.Float64bits(v); bits != l.v || l.text == nil {
		l.v = bits
		l.text = appendJSONFloat(l.text[:0], v)
	}
	return append(b, l.text...)
}

// intList caches the formatting of the last int list it was asked for.
type intList struct {
	last  []int
	text  []byte
	valid bool
}

// format returns xs as a JSON list with sep between items; the result is valid until
// the next call.
func (l *intList) format(xs []int, sep string) []byte {
	if l.valid && slices.Equal(l.last, xs) {
		return l.text
	}
	l.last = append(l.last[:0], xs...)
	l.text = append(l.text[:0], '[')
	for i, x := range xs {
		if i > 0 {
			l.text = append(l.text, sep...)
		}
		l.text = strconv.AppendInt(l.text, int64(x), 10)
	}
	l.text = append(l.text, ']')
	l.valid = true
	return l.text
}

func newChromeTrace(dir string) (*chromeTrace, error) {
	out, err := createOutput(dir, "chrome_trace.json")
	if err != nil {
		return nil, err
	}
	out.w.WriteString(`{"traceEvents":[`)
	return &chromeTrace{out: out}, nil
}

func (c *chromeTrace) sep() {
	if c.events > 0 {
		c.buf = append(c.buf, ',')
	}
	c.buf = append(c.buf, '\n')
	c.events++
}

func (c *chromeTrace) batch(r *BatchRecord) error {
	// The event is formatted straight into the file's buffer: a generous bound on its
	// size (the lists and about 400 bytes of fields) makes room first.
	c.buf = c.out.w.grow(512 + 16*(len(r.RequestIDs)+len(r.RequestNumTokens)))
	c.sep()
	c.buf = append(c.buf, `{"name":"`...)
	var ids []byte
	if r.RequestIDs != nil {
		// Python's str(list) separates with ", "; request_ids reuses the same bytes,
		// which JSON reads the same as Vidur's.
		ids = c.ids.format(r.RequestIDs, ", ")
		c.buf = append(c.buf, ids...)
	} else {
		c.buf = append(c.buf, "batch "...)
		c.buf = strconv.AppendInt(c.buf, int64(r.ID), 10)
	}
	// Vidur places the event at (end − execution time), not at the recorded start;
	// the two differ in the last bit often enough to matter for byte comparisons.
	start, dur := r.CompletedAt-r.ExecutionTime, r.ExecutionTime
	if !(dur > 0) {
		start, dur = r.StartedAt, r.CompletedAt-r.StartedAt
	}
	c.buf = append(c.buf, `","ph":"X","ts":`...)
	c.buf = appendJSONFloat(c.buf, start*1e6)
	c.buf = append(c.buf, `,"dur":`...)
	c.buf = c.dur.append(c.buf, dur*1e6)
	c.buf = append(c.buf, `,"pid":`...)
	c.buf = strconv.AppendInt(c.buf, int64(r.ReplicaID), 10)
	c.buf = append(c.buf, `,"tid":`...)
	c.buf = strconv.AppendInt(c.buf, int64(r.StageID), 10)
	c.buf = append(c.buf, `,"args":{"batch_id":`...)
	c.buf = strconv.AppendInt(c.buf, int64(r.ID), 10)
	c.buf = append(c.buf, `,"batch_size":`...)
	c.buf = strconv.AppendInt(c.buf, int64(r.Size), 10)
	if r.RequestIDs != nil {
		c.buf = append(c.buf, `,"request_ids":`...)
		c.buf = append(c.buf, ids...)
	}
	if r.RequestNumTokens != nil {
		c.buf = append(c.buf, `,"num_tokens":`...)
		c.buf = append(c.buf, c.tokens.format(r.RequestNumTokens, ",")...)
	}
	c.buf = append(c.buf, `,"num_prefill_tokens":`...)
	c.buf = strconv.AppendInt(c.buf, int64(r.NumPrefillTokens), 10)
	c.buf = append(c.buf, `,"num_decode_tokens":`...)
	c.buf = strconv.AppendInt(c.buf, int64(r.NumDecodeTokens), 10)
	c.buf = append(c.buf, `,"attention_us":`...)
	c.buf = appendFixed3(c.buf, r.AttentionTime*1e6)
	c.buf = append(c.buf, `,"mlp_us":`...)
	c.buf = appendFixed3(c.buf, r.MLPTime*1e6)
	c.buf = append(c.buf, `,"comm_us":`...)
	c.buf = appendFixed3(c.buf, r.CommTime*1e6)
	c.buf = append(c.buf, `,"other_us":`...)
	c.buf = appendFixed3(c.buf, r.OtherTime*1e6)
	c.buf = append(c.buf, `,"mfu":`...)
	c.buf = appendFixed3(c.buf, r.MFU)
	c.buf = append(c.buf, "}}"...)
	c.see(r.ReplicaID, r.StageID)
	c.out.w.setBuf(c.buf)
	c.buf = nil
	return nil
}

func (c *chromeTrace) see(replica, stage int) {
	if replica < 0 || stage < 0 {
		return
	}
	for len(c.lanes) <= replica {
		c.lanes = append(c.lanes, nil)
	}
	for len(c.lanes[replica]) <= stage {
		c.lanes[replica] = append(c.lanes[replica], false)
	}
	c.lanes[replica][stage] = true
}

// end writes the process and thread names and closes the event list.
func (c *chromeTrace) end() error {
	c.buf = nil
	for rep, stages := range c.lanes {
		named := false
		for st, seen := range stages {
			if !seen {
				continue
			}
			if !named {
				c.sep()
				c.buf = metaEvent(c.buf, "process_name", rep, 0, "replica ", rep)
				named = true
			}
			c.sep()
			c.buf = metaEvent(c.buf, "thread_name", rep, st, "stage ", st)
		}
	}
	c.buf = append(c.buf, "\n]}\n"...)
	_, err := c.out.w.Write(c.buf)
	return err
}

func metaEvent(b []byte, kind string, pid, tid int, label string, n int) []byte {
	b = append(b, `{"name":"`...)
	b = append(b, kind...)
	b = append(b, `","ph":"M","pid":`...)
	b = strconv.AppendInt(b, int64(pid), 10)
	b = append(b, `,"tid":`...)
	b = strconv.AppendInt(b, int64(tid), 10)
	b = append(b, `,"args":{"name":"`...)
	b = append(b, label...)
	b = strconv.AppendInt(b, int64(n), 10)
	return append(b, `"}}`...)
}

// appendFixed3 writes v with exactly three decimals ("9407.916"), or null for NaN and
// infinities. It is an integer conversion, several times cheaper than the shortest
// repr, and exact to the nanosecond for the microsecond values it writes.
func appendFixed3(b []byte, v float64) []byte {
	r := math.Round(v * 1000)
	if math.IsNaN(r) || math.Abs(r) >= 1<<62 {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return append(b, "null"...)
		}
		return appendFloat(b, v)
	}
	n := int64(r)
	if n < 0 {
		b = append(b, '-')
		n = -n
	}
	b = strconv.AppendInt(b, n/1000, 10)
	f := n % 1000
	return append(b, '.', byte('0'+f/100), byte('0'+f/10%10), byte('0'+f%10))
}
