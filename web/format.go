package web

import (
	"fmt"
	"math"
)

// FormatMs formats a duration in milliseconds for people: "0 ms", "1.5 ms"
// under 10 ms, "13 ms" under a second, "1.50 s" from one second on. Each
// form rounds half away from zero at its last digit, computed on the scaled
// value (ms*10, ms, ms/10) so 1.45 reads "1.5 ms" although the float is a
// hair below 1.45.
//
// web/static/common.js formatMs implements the same rule for the rows the
// live list adds; both are tested against testdata/durations.json (Go here,
// JavaScript in web/jstest), so a rendered row and a live row read the same.
func FormatMs(ms float64) string {
	switch {
	case !(ms > 0): // also NaN
		return "0 ms"
	case ms < 10:
		return fmt.Sprintf("%.1f ms", math.Round(ms*10)/10)
	case ms < 1000:
		return fmt.Sprintf("%.0f ms", math.Round(ms))
	default:
		return fmt.Sprintf("%.2f s", math.Round(ms/10)/100)
	}
}

// FormatSize formats a size in bytes: "512 B", "1.5 KB", "2.0 MB".
// web/static/common.js formatSize is the same rule; both are tested
// against testdata/sizes.json.
func FormatSize(n int) string {
	switch {
	case n < 1024:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KB", float64(n)/1024)
	default:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	}
}
