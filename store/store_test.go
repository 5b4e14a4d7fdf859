package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
)

// testLogger collects log lines.
type testLogger struct {
	mu     sync.Mutex
	errors []string
}

func (l *testLogger) Infof(string, ...any) {}
func (l *testLogger) Errorf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.errors = append(l.errors, fmt.Sprintf(format, args...))
}

func mustOpen(t testing.TB, dir string, opts Options) *DB {
	t.Helper()
	db, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return db
}

func mustCommit(t testing.TB, db *DB, sync bool, fn func(b *Batch) error) {
	t.Helper()
	b := db.NewBatch()
	defer b.Close()
	if err := fn(b); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(sync); err != nil {
		t.Fatalf("Commit: %v", err)
	}
}

func get(t testing.TB, db *DB, key string) string {
	t.Helper()
	v, ok, err := db.Get([]byte(key))
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		return "<none>"
	}
	return string(v)
}

// TestCrashKeepsSyncedCommits simulates a machine crash: a reopened store
// holds exactly what was committed with sync.
func TestCrashKeepsSyncedCommits(t *testing.T) {
	fs := vfs.NewCrashableMem()
	db := mustOpen(t, "db", Options{fs: fs})
	defer db.Close()
	mustCommit(t, db, true, func(b *Batch) error {
		if err := b.Set([]byte("synced"), []byte("1")); err != nil {
			return err
		}
		if err := b.SetOffset("in", 0, 42, 7); err != nil {
			return err
		}
		_, err := b.AppendOutbox([]byte("m1"))
		return err
	})
	mustCommit(t, db, false, func(b *Batch) error {
		if err := b.Set([]byte("unsynced"), []byte("2")); err != nil {
			return err
		}
		_, err := b.AppendOutbox([]byte("m2"))
		return err
	})
	open := db.NewBatch()
	if err := open.Set([]byte("uncommitted"), []byte("3")); err != nil {
		t.Fatal(err)
	}

	crashed := fs.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: 0})
	db2 := mustOpen(t, "db", Options{fs: crashed})
	defer db2.Close()
	for key, want := range map[string]string{"synced": "1", "unsynced": "<none>", "uncommitted": "<none>"} {
		if got := get(t, db2, key); got != want {
			t.Errorf("after crash %s = %s, want %s", key, got, want)
		}
	}
	offs, err := db2.Offsets()
	if err != nil {
		t.Fatal(err)
	}
	if o := offs[TopicPartition{"in", 0}]; len(offs) != 1 || o != (Offset{Next: 42, Generation: 7}) {
		t.Errorf("offsets after crash = %v", offs)
	}
	if d, _ := db2.OutboxDepth(); d != 1 {
		t.Errorf("outbox depth after crash = %d, want 1", d)
	}
	// The sequence continues after the last durable entry.
	b := db2.NewBatch()
	defer b.Close()
	seq, err := b.AppendOutbox([]byte("m3"))
	if err != nil || seq != 2 {
		t.Errorf("AppendOutbox after crash = %d, %v; want 2", seq, err)
	}
}

