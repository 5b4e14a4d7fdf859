package httpapi

import (
	"net/http"
	"sort"
	"time"

	"github.com/jmlwatch/jmlwatch/processor/correlator"
)

// Dashboard is the body of /api/v1/dashboard: what the page at / shows.
type Dashboard struct {
	// Now is the instant the figures are computed at: the correlator clock
	// (event time), or wall time when there is none yet.
	Now time.Time `json:"now"`
	// ClockSource is "event" or "wall".
	ClockSource string `json:"clock_source"`
	OpenCases   int    `json:"open_cases"`
	OpenSteps   int    `json:"open_steps"`
	// OverdueSteps counts open steps past their deadline.
	OverdueSteps int `json:"overdue_steps"`
	// Unowned counts accounts that resolved to no worker.
	Unowned int `json:"unowned_accounts"`
	// Stalled lists open steps past their deadline: leaver cases first,
	// then the rest, each oldest deadline first (at most 200).
	Stalled []StalledStep `json:"stalled"`
	// Compliance by kind (joiner, mover, leaver, nhi) over the last 7 and
	// 30 days.
	Compliance []Compliance `json:"compliance"`
	// Latency is the distribution of completed steps' latency over the
	// last 30 days, by kind.
	Latency LatencyHistogram `json:"latency"`
	// Open lists open cases, oldest effective time first (at most 100).
	Open []OpenCase `json:"open"`
}

// StalledStep is an open step past its deadline.
type StalledStep struct {
	CaseID         string    `json:"case_id"`
	WorkerID       string    `json:"worker_id"`
	Kind           string    `json:"kind"`
	StepID         string    `json:"step_id"`
	System         string    `json:"system"`
	Action         string    `json:"action"`
	Target         string    `json:"target"`
	Tier           string    `json:"tier"`
	EffectiveAt    time.Time `json:"effective_at"`
	Deadline       time.Time `json:"deadline"`
	OverdueSeconds float64   `json:"overdue_seconds"`
}

// Compliance is the SLA compliance of one kind over one window.
type Compliance struct {
	Kind       string   `json:"kind"`
	WindowDays int      `json:"window_days"`
	Due        int      `json:"due"`
	Within     int      `json:"within"`
	Ratio      *float64 `json:"ratio"` // null when nothing was due
}

// LatencyHistogram counts completed steps by latency bucket and kind.
type LatencyHistogram struct {
	Buckets []string         `json:"buckets"`
	Counts  map[string][]int `json:"counts"`
}

// OpenCase is one open case, summarised.
type OpenCase struct {
	CaseID      string    `json:"case_id"`
	WorkerID    string    `json:"worker_id"`
	Kind        string    `json:"kind"`
	EffectiveAt time.Time `json:"effective_at"`
	Steps       int       `json:"steps"`
	OpenSteps   int       `json:"open_steps"`
	Overdue     int       `json:"overdue_steps"`
}

var latencyBuckets = []struct {
	label string
	upper time.Duration
}{
	{"before effective", 0},
	{"< 1h", time.Hour},
	{"1-4h", 4 * time.Hour},
	{"4-12h", 12 * time.Hour},
	{"12-24h", 24 * time.Hour},
	{"1-3d", 72 * time.Hour},
	{"3-7d", 168 * time.Hour},
	{"> 7d", 1<<63 - 1},
}

// latencyBucket is the index in latencyBuckets of the first bucket whose
// upper bound is above lat: 0 for a step completed before its effective
// time.
func latencyBucket(lat time.Duration) int {
	i := 0
	for lat >= latencyBuckets[i].upper {
		i++
	}
	return i
}

var dashKinds = []string{"joiner", "mover", "leaver", "nhi"}

// stepKind is the SLA kind of a step: nhi for nhi steps, else the case's.
func stepKind(cv correlator.CaseView, s correlator.StepView) string {
	if s.Action == "nhi" {
		return "nhi"
	}
	return string(cv.Kind)
}

