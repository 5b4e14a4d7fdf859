package report

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"
)

// Options says what to report on. The zero value of every field but Inputs
// is a usable default.
type Options struct {
	// Inputs are files of jmlwatch output events: JSON Lines of structured
	// CloudEvents (replay output, or a dump of the events and alerts
	// topics), or JSON documents each an event or an array of events. They
	// are read in order; the order of events does not matter.
	Inputs []string
	// Stdin, when set, is read for an input named "-".
	Stdin io.Reader
	// Kafka, when set, is read after Inputs: topics of output events from
	// their beginning to their end when reading starts.
	Kafka *KafkaInput
	// Period is the window reported on; nil means the 30 days up to the
	// latest event (see DefaultPeriodLength).
	Period *Window
	// Baseline is the window the period is compared with; nil means none,
	// and every baseline, delta and direction is null.
	Baseline *Window
	// PolicySystems are the systems of the policy, for
	// integration_coverage_ratio. Nil means no policy was given: the metric
	// is null. A non-nil empty slice is a policy without systems (also
	// null: the denominator is empty).
	PolicySystems []string
	// Location is the time zone of dates and weeks; nil means UTC.
	Location *time.Location
	// BadRecord, when set, is called for every record skipped because it
	// is malformed (bad JSON, bad timestamp, missing field, unknown value).
	// Build returns no error for them.
	BadRecord func(*BadRecord)
}

// Report is the result of Build. Its JSON encoding is the contract of
// `jmlwatch report --format json`:
//
//	{"period":{"from":..,"to":..},"baseline":{"from":..,"to":..} or null,"metrics":[...]}
type Report struct {
	Period   Range    `json:"period"`
	Baseline *Range   `json:"baseline"`
	Metrics  []Metric `json:"metrics"`

	// Events is the number of events read (after decoding, before
	// de-duplication); Skipped the malformed records left out; Ignored the
	// events of types the report does not use (sla.warning,
	// account.unowned, input events, ...), read only for their time.
	Events  int64 `json:"-"`
	Skipped int64 `json:"-"`
	Ignored int64 `json:"-"`

	charts charts
}

// Range is a half-open window in the report's time zone, encoded as RFC 3339.
type Range struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// Metric is one row of the report. Kind, Tier and System are nil where the
// metric is not grouped that way. Value and Baseline are nil for a ratio or
// percentile over nothing (SPEC 9: never 0); Baseline, Delta, DeltaPct and
// Direction are nil without a baseline.
type Metric struct {
	Name      string   `json:"name"`
	Kind      *string  `json:"kind"`
	Tier      *string  `json:"tier"`
	System    *string  `json:"system"`
	Value     *float64 `json:"value"`
	Baseline  *float64 `json:"baseline"`
	Delta     *float64 `json:"delta"`
	DeltaPct  *float64 `json:"delta_pct"`
	Direction *string  `json:"direction"`
}

// Directions of change.
const (
	Improved  = "improved"
	Regressed = "regressed"
	Unchanged = "unchanged"
)

// ErrNoEvents is returned by Build when the inputs hold no event and no
// period was given, so there is no default period.
var ErrNoEvents = errors.New("report: no events in the inputs to default the period from; give --period")

