package correlator

import (
	"slices"
	"time"

	"github.com/jmlwatch/jmlwatch/events"
)

// applyHR applies an io.jmlwatch.hr.* record.
func (tx *Tx) applyHR(in *events.Input) (Outcome, error) {
	d := in.HR
	w, err := tx.loadWorker(d.WorkerID)
	if err != nil {
		return 0, err
	}
	tx.touch(w)
	oldDept := w.Department
	switch in.Type {
	case events.TypeHRSnapshot:
		if err := tx.updateFacts(w, in.Time, d.Email, d.Department); err != nil {
			return 0, err
		}
		return Applied, tx.linkByEmail(w.Email)
	case events.TypeHRJoiner:
		if err := tx.updateFacts(w, in.Time, d.Email, d.Department); err != nil {
			return 0, err
		}
		if err := tx.moveRehired(w); err != nil {
			return 0, err
		}
		if err := tx.linkByEmail(w.Email); err != nil {
			return 0, err
		}
		return tx.trigger(w, in, events.KindJoiner, "", oldDept)
	case events.TypeHRMover:
		newDept := d.Department
		if d.To != nil && d.To.Department != "" {
			newDept = d.To.Department
		}
		if err := tx.updateFacts(w, in.Time, d.Email, newDept); err != nil {
			return 0, err
		}
		if err := tx.linkByEmail(w.Email); err != nil {
			return 0, err
		}
		return tx.trigger(w, in, events.KindMover, "", oldDept)
	case events.TypeHRLeaver:
		return tx.trigger(w, in, events.KindLeaver, d.Reason, oldDept)
	case events.TypeHRRescinded:
		return tx.rescind(w, in)
	}
	return Applied, nil
}

// updateFacts sets the worker's HR email and department when the record is
// at least as recent as what set them.
func (tx *Tx) updateFacts(w *worker, t time.Time, email, dept string) error {
	if email != "" && !t.Before(w.EmailAt) {
		if lower(email) != lower(w.Email) {
			if w.Email != "" {
				if err := tx.kv.Delete(key(pEmail, lower(w.Email), w.ID)); err != nil {
					return err
				}
			}
			if err := tx.kv.Set(key(pEmail, lower(email), w.ID), nil); err != nil {
				return err
			}
		}
		w.Email, w.EmailAt = email, t
	}
	if dept != "" && !t.Before(w.DeptAt) {
		w.Department, w.DeptAt = dept, t
	}
	return nil
}

// effectiveAt resolves a trigger's effective_at with the policy.
func (tx *Tx) effectiveAt(kind events.Kind, e *events.EffectiveTime) time.Time {
	var offset time.Duration
	if kind == events.KindLeaver {
		offset = tx.pol.Leaver.DateOnlyAt
	}
	return e.Resolve(tx.pol.Location, offset).UTC()
}

// lookback returns the lookback of a case kind.
func (tx *Tx) lookback(kind events.Kind) time.Duration {
	switch kind {
	case events.KindJoiner:
		return tx.pol.Joiner.Lookback
	case events.KindMover:
		return tx.pol.Mover.Lookback
	}
	return tx.pol.Leaver.Lookback
}

