package replay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jmlwatch/jmlwatch/events"
	"github.com/jmlwatch/jmlwatch/processor/correlator"
)

// Record is one decoded element of an input, with where it came from.
type Record struct {
	Input string // the input's name (its path)
	Line  int    // 1-based line where the element starts
	Item  events.Item
}

// Source yields the records of one input in its own order; Next returns
// io.EOF after the last one. Run reads each source ahead on a goroutine of
// its own (so decoding runs beside the correlator): Next is never called
// concurrently, but not on Run's goroutine, and no more once Run returned.
// So Run returns only once every Next in progress has returned: a source
// blocked on a pipe that stalls delays it, even after ctx is cancelled.
type Source interface {
	Next() (Record, error)
}

// Batch is a unit of atomic state change: a correlator.KV that can be
// committed.
type Batch interface {
	correlator.KV
	Commit() error
	Close() error
}

// State opens batches on the replay's state.
type State interface {
	NewBatch() Batch
}

// Config configures Run.
type Config struct {
	Correlator *correlator.Correlator
	State      State
	Sources    []Source
	// Output receives every output event in emission order.
	Output func(events.Output) error
	// Reject receives every rejected record, in reading order.
	Reject func(Record)
	// Until, when set, moves the clock to that instant at the end (no
	// lateness subtracted) and fires what is strictly before it.
	Until *time.Time
	// BatchSize is the number of records per committed state batch
	// (default 2048). It changes no output.
	BatchSize int
}

// Summary counts what Run read and emitted.
type Summary struct {
	Read     int            `json:"read"`
	Applied  int            `json:"applied"`
	Skipped  int            `json:"skipped"`
	Held     int            `json:"held"`
	Rejected int            `json:"rejected"`
	SkipBy   map[string]int `json:"skipped_by_reason"`
	Outputs  map[string]int `json:"outputs"`
}

// head is the next record of source src.
type head struct {
	rec Record
	src int
}

// heads is a binary min-heap of the sources' next records, by time and
// then source (a total order: the heap holds one record a source). It is
// container/heap's algorithm without its interface, which boxed every
// record pushed and popped (two allocations a record).
type heads []head

func (h heads) less(i, j int) bool {
	ti, tj := h[i].rec.time(), h[j].rec.time()
	if !ti.Equal(tj) {
		return ti.Before(tj)
	}
	return h[i].src < h[j].src
}

func (h *heads) push(x head) {
	*h = append(*h, x)
	for j := len(*h) - 1; j > 0; {
		i := (j - 1) / 2
		if !h.less(j, i) {
			break
		}
		(*h)[i], (*h)[j] = (*h)[j], (*h)[i]
		j = i
	}
}

func (h *heads) pop() head {
	old := *h
	n := len(old) - 1
	x := old[0]
	old[0] = old[n]
	old[n] = head{}
	*h = old[:n]
	for i := 0; ; {
		j := 2*i + 1
		if j >= n {
			break
		}
		if r := j + 1; r < n && h.less(r, j) {
			j = r
		}
		if !h.less(j, i) {
			break
		}
		(*h)[i], (*h)[j] = (*h)[j], (*h)[i]
		i = j
	}
	return x
}

func (r Record) time() time.Time {
	switch {
	case r.Item.Event != nil:
		return r.Item.Event.Time
	case r.Item.Skip != nil:
		return r.Item.Skip.Time
	}
	return time.Time{}
}

// JSONLinesOutput returns a Config.Output that writes every output to w as
// a structured-mode CloudEvent, one JSON document a line, as `jmlwatch
// replay --output` does. Give it a buffered writer and flush it after Run.
func JSONLinesOutput(w io.Writer) func(events.Output) error {
	return func(o events.Output) error {
		b, err := events.EncodeStructured(o)
		if err != nil {
			return err
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
		_, err = w.Write(newline)
		return err
	}
}

// newline is written after each output (io.Writer implementations must not
// retain or modify what they are given).
var newline = []byte{'\n'}

// Run replays the sources through the correlator. It returns a runtime
// error (state or output failure); rejected input is reported through
// cfg.Reject and counted, never returned.
func Run(ctx context.Context, cfg Config) (Summary, error) {
	sum := Summary{SkipBy: map[string]int{}, Outputs: map[string]int{}}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 2048
	}
	lateness := cfg.Correlator.Policy().AllowedLateness
	srcs, stop := prefetchAll(cfg.Sources)
	defer stop()
	var hs heads
	// next reads the next non-rejected record of source i into the heap.
	next := func(i int) error {
		for {
			rec, err := srcs[i].Next()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			if rec.Item.Err != nil {
				sum.Read++
				sum.Rejected++
				if cfg.Reject != nil {
					cfg.Reject(rec)
				}
				continue
			}
			hs.push(head{rec: rec, src: i})
			return nil
		}
	}
	for i := range srcs {
		if err := next(i); err != nil {
			return sum, err
		}
	}

	b := cfg.State.NewBatch()
	tx := cfg.Correlator.NewTx(b)
	var out []events.Output
	emit := func() error {
		for _, o := range out {
			sum.Outputs[o.Type]++
			if err := cfg.Output(o); err != nil {
				return fmt.Errorf("writing output: %w", err)
			}
		}
		out = out[:0]
		return nil
	}
	commit := func() error {
		if err := tx.Flush(); err != nil {
			return err
		}
		if err := b.Commit(); err != nil {
			return fmt.Errorf("committing state: %w", err)
		}
		if err := b.Close(); err != nil {
			return err
		}
		b = cfg.State.NewBatch()
		tx.Reset(b)
		return nil
	}
	defer func() { b.Close() }()

	n := 0
	for len(hs) > 0 {
		if n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return sum, err
			}
		}
		h := hs.pop()
		rec := h.rec
		sum.Read++
		var err error
		if t := rec.time(); !t.IsZero() {
			if out, err = tx.Advance(t.Add(-lateness), out); err != nil {
				return sum, err
			}
		}
		if rec.Item.Skip != nil {
			sum.Skipped++
			sum.SkipBy[rec.Item.Skip.Reason]++
		} else {
			var oc correlator.Outcome
			if out, oc, err = tx.Apply(rec.Item.Event, out); err != nil {
				return sum, err
			}
			switch oc {
			case correlator.Applied:
				sum.Applied++
			case correlator.Held:
				sum.Held++
			default:
				sum.Skipped++
				sum.SkipBy[oc.String()]++
			}
		}
		if err := emit(); err != nil {
			return sum, err
		}
		if n++; n%cfg.BatchSize == 0 {
			if err := commit(); err != nil {
				return sum, err
			}
		}
		if err := next(h.src); err != nil {
			return sum, err
		}
	}
	if cfg.Until != nil {
		var err error
		if out, err = tx.Advance(*cfg.Until, out); err != nil {
			return sum, err
		}
		if err := emit(); err != nil {
			return sum, err
		}
	}
	return sum, commit()
}
