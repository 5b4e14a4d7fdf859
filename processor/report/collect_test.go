package report

import (
	"math/rand/v2"
	"testing"
)

// TestUpsertStep: the list walk and the big-case index find the same steps
// as a map, for cases on both sides of the threshold.
func TestUpsertStep(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	c := newCollector()
	ref := map[stepKey]*stepRec{}
	var cases []int32
	for range 5 {
		idx, _ := c.caseRec(rng.Uint64())
		cases = append(cases, idx)
	}
	for range 20000 {
		idx := cases[rng.IntN(len(cases))]
		id := rng.Uint64N(uint64(bigCase * 3)) // repeats are frequent
		st := c.upsertStep(idx, stepInfo{id: id})
		k := stepKey{idx, id}
		if want, ok := ref[k]; ok && want != st {
			t.Fatalf("case %d step %d: a second record", idx, id)
		}
		ref[k] = st
	}
	// Every step is in its case's list exactly once.
	for _, idx := range cases {
		seen := map[uint64]bool{}
		for j := c.recs.at(idx).firstStep; j >= 0; j = c.steps.at(j).next {
			id := c.steps.at(j).id
			if seen[id] {
				t.Fatalf("case %d: step %d listed twice", idx, id)
			}
			seen[id] = true
			if ref[stepKey{idx, id}] != c.steps.at(j) {
				t.Fatalf("case %d: step %d is not the upserted record", idx, id)
			}
		}
		n := 0
		for k := range ref {
			if k.caseIdx == idx {
				n++
			}
		}
		if n != len(seen) {
			t.Fatalf("case %d: %d steps listed, %d upserted", idx, len(seen), n)
		}
	}
}
