package memkv

import (
	"bytes"
	"slices"
	"sort"
)

// KV is a sorted in-memory map. It implements correlator.KV and, through
// NewBatch, replay.State (batches write through immediately).
type KV struct {
	m map[string][]byte
}

// New returns an empty KV.
func New() *KV { return &KV{m: map[string][]byte{}} }

// Get returns a copy of the value of key.
func (kv *KV) Get(key []byte) ([]byte, bool, error) {
	v, ok := kv.m[string(key)]
	return bytes.Clone(v), ok, nil
}

// Set sets key to a copy of value.
func (kv *KV) Set(key, value []byte) error {
	kv.m[string(key)] = append([]byte{}, value...)
	return nil
}

// Delete deletes key.
func (kv *KV) Delete(key []byte) error {
	delete(kv.m, string(key))
	return nil
}

// DeleteRange deletes every key in [lower, upper).
func (kv *KV) DeleteRange(lower, upper []byte) error {
	for k := range kv.m {
		if k >= string(lower) && k < string(upper) {
			delete(kv.m, k)
		}
	}
	return nil
}

// Scan calls fn for every key in [lower, upper) in order (upper nil: no
// bound), stopping at fn's first error, which it returns.
func (kv *KV) Scan(lower, upper []byte, fn func(k, v []byte) error) error {
	var keys []string
	for k := range kv.m {
		if k >= string(lower) && (upper == nil || k < string(upper)) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, ok := kv.m[k]
		if !ok {
			continue
		}
		if err := fn([]byte(k), slices.Clone(v)); err != nil {
			return err
		}
	}
	return nil
}

// Len returns the number of keys.
func (kv *KV) Len() int { return len(kv.m) }

// Keys returns every key in order.
func (kv *KV) Keys() []string {
	keys := make([]string, 0, len(kv.m))
	for k := range kv.m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Batch is a write-through batch on a KV.
type Batch struct{ *KV }

// NewBatch returns a batch writing through to kv.
func (kv *KV) NewBatch() *Batch { return &Batch{kv} }

// Commit does nothing: writes went through.
func (Batch) Commit() error { return nil }

// Close does nothing.
func (Batch) Close() error { return nil }
