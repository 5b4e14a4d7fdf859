package okta

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

// outcome is what normalize decided for one LogEvent. It carries the event
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

// skipped makes o a skip of a record of the given eventType.
func (o *outcome) skipped(reason string, eventType []byte, t time.Time) {
	o.kind = outSkip
	o.skip = events.Skip{Reason: reason, Type: typeString(eventType), Time: t}
}

// lone returns the single item of a lone LogEvent at value[start:end],
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

// typeString returns eventType as a string, without allocating for the
// event types that make up most of a System Log (sign-ins, SSO, MFA, policy
// evaluations, token grants) and for the mapped ones.
func typeString(eventType []byte) string {
	switch string(eventType) {
	case "user.session.start":
		return "user.session.start"
	case "user.session.end":
		return "user.session.end"
	case "user.authentication.sso":
		return "user.authentication.sso"
	case "user.authentication.auth_via_mfa":
		return "user.authentication.auth_via_mfa"
	case "user.authentication.verify":
		return "user.authentication.verify"
	case "user.authentication.authenticate":
		return "user.authentication.authenticate"
	case "user.authentication.auth_via_IDP":
		return "user.authentication.auth_via_IDP"
	case "policy.evaluate_sign_on":
		return "policy.evaluate_sign_on"
	case "system.push.send_factor_verify_push":
		return "system.push.send_factor_verify_push"
	case "user.mfa.okta_verify.deny_push":
		return "user.mfa.okta_verify.deny_push"
	case "user.mfa.factor.activate":
		return "user.mfa.factor.activate"
	case "app.oauth2.authorize":
		return "app.oauth2.authorize"
	case "app.oauth2.as.authorize":
		return "app.oauth2.as.authorize"
	case "app.oauth2.token.grant":
		return "app.oauth2.token.grant"
	case "app.oauth2.as.token.grant":
		return "app.oauth2.as.token.grant"
	case "app.oauth2.as.token.grant.access_token":
		return "app.oauth2.as.token.grant.access_token"
	case "app.oauth2.as.token.grant.id_token":
		return "app.oauth2.as.token.grant.id_token"
	case "app.oauth2.as.token.grant.refresh_token":
		return "app.oauth2.as.token.grant.refresh_token"
	case "app.oauth2.signon":
		return "app.oauth2.signon"
	case "user.session.access_admin_app":
		return "user.session.access_admin_app"
	case "user.account.update_profile":
		return "user.account.update_profile"
	case "user.account.lock":
		return "user.account.lock"
	case "application.provision.user.sync":
		return "application.provision.user.sync"
	case "application.provision.user.push_profile":
		return "application.provision.user.push_profile"
	case "security.threat.detected":
		return "security.threat.detected"
	case "user.lifecycle.delete.initiated":
		return "user.lifecycle.delete.initiated"
	}
	if r, ok := lookup(eventType); ok {
		return r.name
	}
	return string(eventType)
}
