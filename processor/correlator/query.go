package correlator

import (
	"errors"
	"fmt"
	"time"

	"github.com/jmlwatch/jmlwatch/events"
)

// Reader is the read half of KV; a store snapshot or DB implements it. The
// query functions below read through it and never write, so the HTTP API
// can serve them from a snapshot while the apply loop runs.
type Reader interface {
	Get(key []byte) ([]byte, bool, error)
	Scan(lower, upper []byte, fn func(k, v []byte) error) error
}

// StepView is a step as the API shows it.
type StepView struct {
	StepID         string     `json:"step_id"`
	System         string     `json:"system"`
	Action         string     `json:"action"`
	Target         string     `json:"target"`
	Tier           string     `json:"tier"`
	Deadline       time.Time  `json:"deadline"`
	Status         string     `json:"status"` // open | completed
	CompletedAt    *time.Time `json:"completed_at"`
	LatencySeconds *float64   `json:"latency_seconds"`
	WithinSLA      *bool      `json:"within_sla"`
	Warned         bool       `json:"warned"`
	Breached       bool       `json:"breached"`
}

// CaseView is a case as the API shows it. State is open, completed or
// cancelled; Breached reports that an sla.breached was emitted for a step.
type CaseView struct {
	CaseID      string      `json:"case_id"`
	WorkerID    string      `json:"worker_id"`
	Kind        events.Kind `json:"kind"`
	Reason      string      `json:"reason,omitempty"`
	State       string      `json:"state"`
	Breached    bool        `json:"breached"`
	EffectiveAt time.Time   `json:"effective_at"`
	RecordedAt  time.Time   `json:"recorded_at"`
	CompletedAt *time.Time  `json:"completed_at"`
	ClosedAt    *time.Time  `json:"closed_at"`
	Steps       []StepView  `json:"steps"`
}

// AccountView is an account in a worker's inventory.
type AccountView struct {
	System     string     `json:"system"`
	AccountID  string     `json:"account_id"`
	Login      string     `json:"login,omitempty"`
	Active     bool       `json:"active"`
	Deleted    bool       `json:"deleted"`
	Privileged bool       `json:"privileged"`
	ActiveAt   *time.Time `json:"active_since"`
	InactiveAt *time.Time `json:"inactive_since"`
}

// EntitlementView is an entitlement in a worker's inventory.
type EntitlementView struct {
	System      string     `json:"system"`
	Entitlement string     `json:"entitlement"`
	Held        bool       `json:"held"`
	GrantedAt   *time.Time `json:"granted_at"`
	RevokedAt   *time.Time `json:"revoked_at"`
}

// NHIView is an NHI a worker owns or owned.
type NHIView struct {
	System     string     `json:"system"`
	NHIID      string     `json:"nhi_id"`
	Owned      bool       `json:"owned"`
	ReleasedAt *time.Time `json:"released_at"`
}

// WorkerView is everything known about a worker.
type WorkerView struct {
	WorkerID     string            `json:"worker_id"`
	Email        string            `json:"email,omitempty"`
	Department   string            `json:"department,omitempty"`
	Left         bool              `json:"left"`
	Accounts     []AccountView     `json:"accounts"`
	Entitlements []EntitlementView `json:"entitlements"`
	NHIs         []NHIView         `json:"nhis"`
	Cases        []CaseView        `json:"cases"`
}

// UnownedView is an account that resolved to no worker (SPEC 3).
type UnownedView struct {
	System    string    `json:"system"`
	AccountID string    `json:"account_id"`
	Login     string    `json:"login,omitempty"`
	Email     string    `json:"email,omitempty"`
	FirstSeen time.Time `json:"first_seen"`
	LatestAt  time.Time `json:"latest"`
	Records   int       `json:"records"`
	Reported  bool      `json:"reported"` // account.unowned was emitted
}

