package replay_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime/pprof"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/jmlwatch/jmlwatch/events"
	"github.com/jmlwatch/jmlwatch/events/okta"
	"github.com/jmlwatch/jmlwatch/processor/correlator"
	"github.com/jmlwatch/jmlwatch/processor/policy"
	"github.com/jmlwatch/jmlwatch/processor/replay"
	"github.com/jmlwatch/jmlwatch/store"
)

// The replay benchmarks measure the correlator on Pebble (an on-disk store
// in a temporary directory, opened with replay.StoreOptions except for the
// block cache: benchCache, the "large cache", or in the
// sub-benchmarks named cache=8MiB Pebble's default 8 MiB) with
// benchWorkers workers of state loaded, and the store compacted, before the
// timer starts. Records are decoded from bytes
// inside the timed loop, as replay does. See docs/PERFORMANCE.md for
// figures and method.
const (
	benchWorkers = 100_000
	benchCache   = 256 << 20
)

// benchOptions returns the store options of the benchmarks, with a block
// cache of cache bytes.
func benchOptions(cache int64) store.Options {
	o := replay.StoreOptions()
	o.CacheSize = cache
	return o
}

// caches are the block cache sizes the correlator and the naive loop are
// compared at: Pebble's default and a large one (issue 3).
var caches = []struct {
	name string
	size int64
}{{"cache=8MiB", 8 << 20}, {"cache=256MiB", benchCache}}

// cpuTime returns the process's user+system CPU time: on a shared machine
// it measures the work better than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// report adds rate metrics per wall second and per CPU second.
func report(b *testing.B, n int, wall time.Time, cpu time.Duration, unit string) {
	b.ReportMetric(float64(n)/time.Since(wall).Seconds(), unit+"/s")
	if d := cpuTime() - cpu; d > 0 {
		b.ReportMetric(float64(n)/d.Seconds(), unit+"/cpu-s")
	}
}

var benchBase = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func benchPolicy(b testing.TB) *policy.Policy {
	raw, err := os.ReadFile("testdata/scenarios/policy.yaml")
	if err != nil {
		b.Fatal(err)
	}
	p, err := policy.Parse(raw, "policy.yaml")
	if err != nil {
		b.Fatal(err)
	}
	return p
}

func ce(typ, id string, t time.Time, data map[string]any) []byte {
	b, _ := json.Marshal(map[string]any{
		"specversion": "1.0", "id": id, "source": "bench", "type": typ,
		"time": t.Format(time.RFC3339Nano), "datacontenttype": "application/json", "data": data,
	})
	return b
}

// byteSource decodes pre-built records, as a file source would.
type byteSource struct {
	recs   [][]byte
	decode func([]byte) []events.Item
	i      int
	buf    []events.Item
}

func (s *byteSource) Next() (replay.Record, error) {
	for len(s.buf) == 0 {
		if s.i == len(s.recs) {
			return replay.Record{}, io.EOF
		}
		s.buf = s.decode(s.recs[s.i])
		s.i++
	}
	it := s.buf[0]
	s.buf = s.buf[1:]
	return replay.Record{Input: "bench", Line: s.i, Item: it}, nil
}

// loadWorkers opens a store with a block cache of cache bytes and loads n
// workers, each with an HR snapshot and an Okta account, through the
// correlator. It then compacts the store, so that timing starts on a
// settled LSM rather than on the load's compaction debt (as loadNaive).
func loadWorkers(b *testing.B, pol *policy.Policy, n int, cache int64) *store.DB {
	db, err := store.Open(b.TempDir(), benchOptions(cache))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	var recs [][]byte
	for i := range n {
		t := benchBase.Add(time.Duration(i) * time.Second)
		w := fmt.Sprintf("w%07d", i)
		recs = append(recs,
			ce(events.TypeHRSnapshot, "s"+w, t, map[string]any{"worker_id": w, "email": w + "@example.com", "department": "Engineering"}),
			ce(events.TypeAccountCreated, "a"+w, t, map[string]any{"system": "okta", "account_id": "ok" + w, "worker_id": w}))
	}
	runBench(b, pol, db, &byteSource{recs: recs, decode: events.DecodeStructured})
	if err := db.Compact(); err != nil {
		b.Fatal(err)
	}
	return db
}

func runBench(b *testing.B, pol *policy.Policy, db *store.DB, srcs ...replay.Source) replay.Summary {
	sum, err := replay.Run(context.Background(), replay.Config{
		Correlator: correlator.New(pol),
		State:      replay.StoreState(db),
		Sources:    srcs,
		Output:     func(events.Output) error { return nil },
	})
	if err != nil {
		b.Fatal(err)
	}
	if sum.Rejected > 0 {
		b.Fatalf("%d records rejected", sum.Rejected)
	}
	return sum
}

