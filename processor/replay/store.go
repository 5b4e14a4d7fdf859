package replay

import "github.com/jmlwatch/jmlwatch/store"

// StoreState returns a State over db. Its batches commit without fsync: a
// replay that dies is run again, and closing db after Run leaves the store
// consistent.
func StoreState(db *store.DB) State { return storeState{db} }

type storeState struct{ db *store.DB }

func (s storeState) NewBatch() Batch { return storeBatch{s.db.NewBatch()} }

type storeBatch struct{ *store.Batch }

func (b storeBatch) Commit() error { return b.Batch.Commit(false) }
