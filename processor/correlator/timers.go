package correlator

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jmlwatch/jmlwatch/events"
)

// Timer types, the last byte of a timer key.
const (
	timerWarn    = 'w'
	timerBreach  = 'b'
	timerUnowned = 'u'
)

// Retention timer types.
const (
	rDedupe  = 'd' // source, id
	rCase    = 'c' // worker, case_id
	rAccount = 'a' // worker, system, account_id
	rEnt     = 'e' // worker, system, entitlement
	rHolding = 'h' // worker, system, nhi_id
	rNHI     = 'n' // system, nhi_id
	rLeaver  = 'm' // worker, case_id
	rHeld    = 'u' // system, account_id
	rTicket  = 'q' // lower(email), source, id
)

// timerKey is t<due><sortkey>\0<step_id>\0<type>.
func timerKey(due time.Time, sortKey, stepID string, typ byte) []byte {
	b := make([]byte, 0, 1+8+len(sortKey)+len(stepID)+3)
	b = append(b, pTimer)
	b = appendTime(b, due)
	b = append(b, sortKey...)
	b = append(b, 0)
	b = append(b, stepID...)
	b = append(b, 0, typ)
	return b
}

// retainKey is r<due><type><parts joined by \0>.
func retainKey(due time.Time, typ byte, parts ...string) []byte {
	b := appendTime([]byte{pRetain}, due)
	b = append(b, typ)
	for i, p := range parts {
		if i > 0 {
			b = append(b, 0)
		}
		b = append(b, p...)
	}
	return b
}

// retain schedules a retention check at due.
func (tx *Tx) retain(due time.Time, typ byte, parts ...string) error {
	return tx.kv.Set(retainKey(due, typ, parts...), nil)
}

// armStep sets the warning and breach timers of an open step.
func (tx *Tx) armStep(w *worker, c *caseState, s *step) error {
	if !s.WarnAt.IsZero() {
		if err := tx.kv.Set(timerKey(s.WarnAt, c.ID, s.ID, timerWarn), []byte(w.ID)); err != nil {
			return err
		}
	}
	return tx.kv.Set(timerKey(s.Deadline, c.ID, s.ID, timerBreach), []byte(w.ID))
}

// disarmStep deletes the timers of a step that completed or whose case
// was cancelled.
func (tx *Tx) disarmStep(c *caseState, s *step) error {
	if !s.WarnAt.IsZero() && !s.Warned {
		if err := tx.kv.Delete(timerKey(s.WarnAt, c.ID, s.ID, timerWarn)); err != nil {
			return err
		}
	}
	if !s.Breached {
		return tx.kv.Delete(timerKey(s.Deadline, c.ID, s.ID, timerBreach))
	}
	return nil
}

type dueEntry struct{ k, v []byte }

var errBatchFull = errors.New("batch full")

// collect returns up to n entries of [lower, upper).
func (tx *Tx) collect(lower, upper []byte, n int) ([]dueEntry, error) {
	var out []dueEntry
	err := tx.kv.Scan(lower, upper, func(k, v []byte) error {
		out = append(out, dueEntry{bytes.Clone(k), bytes.Clone(v)})
		if len(out) >= n {
			return errBatchFull
		}
		return nil
	})
	if err != nil && !errors.Is(err, errBatchFull) {
		return nil, err
	}
	return out, nil
}

// fire runs every timer due strictly before the clock: SLA and unowned
// timers in key order (their outputs' order), then retention.
func (tx *Tx) fire(out []events.Output) ([]events.Output, error) {
	upper := timeBound(pTimer, tx.clock)
	for {
		due, err := tx.collect([]byte{pTimer}, upper, 256)
		if err != nil {
			return out, fmt.Errorf("correlator: scanning timers: %w", err)
		}
		for _, e := range due {
			if out, err = tx.fireTimer(e.k, e.v, out); err != nil {
				return out, err
			}
			if err := tx.kv.Delete(e.k); err != nil {
				return out, err
			}
		}
		if len(due) < 256 {
			break
		}
	}
	upper = timeBound(pRetain, tx.clock)
	for {
		due, err := tx.collect([]byte{pRetain}, upper, 256)
		if err != nil {
			return out, fmt.Errorf("correlator: scanning retention: %w", err)
		}
		for _, e := range due {
			if err := tx.fireRetention(e.k); err != nil {
				return out, err
			}
			if err := tx.kv.Delete(e.k); err != nil {
				return out, err
			}
		}
		if len(due) < 256 {
			break
		}
	}
	return out, nil
}

func (tx *Tx) fireTimer(k, v []byte, out []events.Output) ([]events.Output, error) {
	if len(k) < 1+8+3 {
		return out, fmt.Errorf("correlator: malformed timer key %q", k)
	}
	due := readTime(k[1:9])
	rest := k[9:]
	typ := rest[len(rest)-1]
	parts := bytes.SplitN(rest[:len(rest)-2], []byte{0}, 2)
	if len(parts) != 2 {
		return out, fmt.Errorf("correlator: malformed timer key %q", k)
	}
	sortKey, stepID := string(parts[0]), string(parts[1])
	if typ == timerUnowned {
		return tx.fireUnowned(v, out)
	}
	w, err := tx.loadWorker(string(v))
	if err != nil {
		return out, err
	}
	c := w.caseByID(sortKey)
	if c == nil || c.State != caseOpen {
		return out, nil
	}
	s := c.step(stepID)
	if s == nil || s.Done {
		return out, nil
	}
	data := &events.SLAData{
		CaseID: c.ID, StepID: s.ID, WorkerID: w.ID, Kind: c.Kind, System: s.System,
		Action: s.Action, Target: s.Target, Tier: s.Tier,
		EffectiveAt: c.EffectiveAt, Deadline: s.Deadline,
	}
	typName := events.TypeSLABreached
	if typ == timerWarn {
		typName = events.TypeSLAWarning
		s.Warned = true
	} else {
		s.Breached = true
	}
	tx.touch(w)
	return append(out, events.Output{
		ID: OutputID(typName, c.ID, s.ID), Type: typName, Time: due.UTC(), Subject: w.ID, Data: data,
	}), nil
}

