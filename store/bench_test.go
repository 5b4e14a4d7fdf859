package store

import (
	"fmt"
	"testing"
)

// benchDB opens an on-disk store holding n keys of 100-byte values,
// flushed to tables, as the correlator's state would be.
func benchDB(b *testing.B, n int) *DB {
	b.Helper()
	db := mustOpen(b, b.TempDir(), Options{})
	b.Cleanup(func() { _ = db.Close() })
	val := make([]byte, 100)
	for i := 0; i < n; {
		bt := db.NewBatch()
		for j := 0; j < 1000 && i < n; j, i = j+1, i+1 {
			if err := bt.Set(benchKey(i), val); err != nil {
				b.Fatal(err)
			}
		}
		if err := bt.Commit(false); err != nil {
			b.Fatal(err)
		}
	}
	if err := db.pdb.Flush(); err != nil {
		b.Fatal(err)
	}
	return db
}

func benchKey(i int) []byte { return []byte(fmt.Sprintf("c/worker-%08d", i)) }

// BenchmarkBatchGet reads through a batch holding 100 writes: a key found in
// the DB, one written in the batch, and one that is nowhere; pebble-indexed
// is the same read of a DB key through Pebble's own merged batch read, the
// baseline the write map of Batch avoids.
func BenchmarkBatchGet(b *testing.B) {
	const n = 100_000
	db := benchDB(b, n)
	bt := db.NewBatch()
	b.Cleanup(func() { _ = bt.Close() })
	for i := 0; i < 100; i++ {
		if err := bt.Set(benchKey(n+i), make([]byte, 100)); err != nil {
			b.Fatal(err)
		}
	}
	keys := make([][]byte, 1024)
	for i := range keys {
		keys[i] = benchKey((i * 7919) % n)
	}
	buf := make([]byte, 0, 256)
	for _, c := range []struct {
		name string
		key  func(i int) []byte
	}{
		{"in-db", func(i int) []byte { return keys[i%len(keys)] }},
		{"in-batch", func(i int) []byte { return benchKey(n + i%100) }},
		{"missing", func(i int) []byte { return benchKey(2*n + i%100) }},
	} {
		ks := make([][]byte, 1024)
		for i := range ks {
			ks[i] = c.key(i)
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, _, err := bt.Get(ks[i%len(ks)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
		b.Run(c.name+"/append", func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, _, err := bt.GetAppend(buf[:0], ks[i%len(ks)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
	b.Run("pebble-indexed", func(b *testing.B) {
		pb := db.pdb.NewIndexedBatch()
		defer pb.Close()
		for i := 0; i < 100; i++ {
			_ = pb.Set(benchKey(n+i), make([]byte, 100), nil)
		}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			v, closer, err := pb.Get(keys[i%len(keys)])
			if err != nil {
				b.Fatal(err)
			}
			buf = append(buf[:0], v...)
			closer.Close()
			i++
		}
	})
}

func BenchmarkBatchSet(b *testing.B) {
	db := mustOpen(b, "", Options{InMemory: true})
	defer db.Close()
	keys := make([][]byte, 1000)
	for i := range keys {
		keys[i] = benchKey(i)
	}
	val := make([]byte, 100)
	bt := db.NewBatch()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := bt.Set(keys[i%len(keys)], val); err != nil {
			b.Fatal(err)
		}
		i++
		if i%len(keys) == 0 { // keep the batch at a micro-batch's size
			_ = bt.Close()
			bt = db.NewBatch()
		}
	}
	_ = bt.Close()
}

// BenchmarkCommit commits batches of 1000 sets of 100-byte values (plus an
// offset and 10 outbox entries) to an on-disk store, with and without sync.
func BenchmarkCommit(b *testing.B) {
	for _, sync := range []bool{true, false} {
		b.Run(fmt.Sprintf("ops=1000/sync=%v", sync), func(b *testing.B) {
			db := mustOpen(b, b.TempDir(), Options{})
			defer db.Close()
			val := make([]byte, 100)
			keys := make([][]byte, 1000)
			for i := range keys {
				keys[i] = benchKey(i)
			}
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				bt := db.NewBatch()
				for _, k := range keys {
					if err := bt.Set(k, val); err != nil {
						b.Fatal(err)
					}
				}
				for j := 0; j < 10; j++ {
					if _, err := bt.AppendOutbox(val); err != nil {
						b.Fatal(err)
					}
				}
				if err := bt.SetOffset("hr", 0, 1, 1); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if err := bt.Commit(sync); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
