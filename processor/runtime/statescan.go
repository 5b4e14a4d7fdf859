package runtime

import (
	"context"
	"errors"
	"time"

	"github.com/jmlwatch/jmlwatch/processor/correlator"
	"github.com/jmlwatch/jmlwatch/store"
)

// Bounds of the state scan behind jmlwatch_open_steps,
// jmlwatch_overdue_steps and jmlwatch_pending_timers.
const (
	// scanChunk is how many workers (first phase) or timer keys (second
	// phase) one step of the scan reads.
	scanChunk = 1000
	// scanStepEvery spaces the steps of a pass, so that a scan of a large
	// store never takes more than a sliver of the store's read capacity.
	scanStepEvery = 20 * time.Millisecond
	// scanPassEvery is the least time between the starts of two passes.
	scanPassEvery = 10 * time.Second
)

// stateScanner computes the open and overdue step gauges and the pending
// timer gauge from the store, periodically and in bounded steps: each
// step reads at most scanChunk workers or timer keys, steps are
// scanStepEvery apart, and a gauge is replaced only when a pass completes.
// It reads the DB while the apply loop writes it; a pass therefore sees
// each worker as of when it read it, which is what a gauge needs.
type stateScanner struct {
	db    *store.DB
	m     *metrics
	now   func() time.Time
	chunk int // scanChunk; tests make it small

	// pass state
	timersPhase bool
	cursor      string // last worker fully counted
	timerLow    []byte // next timer key to read
	clock       time.Time
	started     time.Time
	open        map[[2]string]float64
	overdue     map[[2]string]float64
	timers      float64
	// prev are the label pairs set by the last pass, zeroed when absent.
	prev map[[2]string]bool
}

func newStateScanner(db *store.DB, m *metrics, now func() time.Time) *stateScanner {
	return &stateScanner{db: db, m: m, now: now, chunk: scanChunk, prev: map[[2]string]bool{}}
}

// run scans until ctx is done.
func (s *stateScanner) run(ctx context.Context) {
	for {
		start := s.now()
		if err := s.pass(ctx); err != nil {
			return // store closed or failed: nothing to report
		}
		wait := scanPassEvery - s.now().Sub(start)
		select {
		case <-ctx.Done():
			return
		case <-time.After(max(wait, scanStepEvery)):
		}
	}
}

// pass runs one complete pass, then publishes it.
func (s *stateScanner) pass(ctx context.Context) error {
	s.begin()
	for {
		done, err := s.step()
		if err != nil {
			return err
		}
		if done {
			s.publish()
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(scanStepEvery):
		}
	}
}

func (s *stateScanner) begin() {
	s.timersPhase, s.cursor = false, ""
	s.timerLow, _ = correlator.TimerKeys()
	s.started = s.now()
	s.open, s.overdue, s.timers = map[[2]string]float64{}, map[[2]string]float64{}, 0
	s.clock, _ = correlator.ReadClock(s.db)
}

// step reads one chunk and reports whether the pass is complete.
func (s *stateScanner) step() (bool, error) {
	if !s.timersPhase {
		workers, last, stopped := 0, "", false
		err := correlator.ScanCases(s.db, s.cursor, func(c correlator.CaseView) bool {
			if c.WorkerID != last {
				if workers == s.chunk {
					s.cursor, stopped = last, true // last is fully counted
					return false
				}
				workers++
				last = c.WorkerID
			}
			if c.State != "open" {
				return true
			}
			for _, st := range c.Steps {
				if st.Status != "open" {
					continue
				}
				k := [2]string{string(c.Kind), st.Tier}
				s.open[k]++
				if !s.clock.IsZero() && st.Deadline.Before(s.clock) {
					s.overdue[k]++
				}
			}
			return true
		})
		if err != nil {
			return false, err
		}
		if stopped {
			return false, nil
		}
		s.timersPhase = true
		return false, nil
	}
	n, stopped := 0, false
	_, upper := correlator.TimerKeys()
	err := s.db.Scan(s.timerLow, upper, func(k, _ []byte) error {
		if n == s.chunk {
			s.timerLow, stopped = append([]byte(nil), k...), true // k is not counted yet
			return store.ErrStop
		}
		n++
		s.timers++
		return nil
	})
	if err != nil && !errors.Is(err, store.ErrStop) {
		return false, err
	}
	return !stopped, nil
}

// publish replaces the gauges with the pass's counts.
func (s *stateScanner) publish() {
	seen := map[[2]string]bool{}
	for k, v := range s.open {
		s.m.openSteps.WithLabelValues(k[0], k[1]).Set(v)
		s.m.overdueSteps.WithLabelValues(k[0], k[1]).Set(s.overdue[k])
		seen[k] = true
	}
	for k := range s.prev {
		if !seen[k] {
			s.m.openSteps.WithLabelValues(k[0], k[1]).Set(0)
			s.m.overdueSteps.WithLabelValues(k[0], k[1]).Set(0)
		}
	}
	s.prev = seen
	s.m.pendingTimers.Set(s.timers)
	end := s.now()
	s.m.scanSeconds.Set(end.Sub(s.started).Seconds())
	s.m.scanAge.Set(float64(end.UnixNano()) / 1e9)
}
