package report

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"time"

	"github.com/jmlwatch/jmlwatch/events"
)

// genSystems are the synthetic target systems; privileged ones first.
var genSystems = []struct {
	name string
	priv bool
}{
	{"aws-prod", true}, {"payroll", true}, {"gcp-prod", true}, {"okta", false}, {"salesforce", false},
	{"github", false}, {"slack", false}, {"jira", false}, {"confluence", false}, {"workday", false},
	{"zoom", false}, {"box", false}, {"servicenow", false}, {"datadog", false}, {"pagerduty", false},
	{"figma", false}, {"notion", false}, {"snowflake", false}, {"tableau", false}, {"zendesk", false},
}

// generator writes synthetic jmlwatch output events shaped like replay's:
// cases of every kind with 1 to 6 steps, ~93% of steps completed with
// log-normal latencies (a few negative), warnings, breaches, cancellations
// and orphans, encoded with events.EncodeStructured. Deterministic for a
// seed.
type generator struct {
	rng   *rand.Rand
	start time.Time
	step  time.Duration // between consecutive cases' effective times
	n     int           // cases so far
	out   []events.Output
}

func newGenerator(seed uint64, start time.Time, caseSpacing time.Duration) *generator {
	return &generator{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), start: start, step: caseSpacing}
}

func (g *generator) id(parts ...any) string {
	return fmt.Sprintf("%016x%016x", g.rng.Uint64(), uint64(len(parts)))
}

// latency draws a completion latency: log-normal around 2h, at most 20
// days, 3% negative.
func (g *generator) latency() time.Duration {
	if g.rng.Float64() < 0.03 {
		return -time.Duration(g.rng.Int64N(int64(time.Hour)))
	}
	d := time.Duration(math.Exp(math.Log(7200)+1.6*g.rng.NormFloat64()) * float64(time.Second))
	return min(d, 20*24*time.Hour)
}

