package report

import (
	"time"

	"github.com/jmlwatch/jmlwatch/events/jsonscan"
)

// Unix nanoseconds in an int64 cover the years 1678 to 2262; the report
// keeps times as nanoseconds, so it refuses times outside these bounds
// rather than let them wrap.
var (
	minNanoTime = time.Unix(0, -1<<63).UTC()
	maxNanoTime = time.Unix(0, 1<<63-1).UTC()
)

// parseTime parses an RFC 3339 timestamp into Unix nanoseconds. The common
// shape is parsed without allocating (jsonscan.ParseRFC3339); anything else
// goes through time.Parse, so the accepted language is exactly
// time.RFC3339Nano's, less the instants Unix nanoseconds cannot hold.
func parseTime(b []byte) (int64, bool) {
	if sec, nsec, ok := jsonscan.ParseRFC3339(b); ok {
		if sec <= minNanoTime.Unix() || sec >= maxNanoTime.Unix() { // the edge seconds, conservatively
			return 0, false
		}
		return sec*1e9 + nsec, true
	}
	t, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil || t.Before(minNanoTime) || t.After(maxNanoTime) {
		return 0, false
	}
	return t.UnixNano(), true
}
