package entra

import (
	"time"

	"github.com/jmlwatch/jmlwatch/events"
)

// outKind says which part of an outcome is set.
type outKind uint8

const (
	outErr outKind = iota
	outSkip
	outAccount
	outNHI
)

// outcome is what normalize decided for one directoryAudit. It carries the event
// by value, without pointers, so that normalize allocates nothing for it and
// the caller allocates the item and its event together (see lone and item).
type outcome struct {
	kind outKind
	err  *events.RejectError
	skip events.Skip
	in   events.Input // Account and NHI unset
	acc  events.AccountData
	nhi  events.NHIData
}

// reject makes o a rejection.
func (o *outcome) reject(code events.Reason, field, format string, args ...any) {
	o.kind = outErr
	o.err = events.Reject(code, field, format, args...)
}

// skipped makes o a skip of a record of the given activity.
func (o *outcome) skipped(reason string, activity []byte, t time.Time) {
	o.kind = outSkip
	o.skip = events.Skip{Reason: reason, Type: typeString(activity), Time: t}
}

// lone returns the single item of a lone directoryAudit at value[start:end],
// allocated together with its event or skip.
func (o *outcome) lone(value []byte, start, end int) []events.Item {
	it := events.Item{Index: -1, Offset: start, Raw: value[start:end]}
	switch o.kind {
	case outAccount:
		b := &struct {
			items [1]events.Item
			in    events.Input
			acc   events.AccountData
		}{in: o.in, acc: o.acc}
		b.in.Account = &b.acc
		it.Event = &b.in
		b.items[0] = it
		return b.items[:]
	case outNHI:
		b := &struct {
			items [1]events.Item
			in    events.Input
			nhi   events.NHIData
		}{in: o.in, nhi: o.nhi}
		b.in.NHI = &b.nhi
		it.Event = &b.in
		b.items[0] = it
		return b.items[:]
	case outSkip:
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

// item returns the item of the index-th element of an array or envelope,
// at value[start:end].
func (o *outcome) item(value []byte, start, end, index int) events.Item {
	it := events.Item{Index: index, Offset: start, Raw: value[start:end]}
	switch o.kind {
	case outAccount:
		b := &struct {
			in  events.Input
			acc events.AccountData
		}{in: o.in, acc: o.acc}
		b.in.Account = &b.acc
		it.Event = &b.in
	case outNHI:
		b := &struct {
			in  events.Input
			nhi events.NHIData
		}{in: o.in, nhi: o.nhi}
		b.in.NHI = &b.nhi
		it.Event = &b.in
	case outSkip:
		s := o.skip
		it.Skip = &s
	default:
		it.Err = o.err
	}
	return it
}

// typeString returns an activity name as a string, without allocating for
// the mapped activities and the most frequent others.
func typeString(activity []byte) string {
	switch string(activity) {
	case "User registered security info":
		return "User registered security info"
	case "User started security info registration":
		return "User started security info registration"
	case "Reset password (self-service)":
		return "Reset password (self-service)"
	case "Change user password":
		return "Change user password"
	case "Update application":
		return "Update application"
	case "Update service principal":
		return "Update service principal"
	case "Add service principal":
		return "Add service principal"
	case "Consent to application":
		return "Consent to application"
	case "Add app role assignment to service principal":
		return "Add app role assignment to service principal"
	case "Add app role assignment grant to user":
		return "Add app role assignment grant to user"
	case "Update device":
		return "Update device"
	case "Add device":
		return "Add device"
	case "Add registered owner to device":
		return "Add registered owner to device"
	case "Add registered users to device":
		return "Add registered users to device"
	case "Update group":
		return "Update group"
	case "Update policy":
		return "Update policy"
	case "Sign-in activity":
		return "Sign-in activity"
	}
	if r, ok := lookup(activity); ok {
		return r.name
	}
	return string(activity)
}
