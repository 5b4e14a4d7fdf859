package report

import (
	"slices"
	"time"
)

// Latency scopes: the steps each time_to_* metric measures.
const (
	scopeProvision = iota // joiner cases: every step but nhi
	scopeModify           // mover cases: every step but nhi
	scopeRevoke           // leaver cases: revoke steps
	numScopes
)

// scopeOf returns the latency scope of a step of a case of kind, or -1 for
// a step no time_to_* metric measures (nhi steps).
func scopeOf(kind, action uint8) int {
	switch {
	case action == actionNHI:
		return -1
	case kind == kindJoiner:
		return scopeProvision
	case kind == kindMover:
		return scopeModify
	case kind == kindLeaver && action == actionRevoke:
		return scopeRevoke
	}
	return -1
}

// stat indexes the statistics of a percentile set.
const (
	statP50 = iota
	statP90
	statP99
	statMax
	numStats
)

// statPercent is the p of each stat for the nearest rank ceil(p/100 x n).
var statPercent = [numStats]int64{50, 90, 99, 100}

// pctl holds the nearest-rank percentiles of one group of values, in
// nanoseconds. n = 0 means the group is empty: every statistic is null.
type pctl struct {
	n int64
	v [numStats]int64
}

// sample is one latency (or lag) with the groups it belongs to.
type sample struct {
	ns    int64
	sys   uint16
	group uint8 // tier (latencies) or kind (lags)
}

// percentiles sorts samples and computes, in one pass, the nearest-rank
// percentiles of the whole set (out[0]), of each value of sample.group
// (out[1+group]) and, when bySystem, of each system (out[1+ngroups+sys])
// and of each (group, system) (out[groupSysIndex(ngroups, nsys, group,
// sys)]). The value at rank r of a group of n sorted values is its r-th
// smallest; rank ceil(p x n) in integer arithmetic, so p99 of 100 values is
// the 99th.
func percentiles(samples []sample, ngroups, nsys int, bySystem bool) []pctl {
	slices.SortFunc(samples, func(a, b sample) int {
		switch {
		case a.ns < b.ns:
			return -1
		case a.ns > b.ns:
			return 1
		}
		return 0
	})
	size := 1 + ngroups
	if bySystem {
		size += nsys + ngroups*nsys
	}
	out := make([]pctl, size)
	groups := func(s sample) [4]int {
		g := [4]int{0, 1 + int(s.group), -1, -1}
		if bySystem {
			g[2] = 1 + ngroups + int(s.sys)
			g[3] = groupSysIndex(ngroups, nsys, int(s.group), int(s.sys))
		}
		return g
	}
	for _, s := range samples {
		for _, g := range groups(s) {
			if g >= 0 {
				out[g].n++
			}
		}
	}
	targets := make([][numStats]int64, size)
	for g := range out {
		for k, p := range statPercent {
			targets[g][k] = (p*out[g].n + 99) / 100
		}
	}
	seen := make([]int64, size)
	for _, s := range samples {
		for _, g := range groups(s) {
			if g < 0 {
				continue
			}
			seen[g]++
			for k := range numStats {
				if targets[g][k] == seen[g] {
					out[g].v[k] = s.ns
				}
			}
		}
	}
	return out
}

// groupSysIndex is the index in percentiles' result of the values of
// group and system sys.
func groupSysIndex(ngroups, nsys, group, sys int) int {
	return 1 + ngroups + nsys + group*nsys + sys
}

// counts is a count overall, by kind, by tier and by system.
type counts struct {
	all  int64
	kind [numKinds]int64
	tier [numTiers]int64
	sys  []int64
}

func (c *counts) add(kind, tier uint8, sys uint16) {
	c.all++
	c.kind[kind]++
	c.tier[tier]++
	c.sys[sys]++
}

// ratio is a numerator over a denominator, by kind x tier.
type ratio struct {
	due, within [numKinds][numTiers]int64
}

