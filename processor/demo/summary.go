package demo

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jmlwatch/jmlwatch/events"
	"github.com/jmlwatch/jmlwatch/processor/correlator"
	"github.com/jmlwatch/jmlwatch/store"
)

// Stats is what the live summary line shows.
type Stats struct {
	// Clock is the correlator's event clock (zero before the first record).
	Clock time.Time
	// Day is the day of the generated period the clock is in (1-based;
	// 0 before the first record).
	Day int
	// Records is the count of input records the processor has read from
	// Kafka (applied, held, skipped or dead-lettered); Fed is the count
	// the generator has produced.
	Records, Fed int64
	// OpenCases is the count of open cases in the store.
	OpenCases int
	// Breaches is the count of sla.breached events emitted.
	Breaches int64
}

// summary reads the live figures: records and breaches from the runtime's
// metrics, the clock and open cases from the committed state (a scan of the
// worker records, cheap at demo sizes). Reads never block the apply loop.
type summary struct {
	db    *store.DB
	reg   prometheus.Gatherer
	start time.Time
	days  int
	fed   *atomic.Int64
}

func (s *summary) stats() (Stats, error) {
	st := Stats{Fed: s.fed.Load()}
	mfs, err := s.reg.Gather()
	if err != nil {
		return st, fmt.Errorf("demo: reading metrics: %w", err)
	}
	for _, mf := range mfs {
		switch mf.GetName() {
		case "jmlwatch_records_consumed_total":
			for _, m := range mf.GetMetric() {
				st.Records += int64(m.GetCounter().GetValue())
			}
		case "jmlwatch_outputs_total":
			for _, m := range mf.GetMetric() {
				for _, l := range m.GetLabel() {
					if l.GetName() == "type" && l.GetValue() == events.TypeSLABreached {
						st.Breaches += int64(m.GetCounter().GetValue())
					}
				}
			}
		}
	}
	if st.Clock, err = correlator.ReadClock(s.db); err != nil {
		return st, fmt.Errorf("demo: reading the clock: %w", err)
	}
	if !st.Clock.IsZero() {
		st.Day = min(max(int(st.Clock.Sub(s.start)/(24*time.Hour))+1, 1), s.days)
	}
	err = correlator.ScanCases(s.db, "", func(cv correlator.CaseView) bool {
		if cv.State == "open" {
			st.OpenCases++
		}
		return true
	})
	if err != nil {
		return st, fmt.Errorf("demo: reading cases: %w", err)
	}
	return st, nil
}

// line is the one-line summary.
func (s *summary) line() string {
	st, err := s.stats()
	if err != nil {
		return err.Error()
	}
	clock := "waiting for the first record"
	if !st.Clock.IsZero() {
		clock = fmt.Sprintf("%s  day %d/%d", st.Clock.UTC().Format("2006-01-02 15:04"), st.Day, s.days)
	}
	return fmt.Sprintf("%s  records %d (fed %d)  open cases %d  breaches %d", clock, st.Records, st.Fed, st.OpenCases, st.Breaches)
}
