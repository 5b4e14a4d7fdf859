package okta

import (
	"fmt"
	"unicode"
	"unicode/utf8"

	"github.com/jmlwatch/jmlwatch/events"
	"github.com/jmlwatch/jmlwatch/events/internal/vendorkit"
	"github.com/jmlwatch/jmlwatch/events/jsonscan"
)

// action says what a mapped eventType needs from the record and produces.
type action uint8

const (
	actUser   action = iota + 1 // an account or sessions event of the user in okta
	actApp                      // an account event of the user in the app (AppInstance target)
	actGroup                    // access to the UserGroup target, in okta
	actAdmin                    // access to okta-admin, privileged, in okta
	actToken                    // nhi.revoked of an API token
	actClient                   // nhi.revoked of an OAuth 2.0 client
)

// rule is one row of the SPEC 2.1 mapping table.
type rule struct {
	typ  string // canonical input type
	act  action
	name string // the eventType, as a constant string
}

// lookup returns the mapping of an eventType. It is a switch rather than a
// map so that the table is constant and lookups do not allocate.
func lookup(eventType []byte) (rule, bool) {
	switch string(eventType) {
	case "user.lifecycle.create":
		return rule{events.TypeAccountCreated, actUser, "user.lifecycle.create"}, true
	case "user.lifecycle.activate":
		return rule{events.TypeAccountEnabled, actUser, "user.lifecycle.activate"}, true
	case "user.lifecycle.reactivate":
		return rule{events.TypeAccountEnabled, actUser, "user.lifecycle.reactivate"}, true
	case "user.lifecycle.unsuspend":
		return rule{events.TypeAccountEnabled, actUser, "user.lifecycle.unsuspend"}, true
	case "user.lifecycle.deactivate":
		return rule{events.TypeAccountDisabled, actUser, "user.lifecycle.deactivate"}, true
	case "user.lifecycle.suspend":
		return rule{events.TypeAccountDisabled, actUser, "user.lifecycle.suspend"}, true
	case "user.lifecycle.delete.completed":
		return rule{events.TypeAccountDeleted, actUser, "user.lifecycle.delete.completed"}, true
	case "user.session.clear":
		return rule{events.TypeSessionsRevoked, actUser, "user.session.clear"}, true
	case "application.user_membership.add":
		return rule{events.TypeAccountCreated, actApp, "application.user_membership.add"}, true
	case "application.user_membership.remove":
		return rule{events.TypeAccountDeleted, actApp, "application.user_membership.remove"}, true
	case "application.provision.user.deprovision":
		return rule{events.TypeAccountDeleted, actApp, "application.provision.user.deprovision"}, true
	case "application.provision.user.delete":
		return rule{events.TypeAccountDeleted, actApp, "application.provision.user.delete"}, true
	case "application.provision.user.deactivate":
		return rule{events.TypeAccountDisabled, actApp, "application.provision.user.deactivate"}, true
	case "group.user_membership.add":
		return rule{events.TypeAccessGranted, actGroup, "group.user_membership.add"}, true
	case "group.user_membership.remove":
		return rule{events.TypeAccessRevoked, actGroup, "group.user_membership.remove"}, true
	case "user.account.privilege.grant":
		return rule{events.TypeAccessGranted, actAdmin, "user.account.privilege.grant"}, true
	case "user.account.privilege.revoke":
		return rule{events.TypeAccessRevoked, actAdmin, "user.account.privilege.revoke"}, true
	case "system.api_token.revoke":
		return rule{events.TypeNHIRevoked, actToken, "system.api_token.revoke"}, true
	case "app.oauth2.client.lifecycle.deactivate":
		return rule{events.TypeNHIRevoked, actClient, "app.oauth2.client.lifecycle.deactivate"}, true
	case "app.oauth2.client.lifecycle.delete":
		return rule{events.TypeNHIRevoked, actClient, "app.oauth2.client.lifecycle.delete"}, true
	}
	return rule{}, false
}