func (r *ratio) add(kind, tier uint8, within bool) {
	r.due[kind][tier]++
	if within {
		r.within[kind][tier]++
	}
}

// latency histogram buckets, upper bounds exclusive (the last is open).
var histBounds = []time.Duration{0, 5 * time.Minute, time.Hour, 4 * time.Hour, 24 * time.Hour, 72 * time.Hour, 7 * 24 * time.Hour}

var histLabels = []string{"< 0 (early)", "0–5m", "5m–1h", "1–4h", "4–24h", "1–3d", "3–7d", "≥ 7d"}

func histBucket(ns int64) int {
	for i, b := range histBounds {
		if ns < int64(b) {
			return i
		}
	}
	return len(histBounds)
}

// windowStats is everything the report says about one window.
type windowStats struct {
	w       Window
	lat     [numScopes][]pctl // [0] all, [1+tier], [1+numTiers+sys], [groupSysIndex(tier, sys)]
	latSys  [numScopes][]bool // systems with a completed step in scope
	lag     []pctl            // [0] all, [1+kind]
	steps   ratio             // non-nhi steps
	cases   ratio             // cases with steps, by case tier
	nhi     ratio             // nhi steps (kind index leaver)
	breach  counts
	open    counts  // open past deadline at the end
	stepSys []bool  // systems with a step in the population
	covered []bool  // systems with a completed step in the population
	orphans int64   // distinct (system, account_id)
	orphSys []int64 // by system
	hist    [numScopes][]int64
	weeks   []weekStat
}

// weekStat is the steps_within_sla_ratio of the steps effective in one
// week (Monday 00:00 in the report's time zone).
type weekStat struct {
	start       time.Time
	due, within int64
}

// weekStart returns Monday 00:00 of t's week in loc.
func weekStart(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
	return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
}

// weekOf returns the index of the last week start at or before ns.
func weekOf(starts []int64, ns int64) int {
	i, found := slices.BinarySearch(starts, ns)
	if found {
		return i
	}
	return max(i-1, 0)
}

