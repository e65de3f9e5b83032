package profile

import (
	"errors"
	"strconv"
	"strings"
)

// VidurCollectiveReader reads Vidur's collective profiles, all_reduce.csv and
// send_recv.csv (data/profiling/network/<net_dev>/), written by
// vidur/profiling/collectives/main.py: a pandas to_csv with an unnamed index column,
// time_stats.<collective>.{min,max,mean,median,std} in milliseconds, rank, num_workers,
// size (bytes, fp16 elements × 2), collective, devices_per_node and
// max_devices_per_node.
//
// Each line becomes one Row: Operator all_reduce or send_recv, Bytes = size,
// GroupSize = num_workers, RanksPerNode = devices_per_node, the five statistics as
// they are (already ms), Dtype fp16, and Network from the Source (the network device
// folder). The file holds no bandwidths; AlgBWGBps = size / median and BusBWGBps =
// AlgBWGBps × the nccl-tests bus factor (2(n−1)/n for all_reduce, 1 for send_recv), so
// that these rows compare directly with nccl-tests rows.
var VidurCollectiveReader = Reader{
	Name:   nameVidurCollective,
	Detect: detectVidurCollective,
	Read:   readVidurCollective,
}

// nameVidurCollective is VidurCollectiveReader.Name, also written into Row.Reader.
const nameVidurCollective = "vidur_collective"

// detectVidurCollective claims a CSV whose header has a time_stats.<collective>.median
// column for a collective Vidur profiles, beside num_workers and devices_per_node.
// Vidur's compute CSVs also have time_stats.* columns, but for compute operators.
func detectVidurCollective(_ string, head []byte) bool {
	f := headerFields(head)
	var stats, workers, devices bool
	for _, c := range f {
		switch c {
		case "time_stats.all_reduce.median", "time_stats.send_recv.median":
			stats = true
		case "num_workers":
			workers = true
		case "devices_per_node":
			devices = true
		}
	}
	return stats && workers && devices
}

func readVidurCollective(src Source, opts Options) (Result, error) {
	var res Result
	t, err := newCSVTable(src.Name, src.R, ',')
	if err != nil {
		return res, err
	}
	// The statistics columns are named after the collective the file profiles.
	coll := ""
	for _, h := range t.header {
		if c, ok := strings.CutPrefix(h, "time_stats."); ok {
			if c, ok = strings.CutSuffix(c, ".median"); ok {
				coll = c
				break
			}
		}
	}
	if coll == "" {
		return res, &InputError{File: src.Name, Line: 1, Column: "time_stats.<collective>.median",
			Msg: "required column is missing from the header (is this a Vidur all_reduce.csv/send_recv.csv?)"}
	}
	stat := func(s string) int { return t.col("time_stats." + coll + "." + s) }
	cMedian, cMean, cMin, cMax, cStd := stat("median"), stat("mean"), stat("min"), stat("max"), stat("std")
	if err := t.requireCols("num_workers", "size", "devices_per_node"); err != nil {
		return res, err
	}
	cWorkers, cSize, cDevices := t.col("num_workers"), t.col("size"), t.col("devices_per_node")
	cColl, cMaxDevices := t.col("collective"), t.col("max_devices_per_node")

	skip := skipper{res: &res, lenient: opts.Lenient}
	for t.nextRecord(skip, 0) {
		row, reason, ierr := vidurCollectiveRow(t, src, coll, cMedian, cMean, cMin, cMax, cStd, cWorkers, cSize, cDevices, cColl, cMaxDevices)
		switch {
		case ierr != nil:
			if err := skip.bad(ierr); err != nil {
				return Result{}, err
			}
		case reason != "":
			res.Skipped = append(res.Skipped, Skip{Line: t.line, Reason: reason})
		default:
			res.Rows = append(res.Rows, row)
		}
	}
	if err := t.err(); err != nil {
		return Result{}, err
	}
	return res, nil
}