// Build reads the inputs and computes the metrics of SPEC section 9 for the
// period and, if given, the baseline. Malformed records are skipped (see
// Options.BadRecord); an input that cannot be read is an error. Build
// returns ctx.Err() if ctx is cancelled while reading.
func Build(ctx context.Context, opts Options) (*Report, error) {
	loc := opts.Location
	if loc == nil {
		loc = time.UTC
	}
	c := newCollector()
	if opts.Period != nil {
		wins := []Window{*opts.Period}
		if opts.Baseline != nil {
			wins = append(wins, *opts.Baseline)
		}
		c.keep = func(ns int64) bool {
			for _, w := range wins {
				if w.containsNS(ns) {
					return true
				}
			}
			return false
		}
	}
	var skipped int64
	r := &reader{c: c, stdin: opts.Stdin, bad: func(b *BadRecord) {
		skipped++
		if opts.BadRecord != nil {
			opts.BadRecord(b)
		}
	}}
	for _, in := range opts.Inputs {
		if err := r.readFile(ctx, in); err != nil {
			return nil, fmt.Errorf("report: %s: %w", in, err)
		}
	}
	if opts.Kafka != nil {
		if err := r.readKafka(ctx, opts.Kafka); err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
	}
	var period Window
	switch {
	case opts.Period != nil:
		period = *opts.Period
	case c.haveLatest:
		period = defaultPeriod(time.Unix(0, c.latest))
	default:
		return nil, ErrNoEvents
	}
	cur := c.compute(period, loc)
	var base *windowStats
	if opts.Baseline != nil {
		base = c.compute(*opts.Baseline, loc)
	}
	rep := &Report{
		Period:  Range{From: period.From.In(loc), To: period.To.In(loc)},
		Events:  c.events,
		Skipped: skipped,
		Ignored: c.ignored,
	}
	if base != nil {
		rep.Baseline = &Range{From: base.w.From.In(loc), To: base.w.To.In(loc)}
	}
	rep.Metrics = rows(c.systems, cur, base, opts.PolicySystems)
	rep.charts = buildCharts(c.systems, cur, base)
	return rep, nil
}

// Names of the kinds and tiers, by index.
var (
	kindNames = [numKinds]string{"joiner", "mover", "leaver"}
	tierNames = [numTiers]string{"standard", "privileged"}
	statNames = [numStats]string{"p50", "p90", "p99", "max"}
)

// lowerIsBetter reports whether a decrease of the metric is an improvement:
// latencies, lags and counts. A higher ratio is an improvement.
func lowerIsBetter(name string) bool {
	switch name {
	case "steps_within_sla_ratio", "cases_within_sla_ratio",
		"nhi_offboarded_within_sla_ratio", "integration_coverage_ratio":
		return false
	}
	return true
}

// rowBuilder appends metrics with their baseline comparison.
type rowBuilder struct {
	out     []Metric
	hasBase bool
}