// normalize decides the outcome of the LogEvent whose members f located. It
// fills o, which the caller owns (so that it can live on the stack), and
// allocates only the strings of an event (once, all together).
func normalize(o *vendorkit.Outcome, value []byte, f fields, aliases map[string]string) {

	// 1. uuid and published: a record without them is not well-formed,
	// so it is rejected even when it would be skipped (SPEC 2).
	uuidRaw, ok := jsonscan.String(value, f.uuid)
	if !ok || len(uuidRaw) == 0 {
		o.FieldErr(value, f.uuid, "uuid", events.ReasonBadValue)
		return
	}
	t, ok := o.Time(value, f.published, "", "published")
	if !ok {
		return
	}

	// 2. eventType: most of the System Log is noise.
	etRaw, ok := jsonscan.String(value, f.eventType)
	if !ok {
		o.FieldErr(value, f.eventType, "eventType", events.ReasonBadValue)
		return
	}
	var etBuf [128]byte
	et := etRaw
	if !jsonscan.Plain(et) {
		et = jsonscan.AppendString(etBuf[:0], etRaw)
	}
	if len(et) == 0 {
		o.Reject(events.ReasonMissingField, "eventType", "required field is missing or empty")
		return
	}
	r, mapped := lookup(et)
	if !mapped {
		o.Skipped(events.SkipUnmapped, typeString(et), t)
		return
	}

	// 3. outcome.result.
	switch jsonscan.Kind(value, f.outcome) {
	case '{':
	case 0, 'n':
		o.Reject(events.ReasonMissingField, "outcome.result", "no outcome")
		return
	default:
		o.Reject(events.ReasonBadValue, "outcome", "outcome is not an object")
		return
	}
	res := jsonscan.Member(value, f.outcome, "result")
	resRaw, ok := jsonscan.String(value, res)
	if !ok {
		o.FieldErr(value, res, "outcome.result", events.ReasonBadValue)
		return
	}
	if !jsonscan.Equal(resRaw, "SUCCESS") {
		o.Skipped(events.SkipOutcome, typeString(et), t)
		return
	}

	// 4. targets.
	var ts targets
	switch jsonscan.Kind(value, f.target) {
	case '[':
		ts = scanTargets(value, f.target, r.act)
	case 0, 'n':
	default:
		o.Reject(events.ReasonBadValue, "target", "target is not an array")
		return
	}

	var stack [512]byte
	buf, idRef := jsonscan.Add(stack[:0], uuidRaw)

	if r.act == actToken || r.act == actClient {
		tg := ts.nhi
		if !tg.found {
			tg = ts.firstWithID
		}
		if !tg.found {
			o.Reject(events.ReasonNoTarget, "target", "%s needs a target with an id", string(et))
			return
		}
		idRaw, _ := jsonscan.String(value, tg.id)
		buf, nhiRef := jsonscan.Add(buf, idRaw)
		all := string(buf)
		o.NHI(events.Input{ID: idRef.Of(all), Source: Source, Type: r.typ, Time: t},
			events.NHIData{NHIID: nhiRef.Of(all), System: systemOkta})
		return
	}

	// Everything else is about the user's account.
	u := ts.user
	if !u.found {
		o.Reject(events.ReasonNoTarget, "target", "%s has no User target", string(et))
		return
	}
	accRaw, ok := jsonscan.String(value, u.id)
	if !ok || len(accRaw) == 0 {
		o.FieldErr(value, u.id, u.path("id"), events.ReasonBadValue)
		return
	}
	buf, accRef := jsonscan.Add(buf, accRaw)
	var loginRef jsonscan.Ref
	if raw, ok := jsonscan.String(value, u.alternateID); ok {
		buf, loginRef = jsonscan.Add(buf, raw)
	}

	system := systemOkta
	var systemRef, entRef jsonscan.Ref
	switch r.act {
	case actApp:
		a := ts.app
		if !a.found {
			o.Reject(events.ReasonNoTarget, "target", "%s has no AppInstance target", string(et))
			return
		}
		key, ok := jsonscan.String(value, a.alternateID)
		if !ok || len(key) == 0 {
			key, ok = jsonscan.String(value, a.displayName)
		}
		if !ok || len(key) == 0 {
			o.Reject(events.ReasonMissingField, a.path("alternateId"), "the AppInstance target has neither alternateId nor displayName")
			return
		}
		var kb [128]byte
		dk := jsonscan.AppendString(kb[:0], key)
		if alias := aliases[string(dk)]; alias != "" {
			system = alias
		} else {
			buf, systemRef = addSystemKey(buf, dk)
		}
	case actGroup:
		g := ts.group
		if !g.found {
			o.Reject(events.ReasonNoTarget, "target", "%s has no UserGroup target", string(et))
			return
		}
		name, ok := jsonscan.String(value, g.displayName)
		if !ok || len(name) == 0 {
			o.FieldErr(value, g.displayName, g.path("displayName"), events.ReasonBadValue)
			return
		}
		buf, entRef = jsonscan.Add(buf, name)
	}

	all := string(buf)
	acc := events.AccountData{
		System:    system,
		AccountID: accRef.Of(all),
		Login:     loginRef.Of(all),
	}
	if s := systemRef.Of(all); s != "" {
		acc.System = s
	}
	switch r.act {
	case actGroup:
		acc.Entitlement = entRef.Of(all)
	case actAdmin:
		acc.Entitlement = entitlementAdmin
		acc.Privileged = true
	}
	o.Account(events.Input{ID: idRef.Of(all), Source: Source, Type: r.typ, Time: t}, acc)
}

