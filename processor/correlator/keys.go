package correlator

import (
	"encoding/binary"
	"math"
	"strings"
	"time"
)

// Key prefixes; see the package documentation for the layout.
const (
	pWorker   = 'w'
	pEmail    = 'e'
	pLink     = 'l'
	pCase     = 'c'
	pNHI      = 'n'
	pPriv     = 'p'
	pHeld     = 'u'
	pHeldIdx  = 'h'
	pTicket   = 'q'
	pDedupe   = 'd'
	pTimer    = 't'
	pRetain   = 'r'
	keyClockB = 'k'
)

// key builds a key from a prefix and 0x00-separated parts.
func key(prefix byte, parts ...string) []byte {
	n := 1
	for _, p := range parts {
		n += len(p) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, prefix)
	for i, p := range parts {
		if i > 0 {
			b = append(b, 0)
		}
		b = append(b, p...)
	}
	return b
}

// prefixEnd returns the smallest key greater than every key with prefix p.
func prefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// appendTime appends t as 8 big-endian bytes whose order is time order.
// Times outside the int64 nanosecond range (before 1678, after 2262) are
// clamped to its ends.
func appendTime(b []byte, t time.Time) []byte {
	var ns int64
	switch {
	case t.Before(minTime):
		ns = math.MinInt64
	case t.After(maxTime):
		ns = math.MaxInt64
	default:
		ns = t.UnixNano()
	}
	return binary.BigEndian.AppendUint64(b, uint64(ns)^(1<<63))
}

// readTime is the inverse of appendTime.
func readTime(b []byte) time.Time {
	return time.Unix(0, int64(binary.BigEndian.Uint64(b)^(1<<63))).UTC()
}

// timeBound returns the 8-byte encoding of t, for range bounds.
func timeBound(prefix byte, t time.Time) []byte {
	return appendTime([]byte{prefix}, t)
}

// minTime and maxTime bound the times keys can hold.
var (
	minTime = time.Unix(0, math.MinInt64).UTC()
	maxTime = time.Unix(0, math.MaxInt64).UTC()
)

func lower(s string) string { return strings.ToLower(s) }