// trigger opens a case for a joiner, mover or leaver record (SPEC 4).
func (tx *Tx) trigger(w *worker, in *events.Input, kind events.Kind, reason, oldDept string) (Outcome, error) {
	id := CaseID(in.Source, in.ID)
	latest := w.latestCase(kind, func(c *caseState) bool { return c.State != caseCancelled })
	if latest != nil && (in.Time.Before(latest.RecordedAt) || (in.Time.Equal(latest.RecordedAt) && id > latest.ID)) {
		return Stale, nil
	}
	eff := tx.effectiveAt(kind, in.HR.EffectiveAt)
	for _, c := range w.Cases {
		if c.State != caseOpen {
			continue
		}
		if c.Kind == kind || (kind == events.KindLeaver && (c.Kind == events.KindJoiner || c.Kind == events.KindMover) && c.EffectiveAt.Before(eff)) {
			if err := tx.cancel(w, c, events.CancelSuperseded, in.Time); err != nil {
				return 0, err
			}
		}
	}
	c := &caseState{ID: id, Kind: kind, Reason: reason, RecordedAt: in.Time.UTC(), EffectiveAt: eff, State: caseOpen}
	w.Cases = append(w.Cases, c)
	if err := tx.kv.Set(key(pCase, id), caseIndexValue(w.ID, in.Source, in.ID)); err != nil {
		return 0, err
	}
	// The trigger's de-duplication key lives as long as its case, which
	// makes a repeat of a retained case's trigger a duplicate whatever the
	// window (SPEC 2); case retention turns it back into a window key.
	if err := tx.holdSeen(in.Source, in.ID); err != nil {
		return 0, err
	}

	var plan []plannedStep
	switch kind {
	case events.KindJoiner:
		for _, sys := range tx.pol.Joiner.Systems {
			plan = append(plan, plannedStep{events.ActionProvision, sys, "*", targetAny})
		}
		for _, g := range tx.pol.BirthrightGrants(w.Department) {
			plan = append(plan, plannedStep{events.ActionGrant, g.System, g.Entitlement, targetEntitlement})
		}
	case events.KindMover:
		from := oldDept
		if in.HR.From != nil && in.HR.From.Department != "" {
			from = in.HR.From.Department
		}
		to := in.HR.Department
		if in.HR.To != nil && in.HR.To.Department != "" {
			to = in.HR.To.Department
		}
		if to == "" {
			to = from // a move that changes no department (a promotion)
		}
		oldG, newG := tx.pol.BirthrightGrants(from), tx.pol.BirthrightGrants(to)
		for _, g := range oldG {
			if !slices.Contains(newG, g) {
				plan = append(plan, plannedStep{events.ActionRevoke, g.System, g.Entitlement, targetEntitlement})
			}
		}
		for _, g := range newG {
			if !slices.Contains(oldG, g) {
				plan = append(plan, plannedStep{events.ActionGrant, g.System, g.Entitlement, targetEntitlement})
			}
		}
	case events.KindLeaver:
		for _, a := range w.Accounts {
			plan = append(plan, plannedStep{events.ActionRevoke, a.System, a.ID, targetAccount})
		}
		for _, sys := range tx.pol.Leaver.Systems {
			if !slices.ContainsFunc(w.Accounts, func(a *account) bool { return a.System == sys }) {
				plan = append(plan, plannedStep{events.ActionRevoke, sys, "*", targetAny})
			}
		}
		for _, h := range w.NHIs {
			plan = append(plan, plannedStep{events.ActionNHI, h.System, h.ID, targetNHI})
		}
	}

	var done []*step
	for _, p := range plan {
		if c.step(p.action+":"+p.system+":"+p.target) != nil {
			continue
		}
		s, create, err := tx.planStep(w, c, p)
		if err != nil {
			return 0, err
		}
		if !create {
			continue
		}
		c.Steps = append(c.Steps, s)
		if s.Done {
			done = append(done, s)
		}
	}
	slices.SortFunc(c.Steps, func(a, b *step) int {
		if a.ID < b.ID {
			return -1
		} else if a.ID > b.ID {
			return 1
		}
		return 0
	})

	opened := &events.CaseOpenedData{
		CaseID: c.ID, WorkerID: w.ID, Kind: kind, EffectiveAt: eff, RecordedAt: c.RecordedAt,
		Steps: make([]events.StepInfo, 0, len(c.Steps)),
	}
	for _, s := range c.Steps {
		opened.Steps = append(opened.Steps, stepInfo(s))
	}
	tx.emit(events.Output{ID: OutputID(events.TypeCaseOpened, c.ID, ""), Type: events.TypeCaseOpened, Time: c.RecordedAt, Subject: w.ID, Data: opened})
	for _, s := range c.Steps {
		if s.Done {
			tx.emitStepCompleted(w, c, s)
			continue
		}
		if err := tx.armStep(w, c, s); err != nil {
			return 0, err
		}
		if s.Action == events.ActionNHI {
			if err := tx.addPending(s.System, s.Target, w.ID); err != nil {
				return 0, err
			}
		}
	}
	if err := tx.maybeComplete(w, c); err != nil {
		return 0, err
	}
	w.Left = kind == events.KindLeaver || (w.Left && kind != events.KindJoiner)
	if kind == events.KindLeaver {
		w.Leaver = &leaverMark{CaseID: c.ID, EffectiveAt: eff}
		if err := tx.retainItem(w, tx.leaverRetention(w.Leaver)); err != nil {
			return 0, err
		}
		// Accounts seen active at or after the leave date before the
		// trigger arrived are orphans too: completions and activations
		// count whatever the order of arrival.
		for _, a := range w.Accounts {
			if !a.SeenActiveAt.IsZero() && !a.SeenActiveAt.Before(eff) {
				if err := tx.orphan(w, a, a.SeenActiveAt); err != nil {
					return 0, err
				}
			}
		}
	}
	return Applied, nil
}

// Target kinds of a planned step.
const (
	targetAny = iota
	targetAccount
	targetEntitlement
	targetNHI
)

type plannedStep struct {
	action, system, target string
	kind                   int
}

