package entra

import (
	"github.com/jmlwatch/jmlwatch/events"
	"github.com/jmlwatch/jmlwatch/events/internal/vendorkit"
	"github.com/jmlwatch/jmlwatch/events/jsonscan"
)

// Source is the CloudEvents source of every event Decode produces.
const Source = "entra"

// systemEntra is the system of every account, access and NHI event.
const systemEntra = "entra"

// shape says how to read an element of an array or envelope.
type shape uint8

const (
	shapeAuto   shape = iota // a directoryAudit or a diagnostic record, by its members
	shapeAudit               // a directoryAudit (Graph page value[])
	shapeRecord              // a diagnostic record (Event Hubs records[])
)

// Decode normalizes value, one Entra audit payload, into one events.Item per
// directoryAudit: Index -1 for a lone object, the 0-based position in the
// array, value[] or records[] otherwise; Offset and Raw locate the element's
// bytes in value (Raw aliases value). Exactly one of Event, Skip and Err is
// set in each item; see the package documentation for the rules. Decode is
// safe for concurrent use and never panics.
func Decode(value []byte) []events.Item {
	start := jsonscan.WS(value, 0)
	if start < len(value) && value[start] == '{' {
		// The common case, one object: validate and locate its members in one
		// pass, so that noise costs a single read of the record.
		f, end := scan(value, start, true)
		if end < 0 || jsonscan.WS(value, end) != len(value) {
			return vendorkit.BadJSON(value)
		}
		if !f.activityDisplayName.Present() && !f.properties.Present() {
			switch {
			case f.records.Present():
				return decodeList(value, start, end, f.records, "records", shapeRecord)
			case f.value.Present():
				return decodeList(value, start, end, f.value, "value", shapeAudit)
			}
		}
		var o vendorkit.Outcome
		decodeElement(&o, value, f, shapeAuto)
		return o.Lone(value, start, end)
	}
	if !jsonscan.Valid(value) {
		return vendorkit.BadJSON(value)
	}
	end := jsonscan.Skip(value, start)
	if value[start] == '[' {
		return elements(value, jsonscan.Span{Start: start, End: end}, shapeAuto)
	}
	return vendorkit.NotObject(value, start, end)
}

// decodeList decodes the array member name (records or value) of the
// envelope at value[start:end].
func decodeList(value []byte, start, end int, list jsonscan.Span, name string, sh shape) []events.Item {
	if jsonscan.Kind(value, list) != '[' {
		code, detail := events.ReasonBadValue, name+" is not an array"
		if jsonscan.Null(value, list) {
			code, detail = events.ReasonMissingField, name+" is null"
		}
		return []events.Item{{Index: -1, Offset: start, Raw: value[start:end],
			Err: events.Reject(code, name, "%s", detail)}}
	}
	return elements(value, list, sh)
}

// elements decodes each element of the array at arr.
func elements(value []byte, arr jsonscan.Span, sh shape) []events.Item {
	return vendorkit.Elements(value, arr, func(o *vendorkit.Outcome, start int) int {
		f, end := scan(value, start, false)
		decodeElement(o, value, f, sh)
		return end
	})
}

// decodeElement decides the outcome of one object, a directoryAudit or a
// diagnostic record, whose members f located.
func decodeElement(o *vendorkit.Outcome, value []byte, f fields, sh shape) {
	if sh == shapeAuto {
		sh = shapeAudit
		if !f.activityDisplayName.Present() && f.properties.Present() {
			sh = shapeRecord
		}
	}
	if sh == shapeAudit {
		normalize(o, value, f, "")
		return
	}

	// A diagnostic record: only AuditLogs carry directoryAudits.
	// An empty category says nothing: such a record is read as an audit
	// record (and rejected without properties).
	if cat, ok := jsonscan.String(value, f.category); ok && len(cat) > 0 && !jsonscan.EqualFold(cat, "AuditLogs") {
		typ := cat
		if op, ok := jsonscan.String(value, f.operationName); ok && len(op) > 0 {
			typ = op
		}
		var tb [64]byte
		if !jsonscan.Plain(typ) {
			typ = jsonscan.AppendString(tb[:0], typ)
		}
		o.Skipped(events.SkipUnmapped, typeString(typ), vendorkit.TimeOf(value, f.time))
		return
	}
	switch jsonscan.Kind(value, f.properties) {
	case '{':
	case 0, 'n':
		o.Reject(events.ReasonMissingField, "properties", "the record has no directoryAudit properties")
		return
	default:
		o.Reject(events.ReasonBadValue, "properties", "properties is not an object")
		return
	}
	pf, _ := scan(value, f.properties.Start, false)
	normalize(o, value, pf, "properties.")
}

// fields holds the positions of the members Decode uses, of a directoryAudit,
// a diagnostic record or an envelope.
type fields struct {
	// directoryAudit
	id, activityDateTime, activityDisplayName, result, targetResources jsonscan.Span
	// diagnostic record
	properties, category, operationName, time jsonscan.Span
	// envelopes
	records, value jsonscan.Span
}

// scan records where the members of the object at start are; nothing is
// decoded. With validate it also checks the grammar of the whole object. It
// returns the index just past the object, or -1 if validate found an error.
func scan(value []byte, start int, validate bool) (fields, int) {
	var f fields
	end := vendorkit.Members(value, start, validate, f.set)
	return f, end
}

// set records member k (raw, as written) if it is one Decode uses.
func (f *fields) set(k []byte, v jsonscan.Span) {
	switch string(k) {
	case "id":
		f.id = v
	case "activityDateTime":
		f.activityDateTime = v
	case "activityDisplayName":
		f.activityDisplayName = v
	case "result":
		f.result = v
	case "targetResources":
		f.targetResources = v
	case "properties":
		f.properties = v
	case "category":
		f.category = v
	case "operationName":
		f.operationName = v
	case "time":
		f.time = v
	case "records":
		f.records = v
	case "value":
		f.value = v
	default:
		if jsonscan.Escaped(k) {
			// A key written with escapes: rare enough to take the slow path.
			vendorkit.SetUnescaped(k, v, f.set)
		}
	}
}
