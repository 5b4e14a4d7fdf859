package correlator

import (
	"encoding/binary"
	"math"
	"strings"
	"time"
)

// CachedKeyPrefixes lists the first bytes of the keys the correlator reads
// and rewrites on nearly every record (worker aggregates, account links):
// a store's row cache (store.Options.RowCachePrefixes) should hold these.
const CachedKeyPrefixes = "wl"

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
	// keyFormatB holds the state format version (stateFormat).
	keyFormatB = 'v'
)

// key builds a key from a prefix and 0x00-separated parts (see appendPart).
func key(prefix byte, parts ...string) []byte {
	n := 1
	for _, p := range parts {
		n += len(p) + 1
	}
	return appendKey(make([]byte, 0, n), prefix, parts...)
}

// scratchKey is key built into the Tx's key buffer, for a key only passed
// to the KV: it is valid until the buffer's next use (scratchKey, seenKey,
// stepTimerKey, retain).
func (tx *Tx) scratchKey(prefix byte, parts ...string) []byte {
	tx.kbuf = appendKey(tx.kbuf[:0], prefix, parts...)
	return tx.kbuf
}

// appendKey appends the key of prefix and parts (see key) to b.
func appendKey(b []byte, prefix byte, parts ...string) []byte {
	b = append(b, prefix)
	for i, p := range parts {
		if i > 0 {
			b = append(b, 0)
		}
		b = appendPart(b, p)
	}
	return b
}

// appendPart appends s escaped so that 0x00 only ever separates parts:
// 0x00 becomes 0x01 0x01 and 0x01 becomes 0x01 0x02. Escaping keeps the
// order of parts, and ids may hold any byte (JSON allows U+0000).
func appendPart(b []byte, s string) []byte {
	if strings.IndexByte(s, 0) < 0 && strings.IndexByte(s, 1) < 0 {
		return append(b, s...) // the usual case, at memmove speed
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case 0:
			b = append(b, 1, 1)
		case 1:
			b = append(b, 1, 2)
		default:
			b = append(b, c)
		}
	}
	return b
}

// splitParts splits b on 0x00 and unescapes each part.
func splitParts(b []byte) []string {
	var out []string
	var cur []byte
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case c == 0:
			out = append(out, string(cur))
			cur = cur[:0]
		case c == 1 && i+1 < len(b):
			i++
			cur = append(cur, b[i]-1)
		default:
			cur = append(cur, c)
		}
	}
	return append(out, string(cur))
}

// dedupeCase is the value of a de-duplication key held by the case its
// trigger opened, in states of format 2 (format 3 writes none: seen.go);
// a key kept for the window holds its expiry instead (appendExpiry).
const dedupeCase = 'c'

// caseIndexValue is the value of a case index key: the worker, and the
// source and id of the trigger (whose de-duplication key the case holds).
func caseIndexValue(workerID, source, id string) []byte {
	return []byte(key(0, workerID, source, id)[1:])
}

// parseCaseIndex splits a case index value. Values written before the
// trigger was recorded hold only the worker id; source and id are then "".
func parseCaseIndex(v []byte) (workerID, source, id string) {
	p := splitParts(v)
	if len(p) != 3 {
		return string(v), "", ""
	}
	return p[0], p[1], p[2]
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
