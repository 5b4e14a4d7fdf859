package gen

import (
	"container/heap"
	"context"
	"time"
)

const (
	msHour = int64(time.Hour / time.Millisecond)
	msDay  = 24 * msHour
	msMin  = int64(time.Minute / time.Millisecond)
)

// Worker status.
const (
	stActive uint8 = iota
	stLeaving
	stLeft
)

// App bits of a worker.
const (
	appSlack uint8 = 1 << iota
	appSalesforce
	appGitHub
	appAWS
	numApps = 4
)

// NHI kinds a worker may own (nhi field, 0 = none).
const (
	nhiNone uint8 = iota
	nhiOktaToken
	nhiOktaClient
	nhiEntraSP
)

// worker is the per-worker state: a few bytes, so a million workers fit.
type worker struct {
	dept   uint8
	status uint8
	apps   uint8
	nhi    uint8
	admin  bool
	busy   int32 // day index until which no new lifecycle event is decided
	pos    int32 // index in sim.active, -1 when not active
}

type sim struct {
	cfg   Config
	sink  Sink
	rnd   rng
	seed  uint64
	start int64 // unix ms
	end   int64 // unix ms, exclusive
	stats Stats

	workers []worker
	active  []int32
	q       queue
	seq     uint64
	ids     uint64
	shadows int32
	// lifecycleByDay counts lifecycle records pushed per day index, to size
	// the day's noise.
	lifecycleByDay map[int64]int
	buf            []byte
}

func newSim(cfg Config, sink Sink) *sim {
	s := &sim{
		cfg: cfg, sink: sink, rnd: newRNG(cfg.Seed), seed: mix(cfg.Seed + 1),
		start: cfg.Start.UnixMilli(), lifecycleByDay: map[int64]int{},
	}
	s.end = s.start + int64(cfg.Days)*msDay
	s.workers = make([]worker, 0, cfg.Workers+cfg.Workers/4)
	s.active = make([]int32, 0, cfg.Workers+cfg.Workers/4)
	for range cfg.Workers {
		s.addWorker(s.randomDept())
	}
	return s
}

func (s *sim) randomDept() uint8 {
	// Weighted: engineering and sales are the big departments.
	r := s.rnd.intn(100)
	acc := 0
	for i, d := range departments {
		acc += d.weight
		if r < acc {
			return uint8(i)
		}
	}
	return 0
}

// addWorker adds an active worker with apps, NHI and admin rights drawn
// from its department.
func (s *sim) addWorker(dept uint8) int32 {
	w := worker{dept: dept, apps: appSlack}
	switch departments[dept].name {
	case "Sales", "Marketing", "Support":
		w.apps |= appSalesforce
	case "Engineering":
		w.apps |= appGitHub
		if s.rnd.chance(0.3) {
			w.apps |= appAWS
		}
	}
	if s.rnd.chance(0.05) {
		w.nhi = uint8(1 + s.rnd.intn(3))
	}
	w.admin = departments[dept].name == "IT" && s.rnd.chance(0.2)
	idx := int32(len(s.workers))
	w.pos = int32(len(s.active))
	s.workers = append(s.workers, w)
	s.active = append(s.active, idx)
	return idx
}

// deactivate removes w from the active set (it is leaving).
func (s *sim) deactivate(w int32) {
	p := s.workers[w].pos
	if p < 0 {
		return
	}
	last := s.active[len(s.active)-1]
	s.active[p] = last
	s.workers[last].pos = p
	s.active = s.active[:len(s.active)-1]
	s.workers[w].pos = -1
}

// pick returns a random active worker not busy at day d, or -1.
func (s *sim) pick(d int32) int32 {
	for range 8 {
		if len(s.active) == 0 {
			return -1
		}
		w := s.active[s.rnd.intn(len(s.active))]
		if s.workers[w].busy < d {
			return w
		}
	}
	return -1
}

// push queues a record. Records outside [start, end) are dropped; lifecycle
// records are counted towards their day's noise.
func (s *sim) push(r rec, lifecycle bool) {
	r.t = max(r.t, s.start)
	if r.t >= s.end {
		return
	}
	s.seq++
	r.seq = s.seq
	if r.id == 0 {
		s.ids++
		r.id = s.ids
	}
	if lifecycle && !r.dup {
		s.lifecycleByDay[(r.t-s.start)/msDay]++
	}
	heap.Push(&s.q, r)
}

