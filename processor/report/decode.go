package report

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/jmlwatch/jmlwatch/events"
)

// eventType is an output event type the report reads.
type eventType uint8

const (
	typeOther eventType = iota // any other type: only its time counts
	typeCaseOpened
	typeStepAdded
	typeStepCompleted
	typeCaseCompleted
	typeCaseCancelled
	typeSLABreached
	typeOrphanDetected
)

func parseType(b []byte) eventType {
	switch string(b) {
	case events.TypeCaseOpened:
		return typeCaseOpened
	case events.TypeStepAdded:
		return typeStepAdded
	case events.TypeStepCompleted:
		return typeStepCompleted
	case events.TypeCaseCompleted:
		return typeCaseCompleted
	case events.TypeCaseCancelled:
		return typeCaseCancelled
	case events.TypeSLABreached:
		return typeSLABreached
	case events.TypeOrphanDetected:
		return typeOrphanDetected
	}
	return typeOther
}

// Kinds, actions and tiers as small integers.
const (
	kindJoiner uint8 = iota
	kindMover
	kindLeaver
	numKinds
)

const (
	actionProvision uint8 = iota
	actionGrant
	actionRevoke
	actionNHI
)

const (
	tierStandard uint8 = iota
	tierPrivileged
	numTiers
)

var errUnknownValue = errors.New("unknown value")

func parseKind(b []byte) (uint8, error) {
	switch string(b) {
	case string(events.KindJoiner):
		return kindJoiner, nil
	case string(events.KindMover):
		return kindMover, nil
	case string(events.KindLeaver):
		return kindLeaver, nil
	}
	return 0, fmt.Errorf("kind %q: %w", b, errUnknownValue)
}

func parseAction(b []byte) (uint8, error) {
	switch string(b) {
	case events.ActionProvision:
		return actionProvision, nil
	case events.ActionGrant:
		return actionGrant, nil
	case events.ActionRevoke:
		return actionRevoke, nil
	case events.ActionNHI:
		return actionNHI, nil
	}
	return 0, fmt.Errorf("action %q: %w", b, errUnknownValue)
}

func parseTier(b []byte) (uint8, error) {
	switch string(b) {
	case events.TierStandard:
		return tierStandard, nil
	case events.TierPrivileged:
		return tierPrivileged, nil
	}
	return 0, fmt.Errorf("tier %q: %w", b, errUnknownValue)
}

// Field presence bits of wireEvent and wireStep.
const (
	hasTime uint32 = 1 << iota
	hasType
	hasData
	hasCaseID
	hasStepID
	hasKind
	hasSystem
	hasAction
	hasTier
	hasEffective
	hasRecorded
	hasCompleted
	hasDeadline
	hasWithin
	hasSteps
	hasStepCount
	hasAccount
)

// wireStep is a step of case.opened, or the step fields of another event.
// Byte slices alias the decoded line and are valid until the next decode.
type wireStep struct {
	have     uint32
	stepID   []byte
	system   []byte
	action   []byte
	tier     []byte
	deadline int64
}

// wireEvent is the light decoding of one structured CloudEvent that the
// report needs: the attributes type and time, and the data fields of the
// output types of SPEC section 7, named as in events/output.go. It is
// decoded by hand (see decoder) rather than with events.DecodeOutput so that
// ten million events can be read without allocating per event.
type wireEvent struct {
	have      uint32
	typ       eventType
	time      int64
	caseID    []byte
	kind      []byte
	effective int64
	recorded  int64
	completed int64
	within    bool
	stepCount int64
	account   []byte
	step      wireStep   // step.added, step.completed, sla.breached
	steps     []wireStep // case.opened; reused between events
}

// decoder decodes structured CloudEvents into a reused wireEvent.
type decoder struct {
	s  scanner
	ev wireEvent
}

// fieldError is a missing or malformed attribute or data field.
type fieldError struct {
	Field string
	Msg   string
}

func (e *fieldError) Error() string { return e.Field + ": " + e.Msg }

// decode parses one JSON object. The result is valid until the next call.
func (d *decoder) decode(b []byte) (*wireEvent, error) {
	d.s.reset(b)
	ev := &d.ev
	ev.have, ev.steps = 0, ev.steps[:0]
	ev.step.have = 0
	var ferr error
	ok := d.s.object(func(key []byte) bool {
		switch string(key) {
		case "type":
			v, ok := d.stringValue("", "type", &ferr)
			if !ok || v == nil {
				return ok
			}
			ev.typ, ev.have = parseType(v), ev.have|hasType
		case "time":
			v, ok := d.stringValue("", "time", &ferr)
			if !ok || v == nil {
				return ok
			}
			t, ok := parseTime(v)
			if !ok {
				setFieldErr(&ferr, "time", fmt.Sprintf("bad timestamp %q", v))
				return true
			}
			ev.time, ev.have = t, ev.have|hasTime
		case "data":
			switch d.s.peek() {
			case 'n':
				return d.s.literal("null")
			case '{':
			default:
				setFieldErr(&ferr, "data", "not an object")
				return d.s.skipValue()
			}
			ev.have |= hasData
			return d.s.object(func(key []byte) bool { return d.dataField(key, &ferr) })
		default:
			return d.s.skipValue()
		}
		return true
	})
	if ok && !d.s.atEnd() {
		ok = d.s.failByte("after top-level value")
	}
	if !ok {
		return nil, d.s.err
	}
	if ferr != nil {
		return nil, ferr
	}
	if ev.have&hasType == 0 {
		return nil, &fieldError{"type", "missing"}
	}
	if ev.have&hasTime == 0 {
		return nil, &fieldError{"time", "missing"}
	}
	return ev, nil
}

