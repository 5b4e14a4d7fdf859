package report

import (
	"errors"
	"fmt"
	"hash/maphash"
	"math"
)

// chunkBits sizes the blocks of a chunked slice: records are appended to
// fixed 64 Ki-entry blocks so that growing never copies what is held (a
// plain append would briefly need twice the memory at ten million events).
const chunkBits = 16

// chunked is an append-only slice of T stored in fixed-size blocks, indexed
// by int32.
type chunked[T any] struct {
	blocks [][]T
	n      int32
}

func (c *chunked[T]) add() (int32, *T) {
	if int(c.n)>>chunkBits == len(c.blocks) {
		c.blocks = append(c.blocks, make([]T, 1<<chunkBits))
	}
	i := c.n
	c.n++
	return i, &c.blocks[i>>chunkBits][i&(1<<chunkBits-1)]
}

func (c *chunked[T]) at(i int32) *T { return &c.blocks[i>>chunkBits][i&(1<<chunkBits-1)] }

func (c *chunked[T]) len() int32 { return c.n }

// caseRec is what the report keeps of a case: 32 bytes.
type caseRec struct {
	effective int64 // Unix ns
	recorded  int64 // Unix ns; valid with caseOpened
	completed int64 // Unix ns; valid with caseCompleted
	firstStep int32 // head of the case's step list; -1 when none
	kind      uint8
	flags     uint8
	nsteps    uint16 // steps in the list, saturating at bigCase
}

// bigCase is the step count from which a case's steps are also indexed in
// collector.bigSteps, so that a case with thousands of steps does not make
// every step lookup a long list walk.
const bigCase = 32

// stepKey identifies a step of a big case in collector.bigSteps.
type stepKey struct {
	caseIdx int32
	id      uint64
}

const (
	caseHasKind uint8 = 1 << iota // kind and effective are set
	caseOpened
	caseCompleted
	caseWithin    // case.completed said within_sla
	caseCancelled // case.cancelled seen: out of every population
	caseHasSteps  // case.completed counted steps > 0
)

// stepRec is what the report keeps of a step: 32 bytes.
type stepRec struct {
	id        uint64 // hash of step_id
	deadline  int64  // Unix ns
	completed int64  // Unix ns; valid with stepCompleted
	next      int32  // next step of the same case; -1 at the end
	system    uint16 // index into Collector.systems
	bits      uint16
}

const (
	stepActionMask uint16 = 3 // action in the low two bits
	stepPrivileged uint16 = 1 << (iota + 1)
	stepCompleted
	stepWithin // step.completed said within_sla
	stepBreached
)

func (s *stepRec) action() uint8 { return uint8(s.bits & stepActionMask) }

func (s *stepRec) tier() uint8 {
	if s.bits&stepPrivileged != 0 {
		return tierPrivileged
	}
	return tierStandard
}

// orphanRec is one orphan.detected event.
type orphanRec struct {
	key    uint64 // hash of (system, account_id)
	time   int64
	system uint16
}

// maxSystems bounds the distinct system names (they are stored as uint16).
const maxSystems = math.MaxUint16

// collector folds output events into compact per-case and per-step records.
// It keeps no event: a case costs 32 bytes plus its map entry, a step 32
// bytes, so ten million events fit in a few hundred megabytes.
//
// Events are de-duplicated by what their id is a pure function of (SPEC 7:
// type, case_id, step_id): a case is opened, completed and cancelled once,
// a step completed and breached once, so a repeat of an id (a topic dump
// after a crash) changes nothing, without a set of ten million ids.
type collector struct {
	seed    maphash.Seed
	cases   map[uint64]int32
	recs    chunked[caseRec]
	steps   chunked[stepRec]
	sysIdx  map[string]uint16
	systems []string
	orphans []orphanRec
	infos   []stepInfo     // scratch for case.opened
	scratch []preparedStep // scratch for add
	// bigSteps indexes the steps of cases with bigCase steps or more.
	bigSteps map[stepKey]int32

	// keep, when set, drops case and step events whose effective_at it
	// rejects (the period and baseline are known before reading).
	keep func(effective int64) bool

	latest     int64
	haveLatest bool
	events     int64 // events read (after decoding)
	ignored    int64 // events of types the report does not use
}

