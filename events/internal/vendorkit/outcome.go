package vendorkit

import (
	"time"

	"github.com/jmlwatch/jmlwatch/events"
	"github.com/jmlwatch/jmlwatch/events/jsonscan"
)

// kind says which part of an Outcome is set.
type kind uint8

const (
	kindErr kind = iota
	kindSkip
	kindAccount
	kindNHI
)

// Outcome is what a normalizer decided for one vendor record: a rejection
// (the zero Outcome is one, with a nil error: callers always set it), a
// skip, an account event or an NHI event. It carries the event by value,
// without pointers, so that deciding allocates nothing and Lone or Item
// allocates the item and its event together.
type Outcome struct {
	kind kind
	err  *events.RejectError
	skip events.Skip
	in   events.Input // Account and NHI unset
	acc  events.AccountData
	nhi  events.NHIData
}

// Reject makes o a rejection with the given reason code, field and detail
// (see events.Reject).
func (o *Outcome) Reject(code events.Reason, field, format string, args ...any) {
	o.kind = kindErr
	o.err = events.Reject(code, field, format, args...)
}

// FieldErr makes o the rejection of a required string field at s that is
// absent, null or empty (missing_field) or of another JSON type (code).
func (o *Outcome) FieldErr(value []byte, s jsonscan.Span, field string, code events.Reason) {
	if raw, ok := jsonscan.String(value, s); jsonscan.Null(value, s) || (ok && len(raw) == 0) {
		o.Reject(events.ReasonMissingField, field, "required field is missing or empty")
		return
	}
	o.Reject(code, field, "not a string")
}

// Time reads the required RFC 3339 timestamp at s, the member prefix+name,
// and returns it in UTC. Otherwise it makes o the rejection (missing_field
// when the member is absent or null, bad_timestamp for anything else) and
// reports false. The path is built only on that error path.
func (o *Outcome) Time(value []byte, s jsonscan.Span, prefix, name string) (time.Time, bool) {
	raw, ok := jsonscan.String(value, s)
	if !ok {
		o.FieldErr(value, s, prefix+name, events.ReasonBadTimestamp)
		return time.Time{}, false
	}
	t, ok := parseTime(raw)
	if !ok {
		o.Reject(events.ReasonBadTimestamp, prefix+name, "%q is not an rfc 3339 timestamp", clip(raw))
	}
	return t, ok
}

// Unix seconds of 0000-01-01T00:00:00Z and 10000-01-01T00:00:00Z: the
// instants RFC 3339 can write lie between them.
const (
	minUnix = -62167219200
	endUnix = 253402300800
)

// parseTime is jsonscan.ParseTime, refusing, as the canonical decoder does,
// an instant whose UTC year falls outside 0000-9999
// (0000-01-01T00:30:00+01:00): RFC 3339 could not write it back.
func parseTime(raw []byte) (time.Time, bool) {
	t, ok := jsonscan.ParseTime(raw)
	if s := t.Unix(); !ok || s < minUnix || s >= endUnix {
		return time.Time{}, false
	}
	return t, true
}

// clip shortens a raw value quoted in an error detail.
func clip(raw []byte) string {
	const max = 64
	if len(raw) > max {
		return string(raw[:max]) + "..."
	}
	return string(raw)
}

// TimeOf returns the timestamp at s when it is a valid one (as Time
// judges it), else the zero time: the time of a skipped record that is not
// one of the vendor's audit records (an Entra sign-in record streamed to the
// same hub), which is not rejected for a bad one.
func TimeOf(value []byte, s jsonscan.Span) time.Time {
	raw, ok := jsonscan.String(value, s)
	if !ok {
		return time.Time{}
	}
	t, _ := parseTime(raw)
	return t
}

// Skipped makes o a skip, for reason, of a record of type typ at t.
func (o *Outcome) Skipped(reason, typ string, t time.Time) {
	o.kind = kindSkip
	o.skip = events.Skip{Reason: reason, Type: typ, Time: t}
}

// Account makes o the account event in with data acc; in.Account and
// in.NHI are ignored.
func (o *Outcome) Account(in events.Input, acc events.AccountData) {
	o.kind = kindAccount
	o.in = in
	o.acc = acc
}

// NHI makes o the NHI event in with data nhi; in.Account and in.NHI are
// ignored.
func (o *Outcome) NHI(in events.Input, nhi events.NHIData) {
	o.kind = kindNHI
	o.in = in
	o.nhi = nhi
}

// Lone returns the single item of a lone record at value[start:end]
// (Index -1), allocated together with its event or skip.
func (o *Outcome) Lone(value []byte, start, end int) []events.Item {
	it := events.Item{Index: -1, Offset: start, Raw: value[start:end]}
	switch o.kind {
	case kindAccount:
		b := &struct {
			items [1]events.Item
			in    events.Input
			acc   events.AccountData
		}{in: o.in, acc: o.acc}
		b.in.Account = &b.acc
		it.Event = &b.in
		b.items[0] = it
		return b.items[:]
	case kindNHI:
		b := &struct {
			items [1]events.Item
			in    events.Input
			nhi   events.NHIData
		}{in: o.in, nhi: o.nhi}
		b.in.NHI = &b.nhi
		it.Event = &b.in
		b.items[0] = it
		return b.items[:]
	case kindSkip:
		b := &struct {
			items [1]events.Item
			skip  events.Skip
		}{skip: o.skip}
		it.Skip = &b.skip
		b.items[0] = it
		return b.items[:]
	}
	it.Err = o.err
	return []events.Item{it}
}

// Item returns the item of the index-th element of an array or envelope,
// at value[start:end].
func (o *Outcome) Item(value []byte, start, end, index int) events.Item {
	it := events.Item{Index: index, Offset: start, Raw: value[start:end]}
	switch o.kind {
	case kindAccount:
		b := &struct {
			in  events.Input
			acc events.AccountData
		}{in: o.in, acc: o.acc}
		b.in.Account = &b.acc
		it.Event = &b.in
	case kindNHI:
		b := &struct {
			in  events.Input
			nhi events.NHIData
		}{in: o.in, nhi: o.nhi}
		b.in.NHI = &b.nhi
		it.Event = &b.in
	case kindSkip:
		s := o.skip
		it.Skip = &s
	default:
		it.Err = o.err
	}
	return it
}