// TestFatalWriteError checks that a failing disk turns into ErrFatal from
// Commit, not a process exit, and that the store then refuses writes.
func TestFatalWriteError(t *testing.T) {
	toggle := &errorfs.Toggle{Injector: errorfs.InjectorFunc(func(op errorfs.Op) error {
		if strings.HasSuffix(op.Path, ".log") && op.Kind.ReadOrWrite() == errorfs.OpIsWrite {
			return errorfs.ErrInjected
		}
		return nil
	})}
	log := &testLogger{}
	db := mustOpen(t, "db", Options{fs: errorfs.Wrap(vfs.NewMem(), toggle), Logger: log})
	mustCommit(t, db, true, func(b *Batch) error { return b.Set([]byte("before"), []byte("1")) })

	toggle.On()
	b := db.NewBatch()
	if err := b.Set([]byte("during"), []byte("2")); err != nil {
		t.Fatal(err)
	}
	err := b.Commit(true)
	if !errors.Is(err, ErrFatal) {
		t.Fatalf("Commit on a failing disk = %v, want ErrFatal", err)
	}
	if !strings.HasPrefix(err.Error(), "store: commit: fatal: ") {
		t.Errorf("error %q does not name the operation", err)
	}
	toggle.Off()

	// Writes are refused from now on, with the same error.
	b2 := db.NewBatch()
	if err := b2.Set([]byte("after"), []byte("3")); err != nil {
		t.Fatal(err)
	}
	if err2 := b2.Commit(true); !errors.Is(err2, ErrFatal) {
		t.Errorf("Commit after a fatal error = %v, want ErrFatal", err2)
	}
	if err2 := db.DeleteOutbox(1); !errors.Is(err2, ErrFatal) {
		t.Errorf("DeleteOutbox after a fatal error = %v, want ErrFatal", err2)
	}
	m, err2 := db.Metrics()
	if err2 != nil || !m.Failed {
		t.Errorf("Metrics = %+v, %v; want Failed", m, err2)
	}
	log.mu.Lock()
	if len(log.errors) == 0 {
		t.Error("the fatal error was not logged")
	}
	log.mu.Unlock()
	if err2 := db.Close(); !errors.Is(err2, ErrFatal) {
		t.Errorf("Close after a fatal error = %v, want ErrFatal", err2)
	}
}

func TestClosed(t *testing.T) {
	db := mustOpen(t, "", Options{InMemory: true})
	b := db.NewBatch()
	if err := b.Set([]byte("k"), []byte("v")); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); !errors.Is(err, ErrClosed) {
		t.Errorf("second Close = %v, want ErrClosed", err)
	}
	checks := map[string]error{}
	_, _, checks["DB.Get"] = db.Get([]byte("k"))
	checks["DB.Scan"] = db.Scan(nil, nil, func(k, v []byte) error { return nil })
	_, checks["Offsets"] = db.Offsets()
	checks["ScanOutbox"] = db.ScanOutbox(0, 0, func(uint64, []byte) error { return nil })
	checks["DB.DeleteOutbox"] = db.DeleteOutbox(1)
	_, checks["OutboxDepth"] = db.OutboxDepth()
	_, checks["Metrics"] = db.Metrics()
	_, _, checks["Batch.Get"] = b.Get([]byte("k"))
	checks["Batch.Set"] = b.Set([]byte("k"), nil)
	checks["Batch.Commit"] = b.Commit(true)
	nb := db.NewBatch()
	checks["NewBatch.Set"] = nb.Set([]byte("k"), nil)
	_, checks["NewBatch.AppendOutbox"] = nb.AppendOutbox(nil)
	for name, err := range checks {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%s after Close = %v, want ErrClosed", name, err)
		}
	}
	if err := b.Close(); err != nil {
		t.Errorf("Batch.Close after DB.Close = %v", err)
	}
}

