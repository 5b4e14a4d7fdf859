package correlator

import (
	"fmt"
	"hash/maphash"
	"strings"
	"testing"
	"time"

	"github.com/jmlwatch/jmlwatch/events"
	"github.com/jmlwatch/jmlwatch/processor/internal/memkv"
	"github.com/jmlwatch/jmlwatch/processor/policy"
)

func hashOf(seed maphash.Seed, b []byte) uint64 { return maphash.Bytes(seed, b) }

func TestSeenFilter(t *testing.T) {
	seed := maphash.MakeSeed()
	const n = 50_000
	var f seenFilter
	f.reset(n) // room for 2n
	for i := range n {
		f.add(hashOf(seed, fmt.Appendf(nil, "src\x00in-%d", i)))
	}
	for i := range n {
		if !f.mayContain(hashOf(seed, fmt.Appendf(nil, "src\x00in-%d", i))) {
			t.Fatalf("false negative for key %d", i)
		}
	}
	fp := 0
	for i := range n {
		if f.mayContain(hashOf(seed, fmt.Appendf(nil, "src\x00out-%d", i))) {
			fp++
		}
	}
	// 16 bits a key, 6 hashes, blocked: about 0.1% expected here.
	if rate := float64(fp) / n; rate > 0.01 {
		t.Errorf("false positive rate %.4f, want < 1%%", rate)
	}
	if f.full() {
		t.Errorf("full after %d adds, capacity %d", n, f.capacity)
	}
}

// TestSeenState: a repeat is a duplicate when its key was written by an
// earlier Tx (the index is built from the state), when it was written by
// this Tx, and after its bucket's filter and the filter over all buckets
// filled up and were rebuilt; once
// the clock passes its expiry it is not, and its bucket is deleted.
func TestSeenState(t *testing.T) {
	pol := seenPolicy(t, "dedupe_window: 16h\n")
	kv := memkv.New()
	c := New(pol)
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	apply := func(tx *Tx, id string, clock time.Time) Outcome { return snapshotAt(t, tx, id, t0, clock) }
	dkeys := func() int { return len(dedupeEnds(kv)) }
	tx1 := c.NewTx(kv)
	if oc := apply(tx1, "e1", t0); oc != Applied {
		t.Fatalf("first e1: %v", oc)
	}
	if err := tx1.Flush(); err != nil {
		t.Fatal(err)
	}
	tx2 := c.NewTx(kv)
	if oc := apply(tx2, "e1", t0); oc != Duplicate {
		t.Fatalf("e1 again in a new Tx: %v, want duplicate", oc)
	}
	if oc := apply(tx2, "e2", t0); oc != Applied {
		t.Fatalf("first e2: %v", oc)
	}
	if oc := apply(tx2, "e2", t0); oc != Duplicate {
		t.Fatalf("e2 again: %v, want duplicate", oc)
	}
	for _, b := range tx2.seen.buckets {
		b.adds = b.capacity // full: the next add rebuilds it
	}
	tx2.seen.all.adds = tx2.seen.all.capacity // the filter over all buckets too
	if oc := apply(tx2, "e3", t0); oc != Applied {
		t.Fatalf("first e3: %v", oc)
	}
	for _, id := range []string{"e1", "e2", "e3"} {
		if oc := apply(tx2, id, t0.Add(16*time.Hour)); oc != Duplicate {
			t.Fatalf("%s at the clock = expiry: %v, want duplicate", id, oc)
		}
	}
	if n := dkeys(); n != 3 {
		t.Fatalf("%d de-duplication keys, want 3", n)
	}
	// Past the expiry (t0 + 16h) and the end of its bucket (1h wide).
	if oc := apply(tx2, "e1", t0.Add(17*time.Hour)); oc != Applied {
		t.Fatalf("e1 past the window: %v, want applied", oc)
	}
	if n := dkeys(); n != 0 {
		t.Fatalf("%d de-duplication keys after the window, want 0 (the record at t0 is past it)", n)
	}
}

