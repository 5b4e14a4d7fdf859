package events

import "time"

// Tiers of a system or step.
const (
	TierStandard   = "standard"
	TierPrivileged = "privileged"
)

// Step actions.
const (
	ActionProvision = "provision"
	ActionGrant     = "grant"
	ActionRevoke    = "revoke"
	ActionNHI       = "nhi"
)

// Cancellation reasons.
const (
	CancelSuperseded = "superseded"
	CancelRescinded  = "rescinded"
)

// Output is one event jmlwatch emits (SPEC section 7). Data is one of the
// *Data structs below, matching Type. Source is always "jmlwatch"; Subject is
// also the Kafka key and the partitionkey extension.
type Output struct {
	ID      string
	Type    string
	Time    time.Time
	Subject string
	Data    any
}

// StepInfo describes a step as in case.opened and step.added.
type StepInfo struct {
	StepID   string    `json:"step_id"`
	System   string    `json:"system"`
	Action   string    `json:"action"`
	Target   string    `json:"target"`
	Tier     string    `json:"tier"`
	Deadline time.Time `json:"deadline"`
}

// CaseOpenedData is the data of io.jmlwatch.case.opened.
type CaseOpenedData struct {
	CaseID      string     `json:"case_id"`
	WorkerID    string     `json:"worker_id"`
	Kind        Kind       `json:"kind"`
	EffectiveAt time.Time  `json:"effective_at"`
	RecordedAt  time.Time  `json:"recorded_at"`
	Steps       []StepInfo `json:"steps"`
}

// StepAddedData is the data of io.jmlwatch.step.added.
type StepAddedData struct {
	CaseID      string    `json:"case_id"`
	WorkerID    string    `json:"worker_id"`
	Kind        Kind      `json:"kind"`
	EffectiveAt time.Time `json:"effective_at"`
	StepInfo
}

// StepCompletedData is the data of io.jmlwatch.step.completed.
type StepCompletedData struct {
	CaseID         string    `json:"case_id"`
	StepID         string    `json:"step_id"`
	WorkerID       string    `json:"worker_id"`
	Kind           Kind      `json:"kind"`
	System         string    `json:"system"`
	Action         string    `json:"action"`
	Target         string    `json:"target"`
	Tier           string    `json:"tier"`
	EffectiveAt    time.Time `json:"effective_at"`
	CompletedAt    time.Time `json:"completed_at"`
	LatencySeconds float64   `json:"latency_seconds"`
	Deadline       time.Time `json:"deadline"`
	WithinSLA      bool      `json:"within_sla"`
	BreachedBefore bool      `json:"breached_before"`
}

// CaseCompletedData is the data of io.jmlwatch.case.completed.
type CaseCompletedData struct {
	CaseID         string    `json:"case_id"`
	WorkerID       string    `json:"worker_id"`
	Kind           Kind      `json:"kind"`
	EffectiveAt    time.Time `json:"effective_at"`
	CompletedAt    time.Time `json:"completed_at"`
	LatencySeconds float64   `json:"latency_seconds"`
	WithinSLA      bool      `json:"within_sla"`
	Steps          int       `json:"steps"`
	BreachedSteps  int       `json:"breached_steps"`
}

// CaseCancelledData is the data of io.jmlwatch.case.cancelled.
type CaseCancelledData struct {
	CaseID   string `json:"case_id"`
	WorkerID string `json:"worker_id"`
	Kind     Kind   `json:"kind"`
	Reason   string `json:"reason"`
}

// SLAData is the data of io.jmlwatch.sla.warning and io.jmlwatch.sla.breached.
type SLAData struct {
	CaseID      string    `json:"case_id"`
	StepID      string    `json:"step_id"`
	WorkerID    string    `json:"worker_id"`
	Kind        Kind      `json:"kind"`
	System      string    `json:"system"`
	Action      string    `json:"action"`
	Target      string    `json:"target"`
	Tier        string    `json:"tier"`
	EffectiveAt time.Time `json:"effective_at"`
	Deadline    time.Time `json:"deadline"`
}

// OrphanDetectedData is the data of io.jmlwatch.orphan.detected.
type OrphanDetectedData struct {
	CaseID    string    `json:"case_id"`
	WorkerID  string    `json:"worker_id"`
	Kind      Kind      `json:"kind"`
	System    string    `json:"system"`
	AccountID string    `json:"account_id"`
	LeftAt    time.Time `json:"left_at"`
}

// AccountUnownedData is the data of io.jmlwatch.account.unowned.
type AccountUnownedData struct {
	System    string    `json:"system"`
	AccountID string    `json:"account_id"`
	Login     string    `json:"login"`
	FirstSeen time.Time `json:"first_seen"`
}

// IsAlert reports whether outputs of type typ go to the alerts topic
// (warnings, breaches, orphans, unowned accounts) rather than the events topic.
func IsAlert(typ string) bool {
	switch typ {
	case TypeSLAWarning, TypeSLABreached, TypeOrphanDetected, TypeAccountUnowned:
		return true
	}
	return false
}
