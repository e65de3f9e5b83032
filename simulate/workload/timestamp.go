package workload

import (
	"fmt"
	"strings"
	"time"
)

// parseTimestamp reads the datetimes of the Azure traces and of Vidur's arrival traces:
// "2023-11-16 18:15:46.6805900" (Azure 2023: naive, 7 fractional digits) and
// "2024-05-10 00:00:00.009930+00:00" (Azure 2024: 6 digits and a UTC offset). A "T"
// may stand for the space. Naive stamps are taken as UTC. aware reports whether the
// stamp carried an offset, which is how the two Azure dialects are told apart.
func parseTimestamp(s string) (t time.Time, aware bool, err error) {
	if len(s) < len("2006-01-02 15:04:05") {
		return time.Time{}, false, fmt.Errorf("%q is not a datetime like 2006-01-02 15:04:05", s)
	}
	sep := s[10]
	if sep != ' ' && sep != 'T' {
		return time.Time{}, false, fmt.Errorf("%q is not a datetime like 2006-01-02 15:04:05", s)
	}
	// Go accepts a fractional second of any length after the seconds field even when
	// the layout does not mention one.
	rest := s[19:]
	aware = strings.ContainsAny(rest, "+-Z")
	layout := "2006-01-02 15:04:05"
	if sep == 'T' {
		layout = "2006-01-02T15:04:05"
	}
	if aware {
		layout += "Z07:00"
	}
	t, err = time.Parse(layout, s)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("%q is not a datetime like 2006-01-02 15:04:05[.fffffff][+00:00]", s)
	}
	return t, aware, nil
}