// workerOrder returns the worker of the i-th lifecycle pair: workers in id
// order (the best case for Pebble's block cache and the memtable), or in a
// fixed pseudo-random order, as real events arrive.
func workerOrder(random bool) func(i int) string {
	perm := make([]int, benchWorkers)
	for i := range perm {
		perm[i] = i
	}
	if random {
		rand.New(rand.NewPCG(1, 2)).Shuffle(len(perm), func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
	}
	return func(i int) string { return fmt.Sprintf("w%07d", perm[i%benchWorkers]) }
}

var orders = []struct {
	name   string
	random bool
}{{"order=id", false}, {"order=random", true}}

// profileTimed writes a CPU profile of the timed part of a benchmark to
// $JMLWATCH_BENCH_CPUPROFILE, if set (go test -cpuprofile would include
// the seconds spent loading the workers).
func profileTimed(b *testing.B) {
	path := os.Getenv("JMLWATCH_BENCH_CPUPROFILE")
	if path == "" {
		return
	}
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		pprof.StopCPUProfile()
		f.Close()
	})
}

// storeMetrics, if $JMLWATCH_BENCH_METRICS is set, logs what the store did
// between its call and the call of the function it returns; if it is
// "lsm", it also prints Pebble's report of the LSM (cumulative since the
// store opened) to stderr.
func storeMetrics(b *testing.B, db *store.DB) func() {
	if os.Getenv("JMLWATCH_BENCH_METRICS") == "" {
		return func() {}
	}
	m0, err := db.Metrics()
	if err != nil {
		b.Fatal(err)
	}
	return func() {
		m, err := db.Metrics()
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("flushes %d, compactions %d, block cache hits %d misses %d, row cache hits %d misses %d, disk %d MB",
			m.Flushes-m0.Flushes, m.Compactions-m0.Compactions,
			m.BlockCacheHits-m0.BlockCacheHits, m.BlockCacheMisses-m0.BlockCacheMisses,
			m.RowCacheHits-m0.RowCacheHits, m.RowCacheMisses-m0.RowCacheMisses, m.DiskSpaceUsage>>20)
		if os.Getenv("JMLWATCH_BENCH_METRICS") == "lsm" {
			lsm, err := db.LSM()
			if err != nil {
				b.Fatal(err)
			}
			fmt.Fprintln(os.Stderr, lsm)
		}
	}
}

// lifecycle returns n lifecycle records: for successive workers (in the
// order of worker) a leaver trigger and the disable that completes it.
func lifecycle(n int, worker func(int) string) [][]byte {
	recs := make([][]byte, 0, n)
	start := benchBase.Add(30 * 24 * time.Hour)
	for i := 0; len(recs) < n; i++ {
		w := worker(i)
		t := start.Add(time.Duration(i) * time.Minute)
		recs = append(recs, ce(events.TypeHRLeaver, fmt.Sprintf("L%d", i), t,
			map[string]any{"worker_id": w, "effective_at": t.Format(time.RFC3339), "reason": "voluntary"}))
		if len(recs) < n {
			recs = append(recs, ce(events.TypeAccountDisabled, fmt.Sprintf("d%d", i), t.Add(30*time.Second),
				map[string]any{"system": "okta", "account_id": "ok" + w, "worker_id": w}))
		}
	}
	return recs
}

// BenchmarkReplayLifecycle is workload (a): lifecycle events only.
func BenchmarkReplayLifecycle(b *testing.B) {
	for _, c := range caches {
		for _, o := range orders {
			b.Run(c.name+"/"+o.name, func(b *testing.B) {
				pol := benchPolicy(b)
				db := loadWorkers(b, pol, benchWorkers, c.size)
				recs := lifecycle(b.N, workerOrder(o.random))
				b.ResetTimer()
				profileTimed(b)
				defer storeMetrics(b, db)()
				start, cpu := time.Now(), cpuTime()
				runBench(b, pol, db, &byteSource{recs: recs, decode: events.DecodeStructured})
				report(b, b.N, start, cpu, "events")
			})
		}
	}
}

