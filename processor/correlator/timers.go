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
// A warning sorts before a breach of the same step due at the same key
// moment (possible only for moments clamped to the key range).
const (
	timerWarn    = '1'
	timerBreach  = '2'
	timerUnowned = '3'
)

// Retention timer types.
const (
	rCase    = 'c' // worker, case_id
	rAccount = 'a' // worker, system, account_id
	rEnt     = 'e' // worker, system, entitlement
	rHolding = 'h' // worker, system, nhi_id
	rNHI     = 'n' // system, nhi_id
	rLeaver  = 'm' // worker, case_id
	rHeld    = 'u' // system, account_id
	rTicket  = 'q' // lower(email), source, id
	// rWorker is a worker's retention sweep (format 4): one timer a
	// worker, at the earliest moment something of it is due (worker.RetainAt),
	// in place of one a case, account, entitlement, NHI holding and leaver
	// marker (the types above, which older states still hold).
	rWorker = 'w' // worker
)

// timerKey is t<due><sortkey>\0<step_id>\0<type>.
func timerKey(due time.Time, sortKey, stepID string, typ byte) []byte {
	return appendTimerKey(make([]byte, 0, 1+8+len(sortKey)+len(stepID)+3), due, sortKey, stepID, typ)
}

// appendTimerKey appends timerKey(due, sortKey, stepID, typ) to b.
func appendTimerKey(b []byte, due time.Time, sortKey, stepID string, typ byte) []byte {
	b = append(b, pTimer)
	b = appendTime(b, due)
	b = appendPart(b, sortKey)
	b = append(b, 0)
	b = appendPart(b, stepID)
	return append(b, 0, typ)
}

// stepTimerKey builds the key of a step's timer of type typ in the Tx's
// key buffer (see scratchKey).
func (tx *Tx) stepTimerKey(c *caseState, s *step, typ byte) []byte {
	due := s.Deadline
	if typ == timerWarn {
		due = s.WarnAt
	}
	tx.kbuf = appendTimerKey(tx.kbuf[:0], due, c.ID, s.ID, typ)
	return tx.kbuf
}

// appendRetainKey appends r<due><type><parts joined by \0> to b.
func appendRetainKey(b []byte, due time.Time, typ byte, parts ...string) []byte {
	return appendKey(appendTime(append(b, pRetain), due), typ, parts...)
}

// retain schedules a retention check at due.
func (tx *Tx) retain(due time.Time, typ byte, parts ...string) error {
	tx.retention.added(due)
	tx.kbuf = appendRetainKey(tx.kbuf[:0], due, typ, parts...)
	return tx.kv.Set(tx.kbuf, nil)
}

// setTimer arms a timer. It is kept in the Tx until Flush, or until the
// clock may reach it: most steps complete well before their deadline, often
// within the same micro-batch, and a timer disarmed before it was written
// costs no write and no deletion. k may be the Tx's key buffer.
func (tx *Tx) setTimer(k []byte, due time.Time, payload string) error {
	tx.timers.added(due)
	if tx.pendingTimers == nil {
		tx.pendingTimers = map[string]pendingTimer{}
	}
	tx.pendingTimers[string(k)] = pendingTimer{due: due, payload: payload}
	return nil
}

// pendingTimer is a timer armed in this Tx and not written yet.
type pendingTimer struct {
	due     time.Time
	payload string
}

// deleteTimer disarms a timer.
func (tx *Tx) deleteTimer(k []byte) error {
	if _, ok := tx.pendingTimers[string(k)]; ok {
		delete(tx.pendingTimers, string(k))
		return nil
	}
	return tx.kv.Delete(k)
}

// writeTimers writes the pending timers due strictly before t (all of them
// for maxTime) to the KV, where firing finds them in key order, and returns
// the earliest due moment of those it kept (maxTime if none).
func (tx *Tx) writeTimers(t time.Time) (time.Time, error) {
	kept := maxTime
	for k, p := range tx.pendingTimers {
		if t.Equal(maxTime) || p.due.Before(t) {
			if err := tx.kv.Set([]byte(k), []byte(p.payload)); err != nil {
				return kept, err
			}
			delete(tx.pendingTimers, k)
		} else if p.due.Before(kept) {
			kept = p.due
		}
	}
	return kept, nil
}

