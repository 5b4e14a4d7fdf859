package store

import (
	"encoding/binary"
	"errors"
	"math"
	"unsafe"

	"github.com/cockroachdb/pebble/v2"
)

// Batch is a set of writes committed atomically. It is indexed: its Get and
// Scan see the committed DB with the batch's own writes applied. A Batch is
// not safe for concurrent use. Every Batch must end with Commit or Close;
// after Commit, Close is a no-op, so `defer b.Close()` is the usual pattern.
type Batch struct {
	db *DB
	// pb is an indexed Pebble batch: it is what Commit applies and what
	// Scan merges with the DB.
	pb *pebble.Batch
	// writes maps each key written in the batch to its latest write, so a
	// point read of such a key is a map lookup (about 0.1 µs against 5 µs
	// for Pebble's merged batch read) and of any other key a plain DB read,
	// which skips the batch iterators Pebble builds (and allocates) on every
	// merged read. Keys and values alias pb's buffer, which is append-only
	// and outlives the map (see put).
	writes map[string]write
	// ranges holds the [lower, upper) bounds of the batch's range
	// deletions: a key the batch did not write since is deleted if it
	// falls in one (writes records keys written before as deleted).
	ranges [][2][]byte
	// done is set by Commit and Close.
	done bool
	// firstSeq is the first outbox sequence this batch allocated, 0 if none.
	firstSeq uint64
	// fills are the row cache fills of the batch's reads, in fillBuf
	// (see addFill).
	fills   []fill
	fillBuf []byte
	// appended and deleted count outbox entries added and removed.
	appended, deleted int
	keyBuf            [9]byte
}

// maxPooledWrites bounds the maps kept for reuse: a map that grew for an
// unusually large batch is left to the collector.
const maxPooledWrites = 1 << 16

// write is the latest write of a key in a batch.
type write struct {
	value   []byte
	deleted bool
}

// put sets key to value in pb and records it in writes.
//
// The key and value are copied once, into pb's buffer, and writes refers to
// that copy: pb only appends to its buffer (growing it by copying to a new
// one, leaving the old intact and reachable), and writes is dropped before pb
// is released, so the bytes never change while writes refers to them.
func (b *Batch) put(key, value []byte) error {
	op := b.pb.SetDeferred(len(key), len(value))
	copy(op.Key, key)
	copy(op.Value, value)
	if err := op.Finish(); err != nil {
		return err
	}
	b.remember(op.Key, write{value: op.Value})
	return nil
}

// del deletes key in pb and records it in writes.
func (b *Batch) del(key []byte) error {
	op := b.pb.DeleteDeferred(len(key))
	copy(op.Key, key)
	if err := op.Finish(); err != nil {
		return err
	}
	b.remember(op.Key, write{deleted: true})
	return nil
}

func (b *Batch) remember(key []byte, w write) {
	if b.writes == nil {
		if m, ok := b.db.writesPool.Get().(map[string]write); ok {
			b.writes = m
		} else {
			b.writes = make(map[string]write)
		}
	}
	// key is immutable (see put): a string aliasing it is safe.
	b.writes[unsafe.String(unsafe.SliceData(key), len(key))] = w
}

// lookup appends the value of key in the batch merged with the DB to dst.
// REQUIRES: b.enter
func (b *Batch) lookup(dst, key []byte) ([]byte, bool, error) {
	if w, ok := b.writes[string(key)]; ok {
		if w.deleted {
			return dst, false, nil
		}
		return append(dst, w.value...), true, nil
	}
	if inRanges(key, b.ranges) {
		return dst, false, nil
	}
	return b.db.getAppendFill(dst, key, b)
}

// inRanges reports whether key falls in one of the [lower, upper) ranges.
func inRanges(key []byte, ranges [][2][]byte) bool {
	for _, r := range ranges {
		if string(key) >= string(r[0]) && string(key) < string(r[1]) {
			return true
		}
	}
	return false
}

// addFill records a value read from Pebble for the row cache, which its
// commit fills unless the batch wrote the key (rowCache.commit).
func (b *Batch) addFill(key, value []byte, gen uint64) {
	// fillBuf only grows by appending: the slices of earlier fills keep
	// the array they were cut from, which nothing writes again.
	start := len(b.fillBuf)
	b.fillBuf = append(append(b.fillBuf, key...), value...)
	k := b.fillBuf[start : start+len(key) : start+len(key)]
	b.fills = append(b.fills, fill{key: k, value: b.fillBuf[start+len(key) : len(b.fillBuf) : len(b.fillBuf)], gen: gen})
}