// target is one element of target[]: the positions of the members used.
type target struct {
	found                             bool
	index                             int
	typ, id, alternateID, displayName jsonscan.Span
}

// set records member k (raw, as written) if it is one Decode uses.
func (t *target) set(k []byte, v jsonscan.Span) {
	switch string(k) {
	case "type":
		t.typ = v
	case "id":
		t.id = v
	case "alternateId":
		t.alternateID = v
	case "displayName":
		t.displayName = v
	default:
		if jsonscan.Escaped(k) {
			// A key written with escapes: rare enough to take the slow path.
			vendorkit.SetUnescaped(k, v, t.set)
		}
	}
}

// path names a member of this target in a rejection, e.g. "target[1].id".
func (t target) path(name string) string {
	return fmt.Sprintf("target[%d].%s", t.index, name)
}

// targets are the targets a mapping can use: the first of each kind.
type targets struct {
	user, app, group target
	nhi              target // the first target of the type the NHI event names
	firstWithID      target // the first target that has an id
}

// scanTargets walks target[] once.
func scanTargets(value []byte, arr jsonscan.Span, act action) targets {
	var ts targets
	vendorkit.Objects(value, arr, func(n, start int) int {
		t := target{found: true, index: n}
		end := vendorkit.Members(value, start, false, t.set)
		typ, _ := jsonscan.String(value, t.typ)
		switch {
		case !ts.user.found && jsonscan.Equal(typ, "User"):
			ts.user = t
		case !ts.app.found && jsonscan.Equal(typ, "AppInstance"):
			ts.app = t
		case !ts.group.found && jsonscan.Equal(typ, "UserGroup"):
			ts.group = t
		}
		id, _ := jsonscan.String(value, t.id)
		if len(id) == 0 {
			return end
		}
		if !ts.firstWithID.found {
			ts.firstWithID = t
		}
		if !ts.nhi.found && nhiType(typ, act) {
			ts.nhi = t
		}
		return end
	})
	return ts
}

// nhiType reports whether a target type is the kind of NHI the event is
// about (see the package documentation).
func nhiType(typ []byte, act action) bool {
	switch act {
	case actToken:
		return jsonscan.EqualFold(typ, "Token") || jsonscan.EqualFold(typ, "ApiToken") ||
			jsonscan.EqualFold(typ, "APIToken")
	case actClient:
		return jsonscan.EqualFold(typ, "AppInstance") || jsonscan.EqualFold(typ, "OAuth2Client") ||
			jsonscan.EqualFold(typ, "OAuthClient")
	}
	return false
}

// addSystemKey appends the system key of an app name to buf.
func addSystemKey(buf, name []byte) ([]byte, jsonscan.Ref) {
	off := len(buf)
	buf = appendSystemKey(buf, name)
	return buf, jsonscan.Added(buf, off)
}

// appendSystemKey appends the normalized system key of name (decoded UTF-8;
// invalid bytes count as non-alphanumerics).
func appendSystemKey(dst, name []byte) []byte {
	inRun := false
	for i := 0; i < len(name); {
		c := name[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
				dst = append(dst, c)
				inRun = false
			case c >= 'A' && c <= 'Z':
				dst = append(dst, c+'a'-'A')
				inRun = false
			default:
				if !inRun {
					dst = append(dst, '-')
					inRun = true
				}
			}
			continue
		}
		r, size := utf8.DecodeRune(name[i:])
		i += size
		if r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			dst = utf8.AppendRune(dst, unicode.ToLower(r))
			inRun = false
		} else if !inRun {
			dst = append(dst, '-')
			inRun = true
		}
	}
	return dst
}

// SystemKey returns the jmlwatch system key Decode derives from an Okta app
// name when the aliases have no entry for it: lower-cased, every run of
// characters that are neither letters nor digits replaced by one '-'
// ("Salesforce.com" → "salesforce-com").
func SystemKey(appName string) string {
	return string(appendSystemKey(make([]byte, 0, len(appName)), []byte(appName)))
}