// BenchmarkReplayMixed is workload (b): about 20 Okta noise records
// (user.authentication.sso) per lifecycle event, on a second input.
func BenchmarkReplayMixed(b *testing.B) {
	pol := benchPolicy(b)
	db := loadWorkers(b, pol, benchWorkers, benchCache)
	noise, err := os.ReadFile("../../events/okta/testdata/noise_user_authentication_sso.json")
	if err != nil {
		b.Fatal(err)
	}
	noise = bytes.Join(bytes.Fields(noise), []byte(" "))
	life := lifecycle(b.N/21+1, workerOrder(true))
	var noiseRecs [][]byte
	start := benchBase.Add(30 * 24 * time.Hour)
	for i := 0; len(noiseRecs)+len(life) < b.N; i++ {
		t := start.Add(time.Duration(i) * 3 * time.Second).Format(time.RFC3339)
		noiseRecs = append(noiseRecs, bytes.Replace(noise, []byte(`"published"`), []byte(`"published":"`+t+`","x"`), 1))
	}
	aliases := pol.Aliases
	b.ResetTimer()
	profileTimed(b)
	start, cpu := time.Now(), cpuTime()
	sum := runBench(b, pol, db,
		&byteSource{recs: life, decode: events.DecodeStructured},
		&byteSource{recs: noiseRecs, decode: func(v []byte) []events.Item { return okta.Decode(v, aliases) }})
	report(b, sum.Read, start, cpu, "records")
}

// naiveWorker is the state a naive processor keeps per worker: one JSON
// document, decoded and re-encoded by every event of the worker.
type naiveWorker struct {
	WorkerID   string         `json:"worker_id"`
	Email      string         `json:"email"`
	Department string         `json:"department"`
	Accounts   []naiveAccount `json:"accounts"`
	Cases      []naiveCase    `json:"cases,omitempty"`
}

type naiveAccount struct {
	System    string `json:"system"`
	AccountID string `json:"account_id"`
	Status    string `json:"status"`
}

type naiveCase struct {
	Kind      string     `json:"kind"`
	ID        string     `json:"id"`
	Opened    time.Time  `json:"opened"`
	Completed *time.Time `json:"completed,omitempty"`
}

// naiveEvent is one event of workload (a), already decoded: the naive loop
// measures the state access alone.
type naiveEvent struct {
	key     []byte
	leaver  bool
	id      string
	at      time.Time
	account string
}

// naiveKV is the store under a naive loop: a Get of a copy of the value
// and a one-key unsynced commit; compact flushes and compacts everything.
type naiveKV interface {
	get(key []byte) ([]byte, error)
	set(key, value []byte) error
	compact() error
}

// storeKV is a naiveKV over jmlwatch's store.
type storeKV struct{ db *store.DB }

func (s storeKV) get(key []byte) ([]byte, error) {
	v, ok, err := s.db.Get(key)
	if err == nil && !ok {
		err = fmt.Errorf("%s not found", key)
	}
	return v, err
}

func (s storeKV) compact() error { return s.db.Compact() }

func (s storeKV) set(key, value []byte) error {
	batch := s.db.NewBatch()
	if err := batch.Set(key, value); err != nil {
		return err
	}
	return batch.Commit(false)
}

// pebbleKV is a naiveKV over Pebble itself, with Pebble's default options
// but the block cache.
type pebbleKV struct{ db *pebble.DB }

func (p pebbleKV) get(key []byte) ([]byte, error) {
	v, closer, err := p.db.Get(key)
	if err != nil {
		return nil, err
	}
	defer closer.Close()
	return bytes.Clone(v), nil
}

func (p pebbleKV) set(key, value []byte) error { return p.db.Set(key, value, pebble.NoSync) }

func (p pebbleKV) compact() error {
	if err := p.db.Flush(); err != nil {
		return err
	}
	return p.db.Compact(context.Background(), []byte{0}, []byte{0xff}, true)
}

// quietLogger drops Pebble's informational lines, which would break the
// benchmark output, and reports its errors. Fatalf panics: Pebble calls
// it from its own goroutines, where b.Fatalf would end only that goroutine.
type quietLogger struct{ b *testing.B }

func (quietLogger) Infof(string, ...any)           {}
func (l quietLogger) Errorf(f string, args ...any) { l.b.Errorf(f, args...) }
func (quietLogger) Fatalf(f string, args ...any)   { panic(fmt.Sprintf("pebble: "+f, args...)) }

// naiveStores are the stores the naive loops run on:
//   - "pebble": Pebble with its default options (write-ahead log on, 4 MiB
//     memtables) but the block cache: the issue's
//     reference loop, whose figures on this machine it reproduces
//     (docs/PERFORMANCE.md);
//   - "replay": jmlwatch's store with the correlator benchmarks' options
//     (no write-ahead log, 8 MiB memtables), without the row cache, which
//     is not Pebble's: the stricter reference.
var naiveStores = []string{"pebble", "replay"}

