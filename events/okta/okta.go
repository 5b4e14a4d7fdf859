package okta

import (
	"github.com/jmlwatch/jmlwatch/events"
	"github.com/jmlwatch/jmlwatch/events/internal/vendorkit"
	"github.com/jmlwatch/jmlwatch/events/jsonscan"
)

// Source is the CloudEvents source of every event Decode produces.
const Source = "okta"

// systemOkta is the system of Okta's own accounts, groups and admin roles.
const systemOkta = "okta"

// entitlementAdmin is the entitlement an Okta admin-role grant or revoke
// carries.
const entitlementAdmin = "okta-admin"

// hookEventType is the eventType of an event-hook delivery envelope.
const hookEventType = "com.okta.event_hook"

// Decode normalizes value, one Okta System Log payload, into one events.Item
// per LogEvent: Index -1 for a lone LogEvent, the 0-based position in the
// array or in the event hook's data.events otherwise; Offset and Raw locate
// the LogEvent's bytes in value (Raw aliases value). Exactly one of Event,
// Skip and Err is set in each item; see the package documentation for the
// rules.
//
// aliases maps an app's Okta name (AppInstance alternateId, else
// displayName) to a jmlwatch system key; it may be nil. Decode does not
// modify or retain it. Decode is safe for concurrent use and never panics.
func Decode(value []byte, aliases map[string]string) []events.Item {
	start := jsonscan.WS(value, 0)
	if start < len(value) && value[start] == '{' {
		// The common case, one LogEvent: validate and locate its members in
		// one pass, so that noise costs a single read of the record.
		f, end := scanEvent(value, start, true)
		if end < 0 || jsonscan.WS(value, end) != len(value) {
			return vendorkit.BadJSON(value)
		}
		if f.isHook(value) {
			return decodeHook(value, start, end, f, aliases)
		}
		var o vendorkit.Outcome
		normalize(&o, value, f, aliases)
		return o.Lone(value, start, end)
	}
	if !jsonscan.Valid(value) {
		return vendorkit.BadJSON(value)
	}
	end := jsonscan.Skip(value, start)
	if value[start] == '[' {
		return elements(value, jsonscan.Span{Start: start, End: end}, aliases)
	}
	return vendorkit.NotObject(value, start, end)
}

// decodeHook decodes an event-hook envelope: the LogEvents in data.events.
func decodeHook(value []byte, start, end int, f fields, aliases map[string]string) []events.Item {
	whole := func(code events.Reason, field, detail string) []events.Item {
		return []events.Item{{Index: -1, Offset: start, Raw: value[start:end],
			Err: events.Reject(code, field, "%s", detail)}}
	}
	if jsonscan.Kind(value, f.data) != '{' {
		if !f.data.Present() || jsonscan.Kind(value, f.data) == 'n' {
			return whole(events.ReasonMissingField, "data.events", "event hook without data.events")
		}
		return whole(events.ReasonBadValue, "data", "event hook data is not an object")
	}
	var evs jsonscan.Span
	m, _ := jsonscan.Object(value, f.data.Start)
	for {
		k, v, ok := m.Next()
		if !ok {
			break
		}
		if jsonscan.Equal(k, "events") {
			evs = v
		}
	}
	switch jsonscan.Kind(value, evs) {
	case '[':
	case 0, 'n':
		return whole(events.ReasonMissingField, "data.events", "event hook without data.events")
	default:
		return whole(events.ReasonBadValue, "data.events", "data.events is not an array")
	}
	return elements(value, evs, aliases)
}

// elements decodes each LogEvent of the array at arr.
func elements(value []byte, arr jsonscan.Span, aliases map[string]string) []events.Item {
	return vendorkit.Elements(value, arr, func(o *vendorkit.Outcome, start int) int {
		f, end := scanEvent(value, start, false)
		if f.isHook(value) {
			o.Reject(events.ReasonBadValue, "eventType", "nested event hook envelope")
		} else {
			normalize(o, value, f, aliases)
		}
		return end
	})
}

// fields holds the positions of the top-level LogEvent members Decode uses.
type fields struct {
	eventType, outcome, published, uuid, target, data jsonscan.Span
}

// scanEvent records where the members of the object at start are; only
// their positions are kept, nothing is decoded. With validate, it also checks
// the grammar of the whole object (the buffer has not been validated yet),
// in the same pass. It returns the index just past the object, or -1 if
// validate found an error.
func scanEvent(value []byte, start int, validate bool) (fields, int) {
	var f fields
	end := vendorkit.Members(value, start, validate, f.set)
	return f, end
}

// set records member k (raw, as written) if it is one Decode uses.
func (f *fields) set(k []byte, v jsonscan.Span) {
	switch string(k) {
	case "eventType":
		f.eventType = v
	case "outcome":
		f.outcome = v
	case "published":
		f.published = v
	case "uuid":
		f.uuid = v
	case "target":
		f.target = v
	case "data":
		f.data = v
	default:
		if jsonscan.Escaped(k) {
			// A key written with escapes: rare enough to take the slow path.
			vendorkit.SetUnescaped(k, v, f.set)
		}
	}
}

// isHook reports whether the object is an event-hook envelope rather than
// a LogEvent: its eventType is com.okta.event_hook, or it has no uuid and a
// data object (LogEvents have no data member).
func (f fields) isHook(value []byte) bool {
	if raw, ok := jsonscan.String(value, f.eventType); ok && jsonscan.Equal(raw, hookEventType) {
		return true
	}
	return !f.uuid.Present() && jsonscan.Kind(value, f.data) == '{'
}
