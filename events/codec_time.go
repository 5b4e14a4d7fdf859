package events

import (
	"encoding/json"
	"fmt"
	"time"
)

// parseRFC3339 parses an RFC 3339 date-time (section 5.6: full-date "T"
// full-time, with 'T' and 'Z' in either case, an optional fraction of any
// length and a 'Z' or ±hh:mm offset) and returns it in UTC. It accepts
// nothing else: no comma before the fraction, no missing seconds, no
// leap second (Go's time package cannot represent one), no space for 'T',
// and no instant whose UTC year falls outside 0000-9999 (RFC 3339 could
// not write it back). It does not allocate.
func parseRFC3339[T string | []byte](s T) (time.Time, bool) {
	if len(s) < len("2006-01-02T15:04:05Z") {
		return time.Time{}, false
	}
	year, ok1 := num(s[0:4])
	month, ok2 := num(s[5:7])
	day, ok3 := num(s[8:10])
	hour, ok4 := num(s[11:13])
	minute, ok5 := num(s[14:16])
	sec, ok6 := num(s[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) ||
		s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	if month < 1 || month > 12 || day < 1 || day > daysIn(time.Month(month), year) ||
		hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	rest := s[19:]
	nsec := 0
	if rest[0] == '.' {
		n := 1
		for n < len(rest) && isDigit(rest[n]) {
			if n <= 9 {
				nsec = nsec*10 + int(rest[n]-'0')
			}
			n++
		}
		if n == 1 {
			return time.Time{}, false
		}
		for k := n; k <= 9; k++ {
			nsec *= 10
		}
		rest = rest[n:]
	}
	offset := 0
	switch {
	case len(rest) == 1 && (rest[0] == 'Z' || rest[0] == 'z'):
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		oh, okh := num(rest[1:3])
		om, okm := num(rest[4:6])
		if !okh || !okm || oh > 23 || om > 59 {
			return time.Time{}, false
		}
		offset = (oh*60 + om) * 60
		if rest[0] == '-' {
			offset = -offset
		}
	default:
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	if offset != 0 {
		t = t.Add(-time.Duration(offset) * time.Second)
		if y := t.Year(); y < 0 || y > 9999 {
			// 0000-01-01T00:00:00+01:00 is a year before the first
			// RFC 3339 can write: it could never be written back.
			return time.Time{}, false
		}
	}
	return t, true
}

// parseDate parses a full-date YYYY-MM-DD.
func parseDate[T string | []byte](s T) (year int, month time.Month, day int, ok bool) {
	if len(s) != len("2006-01-02") || s[4] != '-' || s[7] != '-' {
		return 0, 0, 0, false
	}
	y, ok1 := num(s[0:4])
	m, ok2 := num(s[5:7])
	d, ok3 := num(s[8:10])
	if !(ok1 && ok2 && ok3) || m < 1 || m > 12 || d < 1 || d > daysIn(time.Month(m), y) {
		return 0, 0, 0, false
	}
	return y, time.Month(m), d, true
}

// num parses a fixed-width run of decimal digits.
func num[T string | []byte](s T) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func daysIn(m time.Month, year int) int {
	switch m {
	case time.February:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// ParseEffectiveTime parses an HR effective_at: an RFC 3339 date-time
// (returned in UTC) or a full-date YYYY-MM-DD, kept as a date (DateOnly).
func ParseEffectiveTime(s string) (EffectiveTime, error) {
	if e, ok := parseEffective(s); ok {
		return e, nil
	}
	return EffectiveTime{}, fmt.Errorf("parsing effective time %q: not an rfc 3339 date-time or a yyyy-mm-dd date", s)
}

func parseEffective[T string | []byte](s T) (EffectiveTime, bool) {
	if y, m, d, ok := parseDate(s); ok {
		return EffectiveTime{DateOnly: true, Year: y, Month: m, Day: d}, true
	}
	if t, ok := parseRFC3339(s); ok {
		return EffectiveTime{Instant: t}, true
	}
	return EffectiveTime{}, false
}

// String returns e as it appears in an event: YYYY-MM-DD for a date, else
// the instant in RFC 3339 (UTC, nanoseconds as needed).
func (e EffectiveTime) String() string {
	if e.DateOnly {
		return fmt.Sprintf("%04d-%02d-%02d", e.Year, int(e.Month), e.Day)
	}
	return e.Instant.UTC().Format(time.RFC3339Nano)
}

// MarshalJSON encodes e as a JSON string in the form String returns, so
// that HRData round-trips through encoding/json.
func (e EffectiveTime) MarshalJSON() ([]byte, error) {
	return json.Marshal(e.String())
}

// UnmarshalJSON decodes a JSON string with ParseEffectiveTime.
// A JSON null leaves e unchanged, as encoding/json does for other types.
func (e *EffectiveTime) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("decoding effective time: %w", err)
	}
	v, err := ParseEffectiveTime(s)
	if err != nil {
		return err
	}
	*e = v
	return nil
}