// flushesAfter returns the memtable flushes of a store with the given
// MemTableSize after 8 MiB of writes.
func flushesAfter(t *testing.T, memTableSize int64) int64 {
	db := mustOpen(t, t.TempDir(), Options{MemTableSize: memTableSize, DisableWAL: true})
	defer db.Close()
	val := make([]byte, 1<<10)
	for i := range 8 << 10 {
		b := db.NewBatch()
		if err := b.Set([]byte(fmt.Sprintf("k%06d", i)), val); err != nil {
			t.Fatal(err)
		}
		if err := b.Commit(false); err != nil {
			t.Fatal(err)
		}
	}
	m, err := db.Metrics()
	if err != nil {
		t.Fatal(err)
	}
	return m.Flushes
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open("", Options{}); err == nil {
		t.Error("Open with an empty dir on disk succeeded")
	}
	if _, err := Open(t.TempDir(), Options{CacheSize: -1}); err == nil {
		t.Error("Open with a negative cache size succeeded")
	}
	for _, o := range []Options{{RowCacheSize: -1, RowCachePrefixes: "w"}, {MemTableSize: -1}, {L0CompactionThreshold: -1}, {L0StopWritesThreshold: -1}} {
		if _, err := Open(t.TempDir(), o); err == nil || !strings.Contains(err.Error(), "negative") {
			t.Errorf("Open(%+v) = %v, want a negative size error", o, err)
		}
	}
	// Pebble checks the thresholds against each other.
	if _, err := Open(t.TempDir(), Options{L0CompactionThreshold: 8, L0StopWritesThreshold: 4}); err == nil {
		t.Error("Open with a stop-writes threshold below the compaction threshold succeeded")
	}
	// A memtable size is applied: smaller memtables flush more often.
	if small, def := flushesAfter(t, 1<<20), flushesAfter(t, 0); small <= def {
		t.Errorf("flushes after 8 MiB of writes: %d with 1 MiB memtables, %d with the default; want more", small, def)
	}

	dir := t.TempDir()
	db := mustOpen(t, dir, Options{})
	if db2, err := Open(dir, Options{}); err == nil {
		db2.Close()
		t.Error("second Open of a locked store succeeded")
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	// A store written with another key layout is refused.
	fs := vfs.NewMem()
	quiet := pebbleLogger{l: &testLogger{}, failed: new(atomic.Pointer[error])}
	pdb, err := pebble.Open("db", &pebble.Options{FS: fs, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if err := pdb.Set(keySchema, binary.BigEndian.AppendUint32(nil, 99), pebble.Sync); err != nil {
		t.Fatal(err)
	}
	if err := pdb.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Open("db", Options{fs: fs}); !errors.Is(err, ErrSchema) {
		t.Errorf("Open of schema 99 = %v, want ErrSchema", err)
	}
}

// TestConcurrentOutbox runs a writer appending to the outbox and a
// publisher scanning and deleting, as the runtime does.
func TestConcurrentOutbox(t *testing.T) {
	db := mustOpen(t, "", Options{InMemory: true})
	defer db.Close()
	const batches, perBatch = 50, 20
	done := make(chan struct{})
	var wg sync.WaitGroup
	var published []uint64
	wg.Add(1)
	go func() {
		defer wg.Done()
		var after uint64
		for {
			finished := false
			select {
			case <-done:
				finished = true
			default:
			}
			var seqs []uint64
			err := db.ScanOutbox(after, 100, func(seq uint64, v []byte) error {
				if want := fmt.Sprintf("m%d", seq); string(v) != want {
					return fmt.Errorf("entry %d = %q, want %q", seq, v, want)
				}
				seqs = append(seqs, seq)
				return nil
			})
			if err != nil {
				t.Error(err)
				return
			}
			if len(seqs) > 0 {
				if err := db.DeleteOutbox(seqs...); err != nil {
					t.Error(err)
					return
				}
				published = append(published, seqs...)
				after = seqs[len(seqs)-1]
			} else if finished {
				return
			}
		}
	}()
	for i := 0; i < batches; i++ {
		b := db.NewBatch()
		for j := 0; j < perBatch; j++ {
			seq := uint64(i*perBatch + j + 1)
			got, err := b.AppendOutbox([]byte(fmt.Sprintf("m%d", seq)))
			if err != nil || got != seq {
				t.Fatalf("AppendOutbox = %d, %v; want %d", got, err, seq)
			}
		}
		if err := b.Set([]byte(fmt.Sprintf("k%03d", i)), []byte("v")); err != nil {
			t.Fatal(err)
		}
		if err := b.Commit(false); err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	wg.Wait()
	if len(published) != batches*perBatch {
		t.Fatalf("published %d entries, want %d", len(published), batches*perBatch)
	}
	for i, s := range published {
		if s != uint64(i+1) {
			t.Fatalf("published[%d] = %d: not in insertion order", i, s)
		}
	}
	if d, _ := db.OutboxDepth(); d != 0 {
		t.Errorf("depth = %d after publishing everything", d)
	}
}

func TestGetAppendReusesBuffer(t *testing.T) {
	db := mustOpen(t, "", Options{InMemory: true})
	defer db.Close()
	mustCommit(t, db, false, func(b *Batch) error { return b.Set([]byte("key"), []byte("value")) })
	b := db.NewBatch()
	defer b.Close()
	buf := make([]byte, 0, 64)
	v, ok, err := b.GetAppend(buf[:0], []byte("key"))
	if err != nil || !ok || string(v) != "value" || &v[0] != &buf[:1][0] {
		t.Fatalf("GetAppend = %q, %v, %v; want value in the caller's buffer", v, ok, err)
	}
	key := []byte("key")
	if !raceEnabled {
		allocs := testing.AllocsPerRun(100, func() {
			v, _, _ = b.GetAppend(buf[:0], key)
		})
		if allocs > 0 {
			t.Errorf("GetAppend of a DB key into a large enough buffer allocates %.1f times", allocs)
		}
	}
	// A key the batch wrote is read from the batch's write map: never an
	// allocation, whatever the build.
	bkey := []byte("batch-key")
	if err := b.Set(bkey, []byte("batch-value")); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(100, func() {
		v, _, _ = b.GetAppend(buf[:0], bkey)
	})
	if allocs > 0 || string(v) != "batch-value" {
		t.Errorf("GetAppend of a batch key = %q, allocating %.1f times", v, allocs)
	}
	// Get's result is a copy the caller owns.
	v1, _, _ := b.Get([]byte("key"))
	v1[0] = 'X'
	if v2, _, _ := b.Get([]byte("key")); string(v2) != "value" {
		t.Errorf("modifying Get's result changed the store: %q", v2)
	}
}

func TestMetrics(t *testing.T) {
	db := mustOpen(t, t.TempDir(), Options{CacheSize: 1 << 20})
	defer db.Close()
	mustCommit(t, db, true, func(b *Batch) error {
		for i := 0; i < 100; i++ {
			if err := b.Set([]byte(fmt.Sprintf("k%03d", i)), make([]byte, 100)); err != nil {
				return err
			}
		}
		_, err := b.AppendOutbox([]byte("m"))
		return err
	})
	m, err := db.Metrics()
	if err != nil {
		t.Fatal(err)
	}
	if m.DiskSpaceUsage == 0 || m.OutboxDepth != 1 || m.Failed {
		t.Errorf("Metrics = %+v", m)
	}
}

// TestCloseWaitsForCalls closes the DB while a batch scan is in its
// callback: Close waits for the scan, a call made after Close began fails
// with ErrClosed instead of deadlocking, and the scan ends normally.
func TestCloseWaitsForCalls(t *testing.T) {
	db := mustOpen(t, "", Options{InMemory: true})
	mustCommit(t, db, false, func(b *Batch) error { return b.Set([]byte("k"), []byte("v")) })
	b := db.NewBatch()
	inCallback := make(chan struct{})
	var scanDone atomic.Bool
	var nestedErr, scanErr error
	scanReturned := make(chan struct{})
	go func() {
		defer close(scanReturned)
		scanErr = b.Scan(nil, nil, func(k, v []byte) error {
			close(inCallback)
			for db.calls.Load()&closedBit == 0 { // until Close has begun
				time.Sleep(time.Millisecond)
			}
			nestedErr = b.Set([]byte("k2"), []byte("v2"))
			scanDone.Store(true)
			return nil
		})
	}()
	<-inCallback
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if !scanDone.Load() {
		t.Fatal("Close returned before the scan in progress ended")
	}
	<-scanReturned
	if scanErr != nil {
		t.Errorf("Scan = %v", scanErr)
	}
	if !errors.Is(nestedErr, ErrClosed) {
		t.Errorf("Set after Close began = %v, want ErrClosed", nestedErr)
	}
}
