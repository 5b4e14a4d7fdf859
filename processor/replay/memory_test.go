package replay_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/jmlwatch/jmlwatch/events"
	"github.com/jmlwatch/jmlwatch/processor/correlator"
	"github.com/jmlwatch/jmlwatch/processor/replay"
	"github.com/jmlwatch/jmlwatch/store"
)

// memWorkers, memLeaverEvery and memTargetBytes are the memory target of
// issue 3: peak RSS at most 300 MB with 1M workers and 100k open cases.
const (
	memWorkers     = 1_000_000
	memLeaverEvery = 10
	memTargetBytes = 300 << 20
)

// TestReplayPeakRSS replays 1M workers (an HR snapshot and an Okta
// account each, 20 workers a second) and then a leaver for every tenth
// worker, whose cases stay open, on an on-disk store opened with
// StoreOptions, encoding every output as jmlwatch replay does, and checks
// the process's peak RSS (VmHWM) against the target. It takes one to two
// minutes and a few hundred MB of disk, so it runs only with
// JMLWATCH_MEMORY_TEST=1 (docs/PERFORMANCE.md).
func TestReplayPeakRSS(t *testing.T) {
	if os.Getenv("JMLWATCH_MEMORY_TEST") != "1" {
		t.Skip("set JMLWATCH_MEMORY_TEST=1 to run (1-2 minutes)")
	}
	pol := benchPolicy(t)
	db, err := store.Open(t.TempDir(), replay.StoreOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	bw := bufio.NewWriterSize(io.Discard, 1<<16)
	start := time.Now()
	sum, err := replay.Run(context.Background(), replay.Config{
		Correlator: correlator.New(pol),
		State:      replay.StoreState(db),
		Sources:    []replay.Source{&memSource{}},
		Output:     replay.JSONLinesOutput(bw),
	})
	if err != nil {
		t.Fatal(err)
	}
	peak := peakRSS(t)
	t.Logf("%d records in %s; outputs %v; peak RSS %.0f MB (target %d MB)",
		sum.Read, time.Since(start).Round(time.Second), sum.Outputs, float64(peak)/(1<<20), memTargetBytes>>20)
	wantRead := 2*memWorkers + memWorkers/memLeaverEvery
	if sum.Read != wantRead || sum.Applied != wantRead {
		t.Errorf("read %d, applied %d; want %d each", sum.Read, sum.Applied, wantRead)
	}
	if got := sum.Outputs[events.TypeCaseOpened]; got != memWorkers/memLeaverEvery {
		t.Errorf("%d cases opened, want %d", got, memWorkers/memLeaverEvery)
	}
	if peak > memTargetBytes {
		t.Errorf("peak RSS %d bytes, over the %d-byte target", peak, memTargetBytes)
	}
}

// memSource generates TestReplayPeakRSS's records as JSON and decodes
// them, one at a time.
type memSource struct {
	i   int
	buf []byte
}

func (s *memSource) Next() (replay.Record, error) {
	base := benchBase
	n := s.i
	s.i++
	s.buf = s.buf[:0]
	switch {
	case n < 2*memWorkers:
		w := fmt.Sprintf("w%07d", n/2)
		at := base.Add(time.Duration(n/2/20) * time.Second).Format(time.RFC3339)
		if n%2 == 0 {
			s.buf = fmt.Appendf(s.buf, `{"specversion":"1.0","id":"s%s","source":"hr","type":"io.jmlwatch.hr.snapshot","time":%q,"datacontenttype":"application/json","data":{"worker_id":%q,"email":"%s@example.com","department":"Engineering"}}`, w, at, w, w)
		} else {
			s.buf = fmt.Appendf(s.buf, `{"specversion":"1.0","id":"a%s","source":"idp","type":"io.jmlwatch.account.created","time":%q,"datacontenttype":"application/json","data":{"system":"okta","account_id":"ok%s","worker_id":%q}}`, w, at, w, w)
		}
	case n < 2*memWorkers+memWorkers/memLeaverEvery:
		i := n - 2*memWorkers
		w := fmt.Sprintf("w%07d", i*memLeaverEvery)
		at := base.Add(time.Duration(memWorkers/20+3600+i) * time.Second).Format(time.RFC3339)
		s.buf = fmt.Appendf(s.buf, `{"specversion":"1.0","id":"L%s","source":"hr","type":"io.jmlwatch.hr.leaver","time":%q,"datacontenttype":"application/json","data":{"worker_id":%q,"effective_at":%q,"reason":"voluntary"}}`, w, at, w, at)
	default:
		return replay.Record{}, io.EOF
	}
	items := events.DecodeStructured(s.buf)
	if len(items) != 1 {
		return replay.Record{}, fmt.Errorf("record %d: %d items", n, len(items))
	}
	return replay.Record{Input: "generated", Line: n + 1, Item: items[0]}, nil
}

// peakRSS returns the process's peak resident set size (VmHWM).
func peakRSS(t *testing.T) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skipf("no peak RSS on this system: %v", err)
	}
	for line := range bytes.Lines(b) {
		if v, ok := bytes.CutPrefix(line, []byte("VmHWM:")); ok {
			kb, err := strconv.ParseInt(string(bytes.TrimSpace(bytes.TrimSuffix(bytes.TrimSpace(v), []byte("kB")))), 10, 64)
			if err != nil {
				t.Fatalf("VmHWM %q: %v", v, err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc/self/status")
	return 0
}