// dataField reads one member of data; a malformed known field sets *ferr
// (the first one wins) and decoding goes on so that the JSON is validated.
func (d *decoder) dataField(key []byte, ferr *error) bool {
	ev := &d.ev
	s := &d.s
	setErr := func(field, msg string) { setFieldErr(ferr, "data."+field, msg) }
	timeField := func(name string, dst *int64, bit uint32) bool {
		return d.timeValue("data.", name, dst, bit, &ev.have, ferr)
	}
	strField := func(name string, dst *[]byte, bit uint32) bool {
		v, ok := d.stringValue("data.", name, ferr)
		if ok && v != nil {
			*dst, ev.have = v, ev.have|bit
		}
		return ok
	}
	switch string(key) {
	case "case_id":
		return strField("case_id", &ev.caseID, hasCaseID)
	case "kind":
		return strField("kind", &ev.kind, hasKind)
	case "effective_at":
		return timeField("effective_at", &ev.effective, hasEffective)
	case "recorded_at":
		return timeField("recorded_at", &ev.recorded, hasRecorded)
	case "completed_at":
		return timeField("completed_at", &ev.completed, hasCompleted)
	case "step_id", "system", "action", "tier", "deadline":
		return d.stepField(key, "data.", &ev.step, ferr)
	case "account_id":
		return strField("account_id", &ev.account, hasAccount)
	case "within_sla":
		switch s.peek() {
		case 'n':
			return s.literal("null")
		case 't', 'f':
			v, ok := s.boolean()
			if !ok {
				return false
			}
			ev.within, ev.have = v, ev.have|hasWithin
		default:
			setErr("within_sla", "not a boolean")
			return s.skipValue()
		}
	case "steps":
		switch s.peek() {
		case 'n':
			return s.literal("null")
		case '[':
			ev.have |= hasSteps
			return s.array(func() bool {
				if s.peek() != '{' {
					setErr("steps[]", "not an object")
					return s.skipValue()
				}
				ev.steps = append(ev.steps, wireStep{})
				st := &ev.steps[len(ev.steps)-1]
				return s.object(func(key []byte) bool { return d.stepField(key, "data.steps[].", st, ferr) })
			})
		default: // case.completed: a count
			if c := s.peek(); c != '-' && (c < '0' || c > '9') {
				setErr("steps", "want an array or a count")
				return s.skipValue()
			}
			start := s.i
			if !s.number() {
				return false
			}
			n, err := strconv.ParseInt(string(s.b[start:s.i]), 10, 64)
			if err != nil {
				if f, ferr := strconv.ParseFloat(string(s.b[start:s.i]), 64); ferr == nil && f == float64(int64(f)) {
					n = int64(f)
				} else {
					setErr("steps", "not an integer")
					return true
				}
			}
			ev.stepCount, ev.have = n, ev.have|hasStepCount
		}
	default:
		return s.skipValue()
	}
	return true
}

// stepField reads one member of a step into st: the step fields of
// step.added, step.completed and sla.breached (prefix "data.") or of an
// element of case.opened's steps (prefix "data.steps[]."). Other members
// are skipped.
func (d *decoder) stepField(key []byte, prefix string, st *wireStep, ferr *error) bool {
	var (
		name string
		dst  *[]byte
		bit  uint32
	)
	switch string(key) {
	case "step_id":
		name, dst, bit = "step_id", &st.stepID, hasStepID
	case "system":
		name, dst, bit = "system", &st.system, hasSystem
	case "action":
		name, dst, bit = "action", &st.action, hasAction
	case "tier":
		name, dst, bit = "tier", &st.tier, hasTier
	case "deadline":
		return d.timeValue(prefix, "deadline", &st.deadline, hasDeadline, &st.have, ferr)
	default:
		return d.s.skipValue()
	}
	v, ok := d.stringValue(prefix, name, ferr)
	if ok && v != nil {
		*dst, st.have = v, st.have|bit
	}
	return ok
}

// timeValue reads a timestamp member into *dst and sets bit in *have; null
// leaves both alone and anything but a valid RFC 3339 string is a field
// error (named prefix+field).
func (d *decoder) timeValue(prefix, field string, dst *int64, bit uint32, have *uint32, ferr *error) bool {
	v, ok := d.stringValue(prefix, field, ferr)
	if !ok || v == nil {
		return ok
	}
	t, ok := parseTime(v)
	if !ok {
		setFieldErr(ferr, prefix+field, fmt.Sprintf("bad timestamp %q", v))
		return true
	}
	*dst, *have = t, *have|bit
	return true
}

// setFieldErr records a field error unless one is already recorded.
func setFieldErr(ferr *error, field, msg string) {
	if *ferr == nil {
		*ferr = &fieldError{Field: field, Msg: msg}
	}
}

// stringValue reads a string member (named prefix+field in errors): its bytes, nil for null, and a field
// error (the value skipped) for any other JSON type. ok is false only on a
// syntax error.
func (d *decoder) stringValue(prefix, field string, ferr *error) (v []byte, ok bool) {
	switch d.s.peek() {
	case '"':
		return d.s.str()
	case 'n':
		return nil, d.s.literal("null")
	}
	setFieldErr(ferr, prefix+field, "not a string")
	return nil, d.s.skipValue()
}
