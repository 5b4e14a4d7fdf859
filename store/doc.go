// Package store is jmlwatch's durable state: an ordered key-value store on
// Pebble with atomic, indexed batches, plus the bookkeeping every consumer
// of it needs (input offsets, an outbox of messages to publish).
//
// All correlator state, timers, outbox entries and input offsets of one
// micro-batch are written in one Batch and committed together, so after a
// crash the store holds exactly the effects of the inputs whose offsets it
// holds.
//
// # Key space
//
// Keys are compared bytewise. The first byte says who owns a key:
//
//	0x00 ...             meta, owned by the store:
//	  0x00 0x01            schema version of this key layout (uint32, big endian); 1
//	  0x00 0x02            next outbox sequence (uint64 BE), written by every
//	                       commit that appended to the outbox
//	  0x00 0x03            unused (a store clock, before the correlator kept its own)
//	  0x00 0x04 L T P      input offset of topic T (L: uint16 BE length of T)
//	                       and partition P (uint32 BE); value: next offset
//	                       (int64 BE) and consumer generation (int32 BE)
//	0x01 S               outbox entry with sequence S (uint64 BE); the value
//	                       is the caller's opaque encoded message
//	0x02 ... 0x1f        reserved for the store
//	0x20 ... 0xff        the caller's (the correlator uses keys starting with
//	                       printable ASCII letters and owns their layout)
//
// Get, Set, Delete and Scan work on the caller's space only: a key starting
// with a byte below 0x20, or an empty key, is ErrInvalidKey, and Scan never
// visits reserved keys. Reserved data is reached through the typed methods
// (SetOffset/Offsets, AppendOutbox/ScanOutbox/DeleteOutbox).
//
// # Outbox
//
// AppendOutbox gives each entry the next sequence number; numbers increase
// across restarts (the next one is persisted), so publishing in sequence
// order publishes in insertion order. Only one batch at a time may hold
// uncommitted outbox entries (ErrOutboxBusy otherwise): that makes sequence
// order equal to commit order. A batch closed without commit gives its
// numbers back.
//
// # Caches
//
// Pebble's block cache (Options.CacheSize) holds blocks of tables. A row
// cache (Options.RowCacheSize, off by default) holds whole values of the
// keys whose first byte is in Options.RowCachePrefixes: it keeps the keys a
// caller reads and rewrites on every operation out of Pebble, whose
// compactions leave freshly written blocks cold. Commits update it, and a
// batch's reads fill it when the batch commits; it is bounded in bytes,
// least recently used out, and once full admits one new key in eight, so
// that a pass over more keys than it holds does not flush it
// (rowcache.go).
//
// Options.MemTableSize sets the size of Pebble's memtables: Pebble applies
// a batch of half a memtable or more as a memtable of its own, flushed at
// once, so a writer of large batches (replay) wants memtables over twice
// their size. Options.L0CompactionThreshold and L0StopWritesThreshold set
// when Pebble compacts L0 and when it stops writes.
//
// # Errors
//
// Errors name their operation and wrap their cause with %w. errors.Is(err,
// ErrFatal) reports a failure of the storage itself: a write that Pebble
// could not make durable, or a read that failed (I/O error, corruption).
// After a fatal write error the DB refuses every further write with the same
// error, since Pebble's commit pipeline cannot recover from it: the runtime
// must stop consuming, report not ready and exit. Pebble failures outside
// any call (in a background compaction) that Pebble itself treats as fatal
// still crash the process, as Pebble's default logger would.
//
// Misuse is reported with ErrClosed, ErrBatchClosed, ErrInvalidKey and
// ErrOutboxBusy. Errors returned by a Scan callback are returned unchanged,
// except ErrStop, which ends the scan early and is not an error.
//
// # Concurrency
//
// A DB is safe for concurrent use. Close waits for the calls in progress
// (calls made once it has begun fail with ErrClosed, even from inside a Scan
// callback) and must not itself be called from a Scan callback. A Batch is not: one goroutine
// uses it at a time. Batches commit independently of each other.
package store
