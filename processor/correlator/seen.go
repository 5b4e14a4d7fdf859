package correlator

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"
	"math/bits"
	"slices"
	"time"
)

// De-duplication keys (SPEC 2) are the most numerous keys in the state: one
// per applied record, kept for dedupe_window. They are laid out so that
// neither reading nor expiring them costs a point operation per record:
//
//	d<end><source>\0<id>   end: the end of the expiry bucket (8-byte time)
//
// A key kept for the window lives in the bucket of its expiry (the
// record's time + dedupe_window, truncated to the bucket width, plus the
// width) and holds that expiry (appendExpiry); once the clock reaches a bucket's end,
// every key in it has expired and one range deletion drops the bucket.
//
// A trigger that opened a case writes no key: its case index key
// (c<case_id>, case_id being a function of source and id) exists exactly
// as long as the case is retained, which is how long a repeat of the
// trigger is a duplicate (SPEC 2); case retention then hands the trigger
// to the window. Another filter (cases) holds the triggers of retained
// cases, so that only a likely repeat reads the case index. States of
// format 2 held such triggers as keys with value dedupeCase in the bucket
// that ends at maxTime, which no range deletion reaches; they are still
// read, and deleted by case retention.
//
// Reading is exact: a key found whose expiry the clock has passed counts as
// absent (its bucket is dropped a little later). Each live bucket has an
// in-memory Bloom filter over the keys in it, so that the usual case, a
// record seen for the first time, needs no read at all: a point read for a
// key Pebble does not hold visits every level of the LSM (4 to 6 µs, the
// largest single cost of a record before the filters), a filter lookup
// costs about 25 ns. A "maybe" still reads the store, so filters never
// change a result.

// seenBuckets is the number of expiry buckets a dedupe window spans.
const seenBuckets = 16

// minSeenBucket is the narrowest expiry bucket.
const minSeenBucket = time.Minute

// seenIndex is the in-memory side of the de-duplication keys: a filter per
// live bucket, and one over the keys of every bucket (all), so that a
// record seen for the first time costs one filter lookup, not one per live
// bucket (17 with the default window: 0.5 µs a record). It is built from a
// scan of the keys the first time it is needed, and kept up to date by the
// Tx's writes. all keeps the keys of dropped buckets until it fills up and
// is rebuilt from the live keys; they only make it answer "maybe" more
// often.
type seenIndex struct {
	built   bool
	seed    maphash.Seed
	all     seenFilter
	cases   seenFilter    // the triggers of retained cases (see above)
	buckets []*seenBucket // by end, ascending
}

// seenBucket is one bucket of keys and its filter.
type seenBucket struct {
	end time.Time
	seenFilter
}

// bucketWidth returns the width of the expiry buckets under the policy.
func (tx *Tx) bucketWidth() time.Duration {
	return max(tx.pol.DedupeWindow/seenBuckets, minSeenBucket)
}

// bucketEnd returns the end of the bucket holding keys that expire at exp.
// Ends stay inside the times keys can hold, so that the end a key is
// stored under is the end kept in memory: expiries before the first
// bucket share it, and those too late for a bucket below maxTime (which
// holds the keys of cases) share lastWindowEnd, which no clock reaches.
func (tx *Tx) bucketEnd(exp time.Time) time.Time {
	w := tx.bucketWidth()
	if first := minTime.Add(w); exp.Before(first) {
		return first
	}
	end := exp.Truncate(w).Add(w)
	if !end.Before(lastWindowEnd) || end.Before(exp) {
		return lastWindowEnd
	}
	return end
}

// lastWindowEnd is the end of the last bucket of keys kept for the window.
var lastWindowEnd = maxTime.Add(-time.Nanosecond)

// appendExpiry appends the value of a window key: its expiry in Unix
// seconds and nanoseconds, unclamped (keys clamp times to 1678-2262, and
// an expiry read back must compare exactly with the clock).
func appendExpiry(b []byte, exp time.Time) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(exp.Unix()))
	return binary.BigEndian.AppendUint32(b, uint32(exp.Nanosecond()))
}

