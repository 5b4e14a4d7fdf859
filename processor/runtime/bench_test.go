package runtime

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/jmlwatch/jmlwatch/events/gen"
	"github.com/jmlwatch/jmlwatch/processor/broker"
	"github.com/jmlwatch/jmlwatch/processor/policy"
)

// BenchmarkSteadyState measures the whole run path (fetch, decode,
// event-time merge, correlate, one synced Pebble batch per micro-batch,
// outbox, produce with acks=all) through the in-process broker on the
// mixed workload gen writes (about 20 noise records per lifecycle record,
// five topics), in steady state: the records are produced first, and the
// rate is taken from the first committed micro-batch to the commit of the
// last offset, so group join and warm-up are excluded. In the same run a
// bare kafka-go consumer reads the same topics (one reader per topic, in
// parallel, doing nothing with the records), timed from its first record
// to its last. It reports both rates and their ratio (the target is at
// least 0.5).
func BenchmarkSteadyState(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	br, err := broker.Start(ctx, broker.Options{Partitions: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer br.Close()
	h := &harness{t: &testing.T{}, ctx: ctx, b: br}
	files := genFiles(b, ctx, gen.Config{Workers: 5000, Days: 120, Seed: 1})
	pol := genPolicy(b)
	ins := h.produceFiles(files)
	n := 0
	for _, ls := range files {
		n += len(ls)
	}
	b.ResetTimer()
	var pipe, bare float64
	for range b.N {
		pipe += pipelineRate(b, h, ins, pol, n)
		bare += bareRate(b, h, ins, n)
	}
	pipe /= float64(b.N)
	bare /= float64(b.N)
	b.ReportMetric(float64(n), "records")
	b.ReportMetric(pipe, "pipeline_rec/s")
	b.ReportMetric(bare, "bare_rec/s")
	b.ReportMetric(pipe/bare, "ratio")
}

// pipelineRate runs a Runtime on a fresh store and group over the n
// records of ins and returns its steady-state rate in records per second.
func pipelineRate(b *testing.B, h *harness, ins []Input, pol *policy.Policy, n int) float64 {
	b.Helper()
	cfg := h.config(b.TempDir(), ins...)
	cfg.GroupID = "bench-" + time.Now().Format("150405.000000000")
	cfg.Outputs.EventsTopic, cfg.Outputs.AlertsTopic = "bench.events."+cfg.GroupID, "bench.alerts."+cfg.GroupID
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	rt, err := New(Options{Config: cfg, Policy: pol, Listener: ln})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(h.ctx)
	done := make(chan error, 1)
	go func() { done <- rt.Run(ctx) }()
	var t0, t1 time.Time
	var n0 int64
	for {
		offs, err := rt.DB().Offsets()
		if err != nil {
			b.Fatal(err)
		}
		var sum int64
		for _, o := range offs {
			sum += o.Next
		}
		now := time.Now()
		if sum > 0 && t0.IsZero() {
			t0, n0 = now, sum
		}
		if sum == int64(n) {
			t1 = now
			break
		}
		time.Sleep(time.Millisecond) // polling
	}
	cancel()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	return float64(int64(n)-n0) / t1.Sub(t0).Seconds()
}

// bareRate reads the n records of ins with bare kafka-go readers, one per
// topic in parallel, doing nothing with them, and returns their
// steady-state rate in records per second: from the moment every reader
// has its first record (connections and first fetches done) to the last
// record.
func bareRate(b *testing.B, h *harness, ins []Input, n int) float64 {
	b.Helper()
	var (
		mu      sync.Mutex
		started int // readers that have their first record
		readers int
		t0, t1  time.Time
		n0, got int
		wg      sync.WaitGroup
	)
	ends := map[string]int64{}
	for _, in := range ins {
		if end := h.lastOffsets(in.Topic, 1)[0]; end > 0 {
			ends[in.Topic] = end
			readers++
		}
	}
	for _, in := range ins {
		end := ends[in.Topic]
		if end == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{h.addr()}, Topic: in.Topic, Partition: 0, MaxBytes: 16 << 20, MaxWait: 10 * time.Millisecond})
			defer r.Close()
			for {
				m, err := r.FetchMessage(h.ctx)
				if err != nil {
					return
				}
				now := time.Now()
				mu.Lock()
				got++
				if m.Offset == 0 {
					started++
					if started == readers {
						t0, n0 = now, got
					}
				}
				t1 = now
				mu.Unlock()
				if m.Offset+1 >= end {
					return
				}
			}
		}()
	}
	wg.Wait()
	if got != n {
		b.Fatalf("bare consumer read %d records, want %d", got, n)
	}
	return float64(n-n0) / t1.Sub(t0).Seconds()
}