// armStep sets the warning and breach timers of an open step.
func (tx *Tx) armStep(w *worker, c *caseState, s *step) error {
	if !s.WarnAt.IsZero() {
		if err := tx.setTimer(tx.stepTimerKey(c, s, timerWarn), s.WarnAt, w.ID); err != nil {
			return err
		}
	}
	return tx.setTimer(tx.stepTimerKey(c, s, timerBreach), s.Deadline, w.ID)
}

// disarmStep deletes the timers of a step that completed or whose case
// was cancelled.
func (tx *Tx) disarmStep(c *caseState, s *step) error {
	if !s.WarnAt.IsZero() && !s.Warned {
		if err := tx.deleteTimer(tx.stepTimerKey(c, s, timerWarn)); err != nil {
			return err
		}
	}
	if !s.Breached {
		return tx.deleteTimer(tx.stepTimerKey(c, s, timerBreach))
	}
	return nil
}

type dueEntry struct{ k, v []byte }

// queue tracks what is known about one timer range (SLA timers or
// retention timers) so that firing rarely needs a scan: every timer due
// before low has fired, and when known, no timer is due before next.
// Deleting a timer leaves next early, which only costs one extra scan.
type queue struct {
	prefix byte
	low    time.Time
	next   time.Time
	known  bool
	// addedMin is the earliest due moment added since fireQueue last
	// scanned: a timer that firing itself adds (a retention timer armed
	// by another's firing) must not be lost behind the scan's next.
	addedMin time.Time
}

// added records a new timer due at due.
func (q *queue) added(due time.Time) {
	if due.Before(q.low) {
		q.low = due
	}
	if q.known && due.Before(q.next) {
		q.next = due
	}
	if due.Before(q.addedMin) {
		q.addedMin = due
	}
}

var errScanDone = errors.New("scan done")

// collectDue returns up to n timers of q due strictly before clock, in key
// order, and whether it saw the whole due range; when it did, next is the
// due moment of the first timer not due (maxTime if none).
func (tx *Tx) collectDue(q *queue, clock time.Time, n int) (due []dueEntry, complete bool, next time.Time, err error) {
	next = maxTime
	complete = true
	err = tx.kv.Scan(timeBound(q.prefix, q.low), []byte{q.prefix + 1}, func(k, v []byte) error {
		if len(k) < 9 {
			return fmt.Errorf("correlator: malformed timer key %q", k)
		}
		if t := readTime(k[1:9]); !t.Before(clock) {
			next = t
			return errScanDone
		}
		if len(due) == n {
			complete = false
			return errScanDone
		}
		due = append(due, dueEntry{bytes.Clone(k), bytes.Clone(v)})
		return nil
	})
	if errors.Is(err, errScanDone) {
		err = nil
	}
	return due, complete, next, err
}

// fireQueue fires the timers of q due strictly before the clock, in key
// order, with fn, deleting each.
func (tx *Tx) fireQueue(q *queue, fn func(k, v []byte) error) error {
	if q.known && !q.next.Before(tx.clock) {
		return nil
	}
	for {
		q.addedMin = maxTime
		pending := maxTime // the earliest timer still held by the Tx
		if q.prefix == pTimer {
			var err error
			if pending, err = tx.writeTimers(tx.clock); err != nil {
				return err
			}
		}
		due, complete, next, err := tx.collectDue(q, tx.clock, 256)
		if err != nil {
			return fmt.Errorf("correlator: scanning timers: %w", err)
		}
		for _, e := range due {
			if err := fn(e.k, e.v); err != nil {
				return err
			}
			if err := tx.kv.Delete(e.k); err != nil {
				return err
			}
		}
		if complete && !q.addedMin.Before(tx.clock) {
			q.low, q.next, q.known = tx.clock, earliest(earliest(next, q.addedMin), pending), true
			return nil
		}
	}
}

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// fire runs every timer due strictly before the clock: SLA and unowned
// timers in key order (their outputs' order), then retention.
func (tx *Tx) fire(out []events.Output) ([]events.Output, error) {
	err := tx.fireQueue(&tx.timers, func(k, v []byte) error {
		var err error
		out, err = tx.fireTimer(k, v, out)
		return err
	})
	if err != nil {
		return out, err
	}
	if err := tx.fireQueue(&tx.retention, func(k, _ []byte) error { return tx.fireRetention(k) }); err != nil {
		return out, err
	}
	return out, tx.expireSeen()
}