// compute evaluates the population of window w: the cases (and their
// steps) whose effective_at is in w and that were never cancelled. "Now" is
// w.To: a step is due when completed or past its deadline before it.
func (c *collector) compute(w Window, loc *time.Location) *windowStats {
	nsys := len(c.systems)
	from, to := w.From.UnixNano(), w.To.UnixNano()
	ws := &windowStats{
		w:       w,
		breach:  counts{sys: make([]int64, nsys)},
		open:    counts{sys: make([]int64, nsys)},
		stepSys: make([]bool, nsys),
		covered: make([]bool, nsys),
		orphSys: make([]int64, nsys),
	}
	for s := range numScopes {
		ws.latSys[s] = make([]bool, nsys)
		ws.hist[s] = make([]int64, len(histBounds)+1)
	}
	// Weeks overlapping w.
	var weekStarts []int64
	for t := weekStart(w.From, loc); t.Before(w.To); t = t.AddDate(0, 0, 7) {
		weekStarts = append(weekStarts, t.UnixNano())
		ws.weeks = append(ws.weeks, weekStat{start: t})
	}
	var nLag int            // cases with a lag
	var nLat [numScopes]int // completed steps by latency scope
	n := c.recs.len()
	for i := int32(0); i < n; i++ {
		rec := c.recs.at(i)
		if !inPopulation(rec, from, to) {
			continue
		}
		kind := rec.kind
		caseTier := tierStandard
		hasSteps := rec.flags&caseHasSteps != 0
		stuck := false // a step open past its deadline at the end
		// A case is within when all its steps are (SPEC 9). Steps known
		// without a completion (their step.completed not in the inputs)
		// defer to case.completed's within_sla, as does a case none of
		// whose steps is known.
		allWithin, unknown := true, rec.firstStep < 0
		week := &ws.weeks[weekOf(weekStarts, rec.effective)]
		for j := rec.firstStep; j >= 0; {
			st := c.steps.at(j)
			j = st.next
			hasSteps = true
			tier := st.tier()
			if tier > caseTier {
				caseTier = tier
			}
			ws.stepSys[st.system] = true
			// Due: completed or past its deadline before the end. Within:
			// completed by its deadline (SPEC 9's words; the same as the
			// event's within_sla, completed_at <= deadline).
			doneByEnd := st.bits&stepCompleted != 0 && st.completed < to
			pastDeadline := !doneByEnd && st.deadline < to
			due := doneByEnd || pastDeadline
			within := doneByEnd && st.completed <= st.deadline
			if st.bits&stepCompleted == 0 {
				unknown = true
			} else if st.completed > st.deadline {
				allWithin = false
			}
			if pastDeadline {
				stuck = true
				ws.open.add(kind, tier, st.system)
			}
			if st.bits&stepBreached != 0 {
				ws.breach.add(kind, tier, st.system)
			}
			if st.bits&stepCompleted != 0 {
				ws.covered[st.system] = true
				if sc := scopeOf(kind, st.action()); sc >= 0 {
					nLat[sc]++
					ws.latSys[sc][st.system] = true
					ws.hist[sc][histBucket(st.completed-rec.effective)]++
				}
			}
			if !due {
				continue
			}
			if st.action() == actionNHI {
				ws.nhi.add(kindLeaver, tier, within)
				continue
			}
			if kind == kindLeaver && st.action() != actionRevoke {
				continue // a leaver counts its revoke steps only
			}
			ws.steps.add(kind, tier, within)
			week.due++
			if within {
				week.within++
			}
		}
		if hasSteps {
			done := rec.flags&caseCompleted != 0 && rec.completed < to
			if done || stuck {
				within := done && allWithin && (!unknown || rec.flags&caseWithin != 0)
				ws.cases.add(kind, caseTier, within)
			}
		}
		if rec.flags&caseOpened != 0 {
			nLag++
		}
	}

	// Percentiles need the values: one sample buffer, sized once for the
	// largest set and reused, so that a window costs one set's values.
	samples := make([]sample, 0, max(nLag, slices.Max(nLat[:])))
	for i := int32(0); i < n; i++ {
		rec := c.recs.at(i)
		if inPopulation(rec, from, to) && rec.flags&caseOpened != 0 {
			samples = append(samples, sample{ns: max(rec.recorded-rec.effective, 0), group: rec.kind})
		}
	}
	ws.lag = percentiles(samples, int(numKinds), 0, false)
	for sc := range numScopes {
		samples = samples[:0]
		for i := int32(0); i < n; i++ {
			rec := c.recs.at(i)
			if !inPopulation(rec, from, to) {
				continue
			}
			for j := rec.firstStep; j >= 0; {
				st := c.steps.at(j)
				j = st.next
				if st.bits&stepCompleted != 0 && scopeOf(rec.kind, st.action()) == sc {
					samples = append(samples, sample{ns: st.completed - rec.effective, sys: st.system, group: st.tier()})
				}
			}
		}
		ws.lat[sc] = percentiles(samples, int(numTiers), nsys, true)
	}

	// Orphans: distinct (system, account_id) detected in w.
	seen := map[uint64]struct{}{}
	for _, o := range c.orphans {
		if o.time < from || o.time >= to {
			continue
		}
		if _, dup := seen[o.key]; dup {
			continue
		}
		seen[o.key] = struct{}{}
		ws.orphans++
		ws.orphSys[o.system]++
	}
	return ws
}

// inPopulation reports whether a case belongs to the population of [from,
// to): its effective_at is inside and it was never cancelled. A record seen
// only through case.cancelled (no kind) never does.
func inPopulation(rec *caseRec, from, to int64) bool {
	return rec.flags&caseCancelled == 0 && rec.flags&caseHasKind != 0 &&
		rec.effective >= from && rec.effective < to
}