// NewBatch returns an empty batch. It fails only after Close (returning a
// batch whose every method returns ErrClosed).
func (db *DB) NewBatch() *Batch {
	b := &Batch{db: db}
	if err := db.enter(); err != nil {
		b.done = true
		return b
	}
	defer db.exit()
	b.pb = db.pdb.NewIndexedBatch()
	return b
}

// enter starts a batch call: it fails with ErrClosed if the DB is closed
// and ErrBatchClosed if the batch is done.
func (b *Batch) enter() error {
	if err := b.db.enter(); err != nil {
		return err
	}
	if b.done {
		b.db.exit()
		return ErrBatchClosed
	}
	return nil
}

// Get returns a copy of the value of key in the batch merged with the DB,
// and whether it exists.
func (b *Batch) Get(key []byte) ([]byte, bool, error) {
	return b.GetAppend(nil, key)
}

// GetAppend is Get appending the value to dst (which may be nil) and
// returning the extended slice, so a caller reusing a buffer reads without
// allocating. The result does not alias the store.
func (b *Batch) GetAppend(dst, key []byte) (v []byte, ok bool, err error) {
	if err := checkKey(key); err != nil {
		return dst, false, err
	}
	if err := b.enter(); err != nil {
		return dst, false, err
	}
	defer b.db.exit()
	defer b.db.recoverFatal("get", &err)
	v, ok, err = b.lookup(dst, key)
	if err != nil || !ok {
		return dst, false, err
	}
	if v == nil {
		v = []byte{} // an empty value exists: never report it as nil
	}
	return v, true, nil
}

// Set sets key to value in the batch. The batch copies both.
func (b *Batch) Set(key, value []byte) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := b.enter(); err != nil {
		return err
	}
	defer b.db.exit()
	return b.put(key, value)
}

// Delete deletes key in the batch; deleting a missing key is not an error.
func (b *Batch) Delete(key []byte) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := b.enter(); err != nil {
		return err
	}
	defer b.db.exit()
	return b.del(key)
}

// DeleteRange deletes every key in [lower, upper) in the batch: one range
// tombstone, however many keys it covers. Both bounds must be valid keys.
func (b *Batch) DeleteRange(lower, upper []byte) error {
	if err := checkKey(lower); err != nil {
		return err
	}
	if err := checkKey(upper); err != nil {
		return err
	}
	if err := b.enter(); err != nil {
		return err
	}
	defer b.db.exit()
	if string(upper) <= string(lower) {
		return nil
	}
	op := b.pb.DeleteRangeDeferred(len(lower), len(upper))
	copy(op.Key, lower)
	copy(op.Value, upper)
	if err := op.Finish(); err != nil {
		return err
	}
	for k, w := range b.writes {
		if k >= string(op.Key) && k < string(op.Value) && !w.deleted {
			b.writes[k] = write{deleted: true}
		}
	}
	b.ranges = append(b.ranges, [2][]byte{op.Key, op.Value})
	return nil
}

// Scan calls fn for every key in [lower, upper) of the batch merged with the
// DB, in key order; nil bounds are open (reserved keys are never visited).
// k and v are valid only during the call. fn may write to the batch; the
// scan does not see those writes. fn returning ErrStop ends the scan with a
// nil error; any other error ends it and is returned unchanged.
func (b *Batch) Scan(lower, upper []byte, fn func(k, v []byte) error) (err error) {
	if err := b.enter(); err != nil {
		return err
	}
	defer b.db.exit()
	defer b.db.recoverFatal("scan", &err)
	return scanUser(b.pb, lower, upper, fn)
}

// Len returns the number of writes in the batch.
func (b *Batch) Len() int {
	if b.pb == nil || b.done {
		return 0
	}
	return int(b.pb.Count())
}

// Size returns the size of the batch's encoded writes in bytes.
func (b *Batch) Size() int {
	if b.pb == nil || b.done {
		return 0
	}
	return b.pb.Len()
}

// SetOffset records in the batch that the next record to read from
// topic/partition is next, as seen by consumer generation. Write it in the
// same batch as the effects of the records before next.
func (b *Batch) SetOffset(topic string, partition int, next int64, generation int32) error {
	k, err := offsetKey(topic, partition)
	if err != nil {
		return err
	}
	if err := b.enter(); err != nil {
		return err
	}
	defer b.db.exit()
	var v [12]byte
	binary.BigEndian.PutUint64(v[:], uint64(next))
	binary.BigEndian.PutUint32(v[8:], uint32(generation))
	return b.put(k, v[:])
}

