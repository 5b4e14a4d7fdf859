package events

import (
	"time"
)

// Canonical input event types (SPEC section 2).
const (
	TypeHRSnapshot  = "io.jmlwatch.hr.snapshot"
	TypeHRJoiner    = "io.jmlwatch.hr.joiner"
	TypeHRMover     = "io.jmlwatch.hr.mover"
	TypeHRLeaver    = "io.jmlwatch.hr.leaver"
	TypeHRRescinded = "io.jmlwatch.hr.rescinded"

	TypeAccountCreated  = "io.jmlwatch.account.created"
	TypeAccountEnabled  = "io.jmlwatch.account.enabled"
	TypeAccountDisabled = "io.jmlwatch.account.disabled"
	TypeAccountDeleted  = "io.jmlwatch.account.deleted"
	TypeAccountSnapshot = "io.jmlwatch.account.snapshot"
	TypeAccessGranted   = "io.jmlwatch.access.granted"
	TypeAccessRevoked   = "io.jmlwatch.access.revoked"
	TypeSessionsRevoked = "io.jmlwatch.sessions.revoked"

	TypeNHIRegistered = "io.jmlwatch.nhi.registered"
	TypeNHIReassigned = "io.jmlwatch.nhi.reassigned"
	TypeNHIRevoked    = "io.jmlwatch.nhi.revoked"

	TypeTicketResolved = "io.jmlwatch.ticket.resolved"
)

// Output event types (SPEC section 7).
const (
	TypeCaseOpened     = "io.jmlwatch.case.opened"
	TypeStepAdded      = "io.jmlwatch.step.added"
	TypeStepCompleted  = "io.jmlwatch.step.completed"
	TypeCaseCompleted  = "io.jmlwatch.case.completed"
	TypeCaseCancelled  = "io.jmlwatch.case.cancelled"
	TypeSLAWarning     = "io.jmlwatch.sla.warning"
	TypeSLABreached    = "io.jmlwatch.sla.breached"
	TypeOrphanDetected = "io.jmlwatch.orphan.detected"
	TypeAccountUnowned = "io.jmlwatch.account.unowned"
)

// Kind is the kind of a JML case: joiner, mover or leaver.
type Kind string

// Case kinds. KindNHI is an SLA kind only (the kind of nhi steps' SLA rules).
const (
	KindJoiner Kind = "joiner"
	KindMover  Kind = "mover"
	KindLeaver Kind = "leaver"
	KindNHI    Kind = "nhi"
)

// Category says which data struct an Input carries.
type Category uint8

// Input categories.
const (
	CategoryHR Category = iota + 1
	CategoryAccount
	CategoryNHI
	CategoryTicket
)

// CategoryOf returns the category of a canonical input type and whether the
// type is known.
func CategoryOf(typ string) (Category, bool) {
	switch typ {
	case TypeHRSnapshot, TypeHRJoiner, TypeHRMover, TypeHRLeaver, TypeHRRescinded:
		return CategoryHR, true
	case TypeAccountCreated, TypeAccountEnabled, TypeAccountDisabled, TypeAccountDeleted,
		TypeAccountSnapshot, TypeAccessGranted, TypeAccessRevoked, TypeSessionsRevoked:
		return CategoryAccount, true
	case TypeNHIRegistered, TypeNHIReassigned, TypeNHIRevoked:
		return CategoryNHI, true
	case TypeTicketResolved:
		return CategoryTicket, true
	}
	return 0, false
}

// Input is one canonical input event. Exactly one of HR, Account, NHI and
// Ticket is set, according to Type (see CategoryOf).
//
// Inputs are values produced by a decoder; the correlator treats them as
// read-only.
type Input struct {
	ID     string    // CloudEvents id; with Source identifies the event
	Source string    // CloudEvents source
	Type   string    // one of the Type* input constants
	Time   time.Time // when it happened in the source

	HR      *HRData
	Account *AccountData
	NHI     *NHIData
	Ticket  *TicketData
}