// pushLC queues a lifecycle record and, now and then, a repeated delivery.
func (s *sim) pushLC(r rec) {
	s.push(r, true)
	if s.rnd.chance(0.01) {
		d := r
		d.dup = true
		d.id = s.ids
		s.push(d, true)
	}
}

func (s *sim) run(ctx context.Context) error {
	perDay := func(rate float64) float64 { return float64(len(s.active)) * rate / 365 }
	for d := int32(0); d < int32(s.cfg.Days); d++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		day := s.start + int64(d)*msDay
		for range s.rnd.poisson(perDay(s.cfg.Turnover)) {
			s.leaver(d, day)
		}
		for range s.rnd.poisson(perDay(s.cfg.Turnover) * 1.02) {
			s.joiner(d, day)
		}
		for range s.rnd.poisson(perDay(s.cfg.MoveRate)) {
			s.mover(d, day)
		}
		for range s.rnd.poisson(float64(len(s.active))/3000 + 0.05) {
			s.shadow(day)
		}
		s.noise(int64(d), day)
		if d == 0 {
			if err := s.initialLoad(); err != nil {
				return err
			}
		}
		if err := s.flush(day + msDay); err != nil {
			return err
		}
	}
	return s.flush(s.end)
}

// flush writes every queued record before t.
func (s *sim) flush(t int64) error {
	for len(s.q) > 0 && s.q[0].t < t {
		r := heap.Pop(&s.q).(rec)
		if err := s.write(r); err != nil {
			return err
		}
	}
	return nil
}

// initialLoad writes the day-0 load in worker order, spread over the first
// hour, merged with whatever the queue holds for that hour.
func (s *sim) initialLoad() error {
	n := int64(len(s.workers))
	for i := range s.workers {
		w := int32(i)
		t := s.start + int64(i)*msHour/n
		if err := s.flush(t); err != nil {
			return err
		}
		wk := &s.workers[i]
		out := []rec{{t: t, kind: kSnapshot, w: w}}
		out = append(out, rec{t: t, kind: kOktaCreate, w: w}, rec{t: t, kind: kEntraAdd, w: w},
			rec{t: t, kind: kOktaGroupAdd, w: w, x: int32(wk.dept)})
		for a := range numApps {
			if wk.apps&(1<<a) != 0 {
				out = append(out, rec{t: t, kind: kOktaAppAdd, w: w, x: int32(a)})
			}
		}
		if wk.admin {
			out = append(out, rec{t: t, kind: kOktaPrivGrant, w: w})
		}
		if wk.nhi != nhiNone {
			out = append(out, rec{t: t, kind: kNHIRegistered, w: w})
		}
		for _, r := range out {
			s.ids++
			r.id = s.ids
			if err := s.write(r); err != nil {
				return err
			}
		}
	}
	return nil
}

// delay draws a revocation or provisioning delay in ms: median med, shape
// sigma, a share before the effective time and a share never (ok false).
func (s *sim) delay(med float64, sigma, before, never float64, maxBefore int64) (int64, bool) {
	r := s.rnd.float()
	switch {
	case r < never:
		return 0, false
	case r < never+before:
		return -s.rnd.between(5*msMin, maxBefore), true
	}
	return s.rnd.lognormal(med, sigma), true
}

