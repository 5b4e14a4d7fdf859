package correlator

import (
	"bytes"
	"slices"
	"time"

	"github.com/jmlwatch/jmlwatch/events"
)

// applyAccountRecord applies an account, access or sessions record: it
// resolves the owner (SPEC 3), holds the record when there is none, and
// otherwise applies it with any records held for the same account.
func (tx *Tx) applyAccountRecord(in *events.Input) (Outcome, error) {
	d := *in.Account
	d.System = tx.pol.Canonical(d.System)
	in = &events.Input{ID: in.ID, Source: in.Source, Type: in.Type, Time: in.Time.UTC(), Account: &d}
	if d.WorkerID != "" {
		// A worker holding the account through its own link: the link
		// and held-account reads below would change nothing.
		w, err := tx.loadWorker(d.WorkerID)
		if err != nil {
			return 0, err
		}
		if w.account(d.System, d.AccountID) != nil {
			return Applied, tx.applyAccount(w, in)
		}
	}
	wid, linked, prev, err := tx.resolveAccount(&d)
	if err != nil {
		return 0, err
	}
	// A linked account has no held records: linking drops them.
	var held *heldAccount
	var isHeld bool
	if !linked {
		if held, isHeld, err = tx.loadHeld(d.System, d.AccountID); err != nil {
			return 0, err
		}
	}
	if wid == "" {
		return Held, tx.hold(held, isHeld, in)
	}
	if !linked {
		if err := tx.kv.Set(key(pLink, d.System, d.AccountID), []byte(wid)); err != nil {
			return 0, err
		}
		if err := tx.linkedAway(prev, wid, d.System, d.AccountID); err != nil {
			return 0, err
		}
	}
	w, err := tx.loadWorker(wid)
	if err != nil {
		return 0, err
	}
	if isHeld {
		return Applied, tx.linkHeld(held, w, in)
	}
	return Applied, tx.applyAccount(w, in)
}

// resolveAccount returns the worker an account record belongs to, or "",
// whether the account is already linked to that worker, and the worker it
// is linked to now ("" if none).
func (tx *Tx) resolveAccount(d *events.AccountData) (wid string, linked bool, prev string, err error) {
	v, ok, err := tx.kv.Get(key(pLink, d.System, d.AccountID))
	if err != nil {
		return "", false, "", err
	}
	if ok {
		prev = string(v)
	}
	if d.WorkerID != "" {
		return d.WorkerID, ok && prev == d.WorkerID, prev, nil
	}
	if ok {
		return prev, true, prev, nil
	}
	wid, err = tx.resolveEmail(d.Login, d.Email)
	return wid, false, "", err
}

// linkedAway moves the account from the inventory of prev, the worker it
// was linked to before a record linked it to worker to (SPEC 3: the
// record's worker_id wins): an account belongs to one worker at a time,
// and it keeps its history (an access or sessions record, which adds no
// account, must not leave an active account in nobody's inventory). Steps
// of prev's cases on the account stay; they were planned while it was
// prev's.
func (tx *Tx) linkedAway(prev, to, system, id string) error {
	if prev == "" || prev == to {
		return nil
	}
	old, err := tx.loadWorker(prev)
	if err != nil {
		return err
	}
	a := old.removeAccount(system, id)
	if a == nil {
		return nil
	}
	tx.touch(old)
	w, err := tx.loadWorker(to)
	if err != nil {
		return err
	}
	if w.account(system, id) == nil {
		w.Accounts = append(w.Accounts, a)
		tx.touch(w)
		// The sweep armed for a deleted account was its old worker's.
		if err := tx.retainItem(w, tx.accountRetention(a)); err != nil {
			return err
		}
	}
	return nil
}

// resolveEmail returns the one worker who has not left whose current HR
// email equals login or email, ignoring case; "" when none or several.
func (tx *Tx) resolveEmail(addrs ...string) (string, error) {
	var found string
	for i, a := range addrs {
		if a == "" || (i > 0 && lower(a) == lower(addrs[0])) {
			continue
		}
		ids, err := tx.workersByEmail(a)
		if err != nil {
			return "", err
		}
		for _, id := range ids {
			w, err := tx.loadWorker(id)
			if err != nil {
				return "", err
			}
			if w.hasLeft() {
				continue
			}
			if found != "" && found != id {
				return "", nil // ambiguous: the account stays unowned
			}
			found = id
		}
	}
	return found, nil
}

