package runtime

import (
	"testing"
	"time"
)

// TestPartitionStands: with backlog, a partition stands at the largest
// time read from it, whatever the order its elements come in.
func TestPartitionStands(t *testing.T) {
	t0 := time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC)
	var p partition
	for _, at := range []time.Time{t0, t0.Add(time.Hour), t0.Add(time.Minute), {}} {
		p.read(at)
	}
	if want := t0.Add(time.Hour); !p.stand.Equal(want) {
		t.Fatalf("the partition stands at %v after reading t0, t0+1h, t0+1m; want %v", p.stand, want)
	}
}