func (s *sim) leaver(d int32, day int64) {
	w := s.pick(d)
	if w < 0 {
		return
	}
	s.stats.Leavers++
	wk := &s.workers[w]
	notice := int32(1 + s.rnd.intn(14))
	e := d + notice
	eday := s.start + int64(e)*msDay
	involuntary := s.rnd.chance(0.2)
	var eff int64
	var sub uint8
	if involuntary {
		sub = reasonInvoluntary
		eff = eday + s.rnd.between(9*msHour, 17*msHour)
		eff -= eff % msMin
	} else if s.rnd.chance(0.6) {
		sub = flagDateOnly
		eff = eday + msDay // date_only_at 24h: the following local midnight (UTC policy)
	} else {
		eff = eday + 17*msHour
	}
	recorded := day + s.rnd.between(0, msDay-1)
	if s.rnd.chance(0.15) {
		recorded = eff + s.rnd.between(msHour, 5*msDay)
	}
	wk.busy = e + 30
	s.pushLC(rec{t: recorded, kind: kLeaver, w: w, eff: eff, sub: sub})
	if s.rnd.chance(0.02) {
		// Rescinded: the worker stays; nothing is revoked.
		s.stats.Rescinds++
		s.pushLC(rec{t: recorded + s.rnd.between(msHour, 2*msDay), kind: kRescind, w: w, sub: uint8(kLeaver)})
		return
	}
	wk.status = stLeaving
	s.deactivate(w)
	med := 2.0 * float64(msHour)
	if involuntary {
		med = 20 * float64(msMin)
	}
	// Okta: the user, and the apps it deprovisions.
	if dl, ok := s.delay(med, 1.5, 0.15, 0.03, 6*msHour); ok {
		t := eff + dl
		k := kOktaDeactivate
		if s.rnd.chance(0.15) {
			k = kOktaSuspend
		}
		s.pushLC(rec{t: t, kind: k, w: w})
		for a := range numApps {
			if wk.apps&(1<<a) == 0 {
				continue
			}
			at := t + s.rnd.between(0, 15*msMin)
			if s.rnd.chance(0.15) {
				// An app with no provisioning connector: someone removes it by hand.
				dl2, ok2 := s.delay(med*4, 1.5, 0, 0.05, 0)
				if !ok2 {
					continue
				}
				at = eff + dl2
			}
			k := kOktaAppDeprov
			if s.rnd.chance(0.3) {
				k = kOktaAppRemove
			}
			s.pushLC(rec{t: at, kind: k, w: w, x: int32(a)})
		}
		if s.rnd.chance(0.01) {
			// Reactivated by mistake weeks later: an orphan.
			s.pushLC(rec{t: eff + s.rnd.between(3*msDay, 20*msDay), kind: kOktaReactivate, w: w})
		}
	}
	// Entra, synchronised by another team.
	if dl, ok := s.delay(med*1.5, 1.5, 0.15, 0.03, 6*msHour); ok {
		k := kEntraDisable
		if s.rnd.chance(0.5) {
			k = kEntraUpdateDisable
		}
		s.pushLC(rec{t: eff + dl, kind: k, w: w})
	}
	// Payroll, closed by a ticket.
	if dl, ok := s.delay(2*float64(msHour), 1.2, 0.1, 0.03, 6*msHour); ok {
		if s.rnd.chance(0.05) {
			s.pushLC(rec{t: eff + dl/2, kind: kTicket, w: w, sub: ticketLeaverIncomplete})
		}
		s.pushLC(rec{t: eff + dl, kind: kTicket, w: w, sub: ticketLeaverCompleted})
	}
	// The NHI the worker owns: revoked, handed over, or forgotten.
	if wk.nhi != nhiNone {
		dl, ok := s.delay(24*float64(msHour), 1.3, 0.1, 0.1, 48*msHour)
		if ok {
			if s.rnd.chance(0.4) {
				if to := s.pick(1 << 30); to >= 0 {
					s.pushLC(rec{t: eff + dl, kind: kNHIReassigned, w: w, x: to})
				}
			} else {
				s.pushLC(rec{t: eff + dl, kind: kNHIRevoke, w: w})
			}
		}
	}
}

