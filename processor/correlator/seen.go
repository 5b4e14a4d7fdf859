package correlator

import (
	"hash/maphash"
	"math/bits"
)

// seenFilter is an in-memory Bloom filter over the de-duplication keys in
// the state. Nearly every record is seen for the first time, and asking the
// store for a key it does not hold costs a point read that visits every
// level of the LSM (3 to 6 µs in Pebble, the largest single cost of a
// record); the filter answers "certainly not seen" in well under 0.1 µs.
// A "maybe" still reads the store, so the filter never changes a result.
//
// The filter is built from a scan of the de-duplication keys the first time
// it is asked, and every key the Tx writes is added. Deleted keys stay in
// it until it fills up (adds reach its capacity); it is then rebuilt from a
// new scan, which finds only the live keys. Its size follows the live keys
// (2 bytes each, room for twice as many), capped at maxSeenBits; past the
// cap it only answers "maybe" more often.
//
// It is blocked: the bits of a key all fall in one 512-bit block (one
// cache line), so a lookup costs one cache miss.
type seenFilter struct {
	blocks   [][8]uint64
	seed     maphash.Seed
	adds     int
	capacity int
	built    bool
}

const (
	seenBitsPerKey = 16
	seenHashes     = 6
	minSeenKeys    = 1 << 16
	maxSeenBits    = 1 << 28 // 32 MiB
)

// reset sizes an empty filter for n keys already present plus as many
// added.
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
	f.seed = maphash.MakeSeed()
	f.adds = 0
	f.built = true
}

// locate returns the block of key and the mask of its bits in each word.
func (f *seenFilter) locate(key []byte) (*[8]uint64, [8]uint64) {
	h := maphash.Bytes(f.seed, key)
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

// add records key.
func (f *seenFilter) add(key []byte) {
	blk, m := f.locate(key)
	for i := range blk {
		blk[i] |= m[i]
	}
	f.adds++
}

// mayContain reports whether key may have been added; false is certain.
func (f *seenFilter) mayContain(key []byte) bool {
	blk, m := f.locate(key)
	for i := range blk {
		if blk[i]&m[i] != m[i] {
			return false
		}
	}
	return true
}

// full reports whether the filter has taken as many keys as it was sized
// for, and should be rebuilt from the live keys.
func (f *seenFilter) full() bool { return f.adds >= f.capacity }

// seenKey reports whether the de-duplication key dk is in the state,
// consulting the filter first.
func (tx *Tx) seenKey(dk []byte) (bool, error) {
	if !tx.seen.built || tx.seen.full() {
		if err := tx.buildSeen(); err != nil {
			return false, err
		}
	}
	if !tx.seen.mayContain(dk) {
		return false, nil
	}
	_, ok, err := tx.kv.Get(dk)
	return ok, err
}

// buildSeen rebuilds the filter from the de-duplication keys in the state.
func (tx *Tx) buildSeen() error {
	lo, hi := []byte{pDedupe}, []byte{pDedupe + 1}
	n := 0
	if err := tx.kv.Scan(lo, hi, func(_, _ []byte) error { n++; return nil }); err != nil {
		return err
	}
	tx.seen.reset(n)
	err := tx.kv.Scan(lo, hi, func(k, _ []byte) error { tx.seen.add(k); return nil })
	if err != nil {
		tx.seen.built = false
	}
	return err
}

// setSeen writes the de-duplication key dk with value v.
func (tx *Tx) setSeen(dk, v []byte) error {
	if tx.seen.built {
		tx.seen.add(dk)
	}
	return tx.kv.Set(dk, v)
}
