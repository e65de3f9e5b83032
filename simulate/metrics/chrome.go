package metrics

import (
	"cmp"
	"slices"
	"strconv"
)

// chromeTrace streams chrome_trace.json (the Trace Event Format that chrome://tracing
// and Perfetto open): one complete event ("ph":"X") per batch stage, pid = replica,
// tid = stage, times in microseconds. The event fields follow Vidur's: name is the
// batch's request ids as Python prints a list ("[0, 3]"), args hold batch_id,
// batch_size, request_ids and num_tokens; llmsim adds the prefill/decode token split
// and the time split in microseconds. Process and thread names are written at the end.
type chromeTrace struct {
	out    *output
	buf    []byte
	events int
	lanes  map[[2]int]struct{} // (replica, stage) pairs seen, for the name metadata
}

func newChromeTrace(dir string) (*chromeTrace, error) {
	out, err := createOutput(dir, "chrome_trace.json")
	if err != nil {
		return nil, err
	}
	out.w.WriteString(`{"traceEvents":[`)
	return &chromeTrace{out: out, lanes: map[[2]int]struct{}{}}, nil
}

func (c *chromeTrace) sep() {
	if c.events > 0 {
		c.buf = append(c.buf, ',')
	}
	c.buf = append(c.buf, '\n')
	c.events++
}

func (c *chromeTrace) batch(r *BatchRecord) error {
	c.buf = c.buf[:0]
	c.sep()
	c.buf = append(c.buf, `{"name":"`...)
	if r.RequestIDs != nil {
		c.buf = append(c.buf, '[')
		for i, id := range r.RequestIDs {
			if i > 0 {
				c.buf = append(c.buf, ", "...)
			}
			c.buf = strconv.AppendInt(c.buf, int64(id), 10)
		}
		c.buf = append(c.buf, ']')
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
	c.buf = appendJSONFloat(c.buf, dur*1e6)
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
		c.buf = appendIntList(c.buf, r.RequestIDs)
	}
	if r.RequestNumTokens != nil {
		c.buf = append(c.buf, `,"num_tokens":`...)
		c.buf = appendIntList(c.buf, r.RequestNumTokens)
	}
	c.buf = append(c.buf, `,"num_prefill_tokens":`...)
	c.buf = strconv.AppendInt(c.buf, int64(r.NumPrefillTokens), 10)
	c.buf = append(c.buf, `,"num_decode_tokens":`...)
	c.buf = strconv.AppendInt(c.buf, int64(r.NumDecodeTokens), 10)
	for _, f := range [...]struct {
		key string
		v   float64
	}{{`,"attention_us":`, r.AttentionTime}, {`,"mlp_us":`, r.MLPTime}, {`,"comm_us":`, r.CommTime}, {`,"other_us":`, r.OtherTime}} {
		c.buf = append(c.buf, f.key...)
		c.buf = appendJSONFloat(c.buf, f.v*1e6)
	}
	c.buf = append(c.buf, `,"mfu":`...)
	c.buf = appendJSONFloat(c.buf, r.MFU)
	c.buf = append(c.buf, "}}"...)
	c.lanes[[2]int{r.ReplicaID, r.StageID}] = struct{}{}
	_, err := c.out.w.Write(c.buf)
	return err
}

// end writes the process and thread names and closes the event list.
func (c *chromeTrace) end() error {
	lanes := make([][2]int, 0, len(c.lanes))
	for l := range c.lanes {
		lanes = append(lanes, l)
	}
	slices.SortFunc(lanes, func(a, b [2]int) int {
		return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1]))
	})
	c.buf = c.buf[:0]
	for i, l := range lanes {
		if i == 0 || lanes[i-1][0] != l[0] {
			c.sep()
			c.buf = metaEvent(c.buf, "process_name", l[0], 0, "replica ", l[0])
		}
		c.sep()
		c.buf = metaEvent(c.buf, "thread_name", l[0], l[1], "stage ", l[1])
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

func appendIntList(b []byte, xs []int) []byte {
	b = append(b, '[')
	for i, x := range xs {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(x), 10)
	}
	return append(b, ']')
}
