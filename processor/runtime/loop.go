package runtime

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
	"go.uber.org/zap"

	"github.com/jmlwatch/jmlwatch/events"
	"github.com/jmlwatch/jmlwatch/events/input"
	"github.com/jmlwatch/jmlwatch/processor/correlator"
	"github.com/jmlwatch/jmlwatch/store"
)

// partition is one owned input partition in the apply loop.
type partition struct {
	topic string
	id    int
	in    Input
	f     *fetcher
	head  *record   // the next record to apply, decoded
	next  int64     // the offset of the next record to apply
	stand time.Time // the largest time read from it (read)
	// vendor decodes the records of a vendor format; nil for cloudevents.
	vendor input.DecodeFunc
	// emptySince is when the loop first found it with nothing fetched
	// (zero while it has a record).
	emptySince time.Time
	touched    bool // applied a record in the current micro-batch
	// lag is this partition's jmlwatch_consumer_lag child; consumed its
	// jmlwatch_records_consumed_total child, resolved once rather than
	// per record.
	lag      prometheus.Gauge
	consumed prometheus.Counter
}

// record is a fetched Kafka record and its decoded elements.
type record struct {
	msg   kafka.Message
	items []events.Item
	time  time.Time // merge time: the first element's time; zero if none
}

// caughtUp reports whether p has nothing left to read right now.
func (p *partition) caughtUp() bool {
	return p.head == nil && len(p.f.ch) == 0 && p.next >= p.f.hwm.Load()
}

// own runs the apply loop over every partition of gen until gctx (the
// generation) or ctx (SIGTERM) ends. It commits the micro-batch in flight
// before returning.
func (r *Runtime) own(ctx, gctx context.Context, gen *kafka.Generation) error {
	starts, err := r.startOffsets(gen)
	if err != nil {
		r.setRole(RoleStopped, err.Error())
		return err
	}
	r.setRole(RoleOwner, "")
	lctx, cancel := context.WithCancel(gctx)
	defer cancel()
	go func() {
		select {
		case <-ctx.Done():
			cancel()
		case <-lctx.Done():
		}
	}()
	wake := make(chan struct{}, 1)
	var parts []*partition
	for _, in := range r.cfg.Inputs {
		var vendor input.DecodeFunc
		if in.Format != input.FormatCloudEvents {
			vendor, _ = r.decs.For(in.Format) // formats are validated with the config
		}
		for _, pa := range sortedAssignments(gen.Assignments[in.Topic]) {
			start := starts[store.TopicPartition{Topic: in.Topic, Partition: pa.ID}]
			p := &partition{topic: in.Topic, id: pa.ID, in: in, next: start, vendor: vendor,
				lag:      r.metrics.consumeLag.WithLabelValues(in.Topic, strconv.Itoa(pa.ID)),
				consumed: r.metrics.consumed.WithLabelValues(in.Topic, string(in.Format))}
			p.f = r.newFetcher(in.Topic, pa.ID, start, wake)
			parts = append(parts, p)
		}
	}
	fetchCtx, stopFetch := context.WithCancel(context.Background())
	done := make(chan struct{})
	for _, p := range parts {
		go func() { p.f.run(fetchCtx); done <- struct{}{} }()
	}
	defer func() {
		stopFetch()
		for range parts {
			<-done
		}
	}()
	r.log.Info("owner: consuming every input partition", zap.Int32("generation", gen.ID), zap.Int("partitions", len(parts)))
	l := &loop{r: r, gen: gen, parts: parts, wake: wake, tx: r.corr.NewTx(nil)}
	return l.run(lctx)
}