// openNaive opens the named naive store in a temporary directory, with a
// block cache of size bytes.
func openNaive(b *testing.B, name string, size int64) naiveKV {
	switch name {
	case "pebble":
		cache := pebble.NewCache(size)
		defer cache.Unref()
		db, err := pebble.Open(b.TempDir(), &pebble.Options{Cache: cache, Logger: quietLogger{b}})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		return pebbleKV{db}
	case "replay":
		opts := benchOptions(size)
		opts.RowCacheSize = 0
		db, err := store.Open(b.TempDir(), opts)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		return storeKV{db}
	}
	b.Fatalf("unknown naive store %q", name)
	return nil
}

// loadNaive loads n workers into kv as naiveWorker documents (an HR
// snapshot and an Okta account), then compacts kv (as loadWorkers).
func loadNaive(b *testing.B, kv naiveKV, n int) {
	for i := range n {
		w := fmt.Sprintf("w%07d", i)
		v, err := json.Marshal(naiveWorker{WorkerID: w, Email: w + "@example.com", Department: "Engineering",
			Accounts: []naiveAccount{{System: "okta", AccountID: "ok" + w, Status: "active"}}})
		if err != nil {
			b.Fatal(err)
		}
		if err := kv.set([]byte("w"+w), v); err != nil {
			b.Fatal(err)
		}
	}
	if err := kv.compact(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkNaiveReadModifyWrite is the reference of issue 3: for each
// event of workload (a), one Pebble read of the event's worker, its JSON
// document decoded, changed (a leaver opens a case; a disable marks the
// account and completes the case) and encoded again with encoding/json,
// and one single-key unsynced commit, on each of naiveStores with each of
// caches. Nothing else is done: the events come already decoded.
func BenchmarkNaiveReadModifyWrite(b *testing.B) {
	for _, st := range naiveStores {
		for _, c := range caches {
			for _, o := range orders {
				b.Run("store="+st+"/"+c.name+"/"+o.name, func(b *testing.B) {
					kv := openNaive(b, st, c.size)
					loadNaive(b, kv, benchWorkers)
					worker := workerOrder(o.random)
					evs := make([]naiveEvent, b.N)
					start := benchBase.Add(30 * 24 * time.Hour)
					for i := range evs {
						w := worker(i / 2) // a leaver and its disable
						evs[i] = naiveEvent{key: []byte("w" + w), leaver: i%2 == 0, id: fmt.Sprintf("L%d", i/2),
							at: start.Add(time.Duration(i/2) * time.Minute), account: "ok" + w}
					}
					b.ResetTimer()
					profileTimed(b)
					start, cpu := time.Now(), cpuTime()
					for _, ev := range evs {
						v, err := kv.get(ev.key)
						if err != nil {
							b.Fatal("reading ", string(ev.key), ": ", err)
						}
						var w naiveWorker
						if err := json.Unmarshal(v, &w); err != nil {
							b.Fatal(err)
						}
						naiveModify(&w, ev)
						if v, err = json.Marshal(&w); err != nil {
							b.Fatal(err)
						}
						if err := kv.set(ev.key, v); err != nil {
							b.Fatal(err)
						}
					}
					report(b, b.N, start, cpu, "events")
				})
			}
		}
	}
}

func naiveModify(w *naiveWorker, ev naiveEvent) {
	if ev.leaver {
		w.Cases = append(w.Cases, naiveCase{Kind: "leaver", ID: ev.id, Opened: ev.at})
		return
	}
	for i := range w.Accounts {
		if w.Accounts[i].AccountID == ev.account {
			w.Accounts[i].Status = "disabled"
		}
	}
	for i := range w.Cases {
		if w.Cases[i].Completed == nil {
			w.Cases[i].Completed = &ev.at
		}
	}
}

// BenchmarkNaiveGetSet is the bare floor, for comparison only: the naive
// loop without the decode, change and encode, writing back the bytes it
// read (so Pebble's compactions have next to nothing new to write), on the
// correlator benchmarks' store, row cache included.
func BenchmarkNaiveGetSet(b *testing.B) {
	for _, o := range orders {
		b.Run(o.name, func(b *testing.B) {
			db, err := store.Open(b.TempDir(), benchOptions(benchCache))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { db.Close() })
			kv := storeKV{db}
			loadNaive(b, kv, benchWorkers)
			worker := workerOrder(o.random)
			keys := make([][]byte, b.N)
			for i := range keys {
				keys[i] = []byte("w" + worker(i/2)) // a leaver and its disable
			}
			b.ResetTimer()
			profileTimed(b)
			start, cpu := time.Now(), cpuTime()
			for _, k := range keys {
				v, err := kv.get(k)
				if err != nil {
					b.Fatal(err)
				}
				if err := kv.set(k, v); err != nil {
					b.Fatal(err)
				}
			}
			report(b, b.N, start, cpu, "events")
		})
	}
}