// AppendOutbox adds value (an opaque encoded message) to the outbox in the
// batch and returns its sequence number, greater than that of every entry
// appended before. It fails with ErrOutboxBusy while another batch holds
// uncommitted outbox entries.
func (b *Batch) AppendOutbox(value []byte) (seq uint64, err error) {
	if err := b.enter(); err != nil {
		return 0, err
	}
	defer b.db.exit()
	db := b.db
	db.mu.Lock()
	if db.mu.owner != nil && db.mu.owner != b {
		db.mu.Unlock()
		return 0, ErrOutboxBusy
	}
	if db.mu.nextSeq == math.MaxUint64 {
		db.mu.Unlock()
		return 0, errors.New("store: outbox sequence exhausted")
	}
	seq = db.mu.nextSeq
	db.mu.nextSeq++
	db.mu.owner = b
	db.mu.Unlock()
	if b.firstSeq == 0 {
		b.firstSeq = seq
	}
	if err := b.put(outboxKey(&b.keyBuf, seq), value); err != nil {
		return 0, err
	}
	b.appended++
	return seq, nil
}

// DeleteOutbox removes outbox entry seq in the batch, typically after the
// message was published. Deleting an entry that does not exist is not an
// error. Only one goroutine should delete outbox entries, or OutboxDepth
// may count an entry deleted twice concurrently twice.
func (b *Batch) DeleteOutbox(seq uint64) (err error) {
	if err := b.enter(); err != nil {
		return err
	}
	defer b.db.exit()
	defer b.db.recoverFatal("delete outbox", &err)
	k := outboxKey(&b.keyBuf, seq)
	_, ok, err := b.lookup(nil, k)
	if err != nil || !ok {
		return err
	}
	if err := b.del(k); err != nil {
		return err
	}
	b.deleted++
	return nil
}

// Commit applies the batch atomically. With sync, its writes are durable
// (fsynced) when Commit returns; without, they survive a process crash but
// may be lost with the machine. Commit ends the batch, whatever the result.
// A failure is fatal (errors.Is(err, ErrFatal)) and disables all writes.
func (b *Batch) Commit(sync bool) (err error) {
	if err := b.enter(); err != nil {
		return err
	}
	defer b.db.exit()
	db := b.db
	defer b.finish(false)
	if err := db.writeFailure(); err != nil {
		return err
	}
	if b.appended > 0 {
		db.mu.Lock()
		next := db.mu.nextSeq
		db.mu.Unlock()
		var v [8]byte
		binary.BigEndian.PutUint64(v[:], next)
		if err := b.put(keyOutboxNext, v[:]); err != nil {
			return err
		}
	}
	opts := pebble.NoSync
	if sync && !b.db.noWAL {
		opts = pebble.Sync
	}
	// Count appended entries before they become visible: a publisher may
	// read and delete them as soon as Pebble has applied the batch, and its
	// decrement must not come first.
	db.mu.Lock()
	db.mu.depth += b.appended
	db.mu.Unlock()
	defer db.recoverFatal("commit", &err)
	if err := b.pb.Commit(opts); err != nil {
		err = fatal("commit", err)
		db.failed.CompareAndSwap(nil, &err)
		db.mu.Lock()
		db.mu.depth -= b.appended
		db.mu.Unlock()
		return err
	}
	db.rows.commit(b.writes, b.ranges, b.fills)
	db.mu.Lock()
	db.mu.depth = max(0, db.mu.depth-b.deleted)
	if db.mu.owner == b {
		db.mu.owner = nil
	}
	db.mu.Unlock()
	b.firstSeq = 0 // committed: the sequence numbers are used
	return nil
}

// Close discards the batch if it was not committed, giving back its outbox
// sequence numbers. Closing a committed or closed batch does nothing.
func (b *Batch) Close() error {
	if b.done {
		return nil
	}
	b.finish(true)
	return nil
}

// finish ends the batch: it releases the outbox (rolling its sequence
// numbers back when discard) and the Pebble batch.
func (b *Batch) finish(discard bool) {
	if b.done {
		return
	}
	b.done = true
	db := b.db
	db.mu.Lock()
	if db.mu.owner == b {
		if discard && b.firstSeq != 0 {
			db.mu.nextSeq = b.firstSeq
		}
		db.mu.owner = nil
	}
	db.mu.Unlock()
	// Before pb's buffer goes back to Pebble's pool: the map's keys and
	// the ranges alias it. The emptied map goes back to the DB for the
	// next batch, so that it does not regrow from nothing every time.
	if b.writes != nil && len(b.writes) <= maxPooledWrites {
		clear(b.writes)
		db.writesPool.Put(b.writes)
	}
	b.writes, b.ranges, b.fills, b.fillBuf = nil, nil, nil, nil
	if b.pb != nil {
		_ = b.pb.Close()
		b.pb = nil
	}
}
