package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// DefaultCacheSize is the block cache size when Options.CacheSize is 0.
const DefaultCacheSize int64 = 64 << 20

// Options configure Open. The zero value is usable.
type Options struct {
	// CacheSize is the size in bytes of Pebble's block cache, which holds
	// recently read blocks of the on-disk tables; 0 means DefaultCacheSize.
	// The correlator reads several keys per event, so a cache that holds
	// the working set (open cases, accounts of active workers) avoids disk
	// reads on the hot path.
	CacheSize int64
	// InMemory keeps the whole store in memory (vfs.NewMem): nothing
	// survives Close. For tests and for replay without --state.
	InMemory bool
	// DisableWAL turns Pebble's write-ahead log off: commits, synced or
	// not, are then durable only once Pebble flushes its memtable (at the
	// latest on Close). For replay, whose state is rebuilt by running it
	// again; never for run, whose checkpoint must survive a crash.
	DisableWAL bool
	// Logger receives Pebble's log lines; nil logs errors to stderr and
	// drops the rest.
	Logger Logger
	// RowCacheSize is the size in bytes of a cache of whole values (see
	// RowCachePrefixes), on top of the block cache; 0 means none.
	RowCacheSize int64
	// RowCachePrefixes lists the first bytes of the keys whose values the
	// row cache holds: keys read and rewritten often, such as the
	// correlator's worker aggregates.
	RowCachePrefixes string
	// MemTableSize is the size in bytes of each of Pebble's memtables; 0
	// means Pebble's default (4 MiB). Each flush of a memtable starts a
	// compaction that rewrites the overlapping part of the level below, so
	// a workload that updates keys all over the key space (the
	// correlator's) writes less with a larger memtable, at the cost of up
	// to two memtables of memory (one being flushed). Pebble also applies
	// a batch of half the memtable size or more as a memtable of its own,
	// flushed at once: batches should stay under half.
	MemTableSize int64

	// L0CompactionThreshold is the number of L0 sublevels (about: tables
	// flushed and not yet compacted) at which Pebble compacts L0 into the
	// level below; 0 means Pebble's default (4). Every such compaction
	// rewrites the part of the level below that the flushed keys overlap,
	// which for the correlator (keys all over the key space) is most of
	// the store: a higher threshold compacts more at a time, less often, at
	// the cost of point reads checking more L0 tables (Bloom filters make
	// that cheap).
	L0CompactionThreshold int
	// L0StopWritesThreshold is the number of L0 sublevels at which Pebble
	// stops writes until compactions catch up; 0 means Pebble's default
	// (12). It must be at least L0CompactionThreshold.
	L0StopWritesThreshold int

	// fs, when set, replaces the file system (tests inject faults).
	fs vfs.FS
}

// DB is an open store. It is safe for concurrent use. Close it when done.
type DB struct {
	pdb    *pebble.DB
	cache  *pebble.Cache
	logger Logger
	// noWAL reports Options.DisableWAL: commits cannot sync.
	noWAL bool
	// failed holds the fatal error after a write failed; writes then
	// return it.
	failed atomic.Pointer[error]

	// calls counts the calls in progress, plus closedBit once Close has
	// begun; Close waits for the count to drain before closing Pebble. A
	// counter rather than an RWMutex, because calls nest (a Scan callback
	// writing to its batch) and a nested RLock deadlocks behind a waiting
	// Lock.
	calls atomic.Int64
	// rows caches values of keys with chosen prefixes; nil if none.
	rows *rowCache
	// writesPool recycles the write maps of finished batches.
	writesPool sync.Pool
	// drained is closed by the call that ends last after Close began.
	drained     chan struct{}
	drainedOnce sync.Once

	mu struct {
		sync.Mutex
		// nextSeq is the sequence number the next outbox entry gets.
		nextSeq uint64
		// owner is the batch holding uncommitted outbox entries, if any.
		owner *Batch
		// depth is the number of committed outbox entries.
		depth int
	}
}

