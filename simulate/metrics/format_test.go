package metrics

import (
	"math"
	"strconv"
	"strings"
	"testing"
)

func TestAppendFloatMatchesPythonRepr(t *testing.T) {
	// Expected strings are what Python's repr prints (and pandas writes).
	tests := []struct {
		v    float64
		want string
	}{
		{0.43811689541485377, "0.43811689541485377"},
		{6.652550353378749e-05, "6.652550353378749e-05"},
		{0.0001, "0.0001"},
		{1e-05, "1e-05"},
		{418, "418.0"},
		{0, "0.0"},
		{math.Copysign(0, -1), "-0.0"},
		{1234567.0, "1234567.0"},
		{1e15, "1000000000000000.0"},
		{1e16, "1e+16"},
		{1.5e16, "1.5e+16"},
		{123456789012345.6, "123456789012345.6"},
		{-2.5, "-2.5"},
		{5.608953, "5.608953"},
		{0.2191149999999995, "0.2191149999999995"},
		{1e100, "1e+100"},
		{1.7976931348623157e308, "1.7976931348623157e+308"},
		{5e-324, "5e-324"},
		{math.Inf(1), "inf"},
		{math.Inf(-1), "-inf"},
		{math.NaN(), ""},
	}
	for _, tc := range tests {
		if got := string(appendFloat(nil, tc.v)); got != tc.want {
			t.Errorf("appendFloat(%v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

// pyRepr is a slow, obviously correct statement of Python's float repr rule.
func pyRepr(v float64) string {
	e := strconv.FormatFloat(v, 'e', -1, 64)
	exp, _ := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:])
	if exp < -4 || exp >= 16 {
		return e
	}
	f := strconv.FormatFloat(v, 'f', -1, 64)
	if !strings.Contains(f, ".") {
		f += ".0"
	}
	return f
}

func FuzzAppendFloat(f *testing.F) {
	for _, v := range []float64{0.43811689541485377, 1e-05, 418, 1e16, -123.5, 9.999999999999999e15, 0.0001} {
		f.Add(math.Float64bits(v))
	}
	f.Fuzz(func(t *testing.T, bits uint64) {
		v := math.Float64frombits(bits)
		if math.IsNaN(v) || math.IsInf(v, 0) || v == 0 {
			return
		}
		got := string(appendFloat(nil, v))
		if want := pyRepr(v); got != want {
			t.Fatalf("appendFloat(%v) = %q, want %q", v, got, want)
		}
		if back, err := strconv.ParseFloat(got, 64); err != nil || back != v {
			t.Fatalf("%q does not read back as %v", got, v)
		}
	})
}