func sortedAssignments(pas []kafka.PartitionAssignment) []kafka.PartitionAssignment {
	out := slices.Clone(pas)
	slices.SortFunc(out, func(a, b kafka.PartitionAssignment) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// startOffsets compares the local checkpoint with the offsets committed in
// Kafka and returns where to start each assigned partition (a negative
// value: the earliest offset).
func (r *Runtime) startOffsets(gen *kafka.Generation) (map[store.TopicPartition]int64, error) {
	local, err := r.db.Offsets()
	if err != nil {
		return nil, fmt.Errorf("reading checkpoint: %w", err)
	}
	out := map[store.TopicPartition]int64{}
	for topic, pas := range gen.Assignments {
		for _, pa := range pas {
			tp := store.TopicPartition{Topic: topic, Partition: pa.ID}
			lo, ok := local[tp]
			committed := pa.Offset // negative: nothing committed
			switch {
			case ok:
				if committed > lo.Next && !r.opts.Rebuild {
					return nil, &OffsetError{Topic: topic, Partition: pa.ID, Local: lo.Next, Committed: committed, Dir: r.cfg.StateDir}
				}
				out[tp] = lo.Next
			case committed >= 0 && !r.opts.Rebuild:
				return nil, &OffsetError{Topic: topic, Partition: pa.ID, Local: -1, Committed: committed, Dir: r.cfg.StateDir}
			default:
				out[tp] = kafka.FirstOffset
			}
		}
	}
	return out, nil
}

// loop is the apply loop of one generation.
type loop struct {
	r     *Runtime
	gen   *kafka.Generation
	parts []*partition
	wake  chan struct{}
	tx    *correlator.Tx
	b     *store.Batch
	out   []events.Output
	n     int       // records in the micro-batch
	first time.Time // when the micro-batch got its first record
}

func (l *loop) run(ctx context.Context) error {
	r := l.r
	tick := time.NewTicker(r.opts.TickInterval)
	defer tick.Stop()
	l.begin()
	defer func() {
		if l.b != nil {
			l.b.Close()
		}
	}()
	for {
		if ctx.Err() != nil {
			return l.commit()
		}
		// Take what the fetchers have.
		now := r.opts.Now()
		for _, p := range l.parts {
			if p.head != nil {
				continue
			}
			select {
			case f := <-p.f.ch:
				p.head = l.decode(p, f)
				p.emptySince = time.Time{}
			default:
				if p.emptySince.IsZero() {
					p.emptySince = now
				}
			}
		}
		// Pick the smallest next record unless a partition that is not
		// caught up may still deliver an earlier one (within max_idle).
		var best *partition
		blocked := false
		var wait time.Duration = r.opts.TickInterval
		for _, p := range l.parts {
			if p.head == nil {
				if !p.caughtUp() {
					if left := r.cfg.MaxIdle - now.Sub(p.emptySince); left > 0 {
						blocked = true
						wait = min(wait, left)
					}
				}
				continue
			}
			if best == nil || p.head.time.Before(best.head.time) {
				best = p
			}
		}
		if best != nil && !blocked {
			if err := l.apply(best); err != nil {
				return err
			}
			if l.n >= r.opts.BatchRecords || r.opts.Now().Sub(l.first) >= r.opts.BatchWait {
				if err := l.commit(); err != nil {
					return err
				}
			}
			continue
		}
		// Nothing to apply now: commit what we have rather than hold it.
		if l.n > 0 {
			if err := l.commit(); err != nil {
				return err
			}
		}
		l.updateLag()
		l.updateClockLag()
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-l.wake:
		case <-tick.C:
			if err := l.advanceIdle(); err != nil {
				timer.Stop()
				return err
			}
		case <-timer.C:
		}
		timer.Stop()
	}
}

// begin starts a micro-batch.
func (l *loop) begin() {
	l.b = l.r.db.NewBatch()
	l.tx.Reset(l.b)
	l.n = 0
}

// commit makes the micro-batch durable (state, outbox, offsets), then
// commits the offsets to Kafka and wakes the publisher.
func (l *loop) commit() error {
	r := l.r
	if err := l.tx.Flush(); err != nil {
		return r.storeFailure(err)
	}
	offsets := map[string]map[int]int64{}
	for _, p := range l.parts {
		if !p.touched {
			continue
		}
		if err := l.b.SetOffset(p.topic, p.id, p.next, l.gen.ID); err != nil {
			return r.storeFailure(err)
		}
		if offsets[p.topic] == nil {
			offsets[p.topic] = map[int]int64{}
		}
		offsets[p.topic][p.id] = p.next
		p.touched = false
	}
	empty := l.b.Len() == 0
	if !empty {
		if r.failWrites.Load() {
			return r.storeFailure(fmt.Errorf("committing a micro-batch: %w (injected)", store.ErrFatal))
		}
		if err := l.b.Commit(true); err != nil {
			return r.storeFailure(err)
		}
		r.metrics.batches.Inc()
		r.pub.notify()
	}
	l.b.Close()
	l.updateLag()
	if len(offsets) > 0 {
		r.hasState.Store(true)
		// Best effort: the local checkpoint is authoritative; a failed
		// commit (generation ended, broker down) is retried by the next one.
		if err := l.gen.CommitOffsets(offsets); err != nil {
			r.log.Warn("committing offsets to kafka failed; the local checkpoint holds them", zap.Error(err))
		}
	}
	l.begin()
	l.updateClockLag()
	return nil
}

// storeFailure stops consumption after a store error with one clear line.
func (r *Runtime) storeFailure(err error) error {
	r.mu.Lock()
	first := r.mu.storeErr == nil
	if first {
		r.mu.storeErr = err
	}
	r.mu.Unlock()
	r.updateReady()
	if !first {
		return fmt.Errorf("store failure: %w", err)
	}
	r.log.Error("store write failed: consumption stopped, not ready; check the disk of state_dir and restart",
		zap.String("state_dir", r.cfg.StateDir), zap.Error(err))
	return fmt.Errorf("store failure: %w", err)
}

// decode decodes a fetched record for its input's format: a cloudevents
// record in the Kafka protocol binding's binary or structured mode (its
// headers say which), a vendor record with its decoder.
func (l *loop) decode(p *partition, m kafka.Message) *record {
	rec := &record{msg: m}
	if p.vendor != nil {
		rec.items = p.vendor(m.Value)
	} else {
		hs := make([]events.Header, len(m.Headers))
		for i, h := range m.Headers {
			hs[i] = events.Header{Key: h.Key, Value: h.Value}
		}
		rec.items = events.DecodeKafka(hs, m.Value)
	}
	for _, it := range rec.items {
		if t := itemTime(it); !t.IsZero() {
			rec.time = t
			break
		}
	}
	return rec
}

func itemTime(it events.Item) time.Time {
	switch {
	case it.Event != nil:
		return it.Event.Time
	case it.Skip != nil:
		return it.Skip.Time
	}
	return time.Time{}
}

// apply applies p's head record to the micro-batch.
func (l *loop) apply(p *partition) error {
	r := l.r
	rec := p.head
	p.head = nil
	if l.n == 0 {
		l.first = r.opts.Now()
	}
	l.n++
	p.consumed.Inc()
	lateness := r.pol.AllowedLateness
	now := r.opts.Now()
	for _, it := range rec.items {
		// Any record ahead of wall time is rejected, a skipped one too: its
		// time would otherwise set where its partition stands and move the
		// clock (which never moves back) into the future.
		t := itemTime(it)
		if it.Err == nil && r.cfg.Clock == ClockWall && t.After(now.Add(FutureLimit)) {
			it.Err = events.Reject(events.ReasonFuture, "time", "%s is more than %s ahead of wall time %s",
				t.UTC().Format(time.RFC3339Nano), FutureLimit, now.UTC().Format(time.RFC3339))
			it.Event, it.Skip = nil, nil
		}
		if it.Err != nil {
			r.metrics.elements.WithLabelValues(p.topic, string(p.in.Format), string(it.Err.Code), "rejected").Inc()
			if err := l.deadLetter(p, rec.msg, it); err != nil {
				return err
			}
			continue
		}
		var err error
		if !t.IsZero() {
			if r.cfg.Clock == ClockEvent {
				l.out, err = l.tx.Advance(t.Add(-lateness), l.out)
			} else {
				p.read(t)
				l.out, err = l.advanceWall(l.out)
			}
			if err != nil {
				return r.storeFailure(err)
			}
		}
		if it.Skip != nil {
			r.metrics.elements.WithLabelValues(p.topic, string(p.in.Format), it.Skip.Reason, "skipped").Inc()
		} else {
			var oc correlator.Outcome
			l.out, oc, err = l.tx.Apply(it.Event, l.out)
			if err != nil {
				return r.storeFailure(err)
			}
			outcome := "applied"
			switch oc {
			case correlator.Held:
				outcome = "held"
			case correlator.Duplicate, correlator.Stale:
				outcome = "skipped"
			}
			r.metrics.elements.WithLabelValues(p.topic, string(p.in.Format), it.Event.Type, outcome).Inc()
		}
		if err := l.emit(); err != nil {
			return err
		}
	}
	p.next = rec.msg.Offset + 1
	p.touched = true
	return nil
}

// read records that an element of time t was read from p: a partition
// with backlog stands at the largest time read from it, so an element older
// than one before it does not move it back (SPEC 6, run).
func (p *partition) read(t time.Time) {
	if t.After(p.stand) {
		p.stand = t
	}
}

// advanceWall moves the clock to the minimum standing time of the owned
// partitions minus allowed_lateness (SPEC 6, run).
func (l *loop) advanceWall(out []events.Output) ([]events.Output, error) {
	now := l.r.opts.Now()
	var target time.Time
	for i, p := range l.parts {
		s := p.stand
		if p.caughtUp() {
			s = now.Add(-p.in.MaxDelay)
		}
		if s.IsZero() {
			return out, nil // a partition with backlog and nothing read yet
		}
		if i == 0 || s.Before(target) {
			target = s
		}
	}
	return l.tx.Advance(target.Add(-l.r.pol.AllowedLateness), out)
}

// advanceIdle is the ticker's clock advance with idle inputs.
func (l *loop) advanceIdle() error {
	if l.r.cfg.Clock != ClockWall {
		return nil
	}
	var err error
	if l.out, err = l.advanceWall(l.out); err != nil {
		return l.r.storeFailure(err)
	}
	if len(l.out) == 0 {
		l.updateClockLag()
		return nil
	}
	if err := l.emit(); err != nil {
		return err
	}
	return l.commit()
}

// emit writes the pending outputs to the micro-batch's outbox.
func (l *loop) emit() error {
	r := l.r
	for _, o := range l.out {
		m, err := outputMessage(o, r.cfg.Outputs)
		if err != nil {
			return fmt.Errorf("encoding output: %w", err)
		}
		if _, err := l.b.AppendOutbox(encodeMessage(m)); err != nil {
			return r.storeFailure(err)
		}
		r.metrics.observeOutput(o)
	}
	l.out = l.out[:0]
	return nil
}

// deadLetter writes a rejected element to the outbox for the DLQ topic
// (SPEC 8): the original key and headers, the record or the element as
// value, and the jmlwatch_dlq_* headers.
func (l *loop) deadLetter(p *partition, m kafka.Message, it events.Item) error {
	dl := deadLetterMessage(l.r.cfg.Outputs.DLQTopic, m, it)
	if _, err := l.b.AppendOutbox(encodeMessage(dl)); err != nil {
		return l.r.storeFailure(err)
	}
	l.r.log.Debug("dead letter", zap.String("topic", p.topic), zap.Int("partition", p.id), zap.Int64("offset", m.Offset), zap.String("reason", it.Err.Error()))
	return nil
}

// deadLetterMessage builds the DLQ record of a rejected element.
func deadLetterMessage(dlqTopic string, m kafka.Message, it events.Item) *message {
	value := m.Value
	if it.Index >= 0 {
		value = it.Raw
	}
	hs := make([]kafka.Header, 0, len(m.Headers)+5)
	for _, h := range m.Headers {
		hs = append(hs, kafka.Header{Key: h.Key, Value: append([]byte{}, h.Value...)})
	}
	hs = append(hs,
		kafka.Header{Key: "jmlwatch_dlq_reason", Value: []byte(it.Err.Error())},
		kafka.Header{Key: "jmlwatch_dlq_topic", Value: []byte(m.Topic)},
		kafka.Header{Key: "jmlwatch_dlq_partition", Value: []byte(strconv.Itoa(m.Partition))},
		kafka.Header{Key: "jmlwatch_dlq_offset", Value: []byte(strconv.FormatInt(m.Offset, 10))},
	)
	if it.Index >= 0 {
		hs = append(hs, kafka.Header{Key: "jmlwatch_dlq_index", Value: []byte(strconv.Itoa(it.Index))})
	}
	var key []byte
	if m.Key != nil {
		key = append([]byte{}, m.Key...)
	}
	return &message{Topic: dlqTopic, Key: key, Headers: hs, Value: append([]byte{}, value...)}
}

// updateClockLag sets jmlwatch_clock_lag_seconds; the loop calls it once
// per micro-batch and when idle, not per element.
func (l *loop) updateClockLag() {
	if c, err := l.tx.Clock(); err == nil && !c.IsZero() {
		l.r.metrics.clockLag.Set(l.r.opts.Now().Sub(c).Seconds())
	}
}

func (l *loop) updateLag() {
	for _, p := range l.parts {
		if hwm := p.f.hwm.Load(); hwm != hwmUnknown {
			p.lag.Set(float64(max(0, hwm-p.next)))
		}
	}
}

var errFetcherStopped = errors.New("runtime: fetcher stopped")
