package store

import (
	"fmt"
	"testing"
)

// rowStats returns the row cache's hit and miss counts.
func rowStats(t *testing.T, db *DB) (hits, misses int64) {
	t.Helper()
	m, err := db.Metrics()
	if err != nil {
		t.Fatal(err)
	}
	return m.RowCacheHits, m.RowCacheMisses
}

func set(t *testing.T, db *DB, k, v string) {
	t.Helper()
	b := db.NewBatch()
	if err := b.Set([]byte(k), []byte(v)); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(false); err != nil {
		t.Fatal(err)
	}
}

// TestRowCacheScanResistant: passes over twice the keys the cache holds,
// in the same order each time, still hit (plain LRU would miss every
// read): a full cache admits few newcomers.
func TestRowCacheScanResistant(t *testing.T) {
	const keys = 40
	db := mustOpen(t, t.TempDir(), Options{RowCacheSize: keys / 2 * (rowEntryOverhead + 8), RowCachePrefixes: "k"})
	defer db.Close()
	for i := range keys {
		set(t, db, fmt.Sprintf("k%03d", i), "v")
	}
	h0, _ := rowStats(t, db)
	for range 3 {
		for i := range keys {
			checkGet(t, db, map[string]string{fmt.Sprintf("k%03d", i): "v"}, fmt.Sprintf("k%03d", i))
		}
	}
	if h, _ := rowStats(t, db); h-h0 < keys/2 {
		t.Errorf("%d hits in %d reads of %d keys, twice what the cache holds; want at least %d", h-h0, 3*keys, keys, keys/2)
	}
}

// TestRowCacheBatchFills: a batch's reads fill the cache when it commits,
// except for keys it wrote and reads older than another batch's commit of
// cached keys (whose value may be stale).
func TestRowCacheBatchFills(t *testing.T) {
	dir, opts := t.TempDir(), Options{RowCacheSize: 1 << 20, RowCachePrefixes: "k"}
	db := mustOpen(t, dir, opts)
	for _, k := range []string{"ka", "kb", "kc"} {
		set(t, db, k, "v0")
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = mustOpen(t, dir, opts) // an empty cache
	defer db.Close()

	b := db.NewBatch()
	for _, k := range []string{"ka", "kb"} {
		checkGet(t, b, map[string]string{k: "v0"}, k)
	}
	if err := b.Set([]byte("kb"), []byte("v2")); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(false); err != nil {
		t.Fatal(err)
	}
	h0, _ := rowStats(t, db)
	checkGet(t, db, map[string]string{"ka": "v0"}, "ka")
	checkGet(t, db, map[string]string{"kb": "v2"}, "kb")
	if h, _ := rowStats(t, db); h-h0 != 2 {
		t.Errorf("%d row cache hits reading a key the batch read and one it wrote, want 2", h-h0)
	}

	// A read older than another batch's commit does not fill: the other
	// batch wrote kc after b read it.
	b = db.NewBatch()
	checkGet(t, b, map[string]string{"kc": "v0"}, "kc")
	set(t, db, "kc", "v1")
	if err := b.Commit(false); err != nil {
		t.Fatal(err)
	}
	checkGet(t, db, map[string]string{"kc": "v1"}, "kc")

	// A commit of keys the cache does not hold (an outbox deletion, say)
	// leaves the fills of a batch open across it good.
	set(t, db, "kd", "v0")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = mustOpen(t, dir, opts)
	defer db.Close()
	b = db.NewBatch()
	checkGet(t, b, map[string]string{"kd": "v0"}, "kd")
	set(t, db, "xx", "other")
	if err := b.Commit(false); err != nil {
		t.Fatal(err)
	}
	h0, _ = rowStats(t, db)
	checkGet(t, db, map[string]string{"kd": "v0"}, "kd")
	if h, _ := rowStats(t, db); h-h0 != 1 {
		t.Errorf("reading kd, filled by a batch across a commit of xx only: %d row cache hits, want 1", h-h0)
	}
}
