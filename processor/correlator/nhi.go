package correlator

import (
	"slices"
	"time"

	"github.com/jmlwatch/jmlwatch/events"
)

func (tx *Tx) loadNHI(system, id string) (*nhiState, bool, error) {
	v, ok, err := tx.kv.Get(key(pNHI, system, id))
	if err != nil || !ok {
		return nil, false, err
	}
	n := &nhiState{}
	return n, true, decode(v, n)
}

func (tx *Tx) saveNHI(n *nhiState) error {
	b, err := encode(n)
	if err != nil {
		return err
	}
	return tx.kv.Set(key(pNHI, n.System, n.ID), b)
}

// addPending records that worker wid has an open nhi step on an NHI.
func (tx *Tx) addPending(system, id, wid string) error {
	n, ok, err := tx.loadNHI(system, id)
	if err != nil {
		return err
	}
	if !ok {
		n = &nhiState{System: system, ID: id}
	}
	if !slices.Contains(n.Pending, wid) {
		n.Pending = append(n.Pending, wid)
	}
	return tx.saveNHI(n)
}

// applyNHI applies nhi.registered, nhi.reassigned and nhi.revoked.
func (tx *Tx) applyNHI(in *events.Input) (Outcome, error) {
	d := in.NHI
	system := tx.pol.Canonical(d.System)
	t := in.Time.UTC()
	n, ok, err := tx.loadNHI(system, d.NHIID)
	if err != nil {
		return 0, err
	}
	if !ok {
		n = &nhiState{System: system, ID: d.NHIID}
	}
	switch in.Type {
	case events.TypeNHIRegistered:
		n.Privileged = d.Privileged
		if t.After(n.RegisteredAt) {
			n.RegisteredAt = t
		}
		// Registered again at or after its revocation: the NHI is live.
		if n.Revoked && !t.Before(n.RevokedAt) {
			n.Revoked, n.RevokedAt = false, time.Time{}
		}
		if err := tx.own(n, d.OwnerWorkerID, t, false); err != nil {
			return 0, err
		}
	case events.TypeNHIReassigned:
		to, err := tx.loadWorker(d.NewOwnerWorkerID)
		if err != nil {
			return 0, err
		}
		done := !to.hasLeft()
		if err := tx.own(n, d.NewOwnerWorkerID, t, done); err != nil {
			return 0, err
		}
		if done {
			if err := tx.completeNHISteps(n, t); err != nil {
				return 0, err
			}
		}
	case events.TypeNHIRevoked:
		if !t.After(n.RegisteredAt) {
			break // revoked at or before its latest registration: the NHI is live
		}
		if !n.Revoked || t.Before(n.RevokedAt) {
			n.RevokedAt = t
		}
		n.Revoked = true
		if err := tx.completeNHISteps(n, t); err != nil {
			return 0, err
		}
		if err := tx.retain(t.Add(tx.pol.MaxLookback()), rNHI, n.System, n.ID); err != nil {
			return 0, err
		}
	}
	return Applied, tx.saveNHI(n)
}

// own makes owner the NHI's owner at t; the previous owner's holding is
// released, done when the new owner is not a leaver.
func (tx *Tx) own(n *nhiState, owner string, t time.Time, done bool) error {
	if n.Owner != "" && n.Owner != owner {
		prev, err := tx.loadWorker(n.Owner)
		if err != nil {
			return err
		}
		if h := prev.holding(n.System, n.ID); h != nil {
			h.Released, h.ReleasedAt, h.Done = true, t, done
			tx.touch(prev)
			if err := tx.retainItem(prev, tx.holdingRetention(h)); err != nil {
				return err
			}
		}
	}
	w, err := tx.loadWorker(owner)
	if err != nil {
		return err
	}
	h := w.holding(n.System, n.ID)
	if h == nil {
		h = &holding{System: n.System, ID: n.ID}
		w.NHIs = append(w.NHIs, h)
	}
	h.From, h.Released, h.ReleasedAt, h.Done = t, false, time.Time{}, false
	n.Owner = owner
	tx.touch(w)
	return nil
}

// completeNHISteps completes every open nhi step on n at t.
func (tx *Tx) completeNHISteps(n *nhiState, t time.Time) error {
	pending := n.Pending
	n.Pending = nil
	for _, wid := range pending {
		w, err := tx.loadWorker(wid)
		if err != nil {
			return err
		}
		tx.touch(w)
		for _, c := range openCases(w, events.KindLeaver) {
			for _, s := range c.Steps {
				if !s.Done && s.Action == events.ActionNHI && s.System == n.System && s.Target == n.ID {
					if err := tx.completeStep(w, c, s, t); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}