// planStep builds a step of a case being opened and applies the lookback
// rule: a step whose target is already in its done state is completed at
// the time of the action that put it there when that action is at or after
// effective_at - lookback; if it is older, no step is created.
func (tx *Tx) planStep(w *worker, c *caseState, p plannedStep) (*step, bool, error) {
	s, err := tx.newStep(w, c, p)
	if err != nil {
		return nil, false, err
	}
	bound := c.EffectiveAt.Add(-tx.lookback(c.Kind))
	var cands []time.Time
	switch p.action {
	case events.ActionProvision:
		var first time.Time
		for _, a := range w.Accounts {
			if a.System == p.system && a.Active && (first.IsZero() || a.ActiveAt.Before(first)) {
				first = a.ActiveAt
			}
		}
		if !first.IsZero() {
			cands = append(cands, first)
		}
	case events.ActionGrant:
		if e := w.entitlement(p.system, p.target); e != nil && e.Held {
			cands = append(cands, e.GrantedAt)
		}
	case events.ActionRevoke:
		switch p.kind {
		case targetAccount:
			if a := w.account(p.system, p.target); a != nil && !a.Active {
				cands = append(cands, a.InactiveAt)
			}
		case targetEntitlement:
			e := w.entitlement(p.system, p.target)
			if e == nil {
				return nil, false, nil // mover revokes cover only entitlements known held or released
			}
			if !e.Held {
				cands = append(cands, e.RevokedAt)
			}
		}
	case events.ActionNHI:
		h := w.holding(p.system, p.target)
		n, _, err := tx.loadNHI(p.system, p.target)
		if err != nil {
			return nil, false, err
		}
		if h.Released && h.ReleasedAt.Before(bound) {
			return nil, false, nil // not owned at or after effective_at - lookback
		}
		switch {
		case h.Released && h.Done:
			cands = append(cands, h.ReleasedAt)
		case n != nil && n.Revoked:
			cands = append(cands, n.RevokedAt)
		}
	}
	if tx.pol.Manual(p.system) {
		if m := w.ticketMark(c.Kind, p.system); m != nil {
			cands = append(cands, m.Times...)
		}
	}
	if len(cands) == 0 {
		return s, true, nil
	}
	var at time.Time
	for _, t := range cands {
		if !t.Before(bound) && (at.IsZero() || t.Before(at)) {
			at = t
		}
	}
	if at.IsZero() {
		return nil, false, nil
	}
	s.Done, s.CompletedAt = true, at
	return s, true, nil
}

// newStep returns an open step of c with its tier, deadline and warning
// moment fixed now.
func (tx *Tx) newStep(w *worker, c *caseState, p plannedStep) (*step, error) {
	tier := tx.pol.Tier(p.system)
	if tier != events.TierPrivileged {
		priv := false
		switch p.kind {
		case targetAccount:
			if a := w.account(p.system, p.target); a != nil {
				priv = a.Privileged
			}
		case targetEntitlement:
			v, ok, err := tx.kv.Get(key(pPriv, p.system, p.target))
			if err != nil {
				return nil, err
			}
			priv = ok && len(v) == 1 && v[0] == 1
		case targetNHI:
			n, ok, err := tx.loadNHI(p.system, p.target)
			if err != nil {
				return nil, err
			}
			priv = ok && n.Privileged
		}
		if priv {
			tier = events.TierPrivileged
		}
	}
	slaKind := c.Kind
	if p.action == events.ActionNHI {
		slaKind = events.KindNHI
	}
	rule := tx.pol.MatchSLA(slaKind, c.Reason, tier, p.system)
	s := &step{
		ID: c.nextStepID(p.action, p.system, p.target), Action: p.action, System: p.system,
		Target: p.target, Tier: tier, Deadline: c.EffectiveAt.Add(rule.Deadline),
	}
	if rule.HasWarn {
		s.WarnAt = c.EffectiveAt.Add(rule.WarnAfter)
	}
	return s, nil
}

// addStep adds an open step to an open case after it opened (step.added).
func (tx *Tx) addStep(w *worker, c *caseState, p plannedStep) error {
	s, err := tx.newStep(w, c, p)
	if err != nil {
		return err
	}
	c.Steps = append(c.Steps, s)
	tx.emit(events.Output{
		ID: OutputID(events.TypeStepAdded, c.ID, s.ID), Type: events.TypeStepAdded,
		Time: tx.recTime, Subject: w.ID,
		Data: &events.StepAddedData{CaseID: c.ID, WorkerID: w.ID, Kind: c.Kind, EffectiveAt: c.EffectiveAt, StepInfo: stepInfo(s)},
	})
	return tx.armStep(w, c, s)
}

func stepInfo(s *step) events.StepInfo {
	return events.StepInfo{StepID: s.ID, System: s.System, Action: s.Action, Target: s.Target, Tier: s.Tier, Deadline: s.Deadline}
}

