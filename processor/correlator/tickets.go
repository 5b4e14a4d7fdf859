package correlator

import (
	"bytes"
	"slices"

	"github.com/jmlwatch/jmlwatch/events"
)

// applyTicket applies io.jmlwatch.ticket.resolved: a completed ticket
// completes the open steps of the worker's case of its kind in the listed
// systems that the policy marks manual.
func (tx *Tx) applyTicket(in *events.Input) (Outcome, error) {
	d := in.Ticket
	wid := d.WorkerID
	if wid == "" {
		var err error
		if wid, err = tx.resolveTicket(d.Email, d.Kind); err != nil {
			return 0, err
		}
	}
	if wid == "" {
		b, err := encode(heldTicket{ID: in.ID, Source: in.Source, Time: in.Time.UTC(), Ticket: d})
		if err != nil {
			return 0, err
		}
		if err := tx.kv.Set(key(pTicket, lower(d.Email), in.Source, in.ID), b); err != nil {
			return 0, err
		}
		return Held, tx.retain(in.Time.Add(tx.pol.OrphanWindow), rTicket, lower(d.Email), in.Source, in.ID)
	}
	w, err := tx.loadWorker(wid)
	if err != nil {
		return 0, err
	}
	return Applied, tx.applyTicketTo(w, in)
}

func (tx *Tx) applyTicketTo(w *worker, in *events.Input) error {
	d := in.Ticket
	if d.Resolution != events.ResolutionCompleted {
		return nil
	}
	tx.touch(w)
	t := in.Time.UTC()
	systems := make([]string, len(d.Systems))
	for i, s := range d.Systems {
		systems[i] = tx.pol.Canonical(s)
		m := w.ticketMark(d.Kind, systems[i])
		if m == nil {
			m = &ticketMark{Kind: d.Kind, System: systems[i]}
			w.Tickets = append(w.Tickets, m)
		}
		m.add(t, tx.pol.MaxLookback())
	}
	for _, c := range openCases(w, d.Kind) {
		for _, s := range c.Steps {
			if s.Done || !tx.pol.Manual(s.System) || !slices.Contains(systems, s.System) {
				continue
			}
			if err := tx.completeStep(w, c, s, t); err != nil {
				return err
			}
			if c.State != caseOpen {
				break
			}
		}
	}
	return nil
}

// resolveTicket finds the worker of a ticket that names only an email: the
// one worker with that current HR email, else the one of them with an open
// case of the ticket's kind.
func (tx *Tx) resolveTicket(email string, kind events.Kind) (string, error) {
	if email == "" {
		return "", nil
	}
	ids, err := tx.workersByEmail(email)
	if err != nil || len(ids) == 0 {
		return "", err
	}
	if len(ids) == 1 {
		return ids[0], nil
	}
	var found string
	for _, id := range ids {
		w, err := tx.loadWorker(id)
		if err != nil {
			return "", err
		}
		if len(openCases(w, kind)) > 0 {
			if found != "" {
				return "", nil
			}
			found = id
		}
	}
	return found, nil
}

// linkTickets applies held tickets that named addr, now that a worker has it.
func (tx *Tx) linkTickets(addr string) error {
	p := key(pTicket, lower(addr), "")
	type entry struct {
		heldTicket
		key []byte
	}
	var held []entry
	err := tx.kv.Scan(p, prefixEnd(p), func(k, v []byte) error {
		e := entry{key: bytes.Clone(k)}
		if err := decode(v, &e.heldTicket); err != nil {
			return err
		}
		held = append(held, e)
		return nil
	})
	if err != nil {
		return err
	}
	slices.SortStableFunc(held, func(a, b entry) int { return a.Time.Compare(b.Time) })
	saved := tx.recTime
	defer func() { tx.recTime = saved }()
	for _, h := range held {
		wid, err := tx.resolveTicket(h.Ticket.Email, h.Ticket.Kind)
		if err != nil {
			return err
		}
		if wid == "" {
			continue
		}
		w, err := tx.loadWorker(wid)
		if err != nil {
			return err
		}
		tx.recTime = h.Time
		if err := tx.applyTicketTo(w, &events.Input{ID: h.ID, Source: h.Source, Type: events.TypeTicketResolved, Time: h.Time, Ticket: h.Ticket}); err != nil {
			return err
		}
		if err := tx.kv.Delete(h.key); err != nil {
			return err
		}
	}
	return nil
}
