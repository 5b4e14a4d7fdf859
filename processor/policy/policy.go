package policy

import (
	"time"

	"github.com/jmlwatch/jmlwatch/events"
)

// Defaults of the keys that may be omitted (SPEC section 5).
const (
	DefaultTimezone        = "UTC"
	DefaultAllowedLateness = 5 * time.Minute
	DefaultDedupeWindow    = 720 * time.Hour
	DefaultUnresolvedTTL   = 168 * time.Hour
	DefaultCaseRetention   = 400 * day
	DefaultOrphanWindow    = 365 * day
	DefaultJoinerLookback  = 720 * time.Hour
	DefaultMoverLookback   = 168 * time.Hour
	DefaultLeaverLookback  = 168 * time.Hour
	DefaultDateOnlyAt      = 24 * time.Hour
	// DefaultJoinerSystem and DefaultLeaverSystem are the single system of
	// joiner.systems and leaver.systems when those keys are omitted.
	DefaultJoinerSystem = "okta"
	DefaultLeaverSystem = "okta"
)

// otherLabel is the metric label of every system the policy does not list.
const otherLabel = "other"

// Policy is a parsed policy file. Get one from Parse or Load, which apply
// the defaults and validate it; a Policy built in code must be checked with
// Validate before use.
//
// A Policy is read-only once built: its methods may be called from any
// number of goroutines, and callers must not modify its maps and slices.
type Policy struct {
	// Timezone is the IANA name of policy.timezone; Location is it, resolved.
	Timezone string
	Location *time.Location

	// AllowedLateness is how far the clock trails event time.
	AllowedLateness time.Duration
	// DedupeWindow is how long after its time an event's source+id is kept.
	DedupeWindow time.Duration
	// UnresolvedTTL is how long a record for an unresolved owner is held.
	UnresolvedTTL time.Duration
	// CaseRetention is how long a closed case is kept.
	CaseRetention time.Duration
	// OrphanWindow is how long a leaver marker is kept for orphan detection.
	OrphanWindow time.Duration

	// Aliases maps a system name as events spell it to the policy's name.
	Aliases map[string]string
	// Systems are the listed systems by name. Unlisted systems are
	// standard, not manual.
	Systems map[string]System

	Joiner     JoinerPolicy
	Mover      MoverPolicy
	Leaver     LeaverPolicy
	Birthright []Birthright
	// SLAs are the SLA rules in file order; the first match wins.
	SLAs []SLARule

	// file is the name given to Parse, prefixed to Validate's messages.
	file string
	// lines maps a key path to the line it is on in file.
	lines map[string]int
	// invalid holds the paths whose value could not be parsed (and were
	// left zero), so Validate does not report consequences of them twice.
	invalid map[string]bool
}

// System is the policy of one listed system.
type System struct {
	// Tier is events.TierStandard or events.TierPrivileged.
	Tier string
	// Manual systems are closed by tickets (ticket.resolved completed)
	// as well as by account events.
	Manual bool
}

// JoinerPolicy is the joiner section.
type JoinerPolicy struct {
	// Systems get a provision step (target *) in every joiner case.
	Systems []string
	// Lookback bounds how old a completion that came first may be.
	Lookback time.Duration
}

// MoverPolicy is the mover section.
type MoverPolicy struct {
	// Lookback bounds how old a completion that came first may be.
	Lookback time.Duration
}

// LeaverPolicy is the leaver section.
type LeaverPolicy struct {
	// Systems get a revoke step (target *) in a leaver case when the
	// worker has no known account there.
	Systems []string
	// Lookback bounds which accounts a leaver's revoke steps cover and how
	// old a completion that came first may be.
	Lookback time.Duration
	// DateOnlyAt is added, on the local clock, to local midnight of a
	// date-only leaver effective_at.
	DateOnlyAt time.Duration
}

// Birthright is one entry of the birthright list: the entitlements every
// worker of Department gets.
type Birthright struct {
	Department string
	Grants     []Grant
}

// Grant is one birthright entitlement in one system.
type Grant struct {
	System      string
	Entitlement string
}

// SLARule is one entry of slas. Empty Reason, Tier and System match
// anything.
type SLARule struct {
	Kind   events.Kind
	Reason string // "", voluntary or involuntary
	Tier   string // "", standard or privileged
	System string // "" or any system name
	// Deadline is measured from the case's effective_at.
	Deadline time.Duration
	// WarnAfter, measured from effective_at, is when an sla.warning is
	// due; it is meaningful only when HasWarn, and then shorter than
	// Deadline.
	WarnAfter time.Duration
	HasWarn   bool
}

// Matches reports whether r applies to a step of the given SLA kind, case
// reason, step tier and system.
func (r SLARule) Matches(kind events.Kind, reason, tier, system string) bool {
	return r.Kind == kind &&
		(r.Reason == "" || r.Reason == reason) &&
		(r.Tier == "" || r.Tier == tier) &&
		(r.System == "" || r.System == system)
}

// catchAll reports whether r has no match field but its kind.
func (r SLARule) catchAll() bool {
	return r.Reason == "" && r.Tier == "" && r.System == ""
}

// Canonical returns the policy's name of a system as events spell it: its
// alias if it has one, else system itself. Aliases are applied once, not
// chained.
func (p *Policy) Canonical(system string) string {
	if a, ok := p.Aliases[system]; ok {
		return a
	}
	return system
}

// Tier returns the tier of system: its listed tier, or events.TierStandard
// when the policy does not list it.
func (p *Policy) Tier(system string) string {
	if s, ok := p.Systems[system]; ok && s.Tier != "" {
		return s.Tier
	}
	return events.TierStandard
}

// Manual reports whether system is listed as manual (closed by tickets).
func (p *Policy) Manual(system string) bool {
	return p.Systems[system].Manual
}

// Listed reports whether system is listed under systems.
func (p *Policy) Listed(system string) bool {
	_, ok := p.Systems[system]
	return ok
}

// MetricLabel returns the value of a system label in metrics: system when
// the policy lists it, else "other", so label cardinality stays bounded by
// the policy.
func (p *Policy) MetricLabel(system string) string {
	if p.Listed(system) {
		return system
	}
	return otherLabel
}

// BirthrightGrants returns the grants of every birthright entry of
// department, in file order, without duplicates; nil when there are none.
// The slice is the caller's.
func (p *Policy) BirthrightGrants(department string) []Grant {
	var out []Grant
	for _, b := range p.Birthright {
		if b.Department != department {
			continue
		}
	next:
		for _, g := range b.Grants {
			for _, have := range out {
				if have == g {
					continue next
				}
			}
			out = append(out, g)
		}
	}
	return out
}

// MatchSLA returns the first SLA rule matching a step: kind is the SLA kind
// (the case's kind, or events.KindNHI for nhi steps), reason the leaver's
// reason ("" when none), tier and system the step's. A validated policy has
// a catch-all rule for every kind, so there is always a match; for a kind
// without one MatchSLA returns the zero SLARule.
func (p *Policy) MatchSLA(kind events.Kind, reason, tier, system string) SLARule {
	for _, r := range p.SLAs {
		if r.Matches(kind, reason, tier, system) {
			return r
		}
	}
	return SLARule{}
}

// MaxLookback returns the longest of the joiner, mover and leaver
// lookbacks: how long deleted accounts and revoked entitlements must be
// kept.
func (p *Policy) MaxLookback() time.Duration {
	return max(p.Joiner.Lookback, p.Mover.Lookback, p.Leaver.Lookback)
}
