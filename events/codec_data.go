package events

import (
	"strings"
	"time"
)

// stringArena defers the []byte-to-string conversions of one event so that
// they share a single allocation: add records where a string goes, flush
// builds one string holding them all and assigns substrings. Entries are
// flushed in the order added, so for a key that repeats, the last value
// wins, as in encoding/json.
type stringArena struct {
	n    int
	size int
	dsts [24]*string
	srcs [24][]byte
}

// add records that *dst is to become src. src must stay unchanged until
// flush.
func (a *stringArena) add(dst *string, src []byte) {
	if a.n == len(a.dsts) {
		a.flush()
	}
	a.dsts[a.n], a.srcs[a.n] = dst, src
	a.n++
	a.size += len(src)
}

// flush assigns every pending string.
func (a *stringArena) flush() {
	if a.n == 0 {
		return
	}
	var sb strings.Builder
	sb.Grow(a.size)
	for _, src := range a.srcs[:a.n] {
		sb.Write(src)
	}
	s := sb.String()
	off := 0
	for i, src := range a.srcs[:a.n] {
		*a.dsts[i] = s[off : off+len(src)]
		off += len(src)
		a.srcs[i] = nil
	}
	a.n, a.size = 0, 0
}

// dataReader reads the members of an event's data object into the typed
// data structs. Data it reads has already been validated as JSON, so the
// parser cannot fail on syntax; what it checks is the shape: a known field
// of the wrong JSON type is bad_value (the first one found is kept), and
// unknown fields are skipped, for forward compatibility. JSON null is the
// same as an absent field.
type dataReader struct {
	p     jsonParser
	rej   *RejectError
	arena stringArena
}

// The Input and its data struct are allocated together, one allocation per
// event.
type (
	hrEvent struct {
		in  Input
		hr  HRData
		eff EffectiveTime
	}
	accountEvent struct {
		in     Input
		acc    AccountData
		active bool
	}
	nhiEvent struct {
		in  Input
		nhi NHIData
	}
	ticketEvent struct {
		in     Input
		ticket TicketData
	}
)

// decodeEvent builds the Input of a validated event: id and source (as
// read), type, category, time, and the JSON value data (an object, else
// bad_value data).
func decodeEvent(id, source []byte, typ string, cat Category, t time.Time, data []byte) (*Input, *RejectError) {
	r := dataReader{p: jsonParser{b: data}}
	r.p.ws()
	if r.p.peek() != '{' {
		return nil, Reject(ReasonBadValue, "data", "must be a json object, got %s", r.p.kindName())
	}
	var in *Input
	switch cat {
	case CategoryHR:
		ev := &hrEvent{}
		in = &ev.in
		in.HR = &ev.hr
		r.start(in, id, source)
		r.hr(ev, typ)
	case CategoryAccount:
		ev := &accountEvent{}
		in = &ev.in
		in.Account = &ev.acc
		r.start(in, id, source)
		r.account(ev, typ)
	case CategoryNHI:
		ev := &nhiEvent{}
		in = &ev.in
		in.NHI = &ev.nhi
		r.start(in, id, source)
		r.nhi(&ev.nhi, typ)
	default:
		ev := &ticketEvent{}
		in = &ev.in
		in.Ticket = &ev.ticket
		r.start(in, id, source)
		r.ticket(&ev.ticket)
	}
	r.arena.flush()
	if r.rej == nil && r.p.err != nil {
		// Unreachable for validated input; never let a parser bug pass
		// a half-read event.
		r.rej = Reject(ReasonBadJSON, "data", "%s", r.p.err.Error())
	}
	if r.rej != nil {
		return nil, r.rej
	}
	in.Type, in.Time = typ, t
	return in, nil
}

// start queues the envelope strings and enters the data object.
func (r *dataReader) start(in *Input, id, source []byte) {
	r.arena.add(&in.ID, id)
	r.arena.add(&in.Source, source)
	r.p.enter()
}

// fail keeps the first problem found.
func (r *dataReader) fail(code Reason, field, format string, args ...any) {
	if r.rej == nil {
		r.rej = Reject(code, field, format, args...)
	}
}

// next advances to the next member of the object being read and returns its
// key; ok is false at the end of the object (or on a parser error).
func (r *dataReader) next(first bool) (key []byte, ok bool) {
	more, ok := r.p.nextMember(first)
	if !ok || !more {
		return nil, false
	}
	return r.p.readKey()
}

// skip consumes a value the event type does not use.
func (r *dataReader) skip() {
	r.p.skipValue()
}

// raw reads a string field's bytes; nil for null.
func (r *dataReader) raw(field string) []byte {
	switch r.p.peek() {
	case '"':
		b, _ := r.p.readBytes()
		return b
	case 'n':
		r.p.literal("null")
		return nil
	}
	r.fail(ReasonBadValue, field, "must be a string, got %s", r.p.kindName())
	r.skip()
	return nil
}

