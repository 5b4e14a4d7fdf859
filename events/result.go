package events

import (
	"fmt"
	"time"
)

// Reason is a rejection code (SPEC section 8, header jmlwatch_dlq_reason).
type Reason string

// Rejection codes.
const (
	ReasonBadJSON      Reason = "bad_json"
	ReasonBadTimestamp Reason = "bad_timestamp"
	ReasonMissingField Reason = "missing_field"
	ReasonBadValue     Reason = "bad_value"
	ReasonUnknownType  Reason = "unknown_type"
	ReasonNoTarget     Reason = "no_target"
	ReasonFuture       Reason = "future"
)

// RejectError is why a record (or one element of an array or envelope) was
// rejected. It is bad input: callers send it to the dead-letter path and go on.
type RejectError struct {
	Code   Reason
	Field  string // the JSON path of the offending field, e.g. "data.worker_id"; may be empty
	Detail string // human-readable, lower case
}

// Error returns "code: detail", the format of the jmlwatch_dlq_reason header.
func (e *RejectError) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s: %s", e.Code, e.Field, e.Detail)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Detail)
}

// Reject returns a *RejectError.
func Reject(code Reason, field, format string, args ...any) *RejectError {
	return &RejectError{Code: code, Field: field, Detail: fmt.Sprintf(format, args...)}
}

// Skip says why a well-formed vendor record carries no JML meaning (SPEC
// section 2): it is counted, not rejected.
type Skip struct {
	// Reason is one of the Skip* constants.
	Reason string
	// Type is the vendor's event type (Okta eventType, Entra
	// activityDisplayName), for counting by type.
	Type string
	// Time is the record's time when it could be read (zero otherwise);
	// a skipped record still advances the clock.
	Time time.Time
}

// Skip reasons.
const (
	SkipUnmapped  = "unmapped_type"      // an event type with no JML meaning (sign-ins, MFA, ...)
	SkipOutcome   = "outcome"            // an outcome other than success
	SkipNoEnabled = "no_account_enabled" // an Entra "Update user" that does not change AccountEnabled
)

// Item is the result of decoding one element of a record: a lone object is
// one item (Index -1); an array or envelope gives one item per element.
// Exactly one of Event, Skip and Err is set.
type Item struct {
	Index  int    // 0-based index within the array or envelope; -1 for a lone object
	Offset int    // byte offset of the element's first byte within the decoded value
	Raw    []byte // the element's bytes (aliases the input); the dead-letter value
	Event  *Input
	Skip   *Skip
	Err    *RejectError
}