// workersByEmail lists the workers whose current HR email is addr.
func (tx *Tx) workersByEmail(addr string) ([]string, error) {
	p := key(pEmail, lower(addr), "")
	var ids []string
	err := tx.kv.Scan(p, prefixEnd(p), func(k, _ []byte) error {
		ids = append(ids, splitParts(k[len(p):])[0])
		return nil
	})
	return ids, err
}

// applyAccount applies one account-category record to its owner.
func (tx *Tx) applyAccount(w *worker, in *events.Input) error {
	tx.touch(w)
	d := in.Account
	t := in.Time
	switch in.Type {
	case events.TypeAccessGranted, events.TypeAccessRevoked:
		if err := tx.kv.Set(key(pPriv, d.System, d.Entitlement), boolByte(d.Privileged)); err != nil {
			return err
		}
		if err := tx.setEntitlement(w, d.System, d.Entitlement, d.AccountID, in.Type == events.TypeAccessGranted, t); err != nil {
			return err
		}
		return tx.completeMatching(w, in)
	case events.TypeSessionsRevoked:
		return nil // recorded; completes no step in v1
	}

	a := w.account(d.System, d.AccountID)
	if a == nil {
		a = &account{System: d.System, ID: d.AccountID}
		w.Accounts = append(w.Accounts, a)
	}
	a.Privileged = d.Privileged
	if d.Login != "" {
		a.Login = d.Login
	}
	if d.Email != "" {
		a.Email = d.Email
	}
	activation := false
	switch in.Type {
	case events.TypeAccountCreated, events.TypeAccountEnabled:
		setAccountState(a, true, false, t)
		activation = true
	case events.TypeAccountDisabled:
		setAccountState(a, false, false, t)
	case events.TypeAccountDeleted:
		setAccountState(a, false, true, t)
		if err := tx.retainItem(w, tx.accountRetention(a)); err != nil {
			return err
		}
	case events.TypeAccountSnapshot:
		setAccountState(a, *d.Active, false, t)
		activation = *d.Active
		if err := tx.snapshotEntitlements(w, d, t); err != nil {
			return err
		}
	}
	if activation && t.After(a.SeenActiveAt) {
		a.SeenActiveAt = t
	}
	if err := tx.completeMatching(w, in); err != nil {
		return err
	}
	if !activation {
		return nil
	}
	orphan, err := tx.orphanCase(w, t)
	if err != nil {
		return err
	}
	if orphan != nil {
		if err := tx.orphan(w, a, t); err != nil {
			return err
		}
	}
	// While a leaver case is open, an account created or enabled (or,
	// for an orphan, shown active) gets a revoke step unless it has an
	// open one.
	if !a.Active || (in.Type == events.TypeAccountSnapshot && orphan == nil) {
		return nil
	}
	for _, c := range openCases(w, events.KindLeaver) {
		if slices.ContainsFunc(c.Steps, func(s *step) bool {
			return !s.Done && s.Action == events.ActionRevoke && s.System == a.System && s.Target == a.ID
		}) {
			continue
		}
		if err := tx.addStep(w, c, plannedStep{events.ActionRevoke, a.System, a.ID, targetAccount}); err != nil {
			return err
		}
	}
	return nil
}

// setAccountState records an activation or deactivation at t, by event
// time: an older record only refines when the current period began.
func setAccountState(a *account, active, deleted bool, t time.Time) {
	if a.StateAt.IsZero() || !t.Before(a.StateAt) {
		if active {
			if !a.Active || a.ActiveAt.IsZero() {
				a.ActiveAt = t
			}
			a.Active, a.Deleted = true, false
		} else {
			if a.Active || a.InactiveAt.IsZero() {
				a.InactiveAt = t
			}
			a.Active = false
			a.Deleted = a.Deleted || deleted
		}
		a.StateAt = t
		return
	}
	switch {
	case active && a.Active && t.Before(a.ActiveAt) && t.After(a.InactiveAt):
		a.ActiveAt = t
	case !active && !a.Active && t.Before(a.InactiveAt) && !t.Before(a.ActiveAt):
		a.InactiveAt = t
	}
	if deleted && !a.Active {
		a.Deleted = true
	}
}

