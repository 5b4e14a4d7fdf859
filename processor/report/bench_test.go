package report

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// genFile writes n synthetic events (cases over days days) to path.
func genFile(tb testing.TB, path string, n, days int) (events, size int64) {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	// ~5.2 events a case.
	spacing := time.Duration(days) * 24 * time.Hour / time.Duration(n*10/52+1)
	g := newGenerator(42, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), spacing)
	events, size, err = g.writeEvents(f, n)
	if err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return events, size
}

// BenchmarkBuild reads 500k synthetic events (default period: the last 30
// of 90 days) per iteration; see docs/PERFORMANCE.md for the 10M run.
func BenchmarkBuild(b *testing.B) {
	path := filepath.Join(b.TempDir(), "events.jsonl")
	n, size := genFile(b, path, 500_000, 90)
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rep, err := Build(context.Background(), Options{Inputs: []string{path}})
		if err != nil {
			b.Fatal(err)
		}
		if rep.Events != n {
			b.Fatalf("read %d events, want %d", rep.Events, n)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(int64(b.N)*n), "ns/event")
}

// BenchmarkDecode measures the decoder alone on one step.completed line.
func BenchmarkDecode(b *testing.B) {
	g := newGenerator(1, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Minute)
	var line []byte
	for line == nil {
		for _, o := range g.nextCase() {
			if o.Type == "io.jmlwatch.step.completed" {
				var err error
				if line, err = eventsEncode(o); err != nil {
					b.Fatal(err)
				}
				break
			}
		}
	}
	var d decoder
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.decode(line); err != nil {
			b.Fatal(err)
		}
	}
}

// TestLargeRun is the documented 10M-event run (docs/PERFORMANCE.md). It
// runs only when JMLWATCH_REPORT_LARGE names a file: generated there with
// JMLWATCH_REPORT_LARGE_EVENTS events (default 10M) over
// JMLWATCH_REPORT_LARGE_DAYS days (default 90) if missing, then reported on
// (default period), logging the time and the peak RSS of this process.
func TestLargeRun(t *testing.T) {
	path := os.Getenv("JMLWATCH_REPORT_LARGE")
	if path == "" {
		t.Skip("set JMLWATCH_REPORT_LARGE=FILE (and JMLWATCH_REPORT_LARGE_EVENTS=N) to run")
	}
	if _, err := os.Stat(path); err != nil {
		n := 10_000_000
		if s := os.Getenv("JMLWATCH_REPORT_LARGE_EVENTS"); s != "" {
			if n, err = strconv.Atoi(s); err != nil {
				t.Fatal(err)
			}
		}
		days := 90
		if s := os.Getenv("JMLWATCH_REPORT_LARGE_DAYS"); s != "" {
			if days, err = strconv.Atoi(s); err != nil {
				t.Fatal(err)
			}
		}
		start := time.Now()
		events, size := genFile(t, path, n, days)
		t.Logf("generated %d events (%d MB) in %v", events, size>>20, time.Since(start))
		if os.Getenv("JMLWATCH_REPORT_LARGE_GEN_ONLY") != "" {
			return
		}
	}
	runtime.GC()
	start := time.Now()
	rep, err := Build(context.Background(), Options{Inputs: []string{path}})
	if err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	if err := rep.Write(io.Discard, FormatJSON); err != nil {
		t.Fatal(err)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("report over %d events in %v (%.0f events/s), peak RSS %s; heap in use %d MB, heap sys %d MB, total alloc %d MB, %d GCs",
		rep.Events, elapsed, float64(rep.Events)/elapsed.Seconds(), vmHWM(t), ms.HeapInuse>>20, ms.HeapSys>>20, ms.TotalAlloc>>20, ms.NumGC)
}

// vmHWM returns the peak resident set size of this process (Linux).
func vmHWM(t *testing.T) string {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
