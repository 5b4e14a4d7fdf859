package events

// dataReader reads the members of an event's data object into the typed
// data structs. Data it reads has already been validated as JSON, so the
// parser cannot fail on syntax; what it checks is the shape: a known field
// of the wrong JSON type is bad_value (the first one found is kept), and
// unknown fields are skipped, for forward compatibility. JSON null is the
// same as an absent field.
type dataReader struct {
	p   jsonParser
	rej *RejectError
}

// decodeData fills in's data struct for category cat from the JSON value
// data (an object, else bad_value data).
func decodeData(in *Input, cat Category, data []byte) *RejectError {
	r := dataReader{p: jsonParser{b: data}}
	r.p.ws()
	if r.p.peek() != '{' {
		return Reject(ReasonBadValue, "data", "must be a json object, got %s", r.p.kindName())
	}
	switch cat {
	case CategoryHR:
		in.HR = r.hr(in.Type)
	case CategoryAccount:
		in.Account = r.account(in.Type)
	case CategoryNHI:
		in.NHI = r.nhi(in.Type)
	case CategoryTicket:
		in.Ticket = r.ticket()
	}
	if r.rej == nil && r.p.err != nil {
		// Unreachable for validated input; never let a parser bug pass
		// a half-read event.
		r.rej = Reject(ReasonBadJSON, "data", "%s", r.p.err.Error())
	}
	if r.rej != nil {
		in.HR, in.Account, in.NHI, in.Ticket = nil, nil, nil, nil
	}
	return r.rej
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

// str reads a string field; "" for null.
func (r *dataReader) str(field string) string {
	switch r.p.peek() {
	case '"':
		s, _ := r.p.readString()
		return s
	case 'n':
		r.p.literal("null")
		return ""
	}
	r.fail(ReasonBadValue, field, "must be a string, got %s", r.p.kindName())
	r.skip()
	return ""
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

// strList reads a list of strings; nil for null or an empty list.
func (r *dataReader) strList(field string) []string {
	switch r.p.peek() {
	case '[':
	case 'n':
		r.p.literal("null")
		return nil
	default:
		r.fail(ReasonBadValue, field, "must be a list of strings, got %s", r.p.kindName())
		r.skip()
		return nil
	}
	var list []string
	r.p.enter()
	for first := true; ; first = false {
		more, ok := r.p.nextElement(first)
		if !ok || !more {
			return list
		}
		if r.p.peek() != '"' {
			r.fail(ReasonBadValue, field, "must be a list of strings, has a %s", r.p.kindName())
			r.skip()
			continue
		}
		s, _ := r.p.readString()
		list = append(list, s)
	}
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
	var pos Position
	r.p.enter()
	for first := true; ; first = false {
		key, ok := r.next(first)
		if !ok {
			return &pos
		}
		switch string(key) {
		case "department":
			pos.Department = r.str(field + ".department")
		case "title":
			pos.Title = r.str(field + ".title")
		default:
			r.skip()
		}
	}
}

// effective parses an effective_at value; "" means absent.
func (r *dataReader) effective(s string, required bool) *EffectiveTime {
	if s == "" {
		if required {
			r.fail(ReasonMissingField, "data.effective_at", "required for this event type")
		}
		return nil
	}
	e, err := ParseEffectiveTime(s)
	if err != nil {
		r.fail(ReasonBadTimestamp, "data.effective_at", "%q is not an rfc 3339 date-time or a yyyy-mm-dd date", s)
		return nil
	}
	return &e
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
	r.fail(ReasonBadValue, field, "%q is not one of %v", v, allowed)
}

func (r *dataReader) hr(typ string) *HRData {
	d := &HRData{}
	var effective string
	rescinded := typ == TypeHRRescinded
	r.p.enter()
	for first := true; ; first = false {
		key, ok := r.next(first)
		if !ok {
			break
		}
		k := string(key)
		switch {
		case k == "worker_id":
			d.WorkerID = r.str("data.worker_id")
		case rescinded:
			if k == "kind" {
				d.Kind = Kind(r.str("data.kind"))
			} else {
				r.skip() // a rescind carries only worker_id and kind
			}
		case k == "email":
			d.Email = r.str("data.email")
		case k == "worker_type":
			d.WorkerType = r.str("data.worker_type")
		case k == "effective_at":
			effective = r.str("data.effective_at")
		case k == "department":
			d.Department = r.str("data.department")
		case k == "title":
			d.Title = r.str("data.title")
		case k == "manager_id":
			d.ManagerID = r.str("data.manager_id")
		case k == "from" && typ == TypeHRMover:
			d.From = r.position("data.from")
		case k == "to" && typ == TypeHRMover:
			d.To = r.position("data.to")
		case k == "reason" && typ == TypeHRLeaver:
			d.Reason = r.str("data.reason")
		default:
			r.skip()
		}
	}
	r.requireStr(d.WorkerID, "data.worker_id")
	if rescinded {
		r.requireStr(string(d.Kind), "data.kind")
		r.oneOf(string(d.Kind), "data.kind", string(KindJoiner), string(KindMover), string(KindLeaver))
		return d
	}
	d.EffectiveAt = r.effective(effective, typ != TypeHRSnapshot)
	r.oneOf(d.WorkerType, "data.worker_type", "employee", "contractor")
	r.oneOf(d.Reason, "data.reason", "voluntary", "involuntary")
	return d
}

func (r *dataReader) account(typ string) *AccountData {
	d := &AccountData{}
	access := typ == TypeAccessGranted || typ == TypeAccessRevoked
	snapshot := typ == TypeAccountSnapshot
	r.p.enter()
	for first := true; ; first = false {
		key, ok := r.next(first)
		if !ok {
			break
		}
		switch k := string(key); {
		case k == "system":
			d.System = r.str("data.system")
		case k == "account_id":
			d.AccountID = r.str("data.account_id")
		case k == "worker_id":
			d.WorkerID = r.str("data.worker_id")
		case k == "login":
			d.Login = r.str("data.login")
		case k == "email":
			d.Email = r.str("data.email")
		case k == "privileged":
			d.Privileged, _ = r.boolean("data.privileged")
		case k == "entitlement" && access:
			d.Entitlement = r.str("data.entitlement")
		case k == "active" && snapshot:
			if v, ok := r.boolean("data.active"); ok {
				d.Active = &v
			} else {
				d.Active = nil
			}
		case k == "entitlements" && snapshot:
			d.Entitlements = r.strList("data.entitlements")
		default:
			r.skip()
		}
	}
	r.requireStr(d.System, "data.system")
	r.requireStr(d.AccountID, "data.account_id")
	if access {
		r.requireStr(d.Entitlement, "data.entitlement")
	}
	if snapshot && d.Active == nil {
		r.fail(ReasonMissingField, "data.active", "required for an account snapshot")
	}
	return d
}

func (r *dataReader) nhi(typ string) *NHIData {
	d := &NHIData{}
	registered := typ == TypeNHIRegistered
	reassigned := typ == TypeNHIReassigned
	r.p.enter()
	for first := true; ; first = false {
		key, ok := r.next(first)
		if !ok {
			break
		}
		switch k := string(key); {
		case k == "nhi_id":
			d.NHIID = r.str("data.nhi_id")
		case k == "system":
			d.System = r.str("data.system")
		case k == "owner_worker_id" && registered:
			d.OwnerWorkerID = r.str("data.owner_worker_id")
		case k == "privileged" && registered:
			d.Privileged, _ = r.boolean("data.privileged")
		case k == "new_owner_worker_id" && reassigned:
			d.NewOwnerWorkerID = r.str("data.new_owner_worker_id")
		default:
			r.skip()
		}
	}
	r.requireStr(d.NHIID, "data.nhi_id")
	r.requireStr(d.System, "data.system")
	if registered {
		r.requireStr(d.OwnerWorkerID, "data.owner_worker_id")
	}
	if reassigned {
		r.requireStr(d.NewOwnerWorkerID, "data.new_owner_worker_id")
	}
	return d
}

func (r *dataReader) ticket() *TicketData {
	d := &TicketData{}
	r.p.enter()
	for first := true; ; first = false {
		key, ok := r.next(first)
		if !ok {
			break
		}
		switch string(key) {
		case "ticket_id":
			d.TicketID = r.str("data.ticket_id")
		case "worker_id":
			d.WorkerID = r.str("data.worker_id")
		case "email":
			d.Email = r.str("data.email")
		case "kind":
			d.Kind = Kind(r.str("data.kind"))
		case "systems":
			d.Systems = r.strList("data.systems")
		case "resolution":
			d.Resolution = r.str("data.resolution")
		default:
			r.skip()
		}
	}
	if d.WorkerID == "" && d.Email == "" {
		r.fail(ReasonMissingField, "data.worker_id", "a ticket needs worker_id or email")
	}
	r.requireStr(string(d.Kind), "data.kind")
	r.oneOf(string(d.Kind), "data.kind", string(KindJoiner), string(KindMover), string(KindLeaver))
	r.requireStr(d.Resolution, "data.resolution")
	r.oneOf(d.Resolution, "data.resolution", ResolutionCompleted, ResolutionIncomplete, ResolutionCancelled)
	return d
}