// readExpiry is the inverse of appendExpiry.
func readExpiry(v []byte) time.Time {
	return time.Unix(int64(binary.BigEndian.Uint64(v)), int64(binary.BigEndian.Uint32(v[8:]))).UTC()
}

// seenKey builds d<end><source>\0<id> in the Tx's key buffer (see
// scratchKey); suffix is <source>\0<id>.
func (tx *Tx) seenKey(end time.Time, suffix []byte) []byte {
	tx.kbuf = append(appendTime(append(tx.kbuf[:0], pDedupe), end), suffix...)
	return tx.kbuf
}

// appendSuffix appends <source>\0<id>, the parts escaped as in keys, to b.
func appendSuffix(b []byte, source, id string) []byte {
	return appendPart(append(appendPart(b, source), 0), id)
}

// suffix builds <source>\0<id> in the Tx's suffix buffer: it is valid
// until the next call (seenKey and scratchKey use another buffer).
func (tx *Tx) suffix(source, id string) []byte {
	tx.sbuf = appendSuffix(tx.sbuf[:0], source, id)
	return tx.sbuf
}

// buildSeen builds the index from the de-duplication keys and the case
// index in the state: one scan of each to size the filters, one to fill
// them.
func (tx *Tx) buildSeen() error {
	ix := &tx.seen
	ix.buckets = ix.buckets[:0]
	// Keys come in bucket order: each bucket's keys are one run.
	total := 0
	err := tx.scanKeys(func(end time.Time, _ []byte) {
		if n := len(ix.buckets); n == 0 || !ix.buckets[n-1].end.Equal(end) {
			ix.buckets = append(ix.buckets, &seenBucket{end: end})
		}
		ix.buckets[len(ix.buckets)-1].adds++ // counted here, reset below
		total++
	})
	if err != nil {
		return err
	}
	cases := 0
	if err := tx.scanCaseTriggers(func([]byte) { cases++ }); err != nil {
		return err
	}
	ix.seed = maphash.MakeSeed()
	for _, b := range ix.buckets {
		b.reset(b.adds)
	}
	total += cases
	ix.all.reset(total)
	ix.cases.reset(cases)
	var cur *seenBucket
	err = tx.scanKeys(func(end time.Time, suffix []byte) {
		if cur == nil || !cur.end.Equal(end) {
			cur = tx.bucket(end)
		}
		h := maphash.Bytes(ix.seed, suffix)
		cur.add(h)
		ix.all.add(h)
	})
	if err != nil {
		return err
	}
	err = tx.scanCaseTriggers(func(suffix []byte) {
		h := maphash.Bytes(ix.seed, suffix)
		ix.cases.add(h)
		ix.all.add(h)
	})
	if err != nil {
		return err
	}
	ix.built = true
	return nil
}

// scanKeys calls fn with the bucket end and the <source>\0<id> of every
// de-duplication key.
func (tx *Tx) scanKeys(fn func(end time.Time, suffix []byte)) error {
	return tx.kv.Scan([]byte{pDedupe}, []byte{pDedupe + 1}, func(k, _ []byte) error {
		if len(k) >= 9 {
			fn(readTime(k[1:9]), k[9:])
		}
		return nil
	})
}

// scanCaseTriggers calls fn with the <source>\0<id> of the trigger of every
// retained case whose index records it (all but cases opened before
// format 2, whose triggers have keys of their own).
func (tx *Tx) scanCaseTriggers(fn func(suffix []byte)) error {
	return tx.kv.Scan([]byte{pCase}, []byte{pCase + 1}, func(_, v []byte) error {
		if i := bytes.IndexByte(v, 0); i >= 0 {
			fn(v[i+1:]) // worker\0source\0id: the escaped parts as appendSuffix builds them
		}
		return nil
	})
}

// scanAll calls fn with everything the all filter holds: every
// de-duplication key and every retained case's trigger.
func (tx *Tx) scanAll(fn func(suffix []byte)) error {
	if err := tx.scanKeys(func(_ time.Time, suffix []byte) { fn(suffix) }); err != nil {
		return err
	}
	return tx.scanCaseTriggers(fn)
}