// Position is a department and title, as in a mover's from and to.
type Position struct {
	Department string `json:"department,omitempty"`
	Title      string `json:"title,omitempty"`
}

// HRData is the data of the io.jmlwatch.hr.* events.
type HRData struct {
	WorkerID    string         `json:"worker_id"`
	Email       string         `json:"email,omitempty"`
	WorkerType  string         `json:"worker_type,omitempty"` // employee | contractor
	EffectiveAt *EffectiveTime `json:"effective_at,omitempty"`
	Department  string         `json:"department,omitempty"`
	Title       string         `json:"title,omitempty"`
	ManagerID   string         `json:"manager_id,omitempty"`
	From        *Position      `json:"from,omitempty"`   // mover only
	To          *Position      `json:"to,omitempty"`     // mover only
	Reason      string         `json:"reason,omitempty"` // leaver only: voluntary | involuntary
	Kind        Kind           `json:"kind,omitempty"`   // rescinded only: the kind of case rescinded
}

// AccountData is the data of the account, access and sessions events.
type AccountData struct {
	System    string `json:"system"`
	AccountID string `json:"account_id"`
	WorkerID  string `json:"worker_id,omitempty"`
	Login     string `json:"login,omitempty"`
	Email     string `json:"email,omitempty"`
	// Privileged is what the record says; a record that does not say is
	// read as false.
	Privileged bool `json:"privileged,omitempty"`
	// Entitlement is set on access.granted and access.revoked.
	Entitlement string `json:"entitlement,omitempty"`
	// Active and Entitlements are set on account.snapshot. Entitlements
	// is nil when the record does not list them and empty (not nil) when
	// it lists none.
	Active       *bool    `json:"active,omitempty"`
	Entitlements []string `json:"entitlements,omitzero"`
}

// NHIData is the data of the io.jmlwatch.nhi.* events.
type NHIData struct {
	NHIID            string `json:"nhi_id"`
	System           string `json:"system"`
	OwnerWorkerID    string `json:"owner_worker_id,omitempty"`     // registered
	NewOwnerWorkerID string `json:"new_owner_worker_id,omitempty"` // reassigned
	Privileged       bool   `json:"privileged,omitempty"`
}

// Ticket resolutions.
const (
	ResolutionCompleted  = "completed"
	ResolutionIncomplete = "incomplete"
	ResolutionCancelled  = "cancelled"
)

// TicketData is the data of io.jmlwatch.ticket.resolved.
type TicketData struct {
	TicketID   string   `json:"ticket_id"`
	WorkerID   string   `json:"worker_id,omitempty"`
	Email      string   `json:"email,omitempty"`
	Kind       Kind     `json:"kind"`
	Systems    []string `json:"systems"`
	Resolution string   `json:"resolution"`
}

// EffectiveTime is an HR effective_at: either an instant or a calendar date
// without a time. A date is kept as a date; the correlator resolves it with
// the policy (local midnight in policy.timezone, plus leaver.date_only_at for
// a leaver).
type EffectiveTime struct {
	// Instant is the RFC 3339 instant; zero when DateOnly.
	Instant time.Time
	// DateOnly reports a date without a time; Year, Month, Day hold it.
	DateOnly bool
	Year     int
	Month    time.Month
	Day      int
}

// Resolve returns the instant of e: Instant, or for a date, local midnight
// in loc plus offset measured on the local clock (so 24h is the following
// local midnight even across a daylight-saving change).
func (e EffectiveTime) Resolve(loc *time.Location, offset time.Duration) time.Time {
	if !e.DateOnly {
		return e.Instant
	}
	// time.Date normalises out-of-range hours in civil time before applying
	// the zone, which is exactly "offset on the local clock".
	h := offset / time.Hour
	rest := offset - h*time.Hour
	return time.Date(e.Year, e.Month, e.Day, int(h), 0, 0, int(rest), loc)
}