// Open opens the store in dir, creating it if needed. With
// opts.InMemory, dir only names the store in messages and may be empty.
// The store's files are locked: a second Open of the same dir fails until
// the first is closed.
func Open(dir string, opts Options) (*DB, error) {
	if opts.CacheSize < 0 {
		return nil, fmt.Errorf("store: opening %s: negative cache size %d", dir, opts.CacheSize)
	}
	if opts.CacheSize == 0 {
		opts.CacheSize = DefaultCacheSize
	}
	if opts.Logger == nil {
		opts.Logger = defaultLogger()
	}
	fs := opts.fs
	if fs == nil && opts.InMemory {
		fs = vfs.NewMem()
	}
	if dir == "" {
		if !opts.InMemory {
			return nil, errors.New("store: opening: empty directory")
		}
		dir = "mem"
	}

	if opts.MemTableSize < 0 {
		return nil, fmt.Errorf("store: opening %s: negative memtable size %d", dir, opts.MemTableSize)
	}
	if opts.L0CompactionThreshold < 0 || opts.L0StopWritesThreshold < 0 {
		return nil, fmt.Errorf("store: opening %s: negative L0 threshold (compaction %d, stop writes %d)",
			dir, opts.L0CompactionThreshold, opts.L0StopWritesThreshold)
	}
	if opts.RowCacheSize < 0 {
		return nil, fmt.Errorf("store: opening %s: negative row cache size %d", dir, opts.RowCacheSize)
	}
	db := &DB{logger: opts.Logger, drained: make(chan struct{}), noWAL: opts.DisableWAL,
		rows: newRowCache(opts.RowCacheSize, opts.RowCachePrefixes)}
	cache := pebble.NewCache(opts.CacheSize)
	popts := &pebble.Options{
		Cache:              cache,
		FS:                 fs,
		FormatMajorVersion: pebble.FormatNewest,
		Logger:             pebbleLogger{l: opts.Logger, failed: &db.failed},
		EventListener:      eventListener(opts.Logger),
		DisableWAL:         opts.DisableWAL,
		MemTableSize:       uint64(opts.MemTableSize),

		L0CompactionThreshold: opts.L0CompactionThreshold,
		L0StopWritesThreshold: opts.L0StopWritesThreshold,
	}
	// Bloom filters on every level: the correlator's point reads are often
	// misses (de-duplication keys, case and link indexes), which without a
	// filter read an index and data block of every overlapping table.
	for i := range popts.Levels {
		popts.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
	}
	pdb, err := openPebble(dir, popts)
	if err != nil {
		cache.Unref()
		return nil, fmt.Errorf("store: opening %s: %w", dir, err)
	}
	db.pdb, db.cache = pdb, cache
	if err := db.init(); err != nil {
		_ = pdb.Close()
		cache.Unref()
		return nil, fmt.Errorf("store: opening %s: %w", dir, err)
	}
	return db, nil
}

// openPebble opens Pebble, turning a fatal log line into an error.
func openPebble(dir string, opts *pebble.Options) (db *pebble.DB, err error) {
	defer func() {
		if r := recover(); r != nil {
			fp, ok := r.(fatalPanic)
			if !ok {
				panic(r)
			}
			db, err = nil, errors.New(fp.msg)
		}
	}()
	return pebble.Open(dir, opts)
}

