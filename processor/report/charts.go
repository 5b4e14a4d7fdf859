package report

import (
	"cmp"
	"slices"
	"time"
)

// charts is the data behind the html format's charts, JSON-encoded into the
// page.
type charts struct {
	Latency []latencyChart `json:"latency"`
	Weekly  weeklyChart    `json:"weekly"`
	Overdue overdueChart   `json:"overdue"`
}

// latencyChart is the latency distribution of one kind: the share of its
// completed steps in each bucket, period against baseline.
type latencyChart struct {
	Title    string    `json:"title"`
	Labels   []string  `json:"labels"`
	Period   []float64 `json:"period"`   // percent of Steps
	Baseline []float64 `json:"baseline"` // nil without a baseline
	Steps    int64     `json:"steps"`
	BaseN    int64     `json:"baseSteps"`
}

// weeklyChart is steps_within_sla_ratio per week (as a percentage; nil for
// a week without due steps), week i of the period against week i of the
// baseline.
type weeklyChart struct {
	Labels        []string   `json:"labels"` // the period's week starts
	Period        []*float64 `json:"period"`
	Baseline      []*float64 `json:"baseline"`
	BaselineWeeks []string   `json:"baselineWeeks"`
}

// overdueChart is the systems with the most steps open past their deadline
// at the period's end.
type overdueChart struct {
	Systems  []string `json:"systems"`
	Period   []int64  `json:"period"`
	Baseline []int64  `json:"baseline"`
}

// maxOverdueSystems bounds the overdue chart.
const maxOverdueSystems = 10

func buildCharts(systems []string, cur, base *windowStats) charts {
	var ch charts
	titles := [numScopes]string{"Joiners: time to provision", "Movers: time to modify", "Leavers: time to revoke"}
	share := func(h []int64) ([]float64, int64) {
		var n int64
		for _, c := range h {
			n += c
		}
		out := make([]float64, len(h))
		for i, c := range h {
			if n > 0 {
				out[i] = float64(c) * 100 / float64(n)
			}
		}
		return out, n
	}
	for sc := range numScopes {
		lc := latencyChart{Title: titles[sc], Labels: histLabels}
		lc.Period, lc.Steps = share(cur.hist[sc])
		if base != nil {
			lc.Baseline, lc.BaseN = share(base.hist[sc])
		}
		ch.Latency = append(ch.Latency, lc)
	}

	weekly := func(ws []weekStat) ([]*float64, []string) {
		vals := make([]*float64, len(ws))
		labels := make([]string, len(ws))
		for i, w := range ws {
			labels[i] = w.start.Format(time.DateOnly)
			if w.due > 0 {
				vals[i] = ptr(float64(w.within) * 100 / float64(w.due))
			}
		}
		return vals, labels
	}
	ch.Weekly.Period, ch.Weekly.Labels = weekly(cur.weeks)
	if base != nil {
		ch.Weekly.Baseline, ch.Weekly.BaselineWeeks = weekly(base.weeks)
	}

	type row struct {
		sys       int
		cur, base int64
	}
	var rs []row
	for s := range systems {
		r := row{sys: s, cur: cur.open.sys[s]}
		if base != nil {
			r.base = base.open.sys[s]
		}
		if r.cur > 0 || r.base > 0 {
			rs = append(rs, r)
		}
	}
	slices.SortFunc(rs, func(a, b row) int {
		if c := cmp.Compare(b.cur, a.cur); c != 0 {
			return c
		}
		if c := cmp.Compare(b.base, a.base); c != 0 {
			return c
		}
		return cmp.Compare(systems[a.sys], systems[b.sys])
	})
	if len(rs) > maxOverdueSystems {
		rs = rs[:maxOverdueSystems]
	}
	ch.Overdue.Systems, ch.Overdue.Period = []string{}, []int64{}
	for _, r := range rs {
		ch.Overdue.Systems = append(ch.Overdue.Systems, systems[r.sys])
		ch.Overdue.Period = append(ch.Overdue.Period, r.cur)
		if base != nil {
			ch.Overdue.Baseline = append(ch.Overdue.Baseline, r.base)
		}
	}
	return ch
}