// setEntitlement records a grant or revocation at t, by event time.
func (tx *Tx) setEntitlement(w *worker, system, name, accountID string, held bool, t time.Time) error {
	e := w.entitlement(system, name)
	if e == nil {
		e = &entitle{System: system, Name: name}
		w.Ents = append(w.Ents, e)
	}
	if accountID != "" {
		e.AccountID = accountID
	}
	if e.StateAt.IsZero() || !t.Before(e.StateAt) {
		if held && (!e.Held || e.GrantedAt.IsZero()) {
			e.GrantedAt = t
		}
		if !held && (e.Held || e.RevokedAt.IsZero()) {
			e.RevokedAt = t
		}
		e.Held, e.StateAt = held, t
	} else {
		switch {
		case held && e.Held && t.Before(e.GrantedAt) && t.After(e.RevokedAt):
			e.GrantedAt = t
		case !held && !e.Held && t.Before(e.RevokedAt) && !t.Before(e.GrantedAt):
			e.RevokedAt = t
		}
	}
	return tx.retainItem(w, tx.entRetention(e))
}

// snapshotEntitlements sets the entitlements an account.snapshot lists as
// held, and releases the account's other entitlements in that system.
func (tx *Tx) snapshotEntitlements(w *worker, d *events.AccountData, t time.Time) error {
	if d.Entitlements == nil {
		return nil
	}
	for _, name := range d.Entitlements {
		if err := tx.setEntitlement(w, d.System, name, d.AccountID, true, t); err != nil {
			return err
		}
	}
	for _, e := range slices.Clone(w.Ents) {
		if e.System == d.System && e.AccountID == d.AccountID && e.Held && !slices.Contains(d.Entitlements, e.Name) {
			if err := tx.setEntitlement(w, d.System, e.Name, d.AccountID, false, t); err != nil {
				return err
			}
		}
	}
	return nil
}

// completeMatching completes the open steps of the worker's open cases
// that the record matches (SPEC 4).
func (tx *Tx) completeMatching(w *worker, in *events.Input) error {
	d := in.Account
	for _, c := range openCases(w, "") {
		for _, s := range c.Steps {
			if s.Done || s.System != d.System || !matches(c.Kind, s, in) {
				continue
			}
			if err := tx.completeStep(w, c, s, in.Time); err != nil {
				return err
			}
			if c.State != caseOpen {
				break
			}
		}
	}
	return nil
}

// matches reports whether an account-category record completes step s of a
// case of kind.
func matches(kind events.Kind, s *step, in *events.Input) bool {
	d := in.Account
	switch s.Action {
	case events.ActionProvision:
		return in.Type == events.TypeAccountCreated || in.Type == events.TypeAccountEnabled
	case events.ActionGrant:
		return in.Type == events.TypeAccessGranted && s.Target == d.Entitlement
	case events.ActionRevoke:
		if kind == events.KindLeaver {
			return (in.Type == events.TypeAccountDisabled || in.Type == events.TypeAccountDeleted) &&
				(s.Target == "*" || s.Target == d.AccountID)
		}
		return in.Type == events.TypeAccessRevoked && s.Target == d.Entitlement
	}
	return false
}

// orphanCase returns the worker's latest leaver case when a record at t
// showing an account active makes it an orphan: the case is not cancelled,
// no joiner is effective after it, and t is at or after its effective_at.
func (tx *Tx) orphanCase(w *worker, t time.Time) (*caseState, error) {
	m := w.Leaver
	if m == nil || t.Before(m.EffectiveAt) {
		return nil, nil
	}
	c := w.caseByID(m.CaseID)
	if c == nil || c.State == caseCancelled {
		return nil, nil
	}
	for _, j := range w.Cases {
		if j.Kind == events.KindJoiner && j.State != caseCancelled && j.EffectiveAt.After(m.EffectiveAt) {
			return nil, nil
		}
	}
	return c, nil
}