// nextCase appends one case's events to g.out (which it resets).
func (g *generator) nextCase() []events.Output {
	g.out = g.out[:0]
	i := g.n
	g.n++
	eff := g.start.Add(time.Duration(i) * g.step).Add(time.Duration(g.rng.Int64N(int64(time.Hour)))).Truncate(time.Second)
	rec := eff.Add(time.Duration(g.rng.Int64N(int64(36*time.Hour))) - 24*time.Hour)
	worker := fmt.Sprintf("w%07d", g.rng.IntN(5_000_000))
	caseID := g.id(i)
	var kind events.Kind
	switch r := g.rng.Float64(); {
	case r < 0.45:
		kind = events.KindJoiner
	case r < 0.60:
		kind = events.KindMover
	default:
		kind = events.KindLeaver
	}
	type gstep struct {
		info events.StepInfo
		lat  time.Duration
		done bool
	}
	var steps []gstep
	add := func(action string, sys int, target string) {
		s := genSystems[sys]
		tier := events.TierStandard
		deadline := 24 * time.Hour
		switch {
		case action == events.ActionNHI:
			deadline = 168 * time.Hour
		case kind == events.KindMover:
			deadline = 72 * time.Hour
		case s.priv && kind == events.KindLeaver:
			deadline = 4 * time.Hour
		}
		if s.priv {
			tier = events.TierPrivileged
		}
		steps = append(steps, gstep{
			info: events.StepInfo{StepID: action + ":" + s.name + ":" + target, System: s.name, Action: action,
				Target: target, Tier: tier, Deadline: eff.Add(deadline)},
			lat: g.latency(), done: g.rng.Float64() < 0.93,
		})
	}
	switch kind {
	case events.KindJoiner:
		add(events.ActionProvision, 3, "*")
		for range g.rng.IntN(3) {
			add(events.ActionProvision, g.rng.IntN(len(genSystems)), "*")
		}
		for k := range g.rng.IntN(3) {
			add(events.ActionGrant, 3, fmt.Sprintf("group-%d", k))
		}
	case events.KindMover:
		for k := range 1 + g.rng.IntN(2) {
			add([]string{events.ActionGrant, events.ActionRevoke}[g.rng.IntN(2)], g.rng.IntN(len(genSystems)), fmt.Sprintf("role-%d", k))
		}
	case events.KindLeaver:
		add(events.ActionRevoke, 3, "00u"+worker)
		for range 1 + g.rng.IntN(4) {
			sys := g.rng.IntN(len(genSystems))
			add(events.ActionRevoke, sys, fmt.Sprintf("acct-%d", g.rng.IntN(1_000_000)))
		}
		if g.rng.Float64() < 0.1 {
			add(events.ActionNHI, 5, "svc-"+worker)
		}
	}
	// Distinct step ids within the case.
	seen := map[string]int{}
	infos := make([]events.StepInfo, len(steps))
	for k := range steps {
		if n := seen[steps[k].info.StepID]; n > 0 {
			steps[k].info.StepID += fmt.Sprintf("#%d", n+1)
		}
		seen[steps[k].info.StepID]++
		infos[k] = steps[k].info
	}
	emit := func(typ string, t time.Time, data any) {
		g.out = append(g.out, events.Output{ID: g.id(typ), Type: typ, Time: t, Subject: worker, Data: data})
	}
	emit(events.TypeCaseOpened, rec, &events.CaseOpenedData{CaseID: caseID, WorkerID: worker, Kind: kind, EffectiveAt: eff, RecordedAt: rec, Steps: infos})
	if g.rng.Float64() < 0.02 {
		emit(events.TypeCaseCancelled, rec.Add(time.Hour), &events.CaseCancelledData{CaseID: caseID, WorkerID: worker, Kind: kind, Reason: events.CancelSuperseded})
		return g.out
	}
	allDone, within := true, true
	var last time.Time
	breachedN := 0
	for _, s := range steps {
		sla := &events.SLAData{CaseID: caseID, StepID: s.info.StepID, WorkerID: worker, Kind: kind, System: s.info.System,
			Action: s.info.Action, Target: s.info.Target, Tier: s.info.Tier, EffectiveAt: eff, Deadline: s.info.Deadline}
		doneAt := eff.Add(s.lat)
		late := !s.done || doneAt.After(s.info.Deadline)
		if kind == events.KindLeaver && s.info.Tier == events.TierStandard && (!s.done || s.lat > 12*time.Hour) {
			emit(events.TypeSLAWarning, eff.Add(12*time.Hour), sla)
		}
		if late {
			emit(events.TypeSLABreached, s.info.Deadline, sla)
			breachedN++
			within = false
		}
		if !s.done {
			allDone = false
			continue
		}
		emit(events.TypeStepCompleted, doneAt, &events.StepCompletedData{CaseID: caseID, StepID: s.info.StepID, WorkerID: worker,
			Kind: kind, System: s.info.System, Action: s.info.Action, Target: s.info.Target, Tier: s.info.Tier, EffectiveAt: eff,
			CompletedAt: doneAt, LatencySeconds: s.lat.Seconds(), Deadline: s.info.Deadline, WithinSLA: !late, BreachedBefore: late})
		if doneAt.After(last) {
			last = doneAt
		}
	}
	if allDone {
		emit(events.TypeCaseCompleted, last, &events.CaseCompletedData{CaseID: caseID, WorkerID: worker, Kind: kind, EffectiveAt: eff,
			CompletedAt: last, LatencySeconds: last.Sub(eff).Seconds(), WithinSLA: within, Steps: len(steps), BreachedSteps: breachedN})
	}
	if kind == events.KindLeaver && g.rng.Float64() < 0.01 {
		emit(events.TypeOrphanDetected, eff.Add(48*time.Hour), &events.OrphanDetectedData{CaseID: caseID, WorkerID: worker, Kind: kind,
			System: genSystems[g.rng.IntN(len(genSystems))].name, AccountID: fmt.Sprintf("acct-%d", g.rng.IntN(1_000_000)), LeftAt: eff})
	}
	return g.out
}

// writeEvents writes at least n events (whole cases) as JSON Lines and
// returns how many it wrote and the bytes.
func (g *generator) writeEvents(w io.Writer, n int) (events, bytes int64, err error) {
	bw := bufio.NewWriterSize(w, 1<<20)
	for events < int64(n) {
		for _, o := range g.nextCase() {
			b, err := eventsEncode(o)
			if err != nil {
				return events, bytes, err
			}
			bw.Write(b)
			bw.WriteByte('\n')
			events++
			bytes += int64(len(b)) + 1
		}
	}
	return events, bytes, bw.Flush()
}

func eventsEncode(o events.Output) ([]byte, error) { return events.EncodeStructured(o) }