// init checks or writes the schema version and loads the outbox counters.
func (db *DB) init() error {
	v, ok, err := db.getRaw(keySchema)
	if err != nil {
		return err
	}
	if ok {
		if len(v) != 4 {
			return fmt.Errorf("%w: malformed version %x", ErrSchema, v)
		}
		if got := binary.BigEndian.Uint32(v); got != schemaVersion {
			return fmt.Errorf("%w: %d (this version reads %d)", ErrSchema, got, schemaVersion)
		}
	} else {
		wo := pebble.Sync
		if db.noWAL {
			wo = pebble.NoSync
		}
		if err := db.pdb.Set(keySchema, binary.BigEndian.AppendUint32(nil, schemaVersion), wo); err != nil {
			return fatal("writing schema version", err)
		}
	}

	next := uint64(1)
	if v, ok, err := db.getRaw(keyOutboxNext); err != nil {
		return err
	} else if ok && len(v) == 8 {
		next = max(next, binary.BigEndian.Uint64(v))
	}
	depth := 0
	it, err := db.pdb.NewIter(&pebble.IterOptions{LowerBound: outboxLower, UpperBound: outboxUpper})
	if err != nil {
		return fatal("scanning outbox", err)
	}
	for valid := it.First(); valid; valid = it.Next() {
		depth++
		if k := it.Key(); len(k) == 9 {
			next = max(next, binary.BigEndian.Uint64(k[1:])+1)
		}
	}
	if err := it.Close(); err != nil {
		return fatal("scanning outbox", err)
	}
	db.mu.nextSeq, db.mu.depth = next, depth
	return nil
}

// Close closes the store, waiting for calls in progress. Batches not yet
// committed are discarded. Close must not be called from a Scan callback
// (it would wait for itself). Closing twice returns ErrClosed.
func (db *DB) Close() (err error) {
	for {
		c := db.calls.Load()
		if c&closedBit != 0 {
			return ErrClosed
		}
		if db.calls.CompareAndSwap(c, c|closedBit) {
			break
		}
	}
	if db.calls.Load() != closedBit {
		<-db.drained
	}
	defer db.cache.Unref()
	if f := db.failed.Load(); f != nil {
		// Pebble's commit pipeline is wedged after a fatal error and its
		// Close could block; the files are released when the process exits.
		return *f
	}
	defer db.recoverFatal("close", &err)
	if err := db.pdb.Close(); err != nil {
		return fatal("close", err)
	}
	return nil
}

// closedBit marks DB.calls once Close has begun.
const closedBit = 1 << 62

// enter starts a call: it returns ErrClosed if Close has begun, else counts
// the call in progress until exit.
func (db *DB) enter() error {
	if db.calls.Add(1)&closedBit != 0 {
		db.exit()
		return ErrClosed
	}
	return nil
}

// exit ends a call started by a successful enter (or undoes a failed one).
func (db *DB) exit() {
	if db.calls.Add(-1) == closedBit {
		db.drainedOnce.Do(func() { close(db.drained) })
	}
}

// recoverFatal, deferred, turns a fatalPanic raised by Pebble's logger
// during op into an ErrFatal error in *err.
func (db *DB) recoverFatal(op string, err *error) {
	if r := recover(); r != nil {
		fp, ok := r.(fatalPanic)
		if !ok {
			panic(r)
		}
		e := fatal(op, errors.New(fp.msg))
		db.failed.CompareAndSwap(nil, &e)
		*err = e
	}
}

// writeFailure returns the fatal error that disabled writes, or nil.
func (db *DB) writeFailure() error {
	if f := db.failed.Load(); f != nil {
		return *f
	}
	return nil
}

// getRaw reads any key, returning a copy.
func (db *DB) getRaw(key []byte) ([]byte, bool, error) {
	return db.getAppend(nil, key)
}

// getAppend appends the committed value of key to dst, through the row
// cache for the keys it holds.
func (db *DB) getAppend(dst, key []byte) ([]byte, bool, error) {
	return db.getAppendFill(dst, key, nil)
}

// getAppendFill is getAppend; a value read from Pebble for the row cache
// goes to the cache at once when b is nil, else to b's fills, for its
// commit.
func (db *DB) getAppendFill(dst, key []byte, b *Batch) ([]byte, bool, error) {
	cached := db.rows.caches(key)
	var gen uint64
	if cached {
		var ok bool
		if dst, ok, gen = db.rows.get(dst, key); ok {
			return dst, true, nil
		}
	}
	v, closer, err := db.pdb.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return dst, false, nil
	}
	if err != nil {
		return dst, false, fatal("get", err)
	}
	if cached {
		if b != nil {
			b.addFill(key, v, gen)
		} else {
			db.rows.fill(key, v, gen)
		}
	}
	n := len(dst)
	dst = append(dst, v...)
	if err := closer.Close(); err != nil {
		return dst[:n], false, fatal("get", err)
	}
	return dst, true, nil
}

