package store

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// TestBatchMatchesModel applies random writes (sets, deletes, range
// deletions) through batches, with and without a row cache, committing
// or discarding them, and checks every read of the batch and of the DB
// against a map model, on disk and in memory, across reopens.
func TestBatchMatchesModel(t *testing.T) {
	for _, env := range []string{"disk", "mem", "rowcache"} {
		t.Run(env, func(t *testing.T) {
			dir, opts := t.TempDir(), Options{}
			switch env {
			case "mem":
				dir, opts = "mem", Options{InMemory: true, fs: vfs.NewMem()}
			case "rowcache":
				// Small enough to evict: about 12 of the 40 keys.
				opts = Options{RowCacheSize: 12 * (rowEntryOverhead + 8), RowCachePrefixes: "k"}
			}
			db := mustOpen(t, dir, opts)
			defer func() { _ = db.Close() }()
			rng := rand.New(rand.NewPCG(1, 2))
			committed := map[string]string{}
			key := func() string { return fmt.Sprintf("k%02d", rng.IntN(40)) }
			for round := 0; round < 60; round++ {
				b := db.NewBatch()
				pending := maps.Clone(committed)
				for op := 0; op < 30; op++ {
					k := key()
					switch r := rng.IntN(10); {
					case r < 4:
						v := fmt.Sprintf("v%d.%d", round, op)
						if rng.IntN(8) == 0 {
							v = ""
						}
						if err := b.Set([]byte(k), []byte(v)); err != nil {
							t.Fatal(err)
						}
						pending[k] = v
					case r < 6:
						if err := b.Delete([]byte(k)); err != nil {
							t.Fatal(err)
						}
						delete(pending, k)
					case r < 7 && rng.IntN(3) == 0:
						lo, hi := key(), key()
						if lo > hi {
							lo, hi = hi, lo
						}
						if err := b.DeleteRange([]byte(lo), []byte(hi)); err != nil {
							t.Fatal(err)
						}
						for k := range pending {
							if k >= lo && k < hi {
								delete(pending, k)
							}
						}
					case r < 9:
						checkGet(t, b, pending, k)
						checkGet(t, db, committed, k)
					default:
						lo, hi := key(), key()
						if lo > hi {
							lo, hi = hi, lo
						}
						checkScan(t, b, pending, lo, hi)
					}
				}
				checkScan(t, b, pending, "", "")
				checkScan(t, db, committed, "", "")
				if rng.IntN(4) == 0 {
					if err := b.Close(); err != nil {
						t.Fatal(err)
					}
				} else {
					if err := b.Commit(rng.IntN(2) == 0); err != nil {
						t.Fatal(err)
					}
					committed = pending
				}
				checkScan(t, db, committed, "", "")
				if round%20 == 19 {
					if err := db.Close(); err != nil {
						t.Fatal(err)
					}
					db = mustOpen(t, dir, opts)
					checkScan(t, db, committed, "", "")
				}
			}
		})
	}
}

func checkGet(t *testing.T, r reader, model map[string]string, k string) {
	t.Helper()
	v, ok, err := r.Get([]byte(k))
	if err != nil {
		t.Fatal(err)
	}
	want, wantOK := model[k]
	if ok != wantOK || string(v) != want || (ok && v == nil) {
		t.Fatalf("Get(%s) = %q, %v; want %q, %v", k, v, ok, want, wantOK)
	}
}

func checkScan(t *testing.T, r reader, model map[string]string, lo, hi string) {
	t.Helper()
	var got []string
	var lower, upper []byte
	if lo != "" {
		lower = []byte(lo)
	}
	if hi != "" {
		upper = []byte(hi)
	}
	if err := r.Scan(lower, upper, func(k, v []byte) error {
		got = append(got, string(k)+"="+string(v))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, k := range slices.Sorted(maps.Keys(model)) {
		if k >= lo && (hi == "" || k < hi) {
			want = append(want, k+"="+model[k])
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("Scan(%q, %q):\n got %s\nwant %s", lo, hi, strings.Join(got, " "), strings.Join(want, " "))
	}
}
