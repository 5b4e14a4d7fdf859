package store

import (
	"context"
	"fmt"
)

// Metrics is a snapshot of the store's health, for Prometheus.
type Metrics struct {
	// DiskSpaceUsage is the bytes on disk of tables, WAL and other files.
	DiskSpaceUsage uint64
	// Compactions and Flushes count background work since Open.
	Compactions int64
	Flushes     int64
	// CompactionDebt estimates the bytes to compact before the LSM is
	// stable; a growing debt means writes outpace the disk.
	CompactionDebt uint64
	// ReadAmplification is the number of sorted runs a read may visit.
	ReadAmplification int
	// MemTableSize is the bytes of memtables.
	MemTableSize uint64
	// BlockCacheSize, BlockCacheHits and BlockCacheMisses describe the
	// block cache (Options.CacheSize).
	BlockCacheSize   int64
	BlockCacheHits   int64
	BlockCacheMisses int64
	// RowCacheSize, RowCacheHits and RowCacheMisses describe the row
	// cache (Options.RowCacheSize), zero without one.
	RowCacheSize   int64
	RowCacheHits   int64
	RowCacheMisses int64
	// OutboxDepth is the number of committed outbox entries.
	OutboxDepth int
	// Failed reports a fatal write error: the store accepts no writes.
	Failed bool
}

// Metrics returns a snapshot of the store's metrics.
func (db *DB) Metrics() (Metrics, error) {
	if err := db.enter(); err != nil {
		return Metrics{}, err
	}
	defer db.exit()
	m := db.pdb.Metrics()
	db.mu.Lock()
	depth := db.mu.depth
	db.mu.Unlock()
	rowSize, rowHits, rowMisses := db.rows.stats()
	return Metrics{
		RowCacheSize:      rowSize,
		RowCacheHits:      rowHits,
		RowCacheMisses:    rowMisses,
		DiskSpaceUsage:    m.DiskSpaceUsage(),
		Compactions:       m.Compact.Count,
		Flushes:           m.Flush.Count,
		CompactionDebt:    m.Compact.EstimatedDebt,
		ReadAmplification: m.ReadAmp(),
		MemTableSize:      m.MemTable.Size,
		BlockCacheSize:    m.BlockCache.Size,
		BlockCacheHits:    m.BlockCache.Hits,
		BlockCacheMisses:  m.BlockCache.Misses,
		OutboxDepth:       depth,
		Failed:            db.failed.Load() != nil,
	}, nil
}

// LSM returns Pebble's own report of the store: per level, the tables,
// their size and the bytes flushed, ingested, compacted in and written
// (write amplification); then the caches, the memtables and the
// compactions. For benchmarks and debugging.
func (db *DB) LSM() (string, error) {
	if err := db.enter(); err != nil {
		return "", err
	}
	defer db.exit()
	return db.pdb.Metrics().String(), nil
}

// Compact flushes the memtables and compacts every key below 0xff (all
// the store's own keys and the correlator's) into the last level, waiting
// until done: what was written before is then in as few tables as it can
// be and no compaction is pending. For benchmarks, which start timing on a
// settled store.
func (db *DB) Compact() (err error) {
	if err := db.enter(); err != nil {
		return err
	}
	defer db.exit()
	defer db.recoverFatal("compact", &err)
	if err := db.pdb.Flush(); err != nil {
		return fmt.Errorf("store: flushing before compaction: %w", err)
	}
	if err := db.pdb.Compact(context.Background(), []byte{0}, []byte{0xff}, true); err != nil {
		return fmt.Errorf("store: compacting: %w", err)
	}
	return nil
}
