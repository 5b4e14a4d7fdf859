package jsonscan

import (
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// String returns the raw contents (between the quotes, escapes not decoded)
// of the string value at s, and false if s is absent or not a string. A
// JSON null is "not a string".
func String(data []byte, s Span) (raw []byte, ok bool) {
	if !s.Present() || s.End-s.Start < 2 || s.End > len(data) || data[s.Start] != '"' {
		return nil, false
	}
	return data[s.Start+1 : s.End-1], true
}

// Escaped reports whether raw contains an escape sequence. A key that is not
// Escaped equals a literal exactly when its bytes do, so decoders switch on
// string(key) and decode only in the rare Escaped case.
func Escaped(raw []byte) bool {
	i := 0
	for ; i+8 <= len(raw); i += 8 {
		// 8 bytes at a time: a backslash is a zero byte of b, and b-lsb
		// borrows into the high bit of the lowest zero byte.
		if b := word(raw, i) ^ backslash; (b-lsb)&^b&msb != 0 {
			return true
		}
	}
	for ; i < len(raw); i++ {
		if raw[i] == '\\' {
			return true
		}
	}
	return false
}

// Plain reports whether raw needs no decoding: no escapes and only ASCII.
func Plain(raw []byte) bool {
	i := 0
	for ; i+8 <= len(raw); i += 8 {
		// As in Escaped; a byte >= 0x80 sets its own high bit, and in a word
		// without one, b-lsb sets a high bit only at or above a backslash.
		x := word(raw, i)
		if b := x ^ backslash; ((b-lsb)|x)&msb != 0 {
			return false
		}
	}
	for ; i < len(raw); i++ {
		if c := raw[i]; c == '\\' || c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// AppendString appends the decoded form of the raw string contents to dst,
// as encoding/json decodes a string: escapes resolved, a \u escape that is
// an unpaired surrogate and every byte that is not valid UTF-8 replaced by
// U+FFFD.
func AppendString(dst, raw []byte) []byte {
	i := 0
	for i < len(raw) {
		// Copy the longest run that needs no work in one step.
		j := i
		for j < len(raw) && raw[j] != '\\' && raw[j] < utf8.RuneSelf {
			j++
		}
		dst = append(dst, raw[i:j]...)
		i = j
		if i >= len(raw) {
			break
		}
		c := raw[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRune(raw[i:])
			if r == utf8.RuneError && size == 1 {
				dst = utf8.AppendRune(dst, unicode.ReplacementChar)
			} else {
				dst = append(dst, raw[i:i+size]...)
			}
			i += size
			continue
		}
		// c == '\\'
		if i+1 >= len(raw) {
			return dst // unreachable for valid input
		}
		switch e := raw[i+1]; e {
		case '"', '\\', '/':
			dst = append(dst, e)
			i += 2
		case 'b':
			dst = append(dst, '\b')
			i += 2
		case 'f':
			dst = append(dst, '\f')
			i += 2
		case 'n':
			dst = append(dst, '\n')
			i += 2
		case 'r':
			dst = append(dst, '\r')
			i += 2
		case 't':
			dst = append(dst, '\t')
			i += 2
		case 'u':
			r, ok := hex4(raw, i+2)
			if !ok {
				return dst // unreachable for valid input
			}
			i += 6
			if utf16.IsSurrogate(r) {
				if r2, ok2 := lowSurrogate(raw, i); ok2 {
					if dec := utf16.DecodeRune(r, r2); dec != unicode.ReplacementChar {
						dst = utf8.AppendRune(dst, dec)
						i += 6
						continue
					}
				}
				r = unicode.ReplacementChar
			}
			dst = utf8.AppendRune(dst, r)
		default:
			return dst // unreachable for valid input
		}
	}
	return dst
}

// lowSurrogate reads a "\uXXXX" escape at raw[i:], if there is one.
func lowSurrogate(raw []byte, i int) (rune, bool) {
	if len(raw)-i < 6 || raw[i] != '\\' || raw[i+1] != 'u' {
		return 0, false
	}
	return hex4(raw, i+2)
}

func hex4(raw []byte, i int) (rune, bool) {
	if len(raw)-i < 4 {
		return 0, false
	}
	var r rune
	for _, c := range raw[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// Equal reports whether the raw string contents decode to lit.
func Equal(raw []byte, lit string) bool {
	if Plain(raw) {
		return string(raw) == lit
	}
	if (len(raw)+5)/6 > len(lit) { // an escape decodes to at least one byte
		return false
	}
	return decodedEqual(raw, lit, false)
}

// EqualFold is Equal ignoring ASCII case (for enumerations whose case
// vendors vary, such as Okta's target types: "ApiToken", "APIToken").
func EqualFold(raw []byte, lit string) bool {
	if Plain(raw) {
		return foldEqual(raw, lit)
	}
	if (len(raw)+5)/6 > len(lit) {
		return false
	}
	return decodedEqual(raw, lit, true)
}

// decodedEqual is the slow path of Equal and EqualFold: raw has escapes or
// non-ASCII bytes.
func decodedEqual(raw []byte, lit string, fold bool) bool {
	var buf [64]byte
	d := AppendString(buf[:0], raw)
	if fold {
		return foldEqual(d, lit)
	}
	return string(d) == lit
}

func foldEqual(b []byte, lit string) bool {
	if len(b) != len(lit) {
		return false
	}
	for i := 0; i < len(b); i++ {
		x, y := b[i], lit[i]
		if x == y {
			continue
		}
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// ParseTime parses raw string contents as an RFC 3339 timestamp, exactly as
// time.Parse(time.RFC3339Nano, ...) does, and returns it in UTC. It does not
// allocate unless raw has escapes.
func ParseTime(raw []byte) (time.Time, bool) {
	// The common form first: about half the time of time.Parse.
	if sec, nsec, ok := ParseRFC3339(raw); ok {
		return time.Unix(sec, nsec).UTC(), true
	}
	if !Plain(raw) {
		raw = AppendString(nil, raw)
	}
	if len(raw) == 0 {
		return time.Time{}, false
	}
	// The string view never outlives this call: the parsed Time keeps no
	// reference to its input (numeric offsets get an unnamed zone, and UTC
	// drops it), and a parse error is discarded.
	t, err := time.Parse(time.RFC3339Nano, unsafe.String(&raw[0], len(raw)))
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

// ParseRFC3339 parses the common form of an RFC 3339 timestamp,
// "2006-01-02T15:04:05" with an optional fraction of 1 to 9 digits and "Z"
// or a "+07:00" offset, into Unix seconds and nanoseconds, without
// allocating. It reports false for anything else (other forms, which
// time.Parse may still accept, and invalid dates); what it accepts,
// time.Parse(time.RFC3339Nano, ...) accepts with the same instant. It takes
// about half the time of time.Parse, which matters for skipped records:
// their only decoded field is the time.
func ParseRFC3339(b []byte) (sec, nsec int64, ok bool) {
	n := len(b)
	if n < 20 || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' {
		return 0, 0, false
	}
	year, ok1 := decimal(b[0:4])
	month, ok2 := decimal(b[5:7])
	day, ok3 := decimal(b[8:10])
	hour, ok4 := decimal(b[11:13])
	minute, ok5 := decimal(b[14:16])
	second, ok6 := decimal(b[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || month < 1 || month > 12 || day < 1 ||
		day > daysIn(month, year) || hour > 23 || minute > 59 || second > 59 {
		return 0, 0, false
	}
	i := 19
	if b[i] == '.' {
		i++
		start := i
		for i < n && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		digits := i - start
		if digits == 0 || digits > 9 || i == n {
			return 0, 0, false
		}
		f, _ := decimal(b[start:i])
		for k := digits; k < 9; k++ {
			f *= 10
		}
		nsec = int64(f)
	}
	offset := 0
	switch b[i] {
	case 'Z':
		if i+1 != n {
			return 0, 0, false
		}
	case '+', '-':
		if n-i != 6 || b[i+3] != ':' {
			return 0, 0, false
		}
		oh, okh := decimal(b[i+1 : i+3])
		om, okm := decimal(b[i+4 : i+6])
		if !okh || !okm || oh > 23 || om > 59 {
			return 0, 0, false
		}
		offset = oh*3600 + om*60
		if b[i] == '-' {
			offset = -offset
		}
	default:
		return 0, 0, false
	}
	days := daysSinceEpoch(year, month, day)
	sec = int64(days)*86400 + int64(hour*3600+minute*60+second-offset)
	return sec, nsec, true
}

// decimal parses b, ASCII digits only, as a decimal number.
func decimal(b []byte) (int, bool) {
	v := 0
	for _, c := range b {
		c -= '0'
		if c > 9 {
			return 0, false
		}
		v = v*10 + int(c)
	}
	return v, true
}

// daysIn returns the number of days of month in year (proleptic Gregorian).
func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysSinceEpoch returns the number of days from 1970-01-01 to the given
// proleptic Gregorian date (Howard Hinnant's days_from_civil, with years
// starting in March so that leap days come last).
func daysSinceEpoch(year, month, day int) int {
	if month <= 2 {
		year--
	}
	era := year / 400
	if year < 0 && year%400 != 0 {
		era-- // floor division
	}
	yoe := year - era*400  // [0, 399]
	mp := (month + 9) % 12 // March = 0
	doy := (153*mp+2)/5 + day - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}