// orphan emits orphan.detected for account a of the worker's leaver case,
// once per (case, system, account), when seen (the time of the record that
// showed a active) makes it an orphan. The event's time is the causing
// record's.
func (tx *Tx) orphan(w *worker, a *account, seen time.Time) error {
	c, err := tx.orphanCase(w, seen)
	if err != nil || c == nil {
		return err
	}
	mark := c.ID + "\x00" + a.System + "\x00" + a.ID
	if slices.Contains(w.Orphans, mark) {
		return nil
	}
	w.Orphans = append(w.Orphans, mark)
	tx.touch(w)
	tx.emit(events.Output{
		ID:   OutputID(events.TypeOrphanDetected, c.ID, a.System, a.ID),
		Type: events.TypeOrphanDetected, Time: tx.recTime, Subject: w.ID,
		Data: &events.OrphanDetectedData{
			CaseID: c.ID, WorkerID: w.ID, Kind: c.Kind, System: a.System, AccountID: a.ID, LeftAt: c.EffectiveAt,
		},
	})
	return nil
}

// moveRehired moves to a joiner the accounts of workers who have left and
// whose HR email equals the joiner's (a rehire under a new worker_id).
func (tx *Tx) moveRehired(j *worker) error {
	if j.Email == "" {
		return nil
	}
	ids, err := tx.workersByEmail(j.Email)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if id == j.ID {
			continue
		}
		old, err := tx.loadWorker(id)
		if err != nil {
			return err
		}
		if !old.hasLeft() || len(old.Accounts) == 0 {
			continue
		}
		for _, a := range old.Accounts {
			if j.account(a.System, a.ID) == nil {
				j.Accounts = append(j.Accounts, a)
				if err := tx.retainItem(j, tx.accountRetention(a)); err != nil {
					return err
				}
			}
			if err := tx.kv.Set(key(pLink, a.System, a.ID), []byte(j.ID)); err != nil {
				return err
			}
		}
		old.Accounts = nil
		tx.touch(old)
	}
	return nil
}

func boolByte(b bool) []byte {
	if b {
		return []byte{1}
	}
	return []byte{0}
}

// Held accounts.

func (tx *Tx) loadHeld(system, id string) (*heldAccount, bool, error) {
	v, ok, err := tx.kv.Get(key(pHeld, system, id))
	if err != nil || !ok {
		return nil, false, err
	}
	h := &heldAccount{}
	return h, true, decode(v, h)
}

func (tx *Tx) saveHeld(h *heldAccount) error {
	b, err := encode(h)
	if err != nil {
		return err
	}
	return tx.kv.Set(key(pHeld, h.System, h.AccountID), b)
}

func heldIndexKeys(h *heldAccount) [][]byte {
	var ks [][]byte
	for _, a := range []string{h.Login, h.Email} {
		if a != "" {
			k := key(pHeldIdx, lower(a), h.System, h.AccountID)
			if !slices.ContainsFunc(ks, func(x []byte) bool { return bytes.Equal(x, k) }) {
				ks = append(ks, k)
			}
		}
	}
	return ks
}

func unownedTimerKey(h *heldAccount, ttl time.Duration) []byte {
	return timerKey(h.FirstSeen.Add(ttl), h.System+"/"+h.AccountID, "", timerUnowned)
}