// scanBucket calls fn with the <source>\0<id> of every key of the bucket
// ending at end.
func (tx *Tx) scanBucket(end time.Time, fn func(suffix []byte)) error {
	lo := timeBound(pDedupe, end)
	return tx.kv.Scan(lo, prefixEnd(lo), func(k, _ []byte) error { fn(k[9:]); return nil })
}

// addOrRefill adds h, whose key (or case index) the state now holds, to f.
// A full f is instead refilled from what scan yields (h's key among it),
// which also drops what the state no longer holds. It is sized for the
// keys it took since it was last filled, which bound those the state
// holds (each was added when written), with room for as many again: one
// scan, where counting first took two. If the scan finds it four times too
// large (most keys were deleted since), it is resized for what the scan
// found and filled again.
func (tx *Tx) addOrRefill(f *seenFilter, h uint64, scan func(fn func(suffix []byte)) error) error {
	if !f.full() {
		f.add(h)
		return nil
	}
	fill := func(suffix []byte) { f.add(maphash.Bytes(tx.seen.seed, suffix)) }
	f.reset(f.adds)
	err := scan(fill)
	if n := f.adds; err == nil && f.capacity > max(4*n, minSeenKeys) {
		f.reset(n)
		err = scan(fill)
	}
	if err != nil {
		tx.seen.built = false // f may be half filled: rebuild it all if used again
	}
	return err
}

// ensureSeen builds the index the first time it is needed.
func (tx *Tx) ensureSeen() error {
	if tx.seen.built {
		return nil
	}
	return tx.buildSeen()
}

// bucket returns the bucket ending at end, creating it if needed.
func (tx *Tx) bucket(end time.Time) *seenBucket {
	ix := &tx.seen
	i, ok := slices.BinarySearchFunc(ix.buckets, end, func(b *seenBucket, t time.Time) int { return b.end.Compare(t) })
	if ok {
		return ix.buckets[i]
	}
	// Size a new bucket like its predecessor (buckets of a steady stream
	// hold about as many keys), so that it rarely has to grow.
	hint := 0
	if i > 0 {
		hint = ix.buckets[i-1].adds
	}
	b := &seenBucket{end: end}
	b.reset(hint)
	ix.buckets = slices.Insert(ix.buckets, i, b)
	return b
}

// isSeen reports whether a record with this source and id was seen and is
// still kept (SPEC 2).
func (tx *Tx) isSeen(source, id string) (bool, error) {
	if err := tx.ensureSeen(); err != nil {
		return false, err
	}
	suffix := tx.suffix(source, id)
	h := maphash.Bytes(tx.seen.seed, suffix)
	if !tx.seen.all.mayContain(h) {
		return false, nil
	}
	for _, b := range tx.seen.buckets {
		if !b.mayContain(h) {
			continue
		}
		v, ok, err := tx.kv.Get(tx.seenKey(b.end, suffix))
		if err != nil {
			return false, err
		}
		if !ok {
			continue
		}
		if len(v) == 1 && v[0] == dedupeCase {
			return true, nil
		}
		if len(v) == 12 && !readExpiry(v).Before(tx.clock) {
			return true, nil
		}
	}
	if !tx.seen.cases.mayContain(h) {
		return false, nil
	}
	_, ok, err := tx.kv.Get(tx.scratchKey(pCase, CaseID(source, id)))
	return ok, err
}

// addSeen writes a de-duplication key with value v into the bucket ending
// at end.
func (tx *Tx) addSeen(end time.Time, suffix, v []byte) error {
	if err := tx.ensureSeen(); err != nil {
		return err
	}
	if err := tx.kv.Set(tx.seenKey(end, suffix), v); err != nil {
		return err
	}
	h := maphash.Bytes(tx.seen.seed, suffix)
	bucket := func(fn func([]byte)) error { return tx.scanBucket(end, fn) }
	if err := tx.addOrRefill(&tx.bucket(end).seenFilter, h, bucket); err != nil {
		return err
	}
	return tx.addOrRefill(&tx.seen.all, h, tx.scanAll)
}

// markSeen keeps the key of a record at t for the window, unless the window
// has already passed.
func (tx *Tx) markSeen(source, id string, t time.Time) error {
	exp := t.Add(tx.pol.DedupeWindow)
	if exp.Before(tx.clock) {
		return nil
	}
	return tx.addSeen(tx.bucketEnd(exp), tx.suffix(source, id), appendExpiry(tx.vbuf[:0], exp))
}