func BenchmarkSeenFilter(b *testing.B) {
	seed := maphash.MakeSeed()
	var f seenFilter
	f.reset(1 << 20)
	for i := range 1 << 20 {
		f.add(hashOf(seed, fmt.Appendf(nil, "src\x00in-%d", i)))
	}
	keys := make([]uint64, 1024)
	for i := range keys {
		keys[i] = hashOf(seed, fmt.Appendf(nil, "src\x00out-%d", i))
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		f.mayContain(keys[i&1023])
	}
}

// TestStateFormat: a new state is stamped with the format; a state of an
// older format this version reads is read and stamped; a state of another format, or of
// format 1 (a clock and no version key), is refused.
func TestStateFormat(t *testing.T) {
	pol := seenPolicy(t, "")
	c := New(pol)
	kv := memkv.New()
	if _, err := c.NewTx(kv).Clock(); err != nil {
		t.Fatalf("new state: %v", err)
	}
	if v, ok, _ := kv.Get([]byte{keyFormatB}); !ok || len(v) != 1 || v[0] != stateFormat {
		t.Fatalf("format key = %v, %v", v, ok)
	}
	if _, err := c.NewTx(kv).Clock(); err != nil {
		t.Fatalf("same format: %v", err)
	}
	if err := CheckFormat(kv); err != nil {
		t.Fatalf("CheckFormat of a stamped state: %v", err)
	}
	if err := CheckFormat(memkv.New()); err != nil {
		t.Fatalf("CheckFormat of an empty state: %v", err)
	}
	old := memkv.New()
	_ = old.Set([]byte{keyClockB}, appendTime(nil, time.Unix(0, 0)))
	if err := CheckFormat(old); err == nil {
		t.Fatal("CheckFormat of a format 1 state: nil, want a refusal")
	}
	if _, err := c.NewTx(old).Clock(); err == nil || !strings.Contains(err.Error(), "state format 1") {
		t.Fatalf("format 1 state: %v, want a refusal", err)
	}
	// The formats before this one are read and stamped with this one.
	for f := oldestFormat; f < stateFormat; f++ {
		_ = kv.Set([]byte{keyFormatB}, []byte{byte(f)})
		if err := CheckFormat(kv); err != nil {
			t.Fatalf("CheckFormat of a format %d state: %v", f, err)
		}
		if _, err := c.NewTx(kv).Clock(); err != nil {
			t.Fatalf("format %d state: %v", f, err)
		}
		if v, ok, _ := kv.Get([]byte{keyFormatB}); !ok || len(v) != 1 || v[0] != stateFormat {
			t.Fatalf("format key after opening a format %d state = %v, %v; want %d", f, v, ok, stateFormat)
		}
	}
	_ = kv.Set([]byte{keyFormatB}, []byte{stateFormat + 1})
	if _, err := c.NewTx(kv).Clock(); err == nil || !strings.Contains(err.Error(), "--rebuild") {
		t.Fatalf("newer format: %v, want a refusal naming --rebuild", err)
	}
}

// TestSeenExtremes: keys at the ends of the times keys can hold are stored
// under the bucket end the index keeps (so expiry deletes them), and a
// window key never lands in the bucket of cases.
func TestSeenExtremes(t *testing.T) {
	pol := seenPolicy(t, "dedupe_window: 720h\n")
	snap := func(tx *Tx, id string, at time.Time) Outcome { return snapshotAt(t, tx, id, at, at) }
	dkeys := dedupeEnds
	kv := memkv.New()
	tx := New(pol).NewTx(kv)
	if oc := snap(tx, "old", time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC)); oc != Applied {
		t.Fatalf("1600: %v", oc)
	}
	if oc := snap(tx, "old", time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC)); oc != Duplicate {
		t.Fatalf("1600 again: %v, want duplicate", oc)
	}
	snap(tx, "now", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if ends := dkeys(kv); len(ends) != 1 {
		t.Errorf("keys left after the clock passed the 1600 key's window: %v, want only 2026's", ends)
	}
	kv2 := memkv.New()
	tx2 := New(pol).NewTx(kv2)
	snap(tx2, "late", time.Date(2262, 4, 1, 0, 0, 0, 0, time.UTC))
	if ends := dkeys(kv2); len(ends) != 1 || !ends[0].Before(maxTime) {
		t.Errorf("2262 key stored under bucket ends %v, want one below the cases' %v", ends, maxTime)
	}
	if oc := snap(tx2, "late", time.Date(2262, 4, 1, 0, 0, 0, 0, time.UTC)); oc != Duplicate {
		t.Errorf("2262 again: %v, want duplicate", oc)
	}
}