func newCollector() *collector {
	return &collector{
		seed:     maphash.MakeSeed(),
		cases:    make(map[uint64]int32),
		sysIdx:   make(map[string]uint16),
		bigSteps: make(map[stepKey]int32),
	}
}

// errMissing is wrapped by missing-field errors.
var errMissing = errors.New("missing")

func missing(field string) error { return &fieldError{Field: "data." + field, Msg: errMissing.Error()} }

// system interns a system name.
func (c *collector) system(b []byte) (uint16, error) {
	if i, ok := c.sysIdx[string(b)]; ok {
		return i, nil
	}
	if len(c.systems) >= maxSystems {
		return 0, fmt.Errorf("more than %d distinct systems", maxSystems)
	}
	name := string(b)
	i := uint16(len(c.systems))
	c.systems = append(c.systems, name)
	c.sysIdx[name] = i
	return i, nil
}

// prepared is a decoded event validated and hashed, ready for
// collector.apply: the part of folding an event in that needs no shared
// state, so that it can run on several goroutines. system aliases the
// decoded record.
type prepared struct {
	typ       eventType
	kept      bool // false: outside the period and baseline (only time counts)
	within    bool
	hasSteps  bool // case.completed: steps > 0
	kind      uint8
	line      int32 // within its batch, for errors found when applying
	time      int64
	caseKey   uint64
	effective int64
	recorded  int64
	completed int64
	acctKey   uint64       // orphan.detected: hash of (system, account_id)
	step      preparedStep // step.added, step.completed, sla.breached; orphan's system
	stepsFrom int32        // case.opened: its steps in the batch's step list
	stepsTo   int32
}

// preparedStep is a validated step description.
type preparedStep struct {
	id       uint64
	deadline int64
	system   []byte
	bits     uint16 // action and stepPrivileged
}

// prepare validates ev and fills p, appending case.opened's steps to
// steps. It reads only immutable collector state (the seed and keep), so
// goroutines may call it concurrently. An error means the event is
// malformed: a required field missing or an unknown value.
func (c *collector) prepare(ev *wireEvent, p *prepared, steps []preparedStep) ([]preparedStep, error) {
	*p = prepared{typ: ev.typ, time: ev.time, kept: true}
	switch ev.typ {
	case typeOther:
		return steps, nil
	case typeOrphanDetected:
		if ev.have&hasData == 0 {
			return steps, &fieldError{Field: "data", Msg: "missing"}
		}
		if ev.step.have&hasSystem == 0 {
			return steps, missing("system")
		}
		if ev.have&hasAccount == 0 {
			return steps, missing("account_id")
		}
		var h maphash.Hash
		h.SetSeed(c.seed)
		h.Write(ev.step.system)
		h.WriteByte(0)
		h.Write(ev.account)
		p.acctKey, p.step.system = h.Sum64(), ev.step.system
		return steps, nil
	}
	if ev.have&hasData == 0 {
		return steps, &fieldError{Field: "data", Msg: "missing"}
	}
	if ev.have&hasCaseID == 0 {
		return steps, missing("case_id")
	}
	p.caseKey = maphash.Bytes(c.seed, ev.caseID)
	if ev.typ == typeCaseCancelled {
		return steps, nil
	}

	// Every other type carries kind and effective_at.
	if ev.have&hasKind == 0 {
		return steps, missing("kind")
	}
	kind, err := parseKind(ev.kind)
	if err != nil {
		return steps, &fieldError{Field: "data.kind", Msg: err.Error()}
	}
	if ev.have&hasEffective == 0 {
		return steps, missing("effective_at")
	}
	p.kind, p.effective = kind, ev.effective
	switch ev.typ {
	case typeCaseOpened:
		if ev.have&hasRecorded == 0 {
			return steps, missing("recorded_at")
		}
		if ev.have&hasSteps == 0 {
			return steps, missing("steps")
		}
		p.recorded = ev.recorded
		from := len(steps)
		for i := range ev.steps {
			st, err := c.prepareStep(&ev.steps[i], "steps[].")
			if err != nil {
				return steps[:from], err
			}
			steps = append(steps, st)
		}
		p.stepsFrom, p.stepsTo = int32(from), int32(len(steps))
	case typeStepAdded, typeStepCompleted, typeSLABreached:
		if p.step, err = c.prepareStep(&ev.step, ""); err != nil {
			return steps, err
		}
		if ev.typ == typeStepCompleted {
			if ev.have&hasCompleted == 0 {
				return steps, missing("completed_at")
			}
			if ev.have&hasWithin == 0 {
				return steps, missing("within_sla")
			}
			p.completed, p.within = ev.completed, ev.within
		}
	case typeCaseCompleted:
		if ev.have&hasCompleted == 0 {
			return steps, missing("completed_at")
		}
		if ev.have&hasWithin == 0 {
			return steps, missing("within_sla")
		}
		if ev.have&hasStepCount == 0 {
			return steps, missing("steps")
		}
		p.completed, p.within, p.hasSteps = ev.completed, ev.within, ev.stepCount > 0
	}
	p.kept = c.keep == nil || c.keep(ev.effective)
	return steps, nil
}