func (s *sim) joiner(d int32, day int64) {
	dept := s.randomDept()
	w := s.addWorker(dept)
	s.stats.Joiners++
	wk := &s.workers[w]
	e := d + int32(3+s.rnd.intn(14))
	wk.busy = e + 30
	eday := s.start + int64(e)*msDay
	var eff int64
	var sub uint8
	if s.rnd.chance(0.5) {
		sub = flagDateOnly
		eff = eday
	} else {
		eff = eday + 9*msHour
	}
	recorded := day + s.rnd.between(0, msDay-1)
	if s.rnd.chance(0.1) {
		recorded = eff + s.rnd.between(msHour, 3*msDay)
	}
	s.pushLC(rec{t: recorded, kind: kJoiner, w: w, eff: eff, sub: sub})
	if s.rnd.chance(0.03) {
		s.stats.Rescinds++
		s.pushLC(rec{t: recorded + s.rnd.between(msHour, 2*msDay), kind: kRescind, w: w, sub: uint8(kJoiner)})
		wk.status = stLeft
		s.deactivate(w)
		return
	}
	// Provisioning mostly happens ahead of day one.
	if dl, ok := s.delay(3*float64(msHour), 1.4, 0.7, 0.05, 72*msHour); ok {
		t := max(eff+dl, recorded)
		s.pushLC(rec{t: t, kind: kOktaCreate, w: w})
		s.pushLC(rec{t: t + s.rnd.between(0, 30*msMin), kind: kOktaGroupAdd, w: w, x: int32(dept)})
		for a := range numApps {
			if wk.apps&(1<<a) != 0 {
				s.pushLC(rec{t: t + s.rnd.between(0, 2*msHour), kind: kOktaAppAdd, w: w, x: int32(a)})
			}
		}
		if wk.nhi != nhiNone {
			s.pushLC(rec{t: t + s.rnd.between(msDay, 20*msDay), kind: kNHIRegistered, w: w})
		}
	}
	if dl, ok := s.delay(4*float64(msHour), 1.4, 0.6, 0.05, 72*msHour); ok {
		s.pushLC(rec{t: max(eff+dl, recorded), kind: kEntraAdd, w: w})
	}
	if dl, ok := s.delay(6*float64(msHour), 1.0, 0.5, 0.03, 48*msHour); ok {
		s.pushLC(rec{t: max(eff+dl, recorded), kind: kTicket, w: w, sub: ticketJoinerCompleted})
	}
}

func (s *sim) mover(d int32, day int64) {
	w := s.pick(d)
	if w < 0 {
		return
	}
	wk := &s.workers[w]
	from := wk.dept
	to := s.randomDept()
	if to == from {
		to = uint8((int(from) + 1) % len(departments))
	}
	s.stats.Movers++
	e := d + int32(1+s.rnd.intn(14))
	wk.busy = e + 10
	eff := s.start + int64(e)*msDay
	recorded := day + s.rnd.between(0, msDay-1)
	if s.rnd.chance(0.15) {
		recorded = eff + s.rnd.between(msHour, 4*msDay)
	}
	wk.dept = to
	s.pushLC(rec{t: recorded, kind: kMover, w: w, eff: eff, x: int32(to), sub: from})
	if dl, ok := s.delay(6*float64(msHour), 1.5, 0.1, 0.04, 12*msHour); ok {
		s.pushLC(rec{t: eff + dl, kind: kOktaGroupRemove, w: w, x: int32(from)})
	}
	if dl, ok := s.delay(3*float64(msHour), 1.5, 0.2, 0.03, 12*msHour); ok {
		s.pushLC(rec{t: eff + dl, kind: kOktaGroupAdd, w: w, x: int32(to)})
	}
}

// shadow queues an Okta account that belongs to nobody in HR.
func (s *sim) shadow(day int64) {
	s.shadows++
	s.pushLC(rec{t: day + s.rnd.between(0, msDay-1), kind: kOktaShadowCreate, w: -1, x: s.shadows})
}

// noise queues the day's noise: NoisePerRecord records per lifecycle record
// of the day, for random active workers at random times of the day.
func (s *sim) noise(d, day int64) {
	n := s.lifecycleByDay[d]
	delete(s.lifecycleByDay, d)
	if len(s.active) == 0 || n == 0 {
		return
	}
	count := s.rnd.poisson(float64(n) * s.cfg.NoisePerRecord)
	for range count {
		w := s.active[s.rnd.intn(len(s.active))]
		r := s.rnd.intn(100)
		k := kOktaSSO
		switch {
		case r < 35:
		case r < 55:
			k = kOktaSessionStart
		case r < 68:
			k = kOktaMFA
		case r < 78:
			k = kOktaPolicyEval
		case r < 88:
			k = kEntraUpdateProfile
		case r < 94:
			k = kEntraChangePassword
		case r < 98:
			k = kEntraSecurityInfo
		default:
			k = kOktaFailedDeactivate
		}
		s.push(rec{t: day + s.rnd.between(0, msDay-1), kind: k, w: w, x: int32(s.rnd.intn(numApps))}, false)
	}
}