// seenPolicy parses a policy of the given extra lines and the four SLA
// rules every policy needs.
func seenPolicy(t *testing.T, extra string) *policy.Policy {
	t.Helper()
	pol, err := policy.Parse([]byte(extra+"slas:\n  - {kind: leaver, deadline: 24h}\n  - {kind: nhi, deadline: 168h}\n  - {kind: joiner, deadline: 0s}\n  - {kind: mover, deadline: 72h}\n"), "test")
	if err != nil {
		t.Fatal(err)
	}
	return pol
}

// snapshotAt moves tx's clock to clock and applies an HR snapshot of w1
// with the given id and time.
func snapshotAt(t *testing.T, tx *Tx, id string, at, clock time.Time) Outcome {
	t.Helper()
	if _, err := tx.Advance(clock, nil); err != nil {
		t.Fatal(err)
	}
	_, oc, err := tx.Apply(&events.Input{ID: id, Source: "hr", Type: events.TypeHRSnapshot, Time: at,
		HR: &events.HRData{WorkerID: "w1"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return oc
}

// dedupeEnds returns the bucket end of every de-duplication key in kv.
func dedupeEnds(kv *memkv.KV) (ends []time.Time) {
	for _, k := range kv.Keys() {
		if k[0] == pDedupe {
			ends = append(ends, readTime([]byte(k[1:9])))
		}
	}
	return ends
}

// TestSeenCaseTriggers: a trigger that opened a case writes no
// de-duplication key; a repeat is a duplicate while the case is retained,
// in the same Tx and in a new one (whose filters are built from the case
// index); a trigger key of a format 2 state (d<maxTime>, value "c") is
// still honoured.
func TestSeenCaseTriggers(t *testing.T) {
	pol := seenPolicy(t, "")
	kv := memkv.New()
	c := New(pol)
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	leaver := func(tx *Tx, id string) Outcome {
		t.Helper()
		_, oc, err := tx.Apply(&events.Input{ID: id, Source: "hr", Type: events.TypeHRLeaver, Time: t0,
			HR: &events.HRData{WorkerID: "w-" + id, EffectiveAt: &events.EffectiveTime{Instant: t0}, Reason: "voluntary"}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return oc
	}
	tx := c.NewTx(kv)
	if oc := leaver(tx, "L1"); oc != Applied {
		t.Fatalf("L1: %v", oc)
	}
	if oc := leaver(tx, "L1"); oc != Duplicate {
		t.Fatalf("L1 again in the same Tx: %v, want duplicate", oc)
	}
	if err := tx.Flush(); err != nil {
		t.Fatal(err)
	}
	if n := len(dedupeEnds(kv)); n != 0 {
		t.Fatalf("%d de-duplication keys after a trigger that opened a case, want 0", n)
	}
	// A format 2 state's key for another trigger.
	_ = kv.Set(append(timeBound(pDedupe, maxTime), appendSuffix(nil, "hr", "L9")...), []byte{dedupeCase})
	tx = c.NewTx(kv)
	for _, id := range []string{"L1", "L9"} {
		if oc := leaver(tx, id); oc != Duplicate {
			t.Fatalf("%s in a new Tx: %v, want duplicate", id, oc)
		}
	}
	if oc := leaver(tx, "L2"); oc != Applied {
		t.Fatalf("L2: %v", oc)
	}
}
