package store

import (
	"container/list"
	"strings"
	"sync"
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
// Consistency: Batch.Commit updates the cache with every write it made to
// a cached key after Pebble applied them; a read that misses fills the
// cache only if no commit happened since it began (gen), so a value read
// before a commit is never cached after it.
type rowCache struct {
	mu       sync.Mutex
	prefixes [256]bool
	max      int64
	size     int64
	gen      uint64
	lru      *list.List // of *rowEntry, most recent at the front
	m        map[string]*list.Element
	// hits and misses count get's answers.
	hits, misses int64
}

type rowEntry struct {
	key   string
	value []byte
}

// rowEntryOverhead approximates the bytes an entry costs beyond its key
// and value (list element, map slot, headers).
const rowEntryOverhead = 128

func newRowCache(max int64, prefixes string) *rowCache {
	if max <= 0 || prefixes == "" {
		return nil
	}
	c := &rowCache{max: max, lru: list.New(), m: map[string]*list.Element{}}
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
	c.lru.MoveToFront(e)
	return append(dst, e.Value.(*rowEntry).value...), true, 0
}

// fill caches a value read from Pebble, unless a commit happened since the
// read began (gen).
func (c *rowCache) fill(key, value []byte, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	c.putLocked(string(key), value)
}

func (c *rowCache) putLocked(key string, value []byte) {
	cost := int64(len(key) + len(value) + rowEntryOverhead)
	if cost > c.max/8 {
		c.removeLocked(key) // too large to be worth it
		return
	}
	if e, ok := c.m[key]; ok {
		re := e.Value.(*rowEntry)
		c.size += int64(len(value)) - int64(len(re.value))
		re.value = append(re.value[:0], value...)
		c.lru.MoveToFront(e)
	} else {
		// Clone: commit's keys alias the batch's buffer, which Pebble
		// reuses.
		key = strings.Clone(key)
		re := &rowEntry{key: key, value: append([]byte(nil), value...)}
		c.m[key] = c.lru.PushFront(re)
		c.size += cost
	}
	for c.size > c.max {
		c.removeElem(c.lru.Back())
	}
}

func (c *rowCache) removeLocked(key string) {
	if e, ok := c.m[key]; ok {
		c.removeElem(e)
	}
}

func (c *rowCache) removeElem(e *list.Element) {
	re := e.Value.(*rowEntry)
	c.lru.Remove(e)
	delete(c.m, re.key)
	c.size -= int64(len(re.key) + len(re.value) + rowEntryOverhead)
}

// commit applies a committed batch's writes and range deletions to the
// cache.
func (c *rowCache) commit(writes map[string]write, ranges [][2][]byte) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for _, r := range ranges {
		lo, hi := string(r[0]), string(r[1])
		if !c.mayHold(lo[0], hi[0]) {
			continue
		}
		for k, e := range c.m {
			if k >= lo && k < hi {
				c.removeElem(e)
			}
		}
	}
	for k, w := range writes {
		if !c.prefixes[k[0]] {
			continue
		}
		if w.deleted {
			c.removeLocked(k)
		} else {
			c.putLocked(k, w.value)
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