func (b *rowBuilder) add(name string, kind, tier, system *string, val, base *float64) {
	// Copies, so that no two metrics (nor the name tables) share a string.
	m := Metric{Name: name, Kind: clone(kind), Tier: clone(tier), System: clone(system), Value: val}
	if b.hasBase {
		m.Baseline = base
		if val != nil && base != nil {
			d := *val - *base
			m.Delta = &d
			if *base != 0 {
				p := d / abs(*base) * 100
				m.DeltaPct = &p
			}
			dir := Unchanged
			if d != 0 {
				dir = Regressed
				if (d < 0) == lowerIsBetter(name) {
					dir = Improved
				}
			}
			m.Direction = &dir
		}
	}
	b.out = append(b.out, m)
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

func ptr[T any](v T) *T { return &v }

func clone(s *string) *string {
	if s == nil {
		return nil
	}
	return ptr(*s)
}

func seconds(ns int64) *float64 { return ptr(float64(ns) / 1e9) }

func count(n int64) *float64 { return ptr(float64(n)) }

func frac(num, den int64) *float64 {
	if den == 0 {
		return nil
	}
	return ptr(float64(num) / float64(den))
}

// stat returns statistic k of p, nil for an empty group.
func (p pctl) stat(k int) *float64 {
	if p.n == 0 {
		return nil
	}
	return seconds(p.v[k])
}

// rows lays out every metric of SPEC 9 for cur and base (nil without a
// baseline), in a fixed order: by metric, then overall, by kind, by tier,
// by kind and tier, by system (sorted by name).
func rows(systems []string, cur, base *windowStats, policy []string) []Metric {
	b := &rowBuilder{hasBase: base != nil}
	both := func(f func(ws *windowStats) *float64) (*float64, *float64) {
		if base == nil {
			return f(cur), nil
		}
		return f(cur), f(base)
	}
	sysOrder := make([]int, len(systems))
	for i := range sysOrder {
		sysOrder[i] = i
	}
	slices.SortFunc(sysOrder, func(a, b int) int {
		switch {
		case systems[a] < systems[b]:
			return -1
		case systems[a] > systems[b]:
			return 1
		}
		return 0
	})
	// systemsWhere lists, in name order, the systems for which cur or base
	// has pick true.
	systemsWhere := func(pick func(ws *windowStats, sys int) bool) []int {
		var out []int
		for _, s := range sysOrder {
			if pick(cur, s) || (base != nil && pick(base, s)) {
				out = append(out, s)
			}
		}
		return out
	}

	// time_to_provision / modify / revoke.
	latNames := [numScopes]string{"time_to_provision_seconds", "time_to_modify_seconds", "time_to_revoke_seconds"}
	for sc, name := range latNames {
		group := func(g int, tier, system *string) {
			for k := range numStats {
				v, bv := both(func(ws *windowStats) *float64 { return ws.lat[sc][g].stat(k) })
				b.add(name+"_"+statNames[k], nil, tier, system, v, bv)
			}
		}
		group(0, nil, nil)
		for t := range numTiers {
			group(1+int(t), &tierNames[t], nil)
		}
		latSystems := systemsWhere(func(ws *windowStats, s int) bool { return ws.latSys[sc][s] })
		for _, s := range latSystems {
			group(1+int(numTiers)+s, nil, &systems[s])
		}
		// By tier and system together (SPEC 9: "by tier and system"),
		// both tiers of every system listed above.
		for _, s := range latSystems {
			for t := range numTiers {
				group(groupSysIndex(int(numTiers), len(systems), int(t), s), &tierNames[t], &systems[s])
			}
		}
	}

	// steps_within_sla_ratio, cases_within_sla_ratio.
	ratioRows := func(name string, pick func(ws *windowStats) *ratio) {
		sum := func(ws *windowStats, kinds []uint8, tiers []uint8) *float64 {
			var due, within int64
			r := pick(ws)
			for _, k := range kinds {
				for _, t := range tiers {
					due += r.due[k][t]
					within += r.within[k][t]
				}
			}
			return frac(within, due)
		}
		allK := []uint8{kindJoiner, kindMover, kindLeaver}
		allT := []uint8{tierStandard, tierPrivileged}
		v, bv := both(func(ws *windowStats) *float64 { return sum(ws, allK, allT) })
		b.add(name, nil, nil, nil, v, bv)
		for _, k := range allK {
			v, bv := both(func(ws *windowStats) *float64 { return sum(ws, []uint8{k}, allT) })
			b.add(name, &kindNames[k], nil, nil, v, bv)
		}
		for _, t := range allT {
			v, bv := both(func(ws *windowStats) *float64 { return sum(ws, allK, []uint8{t}) })
			b.add(name, nil, &tierNames[t], nil, v, bv)
		}
		for _, k := range allK {
			for _, t := range allT {
				v, bv := both(func(ws *windowStats) *float64 { return sum(ws, []uint8{k}, []uint8{t}) })
				b.add(name, &kindNames[k], &tierNames[t], nil, v, bv)
			}
		}
	}
	ratioRows("steps_within_sla_ratio", func(ws *windowStats) *ratio { return &ws.steps })
	ratioRows("cases_within_sla_ratio", func(ws *windowStats) *ratio { return &ws.cases })

	// breaches, open_past_deadline: overall, by kind, by tier, by system
	// (every system with a step in either population, and every policy
	// system).
	inPolicy := make([]bool, len(systems))
	for _, p := range policy {
		for i, s := range systems {
			if s == p {
				inPolicy[i] = true
			}
		}
	}
	countSys := systemsWhere(func(ws *windowStats, s int) bool { return ws.stepSys[s] || inPolicy[s] })
	var extraPolicy []string // policy systems no event names
	for _, p := range policy {
		if !slices.Contains(systems, p) && !slices.Contains(extraPolicy, p) {
			extraPolicy = append(extraPolicy, p)
		}
	}
	slices.Sort(extraPolicy)
	countRows := func(name string, pick func(ws *windowStats) *counts) {
		v, bv := both(func(ws *windowStats) *float64 { return count(pick(ws).all) })
		b.add(name, nil, nil, nil, v, bv)
		for k := range numKinds {
			v, bv := both(func(ws *windowStats) *float64 { return count(pick(ws).kind[k]) })
			b.add(name, &kindNames[k], nil, nil, v, bv)
		}
		for t := range numTiers {
			v, bv := both(func(ws *windowStats) *float64 { return count(pick(ws).tier[t]) })
			b.add(name, nil, &tierNames[t], nil, v, bv)
		}
		for _, s := range mergeNames(systems, countSys, extraPolicy) {
			v, bv := both(func(ws *windowStats) *float64 {
				if s.idx < 0 {
					return count(0)
				}
				return count(pick(ws).sys[s.idx])
			})
			b.add(name, nil, nil, &s.name, v, bv)
		}
	}
	countRows("breaches", func(ws *windowStats) *counts { return &ws.breach })
	countRows("open_past_deadline", func(ws *windowStats) *counts { return &ws.open })

	// hr_to_it_lag_seconds: overall and by kind.
	for _, k := range []int{statP50, statP90} {
		v, bv := both(func(ws *windowStats) *float64 { return ws.lag[0].stat(k) })
		b.add("hr_to_it_lag_seconds_"+statNames[k], nil, nil, nil, v, bv)
	}
	for kind := range numKinds {
		for _, k := range []int{statP50, statP90} {
			v, bv := both(func(ws *windowStats) *float64 { return ws.lag[1+int(kind)].stat(k) })
			b.add("hr_to_it_lag_seconds_"+statNames[k], &kindNames[kind], nil, nil, v, bv)
		}
	}

	// nhi_offboarded_within_sla_ratio.
	v, bv := both(func(ws *windowStats) *float64 {
		var due, within int64
		for t := range numTiers {
			due += ws.nhi.due[kindLeaver][t]
			within += ws.nhi.within[kindLeaver][t]
		}
		return frac(within, due)
	})
	b.add("nhi_offboarded_within_sla_ratio", nil, nil, nil, v, bv)

	// orphaned_accounts: overall and by system.
	v, bv = both(func(ws *windowStats) *float64 { return count(ws.orphans) })
	b.add("orphaned_accounts", nil, nil, nil, v, bv)
	for _, s := range systemsWhere(func(ws *windowStats, s int) bool { return ws.orphSys[s] > 0 }) {
		v, bv := both(func(ws *windowStats) *float64 { return count(ws.orphSys[s]) })
		b.add("orphaned_accounts", nil, nil, &systems[s], v, bv)
	}

	// integration_coverage_ratio: policy systems with a completed step of
	// the population / policy systems; null without a policy.
	v, bv = both(func(ws *windowStats) *float64 {
		if policy == nil {
			return nil
		}
		var covered int64
		seen := map[string]bool{}
		for _, p := range policy {
			if seen[p] {
				continue
			}
			seen[p] = true
			if i := slices.Index(systems, p); i >= 0 && ws.covered[i] {
				covered++
			}
		}
		return frac(covered, int64(len(seen)))
	})
	b.add("integration_coverage_ratio", nil, nil, nil, v, bv)
	return b.out
}

// namedSystem is a system by name, with its index in the collector's
// systems or -1 for a policy system no event names.
type namedSystem struct {
	name string
	idx  int
}

// mergeNames merges known systems (indexes) and extra names into one list
// sorted by name.
func mergeNames(systems []string, known []int, extra []string) []namedSystem {
	out := make([]namedSystem, 0, len(known)+len(extra))
	for _, i := range known {
		out = append(out, namedSystem{systems[i], i})
	}
	for _, e := range extra {
		out = append(out, namedSystem{e, -1})
	}
	slices.SortFunc(out, func(a, b namedSystem) int {
		switch {
		case a.name < b.name:
			return -1
		case a.name > b.name:
			return 1
		}
		return 0
	})
	return out
}
