package replay

import (
	"github.com/jmlwatch/jmlwatch/processor/correlator"
	"github.com/jmlwatch/jmlwatch/store"
)

// StoreOptions returns the options `jmlwatch replay` opens its state with:
// no write-ahead log (a replay that dies is run again), a 32 MiB block
// cache and a 32 MiB row cache of the correlator's hot keys. Together
// with the correlator's own buffers they keep a replay of 1M workers under
// 300 MB (docs/PERFORMANCE.md).
func StoreOptions() store.Options {
	return store.Options{
		DisableWAL:       true,
		CacheSize:        32 << 20,
		RowCacheSize:     32 << 20,
		RowCachePrefixes: correlator.CachedKeyPrefixes,
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