func (tx *Tx) fireTimer(k, v []byte, out []events.Output) ([]events.Output, error) {
	if len(k) < 1+8+3 {
		return out, fmt.Errorf("correlator: malformed timer key %q", k)
	}
	rest := k[9:]
	typ := rest[len(rest)-1]
	parts := splitParts(rest[:len(rest)-2])
	if len(parts) != 2 {
		return out, fmt.Errorf("correlator: malformed timer key %q", k)
	}
	sortKey, stepID := parts[0], parts[1]
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
	// The output's time is the step's moment, not the key's (which is
	// clamped to the key range).
	typName, due := events.TypeSLABreached, s.Deadline
	if typ == timerWarn {
		typName, due = events.TypeSLAWarning, s.WarnAt
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

// retentionParts returns the number of key parts of a retention timer of
// type typ, 0 for an unknown type.
func retentionParts(typ byte) int {
	switch typ {
	case rWorker:
		return 1
	case rCase, rNHI, rLeaver, rHeld:
		return 2
	case rAccount, rEnt, rHolding, rTicket:
		return 3
	}
	return 0
}

// fireRetention deletes state whose retention ran out, if it is still
// eligible (a later change may have made it live again).
func (tx *Tx) fireRetention(k []byte) error {
	if len(k) < 10 {
		return fmt.Errorf("correlator: malformed retention key %q", k)
	}
	due := readTime(k[1:9])
	typ := k[9]
	p := splitParts(k[10:])
	if n := retentionParts(typ); n == 0 || len(p) != n {
		return fmt.Errorf("correlator: malformed retention key %q", k)
	}
	switch typ {
	case rWorker, rCase, rAccount, rEnt, rHolding, rLeaver:
		// The first part is the worker. A format 3 timer of one item is
		// a sweep too: it deletes the item if due, and arms a sweep for
		// the rest (the item's moment may have moved since its timer was
		// armed, which the item's own timer used to miss).
		return tx.sweepWorker(p[0], due)
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

// Retention moments (SPEC 4): when retention deletes a piece of a
// worker's state, or the zero time while that piece is kept whatever the
// clock (an open case, a live account or entitlement, a held NHI).
// sweepWorker, nextRetention and the writers of the pieces (retainItem)
// all go by these.

func (tx *Tx) caseRetention(c *caseState) time.Time {
	if c.State == caseOpen {
		return time.Time{}
	}
	return c.ClosedAt.Add(tx.pol.CaseRetention)
}

func (tx *Tx) accountRetention(a *account) time.Time {
	if !a.Deleted || a.Active {
		return time.Time{}
	}
	return a.StateAt.Add(tx.pol.MaxLookback())
}

func (tx *Tx) entRetention(e *entitle) time.Time {
	if e.Held {
		return time.Time{}
	}
	return e.StateAt.Add(tx.pol.MaxLookback())
}

func (tx *Tx) holdingRetention(h *holding) time.Time {
	if !h.Released {
		return time.Time{}
	}
	return h.ReleasedAt.Add(tx.pol.MaxLookback())
}

func (tx *Tx) leaverRetention(m *leaverMark) time.Time {
	if m == nil {
		return time.Time{}
	}
	return m.EffectiveAt.Add(tx.pol.OrphanWindow)
}

// retainItem arms w's retention sweep for a piece of its state whose
// retention moment (one of the functions above) is at.
func (tx *Tx) retainItem(w *worker, at time.Time) error {
	if at.IsZero() {
		return nil
	}
	return tx.retainWorker(w, at)
}

// retainWorker arms w's retention sweep at due, unless one is armed no
// later: the sweep arms the next one.
func (tx *Tx) retainWorker(w *worker, due time.Time) error {
	if !w.RetainAt.IsZero() && !due.Before(w.RetainAt) {
		return nil
	}
	w.RetainAt = due
	tx.touch(w)
	return tx.retain(due, rWorker, w.ID)
}

// sweepWorker is the retention sweep of worker id at due: it deletes what
// of the worker is due (SPEC 4: closed cases after case_retention; deleted
// accounts, revoked entitlements and released NHI holdings after the
// longest lookback; the leaver marker after orphan_window), arms the sweep
// for what is due next, and deletes the worker if nothing is left of it.
// A sweep that is not the one armed (an earlier one superseded it), or a
// format 3 timer of one item, does the same: sweeps can run any number of
// times.
func (tx *Tx) sweepWorker(id string, due time.Time) error {
	w, err := tx.loadWorker(id)
	if err != nil {
		return err
	}
	changed := false
	expired := func(at time.Time) bool {
		if at.IsZero() || at.After(due) {
			return false
		}
		changed = true
		return true
	}
	w.Cases = slices.DeleteFunc(w.Cases, func(c *caseState) bool {
		if err != nil || !expired(tx.caseRetention(c)) {
			return false
		}
		prefix := c.ID + "\x00"
		w.Orphans = slices.DeleteFunc(w.Orphans, func(o string) bool { return len(o) > len(prefix) && o[:len(prefix)] == prefix })
		err = tx.dropCaseIndex(c)
		return true
	})
	if err != nil {
		return err
	}
	w.Accounts = slices.DeleteFunc(w.Accounts, func(a *account) bool {
		if err != nil || !expired(tx.accountRetention(a)) {
			return false
		}
		err = tx.kv.Delete(key(pLink, a.System, a.ID))
		return true
	})
	if err != nil {
		return err
	}
	w.Ents = slices.DeleteFunc(w.Ents, func(e *entitle) bool { return expired(tx.entRetention(e)) })
	w.NHIs = slices.DeleteFunc(w.NHIs, func(h *holding) bool { return expired(tx.holdingRetention(h)) })
	if expired(tx.leaverRetention(w.Leaver)) {
		w.Leaver = nil
	}
	if !w.RetainAt.IsZero() && !w.RetainAt.After(due) {
		w.RetainAt = time.Time{}
		changed = true
	}
	if changed {
		tx.touch(w)
	}
	if next := tx.nextRetention(w); !next.IsZero() {
		return tx.retainWorker(w, next) // nothing if one is armed no later
	}
	if !changed {
		return nil
	}
	return tx.maybeDropWorker(w)
}

// nextRetention returns the earliest retention moment of what w holds, or
// the zero time if nothing of it is due for deletion.
func (tx *Tx) nextRetention(w *worker) time.Time {
	var next time.Time
	consider := func(at time.Time) {
		if !at.IsZero() && (next.IsZero() || at.Before(next)) {
			next = at
		}
	}
	for _, c := range w.Cases {
		consider(tx.caseRetention(c))
	}
	for _, a := range w.Accounts {
		consider(tx.accountRetention(a))
	}
	for _, e := range w.Ents {
		consider(tx.entRetention(e))
	}
	for _, h := range w.NHIs {
		consider(tx.holdingRetention(h))
	}
	consider(tx.leaverRetention(w.Leaver))
	return next
}

// dropCaseIndex deletes the index entry of a case that retention removed,
// and hands its trigger's de-duplication key back to the window: kept
// until the clock passes the trigger's time + dedupe_window, deleted now if
// it has.
func (tx *Tx) dropCaseIndex(c *caseState) error {
	ck := key(pCase, c.ID)
	v, ok, err := tx.kv.Get(ck)
	if err != nil || !ok {
		return err
	}
	if err := tx.kv.Delete(ck); err != nil {
		return err
	}
	_, source, id := parseCaseIndex(v)
	if source == "" && id == "" {
		return nil // written before the case held the key: it has its own timer
	}
	if err := tx.releaseSeen(source, id); err != nil {
		return err
	}
	return tx.markSeen(source, id, c.RecordedAt)
}

// maybeDropWorker deletes a worker who has left and of whom retention has
// removed everything else (cases, accounts, entitlements, NHIs, tickets,
// the leaver marker), with its email index entry, so workers who left long
// ago do not stay in state forever. Current staff (never left, or rejoined)
// stay: their HR email resolves accounts.
func (tx *Tx) maybeDropWorker(w *worker) error {
	if !w.Left || len(w.Cases) > 0 || len(w.Accounts) > 0 || len(w.Ents) > 0 || len(w.NHIs) > 0 || w.Leaver != nil {
		return nil
	}
	if w.Email != "" {
		if err := tx.kv.Delete(key(pEmail, lower(w.Email), w.ID)); err != nil {
			return err
		}
	}
	delete(tx.workers, w.ID)
	delete(tx.dirty, w.ID)
	return tx.kv.Delete(key(pWorker, w.ID))
}