// BuildDashboard computes the dashboard figures from r.
func BuildDashboard(r correlator.Reader, wall time.Time) (Dashboard, error) {
	d := Dashboard{ClockSource: "event", Stalled: []StalledStep{}, Open: []OpenCase{}}
	now, err := correlator.ReadClock(r)
	if err != nil {
		return d, err
	}
	if now.IsZero() {
		now, d.ClockSource = wall.UTC(), "wall"
	}
	d.Now = now
	windows := []int{7, 30}
	type acc struct{ due, within int }
	comp := map[string]map[int]*acc{}
	for _, k := range dashKinds {
		comp[k] = map[int]*acc{}
		for _, w := range windows {
			comp[k][w] = &acc{}
		}
	}
	d.Latency.Counts = map[string][]int{}
	for _, b := range latencyBuckets {
		d.Latency.Buckets = append(d.Latency.Buckets, b.label)
	}
	for _, k := range dashKinds {
		d.Latency.Counts[k] = make([]int, len(latencyBuckets))
	}
	var stalledLeavers, stalledOther []StalledStep
	err = correlator.ScanCases(r, "", func(cv correlator.CaseView) bool {
		if cv.State == "cancelled" {
			return true
		}
		oc := OpenCase{CaseID: cv.CaseID, WorkerID: cv.WorkerID, Kind: string(cv.Kind), EffectiveAt: cv.EffectiveAt, Steps: len(cv.Steps)}
		for _, s := range cv.Steps {
			k := stepKind(cv, s)
			open := s.Status != "completed"
			// Compliance: due in the window (deadline passed in it) or
			// completed in it.
			for _, w := range windows {
				from := now.Add(-time.Duration(w) * 24 * time.Hour)
				var due, within bool
				if open {
					due = s.Deadline.Before(now) && !s.Deadline.Before(from)
				} else {
					due = !s.CompletedAt.Before(from) && !s.CompletedAt.After(now)
					within = due && !s.CompletedAt.After(s.Deadline)
				}
				if due {
					comp[k][w].due++
					if within {
						comp[k][w].within++
					}
				}
			}
			if !open {
				if s.LatencySeconds != nil && !s.CompletedAt.Before(now.Add(-30*24*time.Hour)) {
					d.Latency.Counts[k][latencyBucket(time.Duration(*s.LatencySeconds*float64(time.Second)))]++
				}
				continue
			}
			oc.OpenSteps++
			d.OpenSteps++
			if s.Deadline.Before(now) {
				oc.Overdue++
				d.OverdueSteps++
				st := StalledStep{
					CaseID: cv.CaseID, WorkerID: cv.WorkerID, Kind: string(cv.Kind), StepID: s.StepID,
					System: s.System, Action: s.Action, Target: s.Target, Tier: s.Tier,
					EffectiveAt: cv.EffectiveAt, Deadline: s.Deadline, OverdueSeconds: now.Sub(s.Deadline).Seconds(),
				}
				if cv.Kind == "leaver" {
					stalledLeavers = append(stalledLeavers, st)
				} else {
					stalledOther = append(stalledOther, st)
				}
			}
		}
		if cv.State == "open" {
			d.OpenCases++
			d.Open = append(d.Open, oc)
		}
		return true
	})
	if err != nil {
		return d, err
	}
	byDeadline := func(s []StalledStep) {
		sort.SliceStable(s, func(i, j int) bool {
			if !s[i].Deadline.Equal(s[j].Deadline) {
				return s[i].Deadline.Before(s[j].Deadline)
			}
			return s[i].CaseID+s[i].StepID < s[j].CaseID+s[j].StepID
		})
	}
	byDeadline(stalledLeavers)
	byDeadline(stalledOther)
	d.Stalled = append(append(d.Stalled, stalledLeavers...), stalledOther...)
	if len(d.Stalled) > 200 {
		d.Stalled = d.Stalled[:200]
	}
	sort.SliceStable(d.Open, func(i, j int) bool {
		if !d.Open[i].EffectiveAt.Equal(d.Open[j].EffectiveAt) {
			return d.Open[i].EffectiveAt.Before(d.Open[j].EffectiveAt)
		}
		return d.Open[i].CaseID < d.Open[j].CaseID
	})
	if len(d.Open) > 100 {
		d.Open = d.Open[:100]
	}
	for _, k := range dashKinds {
		for _, w := range windows {
			a := comp[k][w]
			c := Compliance{Kind: k, WindowDays: w, Due: a.due, Within: a.within}
			if a.due > 0 {
				r := float64(a.within) / float64(a.due)
				c.Ratio = &r
			}
			d.Compliance = append(d.Compliance, c)
		}
	}
	err = correlator.ScanUnowned(r, func(correlator.UnownedView) bool { d.Unowned++; return true })
	return d, err
}

func (h *Handler) dashboard(w http.ResponseWriter, r *http.Request) {
	if len(r.URL.Query()) > 0 {
		writeError(w, http.StatusBadRequest, "bad_parameter", "the dashboard takes no parameters")
		return
	}
	d, err := BuildDashboard(h.opts.State, h.opts.Now())
	if err != nil {
		stateError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}