// holdSeen records a trigger whose case it opened: the case index key
// (written by the caller) is its de-duplication key; only the filters
// learn of it.
func (tx *Tx) holdSeen(source, id string) error {
	if err := tx.ensureSeen(); err != nil {
		return err
	}
	h := maphash.Bytes(tx.seen.seed, tx.suffix(source, id))
	if err := tx.addOrRefill(&tx.seen.cases, h, tx.scanCaseTriggers); err != nil {
		return err
	}
	return tx.addOrRefill(&tx.seen.all, h, tx.scanAll)
}

// releaseSeen deletes the key a case held in a state of format 2.
func (tx *Tx) releaseSeen(source, id string) error {
	return tx.kv.Delete(tx.seenKey(maxTime, tx.suffix(source, id)))
}

// expireSeen drops the buckets whose end the clock has reached: every key
// in them has expired.
func (tx *Tx) expireSeen() error {
	if err := tx.ensureSeen(); err != nil {
		return err
	}
	ix := &tx.seen
	n := 0
	for n < len(ix.buckets) && !ix.buckets[n].end.After(tx.clock) && !ix.buckets[n].end.Equal(maxTime) {
		n++
	}
	if n == 0 {
		return nil
	}
	upper := timeBound(pDedupe, ix.buckets[n-1].end.Add(time.Nanosecond))
	if err := tx.kv.DeleteRange([]byte{pDedupe}, upper); err != nil {
		return err
	}
	ix.buckets = slices.Delete(ix.buckets, 0, n)
	return nil
}

// seenFilter is a blocked Bloom filter over 64-bit hashes: the bits of a
// hash all fall in one 512-bit block (one cache line), so a lookup costs
// one cache miss. It is sized by the keys it was built with (2 bytes a key,
// room for twice as many, at least minSeenKeys), capped at maxSeenBits;
// full reports when it has taken as many keys as it was sized for and
// should be rebuilt from the live keys (deleted keys stay in it until
// then). At the cap it only answers "maybe" more often.
type seenFilter struct {
	blocks   [][8]uint64
	adds     int
	capacity int
}

const (
	seenBitsPerKey = 16
	seenHashes     = 6
	minSeenKeys    = 1 << 12
	maxSeenBits    = 1 << 28 // 32 MiB
)

// reset empties the filter and sizes it for n keys plus as many added.
func (f *seenFilter) reset(n int) {
	f.capacity = max(2*n, minSeenKeys)
	nbits := min(f.capacity*seenBitsPerKey, maxSeenBits)
	nblocks := (nbits + 511) / 512
	if cap(f.blocks) >= nblocks && cap(f.blocks) <= 2*nblocks {
		f.blocks = f.blocks[:nblocks]
		clear(f.blocks)
	} else {
		f.blocks = make([][8]uint64, nblocks)
	}
	f.adds = 0
}

// locate returns the block of hash h and the mask of its bits in each word.
func (f *seenFilter) locate(h uint64) (*[8]uint64, [8]uint64) {
	hi, _ := bits.Mul64(h, uint64(len(f.blocks)))
	blk := &f.blocks[hi]
	// The bit positions come from a remix of h, so that they do not
	// depend on the bits that chose the block.
	g := h * 0x9e3779b97f4a7c15
	var m [8]uint64
	for range seenHashes {
		pos := g & 511
		m[pos>>6] |= 1 << (pos & 63)
		g >>= 9
	}
	return blk, m
}

// add records h.
func (f *seenFilter) add(h uint64) {
	blk, m := f.locate(h)
	for i := range blk {
		blk[i] |= m[i]
	}
	f.adds++
}

// mayContain reports whether h may have been added; false is certain.
func (f *seenFilter) mayContain(h uint64) bool {
	blk, m := f.locate(h)
	for i := range blk {
		if blk[i]&m[i] != m[i] {
			return false
		}
	}
	return true
}

// full reports whether the filter has taken the keys it was sized for.
func (f *seenFilter) full() bool { return f.adds >= f.capacity }