func (c *collector) prepareStep(w *wireStep, prefix string) (preparedStep, error) {
	switch {
	case w.have&hasStepID == 0:
		return preparedStep{}, missing(prefix + "step_id")
	case w.have&hasSystem == 0:
		return preparedStep{}, missing(prefix + "system")
	case w.have&hasAction == 0:
		return preparedStep{}, missing(prefix + "action")
	case w.have&hasTier == 0:
		return preparedStep{}, missing(prefix + "tier")
	case w.have&hasDeadline == 0:
		return preparedStep{}, missing(prefix + "deadline")
	}
	action, err := parseAction(w.action)
	if err != nil {
		return preparedStep{}, &fieldError{Field: "data." + prefix + "action", Msg: err.Error()}
	}
	tier, err := parseTier(w.tier)
	if err != nil {
		return preparedStep{}, &fieldError{Field: "data." + prefix + "tier", Msg: err.Error()}
	}
	bits := uint16(action)
	if tier == tierPrivileged {
		bits |= stepPrivileged
	}
	return preparedStep{id: maphash.Bytes(c.seed, w.stepID), deadline: w.deadline, system: w.system, bits: bits}, nil
}

// apply folds a prepared event in; steps is the step list p.stepsFrom and
// p.stepsTo index. The only error is too many distinct systems, and the
// event then changes nothing but the latest time.
func (c *collector) apply(p *prepared, steps []preparedStep) error {
	c.events++
	if !c.haveLatest || p.time > c.latest {
		c.latest, c.haveLatest = p.time, true
	}
	switch p.typ {
	case typeOther:
		c.ignored++
		return nil
	case typeOrphanDetected:
		sys, err := c.system(p.step.system)
		if err != nil {
			return err
		}
		c.orphans = append(c.orphans, orphanRec{key: p.acctKey, time: p.time, system: sys})
		return nil
	case typeCaseCancelled:
		_, rec := c.caseRec(p.caseKey)
		rec.flags |= caseCancelled
		return nil
	}
	if !p.kept {
		return nil
	}
	// Intern every system first, so that an error changes nothing.
	var step stepInfo
	c.infos = c.infos[:0]
	if p.typ == typeCaseOpened {
		for _, ps := range steps[p.stepsFrom:p.stepsTo] {
			info, err := c.stepInfo(ps)
			if err != nil {
				return err
			}
			c.infos = append(c.infos, info)
		}
	} else if p.typ != typeCaseCompleted {
		var err error
		if step, err = c.stepInfo(p.step); err != nil {
			return err
		}
	}

	idx, rec := c.caseRec(p.caseKey)
	if rec.flags&caseHasKind == 0 {
		rec.kind, rec.effective = p.kind, p.effective
		rec.flags |= caseHasKind
	}
	switch p.typ {
	case typeCaseOpened:
		if rec.flags&caseOpened != 0 {
			return nil // a repeat
		}
		rec.flags |= caseOpened
		rec.recorded = p.recorded
		for _, info := range c.infos {
			c.upsertStep(idx, info)
		}
	case typeStepAdded:
		c.upsertStep(idx, step)
	case typeStepCompleted:
		st := c.upsertStep(idx, step)
		if st.bits&stepCompleted == 0 {
			st.bits |= stepCompleted
			st.completed = p.completed
			if p.within {
				st.bits |= stepWithin
			}
		}
	case typeSLABreached:
		c.upsertStep(idx, step).bits |= stepBreached
	case typeCaseCompleted:
		if rec.flags&caseCompleted != 0 {
			return nil
		}
		rec.flags |= caseCompleted
		rec.completed = p.completed
		if p.within {
			rec.flags |= caseWithin
		}
		if p.hasSteps {
			rec.flags |= caseHasSteps
		}
	}
	return nil
}

