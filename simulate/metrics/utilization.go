package metrics

import "strconv"

// writeUtilization writes Vidur's utilization files into plots/: for every replica
// replica_<r>_memory_usage.json, and for each of its stages
// replica_<r>_stage_<s>_busy_time_percent.json and replica_<r>_stage_<s>_mfu.json, each
// one JSON object {"<name>_min": …, "<name>_max": …, "<name>_weighted_mean": …} laid
// out as Python's json.dump writes it.
//
// With Options.VidurCompat the files carry Vidur's names and numbers: the off-by-one
// numbering of utilizationNumber, Vidur's means (see meter) and no file for a meter
// Vidur has no mean for. Otherwise files are numbered by the engine's replica and
// stage ids and hold the plain time-weighted mean from t = 0.
func (r *Recorder) writeUtilization() error {
	var buf []byte
	write := func(name string, m *meter) error {
		mean := m.stats().Mean
		if r.opts.VidurCompat {
			v, ok := m.vidurMean()
			if !ok {
				return nil
			}
			mean = v
		}
		buf = appendUtilizationJSON(buf[:0], name, m, mean)
		out, err := r.open("plots/" + name + ".json")
		if err != nil {
			return err
		}
		out.w.Write(buf)
		return nil
	}
	numReplicas := max(len(r.memory), len(r.busy))
	for rep := range numReplicas {
		prefix := "replica_" + strconv.Itoa(r.utilizationNumber(rep, numReplicas))
		if rep < len(r.memory) {
			if err := write(prefix+"_memory_usage", r.memory[rep]); err != nil {
				return err
			}
		}
		if rep >= len(r.busy) {
			continue
		}
		for st := range r.busy[rep] {
			name := prefix + "_stage_" + strconv.Itoa(r.utilizationNumber(st, len(r.busy[rep])))
			if err := write(name+"_busy_time_percent", r.busy[rep][st]); err != nil {
				return err
			}
			if err := write(name+"_mfu", r.mfu[rep][st]); err != nil {
				return err
			}
		}
	}
	return nil
}

// utilizationNumber is the number in a utilization file's name for replica (or stage)
// id out of n. Vidur keeps its meters in lists indexed by id − 1 and names the files
// by list position + 1 (reference-vidur.md §7, §12.2), so id 0 lands in the last slot:
// under VidurCompat replica 0 of N is written as replica_N and replica k ≥ 1 as
// replica_k. Otherwise the number is the id itself.
func (r *Recorder) utilizationNumber(id, n int) int {
	if r.opts.VidurCompat && id == 0 {
		return n
	}
	return id
}

// appendUtilizationJSON appends {"<name>_min": …, "<name>_max": …,
// "<name>_weighted_mean": …} with json.dump's separators; min and max that Vidur holds
// as Python ints are written without a fraction.
func appendUtilizationJSON(b []byte, name string, m *meter, mean float64) []byte {
	num := func(b []byte, v float64, isInt bool) []byte {
		if isInt {
			return strconv.AppendInt(b, int64(v), 10)
		}
		return appendJSONFloat(b, v)
	}
	b = append(b, `{"`...)
	b = append(b, name...)
	b = append(b, `_min": `...)
	b = num(b, m.min, m.minInt)
	b = append(b, `, "`...)
	b = append(b, name...)
	b = append(b, `_max": `...)
	b = num(b, m.max, m.maxInt)
	b = append(b, `, "`...)
	b = append(b, name...)
	b = append(b, `_weighted_mean": `...)
	b = appendJSONFloat(b, mean)
	return append(b, '}')
}