func (tx *Tx) fireUnowned(v []byte, out []events.Output) ([]events.Output, error) {
	var ref struct{ System, AccountID string }
	if err := decode(v, &ref); err != nil {
		return out, err
	}
	h, ok, err := tx.loadHeld(ref.System, ref.AccountID)
	if err != nil || !ok || h.Unowned {
		return out, err
	}
	h.Unowned = true
	if err := tx.saveHeld(h); err != nil {
		return out, err
	}
	return append(out, events.Output{
		ID:      OutputID(events.TypeAccountUnowned, h.System, h.AccountID),
		Type:    events.TypeAccountUnowned,
		Time:    h.FirstSeen.Add(tx.pol.UnresolvedTTL).UTC(),
		Subject: h.System + "/" + h.AccountID,
		Data: &events.AccountUnownedData{
			System: h.System, AccountID: h.AccountID, Login: h.Login, FirstSeen: h.FirstSeen,
		},
	}), nil
}

// fireRetention deletes state whose retention ran out, if it is still
// eligible (a later change may have made it live again).
func (tx *Tx) fireRetention(k []byte) error {
	if len(k) < 10 {
		return fmt.Errorf("correlator: malformed retention key %q", k)
	}
	due := readTime(k[1:9])
	typ := k[9]
	var p []string
	for _, s := range bytes.Split(k[10:], []byte{0}) {
		p = append(p, string(s))
	}
	need := map[byte]int{rDedupe: 2, rCase: 2, rAccount: 3, rEnt: 3, rHolding: 3, rNHI: 2, rLeaver: 2, rHeld: 2, rTicket: 3}
	if n, ok := need[typ]; !ok || len(p) != n {
		return fmt.Errorf("correlator: malformed retention key %q", k)
	}
	switch typ {
	case rDedupe:
		return tx.kv.Delete(key(pDedupe, p[0], p[1]))
	case rCase:
		w, err := tx.loadWorker(p[0])
		if err != nil {
			return err
		}
		c := w.caseByID(p[1])
		if c == nil || c.State == caseOpen || c.ClosedAt.Add(tx.pol.CaseRetention).After(due) {
			return nil
		}
		w.Cases = slices.DeleteFunc(w.Cases, func(x *caseState) bool { return x == c })
		prefix := c.ID + "\x00"
		w.Orphans = slices.DeleteFunc(w.Orphans, func(o string) bool { return len(o) > len(prefix) && o[:len(prefix)] == prefix })
		tx.touch(w)
		return tx.kv.Delete(key(pCase, c.ID))
	case rAccount:
		w, err := tx.loadWorker(p[0])
		if err != nil {
			return err
		}
		a := w.account(p[1], p[2])
		if a == nil || !a.Deleted || a.Active || a.StateAt.Add(tx.pol.MaxLookback()).After(due) {
			return nil
		}
		w.removeAccount(a.System, a.ID)
		tx.touch(w)
		return tx.kv.Delete(key(pLink, a.System, a.ID))
	case rEnt:
		w, err := tx.loadWorker(p[0])
		if err != nil {
			return err
		}
		e := w.entitlement(p[1], p[2])
		if e == nil || e.Held || e.StateAt.Add(tx.pol.MaxLookback()).After(due) {
			return nil
		}
		w.Ents = slices.DeleteFunc(w.Ents, func(x *entitle) bool { return x == e })
		tx.touch(w)
	case rHolding:
		w, err := tx.loadWorker(p[0])
		if err != nil {
			return err
		}
		h := w.holding(p[1], p[2])
		if h == nil || !h.Released || h.ReleasedAt.Add(tx.pol.MaxLookback()).After(due) {
			return nil
		}
		w.NHIs = slices.DeleteFunc(w.NHIs, func(x *holding) bool { return x == h })
		tx.touch(w)
	case rNHI:
		n, ok, err := tx.loadNHI(p[0], p[1])
		if err != nil || !ok || !n.Revoked || len(n.Pending) > 0 || n.RevokedAt.Add(tx.pol.MaxLookback()).After(due) {
			return err
		}
		if n.Owner != "" {
			w, err := tx.loadWorker(n.Owner)
			if err != nil {
				return err
			}
			if h := w.holding(n.System, n.ID); h != nil {
				w.NHIs = slices.DeleteFunc(w.NHIs, func(x *holding) bool { return x == h })
				tx.touch(w)
			}
		}
		return tx.kv.Delete(key(pNHI, p[0], p[1]))
	case rLeaver:
		w, err := tx.loadWorker(p[0])
		if err != nil {
			return err
		}
		if w.Leaver != nil && w.Leaver.CaseID == p[1] && !w.Leaver.EffectiveAt.Add(tx.pol.OrphanWindow).After(due) {
			w.Leaver = nil
			tx.touch(w)
		}
	case rHeld:
		h, ok, err := tx.loadHeld(p[0], p[1])
		if err != nil || !ok || h.Latest.Add(tx.pol.OrphanWindow).After(due) {
			return err
		}
		return tx.dropHeld(h)
	case rTicket:
		return tx.kv.Delete(key(pTicket, p[0], p[1], p[2]))
	}
	return nil
}