// hold keeps an account record that resolved to no worker.
func (tx *Tx) hold(h *heldAccount, existed bool, in *events.Input) error {
	d := in.Account
	if !existed {
		h = &heldAccount{System: d.System, AccountID: d.AccountID, FirstSeen: in.Time, Latest: in.Time}
	}
	for _, k := range heldIndexKeys(h) {
		if err := tx.kv.Delete(k); err != nil {
			return err
		}
	}
	if existed && !h.Unowned {
		if err := tx.deleteTimer(unownedTimerKey(h, tx.pol.UnresolvedTTL)); err != nil {
			return err
		}
	}
	h.Records = append(h.Records, heldRecord{ID: in.ID, Source: in.Source, Type: in.Type, Time: in.Time, Account: d})
	slices.SortStableFunc(h.Records, func(a, b heldRecord) int { return a.Time.Compare(b.Time) })
	// Records more than orphan_window before the latest are dropped, as
	// the whole account would be, so an account that never links but keeps
	// getting records stays bounded.
	latest := h.Latest
	if in.Time.After(latest) {
		latest = in.Time
	}
	h.Records = slices.DeleteFunc(h.Records, func(r heldRecord) bool {
		return r.Time.Before(latest.Add(-tx.pol.OrphanWindow))
	})
	if in.Time.Before(h.FirstSeen) {
		h.FirstSeen = in.Time
	}
	if !in.Time.Before(h.Latest) {
		h.Latest = in.Time
		if d.Login != "" {
			h.Login = d.Login
		}
		if d.Email != "" {
			h.Email = d.Email
		}
	}
	if h.Login == "" {
		h.Login = d.Login
	}
	if h.Email == "" {
		h.Email = d.Email
	}
	for _, k := range heldIndexKeys(h) {
		if err := tx.kv.Set(k, nil); err != nil {
			return err
		}
	}
	if !h.Unowned {
		ref, err := encode(struct{ System, AccountID string }{h.System, h.AccountID})
		if err != nil {
			return err
		}
		if err := tx.setTimer(unownedTimerKey(h, tx.pol.UnresolvedTTL), h.FirstSeen.Add(tx.pol.UnresolvedTTL), string(ref)); err != nil {
			return err
		}
	}
	if err := tx.retain(h.Latest.Add(tx.pol.OrphanWindow), rHeld, h.System, h.AccountID); err != nil {
		return err
	}
	return tx.saveHeld(h)
}

// dropHeld deletes a held account, its index entries and its timer.
func (tx *Tx) dropHeld(h *heldAccount) error {
	for _, k := range heldIndexKeys(h) {
		if err := tx.kv.Delete(k); err != nil {
			return err
		}
	}
	if !h.Unowned {
		if err := tx.deleteTimer(unownedTimerKey(h, tx.pol.UnresolvedTTL)); err != nil {
			return err
		}
	}
	return tx.kv.Delete(key(pHeld, h.System, h.AccountID))
}

// linkHeld links a held account to w and applies its records, and extra
// if not nil, in their own time order.
func (tx *Tx) linkHeld(h *heldAccount, w *worker, extra *events.Input) error {
	if err := tx.dropHeld(h); err != nil {
		return err
	}
	if err := tx.kv.Set(key(pLink, h.System, h.AccountID), []byte(w.ID)); err != nil {
		return err
	}
	recs := make([]*events.Input, 0, len(h.Records)+1)
	for _, r := range h.Records {
		recs = append(recs, r.input())
	}
	if extra != nil {
		recs = append(recs, extra)
	}
	slices.SortStableFunc(recs, func(a, b *events.Input) int { return a.Time.Compare(b.Time) })
	saved := tx.recTime
	defer func() { tx.recTime = saved }()
	for _, r := range recs {
		tx.recTime = r.Time
		if err := tx.applyAccount(w, r); err != nil {
			return err
		}
	}
	return nil
}

// linkByEmail links the held accounts and tickets whose login or email is
// addr, when addr now names exactly one worker who has not left.
func (tx *Tx) linkByEmail(addr string) error {
	if addr == "" {
		return nil
	}
	p := key(pHeldIdx, lower(addr), "")
	var refs [][2]string
	err := tx.kv.Scan(p, prefixEnd(p), func(k, _ []byte) error {
		if parts := splitParts(k[len(p):]); len(parts) == 2 {
			refs = append(refs, [2]string{parts[0], parts[1]})
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, r := range refs {
		h, ok, err := tx.loadHeld(r[0], r[1])
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		wid, err := tx.resolveEmail(h.Login, h.Email)
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
		if err := tx.linkHeld(h, w, nil); err != nil {
			return err
		}
	}
	return tx.linkTickets(addr)
}
