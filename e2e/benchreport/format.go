package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// grouped writes an integer with thin groups of three digits ("429 373"),
// as the existing tables do.
func grouped(v float64) string {
	s := strconv.FormatInt(int64(math.Round(v)), 10)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// micros formats a duration given in µs with a unit that fits it.
func micros(us float64) string {
	switch {
	case us < 1000:
		return fmt.Sprintf("%.0f µs", us)
	case us < 10_000:
		return fmt.Sprintf("%.2f ms", us/1000)
	case us < 1_000_000:
		return fmt.Sprintf("%.1f ms", us/1000)
	default:
		return fmt.Sprintf("%.2f s", us/1e6)
	}
}

// rate formats operations a second: whole numbers from ten up.
func rate(perSec float64) string {
	if perSec >= 10 {
		return grouped(perSec)
	}
	return fmt.Sprintf("%.2f", perSec)
}
