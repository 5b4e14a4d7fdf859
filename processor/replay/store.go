package replay

import (
	"github.com/jmlwatch/jmlwatch/processor/correlator"
	"github.com/jmlwatch/jmlwatch/store"
)

// StoreOptions returns the options `jmlwatch replay` opens its state with:
// no write-ahead log (a replay that dies is run again), a 32 MiB block
// cache, a 32 MiB row cache of the correlator's hot keys, 8 MiB memtables,
// and L0 compacted at 8 sublevels rather than 4 (writes stop at 32, not
// 12). Together with the correlator's own buffers they keep a replay of 1M
// workers under 300 MB (TestReplayPeakRSS).
//
// The sizes are measured (docs/PERFORMANCE.md). With Pebble's default
// 4 MiB memtables, a batch of 4096 lifecycle records (about 3.4 MB in
// Pebble's accounting) passed half a memtable, which Pebble applies as a
// memtable of its own and flushes at once: many small L0 tables, many
// compactions. With 8 MiB memtables and Run's 2048-record batches (about
// 1.7 MB) the 1M-worker replay runs in about 60% of the time and the
// lifecycle benchmark 20 to 50% faster; 16 MiB memtables made the
// 1M-worker replay twice as slow. Each compaction of L0 rewrites most of
// the store (the correlator's keys are all over the key space) and leaves
// its blocks cold; compacting twice as much half as often took the
// lifecycle benchmark from about 80k to about 100k events/s, with 30%
// less CPU (docs/PERFORMANCE.md).
func StoreOptions() store.Options {
	return store.Options{
		DisableWAL:            true,
		CacheSize:             32 << 20,
		RowCacheSize:          32 << 20,
		RowCachePrefixes:      correlator.CachedKeyPrefixes,
		MemTableSize:          8 << 20,
		L0CompactionThreshold: 8,
		L0StopWritesThreshold: 32,
	}
}

// StoreState returns a State over db. Its batches commit without fsync: a
// replay that dies is run again, and closing db after Run leaves the store
// consistent.
func StoreState(db *store.DB) State { return storeState{db} }

type storeState struct{ db *store.DB }

func (s storeState) NewBatch() Batch { return storeBatch{s.db.NewBatch()} }

type storeBatch struct{ *store.Batch }

func (b storeBatch) Commit() error { return b.Batch.Commit(false) }
