package report

import "time"

// parseTime parses an RFC 3339 timestamp into Unix nanoseconds. The common
// shape (YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)) is parsed without
// allocating; anything else goes through time.Parse, so the accepted
// language is exactly time.RFC3339Nano's.
func parseTime(b []byte) (int64, bool) {
	if ns, ok := parseTimeFast(b); ok {
		return ns, true
	}
	t, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil {
		return 0, false
	}
	return t.UnixNano(), true
}

func parseTimeFast(b []byte) (int64, bool) {
	if len(b) < 20 || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' {
		return 0, false
	}
	year, ok1 := digitsAt(b[0:4])
	month, ok2 := digitsAt(b[5:7])
	day, ok3 := digitsAt(b[8:10])
	hour, ok4 := digitsAt(b[11:13])
	minute, ok5 := digitsAt(b[14:16])
	sec, ok6 := digitsAt(b[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) ||
		month < 1 || month > 12 || day < 1 || day > daysIn(month, year) ||
		hour > 23 || minute > 59 || sec > 59 {
		return 0, false
	}
	i := 19
	var frac int64
	if b[i] == '.' {
		i++
		start := i
		scale := int64(100000000)
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			if i-start < 9 {
				frac += int64(b[i]-'0') * scale
				scale /= 10
			}
			i++
		}
		if i == start || i-start > 9 || i >= len(b) {
			return 0, false
		}
	}
	var offset int64
	switch b[i] {
	case 'Z':
		if i+1 != len(b) {
			return 0, false
		}
	case '+', '-':
		if len(b)-i != 6 || b[i+3] != ':' {
			return 0, false
		}
		oh, okh := digitsAt(b[i+1 : i+3])
		om, okm := digitsAt(b[i+4 : i+6])
		if !okh || !okm || oh > 23 || om > 59 {
			return 0, false
		}
		offset = oh*3600 + om*60
		if b[i] == '-' {
			offset = -offset
		}
	default:
		return 0, false
	}
	if year < 1678 || year > 2261 { // keep Unix nanoseconds inside int64
		return 0, false
	}
	secs := daysFromCivil(year, month, day)*86400 + hour*3600 + minute*60 + sec - offset
	return secs*1e9 + frac, true
}

func digitsAt(b []byte) (int64, bool) {
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

func daysIn(month, year int64) int64 {
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

// daysFromCivil returns the days since 1970-01-01 of a proleptic Gregorian
// date (Howard Hinnant's algorithm).
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}
