package gen

import "strconv"

// ce opens a structured CloudEvent and its data object.
func ce(b []byte, source, id, typ string, t int64) []byte {
	b = append(b, `{"specversion":"1.0"`...)
	b = kv(b, "id", id)
	b = kv(b, "source", source)
	b = kv(b, "type", typ)
	b = kv(b, "time", ms(t))
	b = kv(b, "datacontenttype", "application/json")
	return append(b, `,"data":{`...)
}

func (s *sim) hr(b []byte, r rec) []byte {
	id := "hr-" + pad(int(r.id), 9)
	w := r.w
	wk := &s.workers[w]
	var typ string
	switch r.kind {
	case kSnapshot:
		typ = "io.jmlwatch.hr.snapshot"
	case kJoiner:
		typ = "io.jmlwatch.hr.joiner"
	case kMover:
		typ = "io.jmlwatch.hr.mover"
	case kLeaver:
		typ = "io.jmlwatch.hr.leaver"
	case kRescind:
		typ = "io.jmlwatch.hr.rescinded"
	}
	b = ce(b, hrSource, id, typ, r.t)
	b = kv(b, "worker_id", workerID(w))
	if r.kind == kRescind {
		k := "joiner"
		if kind(r.sub) == kLeaver {
			k = "leaver"
		}
		b = kv(b, "kind", k)
		return append(b, "}}"...)
	}
	dept := wk.dept
	if r.kind == kMover {
		dept = uint8(r.x)
	}
	b = kv(b, "email", email(w))
	wt := "employee"
	if s.h(9, uint64(w))%10 == 0 {
		wt = "contractor"
	}
	b = kv(b, "worker_type", wt)
	if r.kind != kSnapshot {
		if r.sub&flagDateOnly != 0 {
			d := r.eff
			if r.kind == kLeaver {
				d -= msDay // the last day worked; the policy adds date_only_at
			}
			b = kv(b, "effective_at", date(d))
		} else {
			b = kv(b, "effective_at", ms(r.eff))
		}
	}
	b = kv(b, "department", departments[dept].name)
	b = kv(b, "title", s.title(w, dept))
	b = kv(b, "manager_id", s.manager(w))
	switch r.kind {
	case kMover:
		b = append(b, `,"from":{`...)
		b = kv(b, "department", departments[r.sub].name)
		b = kv(b, "title", s.title(w, r.sub))
		b = append(b, `},"to":{`...)
		b = kv(b, "department", departments[dept].name)
		b = kv(b, "title", s.title(w, dept))
		b = append(b, '}')
	case kLeaver:
		reason := "voluntary"
		if r.sub&reasonInvoluntary != 0 {
			reason = "involuntary"
		}
		b = kv(b, "reason", reason)
	}
	return append(b, "}}"...)
}

func (s *sim) nhiEvent(b []byte, r rec) []byte {
	id := "nhi-" + pad(int(r.id), 9)
	w := r.w
	if r.kind == kNHIRegistered {
		b = ce(b, nhiSource, id, "io.jmlwatch.nhi.registered", r.t)
		b = kv(b, "nhi_id", s.nhiID(w))
		b = kv(b, "system", s.nhiSystem(w))
		b = kv(b, "owner_worker_id", workerID(w))
		if s.h(10, uint64(w))%10 < 3 {
			b = kraw(b, "privileged", "true")
		}
		return append(b, "}}"...)
	}
	b = ce(b, nhiSource, id, "io.jmlwatch.nhi.reassigned", r.t)
	b = kv(b, "nhi_id", s.nhiID(w))
	b = kv(b, "system", s.nhiSystem(w))
	b = kv(b, "new_owner_worker_id", workerID(r.x))
	return append(b, "}}"...)
}

func (s *sim) ticket(b []byte, r rec) []byte {
	id := "tkt-" + pad(int(r.id), 9)
	b = ce(b, tktSource, id, "io.jmlwatch.ticket.resolved", r.t)
	b = kv(b, "ticket_id", "RITM"+strconv.Itoa(1000000+int(r.id)))
	b = kv(b, "worker_id", workerID(r.w))
	k, res := "leaver", "completed"
	switch r.sub {
	case ticketJoinerCompleted:
		k = "joiner"
	case ticketLeaverIncomplete:
		res = "incomplete"
	}
	b = kv(b, "kind", k)
	b = kraw(b, "systems", `["payroll"]`)
	b = kv(b, "resolution", res)
	return append(b, "}}"...)
}