func tp(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func caseView(w *worker, c *caseState) CaseView {
	v := CaseView{
		CaseID: c.ID, WorkerID: w.ID, Kind: c.Kind, Reason: c.Reason, State: c.State,
		EffectiveAt: c.EffectiveAt, RecordedAt: c.RecordedAt, CompletedAt: tp(c.CompletedAt),
		ClosedAt: tp(c.ClosedAt), Steps: make([]StepView, 0, len(c.Steps)),
	}
	for _, s := range c.Steps {
		sv := StepView{
			StepID: s.ID, System: s.System, Action: s.Action, Target: s.Target, Tier: s.Tier,
			Deadline: s.Deadline, Status: "open", Warned: s.Warned, Breached: s.Breached,
		}
		if s.Done {
			sv.Status = "completed"
			sv.CompletedAt = tp(s.CompletedAt)
			l := s.CompletedAt.Sub(c.EffectiveAt).Seconds()
			within := !s.CompletedAt.After(s.Deadline)
			sv.LatencySeconds, sv.WithinSLA = &l, &within
		}
		v.Breached = v.Breached || s.Breached
		v.Steps = append(v.Steps, sv)
	}
	return v
}

func readWorker(r Reader, id string) (*worker, bool, error) {
	v, ok, err := r.Get(key(pWorker, id))
	if err != nil || !ok {
		return nil, false, err
	}
	w := &worker{}
	return w, true, decodeWorker(v, id, w)
}

// ReadCase returns the case case_id, or false if it is not retained.
func ReadCase(r Reader, caseID string) (CaseView, bool, error) {
	v, ok, err := r.Get(key(pCase, caseID))
	if err != nil || !ok {
		return CaseView{}, false, err
	}
	wid, _, _ := parseCaseIndex(v)
	w, ok, err := readWorker(r, wid)
	if err != nil || !ok {
		return CaseView{}, false, err
	}
	c := w.caseByID(caseID)
	if c == nil {
		return CaseView{}, false, nil
	}
	return caseView(w, c), true, nil
}

// ReadWorker returns everything known about a worker, or false.
func ReadWorker(r Reader, id string) (WorkerView, bool, error) {
	w, ok, err := readWorker(r, id)
	if err != nil || !ok {
		return WorkerView{}, false, err
	}
	v := WorkerView{
		WorkerID: w.ID, Email: w.Email, Department: w.Department, Left: w.hasLeft(),
		Accounts: []AccountView{}, Entitlements: []EntitlementView{}, NHIs: []NHIView{}, Cases: []CaseView{},
	}
	for _, a := range w.Accounts {
		v.Accounts = append(v.Accounts, AccountView{
			System: a.System, AccountID: a.ID, Login: a.Login, Active: a.Active, Deleted: a.Deleted,
			Privileged: a.Privileged, ActiveAt: tp(a.ActiveAt), InactiveAt: tp(a.InactiveAt),
		})
	}
	for _, e := range w.Ents {
		v.Entitlements = append(v.Entitlements, EntitlementView{
			System: e.System, Entitlement: e.Name, Held: e.Held, GrantedAt: tp(e.GrantedAt), RevokedAt: tp(e.RevokedAt),
		})
	}
	for _, h := range w.NHIs {
		v.NHIs = append(v.NHIs, NHIView{System: h.System, NHIID: h.ID, Owned: !h.Released, ReleasedAt: tp(h.ReleasedAt)})
	}
	for _, c := range w.Cases {
		v.Cases = append(v.Cases, caseView(w, c))
	}
	return v, true, nil
}

// errStopScan stops a query scan early.
var errStopScan = errors.New("stop")

// ScanCases calls fn for every retained case of every worker whose id is
// greater than after ("" for the start), in worker id order, until fn
// returns false. The worker id of the last case seen is a cursor for the
// next page.
func ScanCases(r Reader, after string, fn func(CaseView) bool) error {
	lower := []byte{pWorker}
	if after != "" {
		lower = append(key(pWorker, after), 0)
	}
	return scanCases(r, lower, fn)
}

// ScanCasesFrom is ScanCases starting at worker id from itself (inclusive),
// for a cursor that stopped in the middle of a worker's cases.
func ScanCasesFrom(r Reader, from string, fn func(CaseView) bool) error {
	return scanCases(r, key(pWorker, from), fn)
}

func scanCases(r Reader, lower []byte, fn func(CaseView) bool) error {
	err := r.Scan(lower, []byte{pWorker + 1}, func(k, v []byte) error {
		w := &worker{}
		id := splitParts(k[1:])[0]
		if err := decodeWorker(v, id, w); err != nil {
			return fmt.Errorf("worker %q: %w", id, err)
		}
		for _, c := range w.Cases {
			if !fn(caseView(w, c)) {
				return errStopScan
			}
		}
		return nil
	})
	if errors.Is(err, errStopScan) {
		return nil
	}
	return err
}

// ScanUnowned calls fn for every held (unowned) account, in (system,
// account_id) order, until fn returns false.
func ScanUnowned(r Reader, fn func(UnownedView) bool) error {
	return scanUnowned(r, []byte{pHeld}, fn)
}

// ScanUnownedAfter is ScanUnowned starting after the account (system,
// accountID): the last one of the previous page.
func ScanUnownedAfter(r Reader, system, accountID string, fn func(UnownedView) bool) error {
	return scanUnowned(r, append(key(pHeld, system, accountID), 0), fn)
}

func scanUnowned(r Reader, lower []byte, fn func(UnownedView) bool) error {
	err := r.Scan(lower, []byte{pHeld + 1}, func(k, v []byte) error {
		h := &heldAccount{}
		if err := decode(v, h); err != nil {
			return fmt.Errorf("held account %q: %w", k[1:], err)
		}
		if !fn(UnownedView{
			System: h.System, AccountID: h.AccountID, Login: h.Login, Email: h.Email,
			FirstSeen: h.FirstSeen, LatestAt: h.Latest, Records: len(h.Records), Reported: h.Unowned,
		}) {
			return errStopScan
		}
		return nil
	})
	if errors.Is(err, errStopScan) {
		return nil
	}
	return err
}

// ReadClock returns the correlator clock stored in r (zero if none).
func ReadClock(r Reader) (time.Time, error) {
	v, ok, err := r.Get([]byte{keyClockB})
	if err != nil || !ok || len(v) != 8 {
		return time.Time{}, err
	}
	return readTime(v), nil
}

// TimerKeys returns the key range [lower, upper) that holds the pending
// SLA and unowned-account timers, one key each, so that an operator
// surface can count them (for example in bounded steps) without knowing
// the key layout.
func TimerKeys() (lower, upper []byte) {
	return []byte{pTimer}, []byte{pTimer + 1}
}