// Get returns a copy of the committed value of key and whether it exists.
func (db *DB) Get(key []byte) (v []byte, ok bool, err error) {
	if err := checkKey(key); err != nil {
		return nil, false, err
	}
	if err := db.enter(); err != nil {
		return nil, false, err
	}
	defer db.exit()
	defer db.recoverFatal("get", &err)
	v, ok, err = db.getRaw(key)
	if ok && v == nil {
		v = []byte{} // an empty value exists: never report it as nil
	}
	return v, ok, err
}

// Scan calls fn for every committed key in [lower, upper) in key order; nil
// bounds are open (reserved keys are never visited). k and v are valid only
// during the call. fn returning ErrStop ends the scan with a nil error; any
// other error ends it and is returned unchanged.
func (db *DB) Scan(lower, upper []byte, fn func(k, v []byte) error) (err error) {
	if err := db.enter(); err != nil {
		return err
	}
	defer db.exit()
	defer db.recoverFatal("scan", &err)
	return scanUser(db.pdb, lower, upper, fn)
}

// iterSource is what scans read: the DB, or a batch merged with it.
type iterSource interface {
	NewIter(*pebble.IterOptions) (*pebble.Iterator, error)
}

// scanUser runs fn over the caller's keys of src in [lower, upper).
func scanUser(src iterSource, lower, upper []byte, fn func(k, v []byte) error) error {
	lower, upper, ok := userBounds(lower, upper)
	if !ok {
		return nil
	}
	it, err := src.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return fatal("scan", err)
	}
	return iterate(it, fn)
}

// userBounds clamps scan bounds to the caller's key space; ok is false
// when the range is empty.
func userBounds(lower, upper []byte) (l, u []byte, ok bool) {
	if len(lower) == 0 || lower[0] < firstUserByte {
		lower = userLower
	}
	if upper != nil && string(upper) <= string(lower) {
		return nil, nil, false
	}
	return lower, upper, true
}

// iterate runs fn over it from its first key and closes it.
func iterate(it *pebble.Iterator, fn func(k, v []byte) error) error {
	var ferr error
	for valid := it.First(); valid; valid = it.Next() {
		v, err := it.ValueAndErr()
		if err != nil {
			_ = it.Close()
			return fatal("scan", err)
		}
		if ferr = fn(it.Key(), v); ferr != nil {
			break
		}
	}
	if err := it.Close(); err != nil {
		return fatal("scan", err)
	}
	if errors.Is(ferr, ErrStop) {
		return nil
	}
	return ferr
}

// TopicPartition names an input partition.
type TopicPartition struct {
	Topic     string
	Partition int
}

// Offset is a committed input position.
type Offset struct {
	// Next is the offset of the next record to read.
	Next int64
	// Generation is the consumer group generation that wrote it.
	Generation int32
}

// Offsets returns the committed input offsets of every topic-partition.
func (db *DB) Offsets() (out map[TopicPartition]Offset, err error) {
	if err := db.enter(); err != nil {
		return nil, err
	}
	defer db.exit()
	defer db.recoverFatal("offsets", &err)
	it, err := db.pdb.NewIter(&pebble.IterOptions{LowerBound: offsetLower, UpperBound: offsetUpper})
	if err != nil {
		return nil, fatal("offsets", err)
	}
	out = map[TopicPartition]Offset{}
	err = iterate(it, func(k, v []byte) error {
		tp, ok := parseOffsetKey(k)
		if !ok || len(v) != 12 {
			return fatal("offsets", fmt.Errorf("malformed offset entry %x = %x", k, v))
		}
		out[tp] = Offset{Next: int64(binary.BigEndian.Uint64(v)), Generation: int32(binary.BigEndian.Uint32(v[8:]))}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
