package demo

import (
	"bytes"
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/jmlwatch/jmlwatch/events"
	"github.com/jmlwatch/jmlwatch/events/gen"
	"github.com/jmlwatch/jmlwatch/events/input"
)

// feedBatch is how many records the feeder buffers before producing them,
// when pacing does not make it produce sooner.
const feedBatch = 500

// feeder produces generated traffic to the input topics, paced so that
// event time runs speed times faster than wall time. One goroutine runs it.
type feeder struct {
	w      *kafka.Writer
	speed  float64
	warmup time.Duration // event time produced unpaced first
	topics map[gen.File]string
	buf    []kafka.Message
	fed    atomic.Int64 // records produced and acknowledged
}

// ceHeaders mark canonical records as structured CloudEvents (the Kafka
// binding's content-type rule); vendor topics carry raw payloads.
var ceHeaders = []kafka.Header{{Key: "content-type", Value: []byte(events.ContentTypeCloudEventsJSON)}}

func newFeeder(brokerAddr string, speed float64, warmup time.Duration) (*feeder, error) {
	if speed <= 0 {
		return nil, fmt.Errorf("demo: speed %g: must be positive", speed)
	}
	f := &feeder{
		w: &kafka.Writer{
			Addr:         kafka.TCP(brokerAddr),
			RequiredAcks: kafka.RequireAll,
			BatchTimeout: time.Millisecond,
			BatchSize:    feedBatch,
		},
		speed:  speed,
		warmup: max(warmup, 0),
		topics: map[gen.File]string{},
	}
	for _, in := range inputs {
		f.topics[in.file] = in.topic
	}
	return f, nil
}

// run generates cfg's traffic and produces it, returning when it is all
// acknowledged, when ctx is done (ctx.Err()) or on a produce error.
func (f *feeder) run(ctx context.Context, cfg gen.Config) error {
	if cfg.Start.IsZero() {
		cfg.Start = gen.DefaultStart()
	}
	paceFrom := cfg.Start.Add(f.warmup)
	var wallStart time.Time // when the first paced record came
	_, err := gen.Generate(ctx, cfg, func(file gen.File, t time.Time, line []byte) error {
		// Records before paceFrom go as fast as the broker takes them;
		// after it, event time t is due at wallStart + (t - paceFrom) / speed.
		var wait time.Duration
		if !t.Before(paceFrom) {
			if wallStart.IsZero() {
				wallStart = time.Now()
			}
			due := wallStart.Add(time.Duration(float64(t.Sub(paceFrom)) / f.speed))
			wait = time.Until(due)
		}
		if wait > 0 {
			if err := f.flush(ctx); err != nil {
				return err
			}
			tm := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				tm.Stop()
				return ctx.Err()
			case <-tm.C:
			}
		}
		topic, ok := f.topics[file]
		if !ok {
			return fmt.Errorf("demo: no topic for generated file %s", file.Name())
		}
		m := kafka.Message{Topic: topic, Value: bytes.Clone(line)}
		if file.Format() == input.FormatCloudEvents {
			m.Headers = ceHeaders
		}
		f.buf = append(f.buf, m)
		if len(f.buf) >= feedBatch {
			return f.flush(ctx)
		}
		return nil
	})
	if err == nil {
		err = f.flush(ctx)
	}
	return err
}

// flush produces the buffered records.
func (f *feeder) flush(ctx context.Context) error {
	if len(f.buf) == 0 {
		return nil
	}
	if err := f.w.WriteMessages(ctx, f.buf...); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("demo: producing generated traffic: %w", err)
	}
	f.fed.Add(int64(len(f.buf)))
	clear(f.buf)
	f.buf = f.buf[:0]
	return nil
}

// close closes the producer; call it after run returned.
func (f *feeder) close() error {
	if err := f.w.Close(); err != nil {
		return fmt.Errorf("demo: closing the producer: %w", err)
	}
	return nil
}
