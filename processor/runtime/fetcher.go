package runtime

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/segmentio/kafka-go"
	"go.uber.org/zap"
)

// hwmUnknown is a fetcher's high watermark before it is known: so large
// that the partition does not count as caught up.
const hwmUnknown = 1<<62 - 1

// hwmRefresh is how often a fetcher re-reads its partition's high
// watermark while it has nothing buffered, so that a record produced to a
// caught-up partition makes it count as not caught up within this bound
// even before the fetch that returns it (the long poll usually returns
// sooner).
const hwmRefresh = 100 * time.Millisecond

// fetcher reads one partition from a start offset into ch.
type fetcher struct {
	r     *Runtime
	topic string
	part  int
	start int64
	ch    chan kafka.Message
	wake  chan<- struct{}
	// hwm is the partition's high watermark as last seen (-1: unknown).
	hwm atomic.Int64
}

func (r *Runtime) newFetcher(topic string, part int, start int64, wake chan<- struct{}) *fetcher {
	f := &fetcher{r: r, topic: topic, part: part, start: start, ch: make(chan kafka.Message, 512), wake: wake}
	f.hwm.Store(hwmUnknown) // not caught up until the high watermark is known
	return f
}

func (f *fetcher) run(ctx context.Context) {
	log := f.r.log.With(zap.String("topic", f.topic), zap.Int("partition", f.part))
	backoff := 100 * time.Millisecond
	// Learn the high watermark first, so that an empty partition counts
	// as caught up without waiting for a record.
	for ctx.Err() == nil {
		conn, err := f.r.kc.dialer.DialLeader(ctx, "tcp", f.r.cfg.Brokers[0], f.topic, f.part)
		if err == nil {
			var last int64
			last, err = conn.ReadLastOffset()
			conn.Close()
			if err == nil {
				f.hwm.Store(last)
				f.signal()
				break
			}
		}
		f.r.setBrokerErr(err)
		log.Warn("reading the high watermark failed; retrying", zap.Error(err))
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
	f.r.setBrokerErr(nil)
	refreshDone := make(chan struct{})
	go func() { defer close(refreshDone); f.refreshHWM(ctx) }()
	defer func() { <-refreshDone }()
	rd := kafka.NewReader(kafka.ReaderConfig{
		Brokers:   f.r.cfg.Brokers,
		Topic:     f.topic,
		Partition: f.part,
		Dialer:    f.r.kc.dialer,
		MinBytes:  1,
		MaxBytes:  16 << 20,
		MaxWait:   100 * time.Millisecond,
		ErrorLogger: kafka.LoggerFunc(func(m string, a ...any) {
			// The reader retries by itself; say we are not ready meanwhile.
			f.r.setBrokerErr(fmt.Errorf("fetching %s/%d: %s", f.topic, f.part, fmt.Sprintf(m, a...)))
			log.Sugar().Warnf(m, a...)
		}),
	})
	defer rd.Close()
	if err := rd.SetOffset(f.start); err != nil {
		log.Error("setting the start offset failed", zap.Error(err))
		return
	}
	for {
		m, err := rd.FetchMessage(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			log.Warn("fetch failed; retrying", zap.Error(err))
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
			continue
		}
		f.raiseHWM(m.HighWaterMark)
		f.r.clearBrokerErr()
		select {
		case f.ch <- m:
			f.signal()
		case <-ctx.Done():
			return
		}
	}
}

// raiseHWM records a high watermark seen; it only moves forward (a stale
// answer must not make the partition look caught up).
func (f *fetcher) raiseHWM(hwm int64) {
	for {
		cur := f.hwm.Load()
		if hwm <= 0 || (cur != hwmUnknown && hwm <= cur) {
			return
		}
		if f.hwm.CompareAndSwap(cur, hwm) {
			return
		}
	}
}

// refreshHWM re-reads the high watermark every hwmRefresh while nothing is
// buffered, over one connection kept open, and wakes the apply loop when
// it moved.
func (f *fetcher) refreshHWM(ctx context.Context) {
	var conn *kafka.Conn
	defer func() {
		if conn != nil {
			conn.Close()
		}
	}()
	t := time.NewTicker(hwmRefresh)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if len(f.ch) > 0 {
			continue
		}
		if conn == nil {
			c, err := f.r.kc.dialer.DialLeader(ctx, "tcp", f.r.cfg.Brokers[0], f.topic, f.part)
			if err != nil {
				continue // the reader reports broker errors
			}
			conn = c
		}
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		last, err := conn.ReadLastOffset()
		if err != nil {
			conn.Close()
			conn = nil
			continue
		}
		// The broker answers: a fetch error logged earlier by the reader
		// (which retries by itself) must not keep an idle partition's
		// member not ready until its next record.
		f.r.clearBrokerErr()
		before := f.hwm.Load()
		f.raiseHWM(last)
		if f.hwm.Load() != before {
			f.signal()
		}
	}
}

func (f *fetcher) signal() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}
