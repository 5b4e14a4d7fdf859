package policy

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// day is the length of the d duration unit.
const day = 24 * time.Hour

// errNegativeDuration is wrapped by ParseDuration's error for a negative
// duration.
var errNegativeDuration = errors.New("must not be negative")

// ParseDuration parses a policy duration: a Go duration (time.ParseDuration)
// whose terms may also use the unit d, 24 hours ("400d", "1d12h", "1.5d").
// A negative duration is an error, as is one that overflows time.Duration.
// "0" and "-0s" are zero.
func ParseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, errors.New("empty duration: want numbers with units, such as 90m, 1h30m or 400d")
	}
	rest := s
	neg := false
	switch rest[0] {
	case '-':
		neg = true
		rest = rest[1:]
	case '+':
		rest = rest[1:]
	}
	if rest == "0" {
		return 0, nil
	}
	if rest == "" {
		return 0, fmt.Errorf("invalid duration %q: want numbers with units, such as 90m, 1h30m or 400d", s)
	}
	var total time.Duration
	for rest != "" {
		// A term is a number (digits with at most one dot) and a unit (the
		// non-digit characters up to the next number).
		i := 0
		for i < len(rest) && (rest[i] >= '0' && rest[i] <= '9' || rest[i] == '.') {
			i++
		}
		j := i
		for j < len(rest) && !(rest[j] >= '0' && rest[j] <= '9' || rest[j] == '.') {
			j++
		}
		num, unit := rest[:i], rest[i:j]
		rest = rest[j:]
		if num == "" || unit == "" || strings.Count(num, ".") > 1 || num == "." {
			return 0, fmt.Errorf("invalid duration %q: want numbers with units, such as 90m, 1h30m or 400d", s)
		}
		var d time.Duration
		if unit == "d" {
			h, err := time.ParseDuration(num + "h")
			if err != nil || h > math.MaxInt64/24 {
				return 0, fmt.Errorf("duration %q out of range", s)
			}
			d = h * 24
		} else {
			var err error
			d, err = time.ParseDuration(num + unit)
			if err != nil {
				if strings.Contains(err.Error(), "unknown unit") {
					return 0, fmt.Errorf("invalid duration %q: unknown unit %q (use ns, us, ms, s, m, h or d)", s, unit)
				}
				// num is a well-formed number and unit a known one:
				// time.ParseDuration fails only on overflow.
				return 0, fmt.Errorf("duration %q out of range", s)
			}
		}
		if total > math.MaxInt64-d {
			return 0, fmt.Errorf("duration %q out of range", s)
		}
		total += d
	}
	if neg && total != 0 {
		return 0, fmt.Errorf("%w, got %q", errNegativeDuration, s)
	}
	return total, nil
}

// formatDuration renders d for messages, in days when it is a whole number
// of days ("400d"), else as time.Duration does ("12h0m0s" becomes "12h").
func formatDuration(d time.Duration) string {
	if d != 0 && d%day == 0 {
		return fmt.Sprintf("%dd", d/day)
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}
