package store

import (
	"encoding/binary"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// ScanOutbox calls fn for the committed outbox entries with a sequence
// greater than after, in sequence order, at most limit of them (limit <= 0:
// all). value is valid only during the call. fn returning ErrStop ends the
// scan with a nil error; any other error ends it and is returned unchanged.
func (db *DB) ScanOutbox(after uint64, limit int, fn func(seq uint64, value []byte) error) (err error) {
	if err := db.enter(); err != nil {
		return err
	}
	defer db.exit()
	defer db.recoverFatal("scan outbox", &err)
	if after == ^uint64(0) {
		return nil
	}
	var lower [9]byte
	it, err := db.pdb.NewIter(&pebble.IterOptions{LowerBound: outboxKey(&lower, after+1), UpperBound: outboxUpper})
	if err != nil {
		return fatal("scan outbox", err)
	}
	n := 0
	return iterate(it, func(k, v []byte) error {
		if len(k) != 9 {
			return fatal("scan outbox", fmt.Errorf("malformed outbox key %x", k))
		}
		if limit > 0 && n >= limit {
			return ErrStop
		}
		n++
		return fn(binary.BigEndian.Uint64(k[1:]), v)
	})
}

// DeleteOutbox removes the given outbox entries in a batch of its own,
// committed without sync: after a machine crash an entry may reappear and
// be published again, with the same content.
func (db *DB) DeleteOutbox(seqs ...uint64) error {
	b := db.NewBatch()
	defer b.Close()
	for _, s := range seqs {
		if err := b.DeleteOutbox(s); err != nil {
			return err
		}
	}
	return b.Commit(false)
}

// OutboxDepth returns the number of committed outbox entries. It is tracked
// in memory and costs a mutex.
func (db *DB) OutboxDepth() (int, error) {
	if err := db.enter(); err != nil {
		return 0, err
	}
	defer db.exit()
	db.mu.Lock()
	defer db.mu.Unlock()
	return db.mu.depth, nil
}