// str reads a string field into *dst (at the next flush); "" for null.
func (r *dataReader) str(dst *string, field string) {
	r.arena.add(dst, r.raw(field))
}

// boolean reads a boolean field; present is false for null.
func (r *dataReader) boolean(field string) (v, present bool) {
	switch r.p.peek() {
	case 't':
		r.p.literal("true")
		return true, true
	case 'f':
		r.p.literal("false")
		return false, true
	case 'n':
		r.p.literal("null")
		return false, false
	}
	r.fail(ReasonBadValue, field, "must be a boolean, got %s", r.p.kindName())
	r.skip()
	return false, false
}

// strList reads a list of strings into *dst: nil for null, an empty
// non-nil list for [] (an account.snapshot with entitlements [] says the
// account holds none, which differs from not saying).
func (r *dataReader) strList(dst *[]string, field string) {
	*dst = nil
	switch r.p.peek() {
	case '[':
	case 'n':
		r.p.literal("null")
		return
	default:
		r.fail(ReasonBadValue, field, "must be a list of strings, got %s", r.p.kindName())
		r.skip()
		return
	}
	var buf [8][]byte
	raws := buf[:0]
	r.p.enter()
	for first := true; ; first = false {
		more, ok := r.p.nextElement(first)
		if !ok || !more {
			break
		}
		if r.p.peek() != '"' {
			r.fail(ReasonBadValue, field, "must be a list of strings, has a %s", r.p.kindName())
			r.skip()
			continue
		}
		b, _ := r.p.readBytes()
		raws = append(raws, b)
	}
	list := make([]string, len(raws))
	for i, b := range raws {
		r.arena.add(&list[i], b)
	}
	*dst = list
}

// position reads a mover's from or to.
func (r *dataReader) position(field string) *Position {
	switch r.p.peek() {
	case '{':
	case 'n':
		r.p.literal("null")
		return nil
	default:
		r.fail(ReasonBadValue, field, "must be an object, got %s", r.p.kindName())
		r.skip()
		return nil
	}
	pos := &Position{}
	r.p.enter()
	for first := true; ; first = false {
		key, ok := r.next(first)
		if !ok {
			return pos
		}
		switch string(key) {
		case "department":
			r.str(&pos.Department, field+".department")
		case "title":
			r.str(&pos.Title, field+".title")
		default:
			r.skip()
		}
	}
}

// caseKind checks a required case kind (joiner, mover or leaver) and
// returns it without allocating.
func (r *dataReader) caseKind(b []byte) Kind {
	switch string(b) {
	case string(KindJoiner):
		return KindJoiner
	case string(KindMover):
		return KindMover
	case string(KindLeaver):
		return KindLeaver
	case "":
		r.fail(ReasonMissingField, "data.kind", "required field is missing or empty")
	default:
		r.fail(ReasonBadValue, "data.kind", "%q is not one of joiner, mover, leaver", b)
	}
	return ""
}

// requireStr reports a required string field that is absent or empty.
func (r *dataReader) requireStr(v, field string) {
	if v == "" {
		r.fail(ReasonMissingField, field, "required field is missing or empty")
	}
}

// oneOf checks an enumerated string field (when set).
func (r *dataReader) oneOf(v, field string, allowed ...string) {
	if v == "" {
		return
	}
	for _, a := range allowed {
		if v == a {
			return
		}
	}
	r.fail(ReasonBadValue, field, "%q is not one of %s", v, strings.Join(allowed, ", "))
}

func (r *dataReader) hr(ev *hrEvent, typ string) {
	d := &ev.hr
	var effective, kind []byte
	rescinded := typ == TypeHRRescinded
	for first := true; ; first = false {
		key, ok := r.next(first)
		if !ok {
			break
		}
		k := string(key)
		switch {
		case k == "worker_id":
			r.str(&d.WorkerID, "data.worker_id")
		case rescinded:
			if k == "kind" {
				kind = r.raw("data.kind")
			} else {
				r.skip() // a rescind carries only worker_id and kind
			}
		case k == "email":
			r.str(&d.Email, "data.email")
		case k == "worker_type":
			r.str(&d.WorkerType, "data.worker_type")
		case k == "effective_at":
			effective = r.raw("data.effective_at")
		case k == "department":
			r.str(&d.Department, "data.department")
		case k == "title":
			r.str(&d.Title, "data.title")
		case k == "manager_id":
			r.str(&d.ManagerID, "data.manager_id")
		case k == "from" && typ == TypeHRMover:
			d.From = r.position("data.from")
		case k == "to" && typ == TypeHRMover:
			d.To = r.position("data.to")
		case k == "reason" && typ == TypeHRLeaver:
			r.str(&d.Reason, "data.reason")
		default:
			r.skip()
		}
	}
	r.arena.flush()
	r.requireStr(d.WorkerID, "data.worker_id")
	if rescinded {
		d.Kind = r.caseKind(kind)
		return
	}
	switch {
	case len(effective) > 0:
		e, ok := parseEffective(effective)
		if !ok {
			r.fail(ReasonBadTimestamp, "data.effective_at", "%q is not an rfc 3339 date-time or a yyyy-mm-dd date", effective)
			break
		}
		ev.eff = e
		d.EffectiveAt = &ev.eff
	case typ != TypeHRSnapshot:
		r.fail(ReasonMissingField, "data.effective_at", "required for this event type")
	}
	r.oneOf(d.WorkerType, "data.worker_type", "employee", "contractor")
	r.oneOf(d.Reason, "data.reason", "voluntary", "involuntary")
}

