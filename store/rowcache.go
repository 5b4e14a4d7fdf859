package store

import (
	"sync"
	"unsafe"
)

// rowCache holds whole values of recently read or committed keys whose
// first byte the caller chose (Options.RowCachePrefixes), bounded in bytes,
// least recently used first out.
//
// Pebble caches blocks, not values, and a compaction rewrites blocks into
// new tables that start cold: under a steady stream of writes, a read of a
// key written or read moments ago often goes back to the file system
// (measured: about a third of the correlator's reads of worker aggregates
// were system calls). The correlator reads and rewrites the same few kinds
// of keys per record, which a value cache keeps out of Pebble entirely.
//
// Admission: once the cache is full, a key it does not hold, read or
// written, gets in (and pushes out the least recently used) only one time
// in admitEvery. Plain
// LRU keeps nothing of a pass over more keys than it holds (a backfill that
// touches every worker once, or the same workers again in the same order):
// every read misses. Admitting few newcomers keeps most of what the cache
// holds through such a pass, so the next one hits, and a key read often
// still gets in after a few misses (see docs/PERFORMANCE.md).
//
// Consistency: Batch.Commit updates the cache with every write it made to
// a cached key after Pebble applied them; a read that misses fills the
// cache only if no commit of a cached key happened since it began (gen),
// so a value read before such a commit is never cached after it; commits
// of other keys (the outbox publisher's) do not count. A batch's own reads
// fill the cache when it commits (commit's fills), and only for keys it
// did not write: its writes replace them anyway. Until then, a second read
// of the same key by the batch goes to Pebble again. Batches that write the same
// cached key must not commit concurrently (the cache takes commits in the
// order they reach it, which may differ from Pebble's): the correlator has
// one writer, and the runtime's outbox publisher writes no cached key.
type rowCache struct {
	mu       sync.Mutex
	prefixes [256]bool
	max      int64
	size     int64
	gen      uint64
	// lru is the sentinel of a circular list of the entries, most recent
	// first (lru.next).
	lru rowEntry
	m   map[string]*rowEntry
	// rnd is the state of the admission's pseudo-random sequence.
	rnd uint64
	// hits and misses count get's answers.
	hits, misses int64
}

type rowEntry struct {
	key        string
	value      []byte
	prev, next *rowEntry
}

// rowEntryOverhead approximates the bytes an entry costs beyond its key
// and value (the entry, its map slot, headers).
const rowEntryOverhead = 128

// admitEvery is the odds (one in admitEvery) that a full cache takes a
// key it does not hold.
const admitEvery = 8

// fill is a value a batch read from Pebble, to cache when it commits.
type fill struct {
	key, value []byte
	gen        uint64
}

func newRowCache(max int64, prefixes string) *rowCache {
	if max <= 0 || prefixes == "" {
		return nil
	}
	c := &rowCache{max: max, m: map[string]*rowEntry{}, rnd: 0x9e3779b97f4a7c15}
	c.lru.prev, c.lru.next = &c.lru, &c.lru
	for i := 0; i < len(prefixes); i++ {
		c.prefixes[prefixes[i]] = true
	}
	return c
}

// caches reports whether key belongs in the cache. A nil cache caches
// nothing.
func (c *rowCache) caches(key []byte) bool {
	return c != nil && len(key) > 0 && c.prefixes[key[0]]
}

// get appends the cached value of key to dst. It returns the current
// generation for a later fill when the key is not cached.
func (c *rowCache) get(dst, key []byte) ([]byte, bool, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[string(key)]
	if !ok {
		c.misses++
		return dst, false, c.gen
	}
	c.hits++
	c.toFront(e)
	return append(dst, e.value...), true, 0
}

// fill caches a value read from Pebble, unless a commit happened since the
// read began (gen).
func (c *rowCache) fill(key, value []byte, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	c.put(key, value)
}

// put caches value under key; a key the cache does not hold is admitted
// as the type comment says.
func (c *rowCache) put(key, value []byte) {
	cost := int64(len(key) + len(value) + rowEntryOverhead)
	if e, ok := c.m[string(key)]; ok {
		if cost > c.max/8 {
			c.remove(e) // too large to be worth it
			return
		}
		c.size += int64(len(value)) - int64(len(e.value))
		e.value = append(e.value[:0], value...)
		c.toFront(e)
	} else {
		if cost > c.max/8 || c.size+cost > c.max && !c.admit() {
			return
		}
		// Copy: commit's keys alias the batch's buffer, which Pebble
		// reuses.
		e := &rowEntry{key: string(key), value: append([]byte(nil), value...)}
		c.m[e.key] = e
		e.prev, e.next = &c.lru, c.lru.next
		e.prev.next, e.next.prev = e, e
		c.size += cost
	}
	for c.size > c.max {
		c.remove(c.lru.prev)
	}
}

// admit draws the admission of a new key into a full cache (xorshift64).
func (c *rowCache) admit() bool {
	c.rnd ^= c.rnd << 13
	c.rnd ^= c.rnd >> 7
	c.rnd ^= c.rnd << 17
	return c.rnd%admitEvery == 0
}

func (c *rowCache) toFront(e *rowEntry) {
	if c.lru.next == e {
		return
	}
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = &c.lru, c.lru.next
	e.prev.next, e.next.prev = e, e
}

func (c *rowCache) remove(e *rowEntry) {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
	delete(c.m, e.key)
	c.size -= int64(len(e.key) + len(e.value) + rowEntryOverhead)
}

// commit applies a committed batch's writes and range deletions to the
// cache, and then the batch's fills of keys it did not write.
func (c *rowCache) commit(writes map[string]write, ranges [][2][]byte, fills []fill) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	// A fill read before another batch's commit may be stale.
	for _, f := range fills {
		if f.gen != c.gen {
			continue
		}
		if _, written := writes[string(f.key)]; written || inRanges(f.key, ranges) {
			continue
		}
		c.put(f.key, f.value)
	}
	// A commit moves the generation on only if it changes a key the cache
	// may hold: fills read before a commit of other keys (the outbox
	// publisher's deletions, for one) stay good.
	bumped := false
	bump := func() {
		if !bumped {
			c.gen++
			bumped = true
		}
	}
	for _, r := range ranges {
		lo, hi := string(r[0]), string(r[1])
		if !c.mayHold(lo[0], hi[0]) {
			continue
		}
		bump()
		for k, e := range c.m {
			if k >= lo && k < hi {
				c.remove(e)
			}
		}
	}
	for k, w := range writes {
		if !c.prefixes[k[0]] {
			continue
		}
		bump()
		if w.deleted {
			if e, ok := c.m[k]; ok {
				c.remove(e)
			}
		} else {
			// k aliases the batch's buffer; put copies what it keeps.
			c.put(unsafe.Slice(unsafe.StringData(k), len(k)), w.value)
		}
	}
}

// mayHold reports whether a cached key may start with a byte in [lo, hi].
func (c *rowCache) mayHold(lo, hi byte) bool {
	for b := int(lo); b <= int(hi); b++ {
		if c.prefixes[b] {
			return true
		}
	}
	return false
}

// stats returns the cache's size in bytes and its hit and miss counts.
func (c *rowCache) stats() (size, hits, misses int64) {
	if c == nil {
		return 0, 0, 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.size, c.hits, c.misses
}
