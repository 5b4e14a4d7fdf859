package correlator

import (
	"fmt"
	"testing"
	"time"

	"github.com/jmlwatch/jmlwatch/events"
	"github.com/jmlwatch/jmlwatch/processor/internal/memkv"
	"github.com/jmlwatch/jmlwatch/processor/policy"
)

func TestSeenFilter(t *testing.T) {
	var f seenFilter
	f.reset(0)
	const n = 50_000
	for i := range n {
		f.add(fmt.Appendf(nil, "dsrc\x00in-%d", i))
	}
	for i := range n {
		if !f.mayContain(fmt.Appendf(nil, "dsrc\x00in-%d", i)) {
			t.Fatalf("false negative for key %d", i)
		}
	}
	fp := 0
	for i := range n {
		if f.mayContain(fmt.Appendf(nil, "dsrc\x00out-%d", i)) {
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

// TestSeenFilterState: a repeat is a duplicate when its key was written by
// an earlier Tx (the filter is built from the state), when it was written
// by this Tx, and after the filter filled up and was rebuilt.
func TestSeenFilterState(t *testing.T) {
	pol, err := policy.Parse([]byte("slas:\n  - {kind: leaver, deadline: 24h}\n  - {kind: nhi, deadline: 168h}\n  - {kind: joiner, deadline: 0s}\n  - {kind: mover, deadline: 72h}\n"), "test")
	if err != nil {
		t.Fatal(err)
	}
	kv := memkv.New()
	c := New(pol)
	snap := func(id string) *events.Input {
		return &events.Input{ID: id, Source: "hr", Type: events.TypeHRSnapshot, Time: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
			HR: &events.HRData{WorkerID: "w1"}}
	}
	apply := func(tx *Tx, id string) Outcome {
		t.Helper()
		_, oc, err := tx.Apply(snap(id), nil)
		if err != nil {
			t.Fatal(err)
		}
		return oc
	}
	tx1 := c.NewTx(kv)
	if oc := apply(tx1, "e1"); oc != Applied {
		t.Fatalf("first e1: %v", oc)
	}
	if err := tx1.Flush(); err != nil {
		t.Fatal(err)
	}
	tx2 := c.NewTx(kv)
	if oc := apply(tx2, "e1"); oc != Duplicate {
		t.Fatalf("e1 again in a new Tx: %v, want duplicate", oc)
	}
	if oc := apply(tx2, "e2"); oc != Applied {
		t.Fatalf("first e2: %v", oc)
	}
	if oc := apply(tx2, "e2"); oc != Duplicate {
		t.Fatalf("e2 again: %v, want duplicate", oc)
	}
	// Fill the filter so that the next lookup rebuilds it.
	tx2.seen.adds = tx2.seen.capacity
	if oc := apply(tx2, "e1"); oc != Duplicate {
		t.Fatalf("e1 after a rebuild: %v, want duplicate", oc)
	}
	if tx2.seen.full() {
		t.Fatal("filter still full after the rebuild")
	}
}

func BenchmarkSeenFilter(b *testing.B) {
	var f seenFilter
	f.reset(1 << 20)
	for i := range 1 << 20 {
		f.add(fmt.Appendf(nil, "dsrc\x00in-%d", i))
	}
	keys := make([][]byte, 1024)
	for i := range keys {
		keys[i] = fmt.Appendf(nil, "dsrc\x00out-%d", i)
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		f.mayContain(keys[i&1023])
	}
}
