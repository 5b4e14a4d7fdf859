package runtime

import (
	"bytes"
	"context"
	"net"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/jmlwatch/jmlwatch/events/gen"
	"github.com/jmlwatch/jmlwatch/processor/broker"
	"github.com/jmlwatch/jmlwatch/processor/policy"
)

// benchHarness is a harness for benchmarks.
type benchHarness struct {
	*harness
	pol *policy.Policy
}

// setupBench produces a generated world (about 5000 records) to an
// in-process broker and returns the inputs and the record count.
func setupBench(b *testing.B) (*benchHarness, []Input, int, map[gen.File][][]byte) {
	b.Helper()
	t := &testing.T{}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	b.Cleanup(cancel)
	br, err := broker.Start(ctx, broker.Options{Partitions: 1})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(br.Close)
	h := &harness{t: t, ctx: ctx, b: br}
	files := map[gen.File][][]byte{}
	_, err = gen.Generate(ctx, gen.Config{Workers: 500, Days: 60, Seed: 1, NoisePerRecord: 3},
		func(f gen.File, _ time.Time, line []byte) error {
			files[f] = append(files[f], bytes.Clone(line))
			return nil
		})
	if err != nil {
		b.Fatal(err)
	}
	pol, err := policy.Parse([]byte(gen.Policy()), "p.yaml")
	if err != nil {
		b.Fatal(err)
	}
	ins := h.produceFiles(files)
	n := 0
	for _, ls := range files {
		n += len(ls)
	}
	return &benchHarness{harness: h, pol: pol}, ins, n, files
}

// BenchmarkRunPipeline measures the whole run path (fetch, decode,
// correlate, one synced Pebble batch per micro-batch, outbox, produce)
// through the in-process broker, per input record.
func BenchmarkRunPipeline(b *testing.B) {
	h, ins, n, files := setupBench(b)
	_ = files
	b.ResetTimer()
	for range b.N {
		cfg := h.config(b.TempDir(), ins...)
		cfg.GroupID = "bench-" + time.Now().Format("150405.000000000")
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		rt, err := New(Options{Config: cfg, Policy: h.pol, Listener: ln})
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(h.ctx)
		done := make(chan error, 1)
		go func() { done <- rt.Run(ctx) }()
		for {
			offs, err := rt.DB().Offsets()
			if err == nil {
				var sum int64
				for _, o := range offs {
					sum += o.Next
				}
				if sum == int64(n) {
					break
				}
			}
			time.Sleep(time.Millisecond)
		}
		cancel()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/record")
}

// BenchmarkBareConsumer reads the same records with bare kafka-go
// partition readers: the floor the pipeline is compared with.
func BenchmarkBareConsumer(b *testing.B) {
	h, ins, n, _ := setupBench(b)
	b.ResetTimer()
	for range b.N {
		got := 0
		for _, in := range ins {
			conn, err := kafka.DialLeader(h.ctx, "tcp", h.b.Addr(), in.Topic, 0)
			if err != nil {
				b.Fatal(err)
			}
			last, err := conn.ReadLastOffset()
			conn.Close()
			if err != nil {
				b.Fatal(err)
			}
			if last == 0 {
				continue
			}
			r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{h.b.Addr()}, Topic: in.Topic, Partition: 0, MaxBytes: 16 << 20, MaxWait: 10 * time.Millisecond})
			for {
				m, err := r.ReadMessage(h.ctx)
				if err != nil {
					b.Fatal(err)
				}
				got++
				if m.Offset+1 >= last {
					break
				}
			}
			r.Close()
		}
		if got != n {
			b.Fatalf("read %d records, want %d", got, n)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/record")
}