// vidurCollectiveRow converts the current record. A row without a median (pandas
// writes NaN for a failed measurement) is not malformed: it comes back with a skip
// reason instead.
func vidurCollectiveRow(t *csvTable, src Source, coll string, cMedian, cMean, cMin, cMax, cStd, cWorkers, cSize, cDevices, cColl, cMaxDevices int) (Row, string, error) {
	op := coll
	if cColl >= 0 {
		op = t.raw(cColl)
		if op != coll {
			return Row{}, "", t.errorf(cColl, "%q, but the statistics columns are for %s", op, coll)
		}
	}
	if _, ok := busBWFactor(op, 2); !ok {
		c := cColl
		if c < 0 {
			c = cMedian
		}
		return Row{}, "", t.errorf(c, "%q is not a collective", op)
	}
	size, err := positiveInt(t, cSize)
	if err != nil {
		return Row{}, "", err
	}
	workers, err := positiveInt(t, cWorkers)
	if err != nil {
		return Row{}, "", err
	}
	devices, err := positiveInt(t, cDevices)
	if err != nil {
		return Row{}, "", err
	}
	if devices > workers {
		return Row{}, "", t.errorf(cDevices, "%d devices per node for %d workers: expected at most num_workers", devices, workers)
	}
	var stats [5]float64
	for i, c := range [5]int{cMedian, cMean, cMin, cMax, cStd} {
		v, ok, err := t.float(c)
		if err != nil {
			return Row{}, "", err
		}
		if v < 0 {
			return Row{}, "", t.errorf(c, "%g is negative: expected a time in ms", v)
		}
		if i == 0 && (!ok || v == 0) {
			return Row{}, "NaN target: no median time", nil
		}
		stats[i] = v
	}
	extra := ""
	if cMaxDevices >= 0 {
		m, ok, err := t.int(cMaxDevices)
		if err != nil {
			return Row{}, "", err
		}
		if ok {
			extra = "max_devices_per_node=" + strconv.FormatInt(m, 10)
		}
	}
	median := stats[0]
	algbw := float64(size) / (median * 1e-3) / 1e9
	factor, _ := busBWFactor(op, workers)
	return Row{
		Operator:     op,
		GPU:          src.GPU,
		Network:      src.Network,
		Model:        src.Model,
		Source:       src.Name,
		Line:         int64(t.line),
		Reader:       nameVidurCollective,
		Dtype:        "fp16",
		Extra:        extra,
		Bytes:        size,
		GroupSize:    workers,
		RanksPerNode: devices,
		AlgBWGBps:    algbw,
		BusBWGBps:    algbw * factor,
		MedianMS:     median,
		MeanMS:       stats[1],
		MinMS:        stats[2],
		MaxMS:        stats[3],
		StdMS:        stats[4],
	}, "", nil
}

// positiveInt reads a required integer column that must be at least 1.
func positiveInt(t *csvTable, c int) (int64, error) {
	v, ok, err := t.int(c)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, t.errorf(c, "missing value: expected a positive integer")
	}
	if v < 1 {
		return 0, t.errorf(c, "%d: expected a positive integer", v)
	}
	return v, nil
}

// skipper applies Options.Lenient to malformed input: strict mode returns the
// error; lenient mode records the row in Result.Skipped and carries on.
type skipper struct {
	res     *Result
	lenient bool
}

// bad returns err unchanged in strict mode, or nil after recording a skip when
// lenient and err is an *InputError. Errors that are not about the input (I/O) are
// always returned.
func (s skipper) bad(err error) error {
	var ie *InputError
	if !s.lenient || !errors.As(err, &ie) {
		return err
	}
	reason := "malformed: "
	if ie.Column != "" {
		reason += "column " + ie.Column + ": "
	}
	s.res.Skipped = append(s.res.Skipped, Skip{Line: ie.Line, Reason: reason + ie.Msg})
	return nil
}