// add prepares and applies one decoded event (the sequential path).
func (c *collector) add(ev *wireEvent) error {
	var p prepared
	var err error
	c.scratch, err = c.prepare(ev, &p, c.scratch[:0])
	if err != nil {
		return err
	}
	return c.apply(&p, c.scratch)
}

// stepInfo is a step ready to store: its system interned.
type stepInfo struct {
	id       uint64
	deadline int64
	system   uint16
	bits     uint16 // action and stepPrivileged
}

func (c *collector) stepInfo(ps preparedStep) (stepInfo, error) {
	sys, err := c.system(ps.system)
	if err != nil {
		return stepInfo{}, err
	}
	return stepInfo{id: ps.id, deadline: ps.deadline, system: sys, bits: ps.bits}, nil
}

// caseRec returns the record of a case, creating an empty one.
func (c *collector) caseRec(key uint64) (int32, *caseRec) {
	if i, ok := c.cases[key]; ok {
		return i, c.recs.at(i)
	}
	i, rec := c.recs.add()
	rec.firstStep = -1
	c.cases[key] = i
	return i, rec
}

// upsertStep returns the step of case idx with info's id, creating it from
// info. A case has a handful of steps, so a list walk is cheaper than a map;
// a big case's steps are found through bigSteps.
func (c *collector) upsertStep(idx int32, info stepInfo) *stepRec {
	rec := c.recs.at(idx)
	if rec.nsteps >= bigCase {
		if i, ok := c.bigSteps[stepKey{idx, info.id}]; ok {
			return c.steps.at(i)
		}
	} else {
		for i := rec.firstStep; i >= 0; {
			st := c.steps.at(i)
			if st.id == info.id {
				return st
			}
			i = st.next
		}
	}
	i, st := c.steps.add()
	*st = stepRec{id: info.id, deadline: info.deadline, next: rec.firstStep, system: info.system, bits: info.bits}
	rec.firstStep = i
	switch {
	case rec.nsteps >= bigCase:
		c.bigSteps[stepKey{idx, info.id}] = i
	case rec.nsteps == bigCase-1: // becoming big: index every step
		for j := rec.firstStep; j >= 0; j = c.steps.at(j).next {
			c.bigSteps[stepKey{idx, c.steps.at(j).id}] = j
		}
		rec.nsteps++
	default:
		rec.nsteps++
	}
	return c.steps.at(i)
}
