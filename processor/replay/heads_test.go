package replay

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/jmlwatch/jmlwatch/events"
)

// TestHeadsOrder: the merge heap pops its heads by time, then source,
// whatever the order they were pushed in and as heads are popped and
// pushed in turn, as Run does.
func TestHeadsOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func() time.Time { return t0.Add(time.Duration(rng.IntN(5)) * time.Minute) } // many ties
	next := func(src int) head {
		return head{rec: Record{Item: events.Item{Event: &events.Input{Time: at()}}}, src: src}
	}
	const sources = 9
	var hs heads
	for _, src := range rng.Perm(sources) {
		hs.push(next(src))
	}
	for range 500 {
		h := hs.pop()
		if len(hs) != sources-1 {
			t.Fatalf("%d heads after a pop, want %d", len(hs), sources-1)
		}
		for _, o := range hs {
			if ot, ht := o.rec.time(), h.rec.time(); ot.Before(ht) || ot.Equal(ht) && o.src < h.src {
				t.Fatalf("popped source %d at %v while source %d at %v was in the heap", h.src, ht, o.src, ot)
			}
		}
		hs.push(next(h.src)) // the source's next record
	}
}
