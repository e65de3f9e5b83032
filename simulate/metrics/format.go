package metrics

import (
	"math"
	"strconv"
)

// appendFloat appends v the way Python's repr (and so pandas' to_csv and json.dump)
// writes a float: the shortest digits that read back to v, in fixed notation with a
// trailing ".0" for whole numbers when the decimal exponent is in [−4, 16), else in
// exponent notation ("1e-05", "1.5e+16"). NaN is written as an empty field, as pandas
// writes a missing value; infinities as "inf" and "-inf".
func appendFloat(b []byte, v float64) []byte {
	switch {
	case math.IsNaN(v):
		return b
	case math.IsInf(v, 1):
		return append(b, "inf"...)
	case math.IsInf(v, -1):
		return append(b, "-inf"...)
	case v == 0:
		if math.Signbit(v) {
			return append(b, "-0.0"...)
		}
		return append(b, "0.0"...)
	}
	// One shortest-digits conversion in exponent form, "-d.ddde±XX", then the digits
	// are laid out again in fixed notation when Python would use it.
	var tmp [32]byte
	e := strconv.AppendFloat(tmp[:0], v, 'e', -1, 64)
	i := len(e) - 1
	for e[i] != 'e' {
		i--
	}
	exp := 0
	for _, c := range e[i+2:] {
		exp = exp*10 + int(c-'0')
	}
	if e[i+1] == '-' {
		exp = -exp
	}
	if exp < -4 || exp >= 16 {
		return append(b, e...)
	}
	mant := e[:i]
	if mant[0] == '-' {
		b = append(b, '-')
		mant = mant[1:]
	}
	// Digits without the point: mant is "d" or "d.ddd".
	var digits [20]byte
	nd := copy(digits[:], mant[:1])
	if len(mant) > 2 {
		nd += copy(digits[nd:], mant[2:])
	}
	if exp < 0 {
		b = append(b, "0."...)
		for range -exp - 1 {
			b = append(b, '0')
		}
		return append(b, digits[:nd]...)
	}
	if nd <= exp+1 {
		b = append(b, digits[:nd]...)
		for range exp + 1 - nd {
			b = append(b, '0')
		}
		return append(b, ".0"...)
	}
	b = append(b, digits[:exp+1]...)
	b = append(b, '.')
	return append(b, digits[exp+1:nd]...)
}

// appendJSONFloat is appendFloat for JSON, which has no NaN or infinity: those become
// null.
func appendJSONFloat(b []byte, v float64) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return append(b, "null"...)
	}
	return appendFloat(b, v)
}