// cancel cancels a case: it emits nothing further.
func (tx *Tx) cancel(w *worker, c *caseState, reason string, at time.Time) error {
	wasOpen := c.State == caseOpen
	c.State, c.ClosedAt = caseCancelled, at.UTC()
	if wasOpen {
		for _, s := range c.Steps {
			if s.Done {
				continue
			}
			if err := tx.disarmStep(c, s); err != nil {
				return err
			}
		}
	}
	if w.Leaver != nil && w.Leaver.CaseID == c.ID {
		w.Leaver = nil
	}
	tx.emit(events.Output{
		ID: OutputID(events.TypeCaseCancelled, c.ID, ""), Type: events.TypeCaseCancelled, Time: at.UTC(), Subject: w.ID,
		Data: &events.CaseCancelledData{CaseID: c.ID, WorkerID: w.ID, Kind: c.Kind, Reason: reason},
	})
	return tx.retainItem(w, tx.caseRetention(c))
}

// rescind cancels the worker's uncancelled case of the kind with the latest
// trigger time at or before the rescind's time.
func (tx *Tx) rescind(w *worker, in *events.Input) (Outcome, error) {
	c := w.latestCase(in.HR.Kind, func(c *caseState) bool {
		return c.State != caseCancelled && !c.RecordedAt.After(in.Time)
	})
	if c == nil {
		return Stale, nil
	}
	if c.Kind == events.KindLeaver {
		w.Left = w.hasLeft() && w.latestCase(events.KindLeaver, func(x *caseState) bool { return x != c && x.State != caseCancelled }) != nil
	}
	if err := tx.cancel(w, c, events.CancelRescinded, in.Time); err != nil {
		return 0, err
	}
	// A worker whose leaver is rescinded has not left after all: accounts
	// held because their email or login matched no worker who had not left
	// may now resolve to it (SPEC 3).
	if c.Kind == events.KindLeaver && !w.hasLeft() {
		return Applied, tx.linkByEmail(w.Email)
	}
	return Applied, nil
}

// completeStep completes an open step at t and the case if it was the last.
func (tx *Tx) completeStep(w *worker, c *caseState, s *step, t time.Time) error {
	if err := tx.disarmStep(c, s); err != nil {
		return err
	}
	s.Done, s.CompletedAt = true, t.UTC()
	tx.emitStepCompleted(w, c, s)
	return tx.maybeComplete(w, c)
}

func (tx *Tx) emitStepCompleted(w *worker, c *caseState, s *step) {
	tx.emit(events.Output{
		ID: OutputID(events.TypeStepCompleted, c.ID, s.ID), Type: events.TypeStepCompleted, Time: s.CompletedAt, Subject: w.ID,
		Data: &events.StepCompletedData{
			CaseID: c.ID, StepID: s.ID, WorkerID: w.ID, Kind: c.Kind, System: s.System, Action: s.Action,
			Target: s.Target, Tier: s.Tier, EffectiveAt: c.EffectiveAt, CompletedAt: s.CompletedAt,
			LatencySeconds: s.CompletedAt.Sub(c.EffectiveAt).Seconds(), Deadline: s.Deadline,
			WithinSLA: !s.CompletedAt.After(s.Deadline), BreachedBefore: s.Breached,
		},
	})
}

// maybeComplete completes an open case whose steps are all done.
func (tx *Tx) maybeComplete(w *worker, c *caseState) error {
	if c.State != caseOpen {
		return nil
	}
	at := c.EffectiveAt
	var latency time.Duration
	within, breached := true, 0
	for i, s := range c.Steps {
		if !s.Done {
			return nil
		}
		if i == 0 || s.CompletedAt.After(at) {
			at = s.CompletedAt
		}
		if l := s.CompletedAt.Sub(c.EffectiveAt); i == 0 || l > latency {
			latency = l
		}
		if s.CompletedAt.After(s.Deadline) {
			within = false
		}
		if s.Breached {
			breached++
		}
	}
	c.State, c.CompletedAt, c.ClosedAt = caseCompleted, at, at
	tx.emit(events.Output{
		ID: OutputID(events.TypeCaseCompleted, c.ID, ""), Type: events.TypeCaseCompleted, Time: at, Subject: w.ID,
		Data: &events.CaseCompletedData{
			CaseID: c.ID, WorkerID: w.ID, Kind: c.Kind, EffectiveAt: c.EffectiveAt, CompletedAt: at,
			LatencySeconds: latency.Seconds(), WithinSLA: within, Steps: len(c.Steps), BreachedSteps: breached,
		},
	})
	return tx.retainItem(w, tx.caseRetention(c))
}

// openCases returns the worker's open cases of kind ("" for any).
func openCases(w *worker, kind events.Kind) []*caseState {
	var out []*caseState
	for _, c := range w.Cases {
		if c.State == caseOpen && (kind == "" || c.Kind == kind) {
			out = append(out, c)
		}
	}
	return out
}
