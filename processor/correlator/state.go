package correlator

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/jmlwatch/jmlwatch/events"
)

// Case states.
const (
	caseOpen      = "open"
	caseCompleted = "completed"
	caseCancelled = "cancelled"
)

// worker is the aggregate of everything known about one worker. It is stored
// under one key and decoded once per Tx.
type worker struct {
	ID         string        `json:"id"`
	Email      string        `json:"email,omitempty"`
	EmailAt    time.Time     `json:"email_at,omitzero"`
	Department string        `json:"dept,omitempty"`
	DeptAt     time.Time     `json:"dept_at,omitzero"`
	Cases      []*caseState  `json:"cases,omitempty"`
	Accounts   []*account    `json:"accounts,omitempty"`
	Ents       []*entitle    `json:"ents,omitempty"`
	NHIs       []*holding    `json:"nhis,omitempty"`
	Tickets    []*ticketMark `json:"tickets,omitempty"`
	Orphans    []string      `json:"orphans,omitempty"` // case_id\0system\0account_id already reported
	Leaver     *leaverMark   `json:"leaver,omitempty"`
	// Left is set when a leaver case opens and cleared by a later joiner
	// or when the leaver is rescinded: a worker who left may be deleted
	// once retention has removed the rest of its state.
	Left bool `json:"left,omitempty"`
	// RetainAt is when the worker's retention sweep is armed (an rWorker
	// timer), the zero time if none is.
	RetainAt time.Time `json:"retain_at,omitzero"`
}

// caseState is one JML case and its steps.
type caseState struct {
	ID          string      `json:"id"`
	Kind        events.Kind `json:"kind"`
	Reason      string      `json:"reason,omitempty"`
	RecordedAt  time.Time   `json:"recorded_at"`
	EffectiveAt time.Time   `json:"effective_at"`
	State       string      `json:"state"`
	ClosedAt    time.Time   `json:"closed_at,omitzero"`
	CompletedAt time.Time   `json:"completed_at,omitzero"`
	Steps       []*step     `json:"steps,omitempty"`
}

// step is one action a case waits for.
type step struct {
	ID          string    `json:"id"`
	Action      string    `json:"action"`
	System      string    `json:"system"`
	Target      string    `json:"target"`
	Tier        string    `json:"tier"`
	Deadline    time.Time `json:"deadline"`
	WarnAt      time.Time `json:"warn_at,omitzero"`
	Done        bool      `json:"done,omitempty"`
	CompletedAt time.Time `json:"completed_at,omitzero"`
	Breached    bool      `json:"breached,omitempty"`
	Warned      bool      `json:"warned,omitempty"`
}

// account is one account of a worker in one system, as event times say.
// A worker lists an account only while the account's link names the
// worker: a record linking it to another worker moves it there
// (linkedAway). So a record naming a worker who lists the account needs no
// link read.
type account struct {
	System     string `json:"system"`
	ID         string `json:"id"`
	Login      string `json:"login,omitempty"`
	Email      string `json:"email,omitempty"`
	Active     bool   `json:"active,omitempty"`
	Deleted    bool   `json:"deleted,omitempty"`
	Privileged bool   `json:"priv,omitempty"`
	// ActiveAt is when the current (or last) active period began;
	// InactiveAt is when the current inactive period began.
	ActiveAt   time.Time `json:"active_at,omitzero"`
	InactiveAt time.Time `json:"inactive_at,omitzero"`
	// StateAt is the time of the latest record that set the state.
	StateAt time.Time `json:"state_at,omitzero"`
	// SeenActiveAt is the latest record time that showed it created,
	// enabled or active (orphan detection).
	SeenActiveAt time.Time `json:"seen_active_at,omitzero"`
}

