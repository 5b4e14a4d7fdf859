package runtime

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
	"go.uber.org/zap"

	"github.com/jmlwatch/jmlwatch/events"
	"github.com/jmlwatch/jmlwatch/store"
)

// message is one record to produce, as kept in the outbox.
type message struct {
	Topic   string
	Key     []byte // nil: no key (kept distinct from empty)
	Headers []kafka.Header
	Value   []byte
}

// encodeMessage encodes m for the outbox: uvarint-length-prefixed fields
// (the key's length is stored +1 so that 0 means nil).
func encodeMessage(m *message) []byte {
	n := len(m.Topic) + len(m.Key) + len(m.Value) + 32
	for _, h := range m.Headers {
		n += len(h.Key) + len(h.Value) + 8
	}
	b := make([]byte, 0, n)
	b = appendBytes(b, []byte(m.Topic))
	if m.Key == nil {
		b = binary.AppendUvarint(b, 0)
	} else {
		b = binary.AppendUvarint(b, uint64(len(m.Key))+1)
		b = append(b, m.Key...)
	}
	b = binary.AppendUvarint(b, uint64(len(m.Headers)))
	for _, h := range m.Headers {
		b = appendBytes(b, []byte(h.Key))
		b = appendBytes(b, h.Value)
	}
	return appendBytes(b, m.Value)
}

func appendBytes(b, v []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

var errBadEntry = errors.New("runtime: malformed outbox entry")

// decodeMessage decodes an outbox entry; the result owns its bytes.
func decodeMessage(b []byte) (message, error) {
	var m message
	next := func() ([]byte, bool) {
		l, n := binary.Uvarint(b)
		if n <= 0 || uint64(len(b)-n) < l {
			return nil, false
		}
		v := append([]byte{}, b[n:n+int(l)]...)
		b = b[n+int(l):]
		return v, true
	}
	t, ok := next()
	if !ok {
		return m, errBadEntry
	}
	m.Topic = string(t)
	kl, n := binary.Uvarint(b)
	if n <= 0 || (kl > 0 && uint64(len(b)-n) < kl-1) {
		return m, errBadEntry
	}
	b = b[n:]
	if kl > 0 {
		m.Key = append([]byte{}, b[:kl-1]...)
		b = b[kl-1:]
	}
	hc, n := binary.Uvarint(b)
	if n <= 0 || hc > uint64(len(b)) {
		return m, errBadEntry
	}
	b = b[n:]
	for range hc {
		k, ok1 := next()
		v, ok2 := next()
		if !ok1 || !ok2 {
			return m, errBadEntry
		}
		m.Headers = append(m.Headers, kafka.Header{Key: string(k), Value: v})
	}
	if m.Value, ok = next(); !ok || len(b) != 0 {
		return m, errBadEntry
	}
	return m, nil
}

// outputMessage encodes an output event for its topic.
func outputMessage(o events.Output, outs Outputs) (*message, error) {
	m := &message{Topic: outs.EventsTopic, Key: []byte(o.Subject)}
	if events.IsAlert(o.Type) {
		m.Topic = outs.AlertsTopic
	}
	if outs.Mode == ModeStructured {
		v, err := events.EncodeStructured(o)
		if err != nil {
			return nil, err
		}
		m.Value = v
		m.Headers = []kafka.Header{{Key: "content-type", Value: []byte(events.ContentTypeCloudEventsJSON)}}
		return m, nil
	}
	hs, v, err := events.EncodeBinary(o)
	if err != nil {
		return nil, err
	}
	m.Value = v
	m.Headers = make([]kafka.Header, len(hs))
	for i, h := range hs {
		m.Headers[i] = kafka.Header{Key: h.Key, Value: h.Value}
	}
	return m, nil
}

// messageWriter produces messages; *kafka.Writer implements it.
type messageWriter interface {
	WriteMessages(ctx context.Context, msgs ...kafka.Message) error
}

// publisher moves committed outbox entries to Kafka in sequence order and
// deletes them after the ack. One goroutine runs it.
type publisher struct {
	db      *store.DB
	w       messageWriter
	log     *zap.Logger
	wake    chan struct{}
	metrics *metrics
	// healthy is false while producing fails.
	mu      sync.Mutex
	healthy bool
	last    uint64 // the highest sequence published and deleted
}

func newPublisher(db *store.DB, w messageWriter, log *zap.Logger, m *metrics) *publisher {
	return &publisher{db: db, w: w, log: log, wake: make(chan struct{}, 1), metrics: m, healthy: true}
}

// notify wakes the publisher after a commit added entries.
func (p *publisher) notify() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

func (p *publisher) isHealthy() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.healthy
}

func (p *publisher) setHealthy(h bool) {
	p.mu.Lock()
	p.healthy = h
	p.mu.Unlock()
}

// run publishes until ctx is done.
func (p *publisher) run(ctx context.Context) {
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		if err := p.drain(ctx); err != nil && ctx.Err() == nil {
			p.log.Error("outbox publisher stopped", zap.Error(err))
			p.setHealthy(false)
		}
		select {
		case <-ctx.Done():
			return
		case <-p.wake:
		case <-t.C:
		}
	}
}

// drain publishes every committed entry, retrying failed writes with
// backoff until ctx is done. It returns ctx's error when cut short, or a
// store error.
func (p *publisher) drain(ctx context.Context) error {
	const chunk = 1000
	backoff := 100 * time.Millisecond
	for {
		var seqs []uint64
		var msgs []kafka.Message
		err := p.db.ScanOutbox(p.last, chunk, func(seq uint64, v []byte) error {
			m, err := decodeMessage(v)
			if err != nil {
				return fmt.Errorf("outbox entry %d: %w", seq, err)
			}
			seqs = append(seqs, seq)
			msgs = append(msgs, kafka.Message{Topic: m.Topic, Key: m.Key, Headers: m.Headers, Value: m.Value})
			return nil
		})
		if err != nil {
			return err
		}
		if len(seqs) == 0 {
			return nil
		}
		for {
			err := p.w.WriteMessages(ctx, msgs...)
			if err == nil {
				break
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			p.setHealthy(false)
			p.log.Warn("producing outbox entries failed; retrying", zap.Error(err), zap.Duration("backoff", backoff))
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 5*time.Second)
		}
		p.setHealthy(true)
		backoff = 100 * time.Millisecond
		if err := p.db.DeleteOutbox(seqs...); err != nil {
			return err
		}
		p.last = seqs[len(seqs)-1]
		if p.metrics != nil {
			p.metrics.published.Add(float64(len(seqs)))
		}
	}
}