func (r *dataReader) account(ev *accountEvent, typ string) {
	d := &ev.acc
	access := typ == TypeAccessGranted || typ == TypeAccessRevoked
	snapshot := typ == TypeAccountSnapshot
	for first := true; ; first = false {
		key, ok := r.next(first)
		if !ok {
			break
		}
		switch k := string(key); {
		case k == "system":
			r.str(&d.System, "data.system")
		case k == "account_id":
			r.str(&d.AccountID, "data.account_id")
		case k == "worker_id":
			r.str(&d.WorkerID, "data.worker_id")
		case k == "login":
			r.str(&d.Login, "data.login")
		case k == "email":
			r.str(&d.Email, "data.email")
		case k == "privileged":
			d.Privileged, _ = r.boolean("data.privileged")
		case k == "entitlement" && access:
			r.str(&d.Entitlement, "data.entitlement")
		case k == "active" && snapshot:
			d.Active = nil
			if v, ok := r.boolean("data.active"); ok {
				ev.active = v
				d.Active = &ev.active
			}
		case k == "entitlements" && snapshot:
			r.strList(&d.Entitlements, "data.entitlements")
		default:
			r.skip()
		}
	}
	r.arena.flush()
	r.requireStr(d.System, "data.system")
	r.requireStr(d.AccountID, "data.account_id")
	if access {
		r.requireStr(d.Entitlement, "data.entitlement")
	}
	if snapshot && d.Active == nil {
		r.fail(ReasonMissingField, "data.active", "required for an account snapshot")
	}
}

func (r *dataReader) nhi(d *NHIData, typ string) {
	registered := typ == TypeNHIRegistered
	reassigned := typ == TypeNHIReassigned
	for first := true; ; first = false {
		key, ok := r.next(first)
		if !ok {
			break
		}
		switch k := string(key); {
		case k == "nhi_id":
			r.str(&d.NHIID, "data.nhi_id")
		case k == "system":
			r.str(&d.System, "data.system")
		case k == "owner_worker_id" && registered:
			r.str(&d.OwnerWorkerID, "data.owner_worker_id")
		case k == "privileged" && registered:
			d.Privileged, _ = r.boolean("data.privileged")
		case k == "new_owner_worker_id" && reassigned:
			r.str(&d.NewOwnerWorkerID, "data.new_owner_worker_id")
		default:
			r.skip()
		}
	}
	r.arena.flush()
	r.requireStr(d.NHIID, "data.nhi_id")
	r.requireStr(d.System, "data.system")
	if registered {
		r.requireStr(d.OwnerWorkerID, "data.owner_worker_id")
	}
	if reassigned {
		r.requireStr(d.NewOwnerWorkerID, "data.new_owner_worker_id")
	}
}

func (r *dataReader) ticket(d *TicketData) {
	var kind []byte
	for first := true; ; first = false {
		key, ok := r.next(first)
		if !ok {
			break
		}
		switch string(key) {
		case "ticket_id":
			r.str(&d.TicketID, "data.ticket_id")
		case "worker_id":
			r.str(&d.WorkerID, "data.worker_id")
		case "email":
			r.str(&d.Email, "data.email")
		case "kind":
			kind = r.raw("data.kind")
		case "systems":
			r.strList(&d.Systems, "data.systems")
		case "resolution":
			r.str(&d.Resolution, "data.resolution")
		default:
			r.skip()
		}
	}
	r.arena.flush()
	if d.WorkerID == "" && d.Email == "" {
		r.fail(ReasonMissingField, "data.worker_id", "a ticket needs worker_id or email")
	}
	d.Kind = r.caseKind(kind)
	r.requireStr(d.Resolution, "data.resolution")
	r.oneOf(d.Resolution, "data.resolution", ResolutionCompleted, ResolutionIncomplete, ResolutionCancelled)
}