// entitle is an entitlement of a worker in one system.
type entitle struct {
	System    string    `json:"system"`
	Name      string    `json:"name"`
	AccountID string    `json:"account_id,omitempty"`
	Held      bool      `json:"held,omitempty"`
	GrantedAt time.Time `json:"granted_at,omitzero"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
	StateAt   time.Time `json:"state_at,omitzero"`
}

// holding is a worker's ownership of an NHI.
type holding struct {
	System string    `json:"system"`
	ID     string    `json:"id"`
	From   time.Time `json:"from,omitzero"`
	// Released is set when the NHI was reassigned away; Done when it went
	// to a worker who was not a leaver (which completes nhi steps).
	Released   bool      `json:"released,omitempty"`
	ReleasedAt time.Time `json:"released_at,omitzero"`
	Done       bool      `json:"done,omitempty"`
}

// ticketMark remembers the completed tickets of a kind for a system, for
// the done state of manual steps when a case opens (the earliest one at or
// after effective_at - lookback counts). add drops times more than the
// longest lookback before the newest, and keeps at most maxTicketTimes.
type ticketMark struct {
	Kind   events.Kind `json:"kind"`
	System string      `json:"system"`
	Times  []time.Time `json:"times"`
}

// maxTicketTimes bounds a ticketMark.
const maxTicketTimes = 16

// add records a completed ticket at t, keeping Times sorted and bounded:
// times older than keep before the newest can no longer fall within a
// lookback that matters.
func (m *ticketMark) add(t time.Time, keep time.Duration) {
	i, _ := slices.BinarySearchFunc(m.Times, t, func(a, b time.Time) int { return a.Compare(b) })
	if i < len(m.Times) && m.Times[i].Equal(t) {
		return
	}
	m.Times = slices.Insert(m.Times, i, t)
	newest := m.Times[len(m.Times)-1]
	m.Times = slices.DeleteFunc(m.Times, func(x time.Time) bool { return x.Before(newest.Add(-keep)) })
	if len(m.Times) > maxTicketTimes {
		m.Times = m.Times[len(m.Times)-maxTicketTimes:]
	}
}

// leaverMark is the worker's latest uncancelled leaver, for orphan detection.
type leaverMark struct {
	CaseID      string    `json:"case_id"`
	EffectiveAt time.Time `json:"effective_at"`
}

// nhiState is the global record of one non-human identity.
type nhiState struct {
	System     string    `json:"system"`
	ID         string    `json:"id"`
	Owner      string    `json:"owner,omitempty"`
	Privileged bool      `json:"priv,omitempty"`
	Revoked    bool      `json:"revoked,omitempty"`
	RevokedAt  time.Time `json:"revoked_at,omitzero"`
	// RegisteredAt is the time of the latest nhi.registered: a revocation
	// at or before it no longer holds (the NHI was registered again),
	// whichever of the two arrived first.
	RegisteredAt time.Time `json:"registered_at,omitzero"`
	// Pending lists workers with an open nhi step on this NHI.
	Pending []string `json:"pending,omitempty"`
}

// heldAccount is an account event stream that resolved to no worker.
type heldAccount struct {
	System    string       `json:"system"`
	AccountID string       `json:"account_id"`
	Login     string       `json:"login,omitempty"`
	Email     string       `json:"email,omitempty"`
	FirstSeen time.Time    `json:"first_seen"`
	Latest    time.Time    `json:"latest"`
	Unowned   bool         `json:"unowned_emitted,omitempty"`
	Records   []heldRecord `json:"records"`
}

// heldRecord is a canonical account-category input kept while unowned.
type heldRecord struct {
	ID      string              `json:"id"`
	Source  string              `json:"source"`
	Type    string              `json:"type"`
	Time    time.Time           `json:"time"`
	Account *events.AccountData `json:"data"`
}

func (h heldRecord) input() *events.Input {
	return &events.Input{ID: h.ID, Source: h.Source, Type: h.Type, Time: h.Time, Account: h.Account}
}

// heldTicket is a ticket whose email named no worker yet.
type heldTicket struct {
	ID     string             `json:"id"`
	Source string             `json:"source"`
	Time   time.Time          `json:"time"`
	Ticket *events.TicketData `json:"data"`
}

func encode(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("correlator: encoding %T: %w", v, err)
	}
	return b, nil
}

func decode(b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("correlator: decoding %T: %w", v, err)
	}
	return nil
}

// Worker helpers.

func (w *worker) caseByID(id string) *caseState {
	for _, c := range w.Cases {
		if c.ID == id {
			return c
		}
	}
	return nil
}

// hasLeft reports whether the worker has an uncancelled leaver case.
func (w *worker) hasLeft() bool {
	for _, c := range w.Cases {
		if c.Kind == events.KindLeaver && c.State != caseCancelled {
			return true
		}
	}
	return false
}

// latestCase returns the worker's latest case of kind by trigger time among
// those accepted by keep; on a tie the lower case_id counts as the later.
func (w *worker) latestCase(kind events.Kind, keep func(*caseState) bool) *caseState {
	var best *caseState
	for _, c := range w.Cases {
		if c.Kind != kind || !keep(c) {
			continue
		}
		if best == nil || c.RecordedAt.After(best.RecordedAt) ||
			(c.RecordedAt.Equal(best.RecordedAt) && c.ID < best.ID) {
			best = c
		}
	}
	return best
}

func (w *worker) account(system, id string) *account {
	for _, a := range w.Accounts {
		if a.System == system && a.ID == id {
			return a
		}
	}
	return nil
}

func (w *worker) removeAccount(system, id string) *account {
	for i, a := range w.Accounts {
		if a.System == system && a.ID == id {
			w.Accounts = append(w.Accounts[:i], w.Accounts[i+1:]...)
			return a
		}
	}
	return nil
}

func (w *worker) entitlement(system, name string) *entitle {
	for _, e := range w.Ents {
		if e.System == system && e.Name == name {
			return e
		}
	}
	return nil
}

func (w *worker) holding(system, id string) *holding {
	for _, h := range w.NHIs {
		if h.System == system && h.ID == id {
			return h
		}
	}
	return nil
}

func (w *worker) ticketMark(kind events.Kind, system string) *ticketMark {
	for _, t := range w.Tickets {
		if t.Kind == kind && t.System == system {
			return t
		}
	}
	return nil
}

func (c *caseState) step(id string) *step {
	for _, s := range c.Steps {
		if s.ID == id {
			return s
		}
	}
	return nil
}

// nextStepID returns action:system:target, or with #n when the case already
// had a step on that target.
func (c *caseState) nextStepID(action, system, target string) string {
	base := action + ":" + system + ":" + target
	n := 0
	for _, s := range c.Steps {
		if s.Action == action && s.System == system && s.Target == target {
			n++
		}
	}
	if n == 0 {
		return base
	}
	return fmt.Sprintf("%s#%d", base, n+1)
}
