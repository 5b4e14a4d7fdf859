package entra

import (
	"fmt"

	"github.com/jmlwatch/jmlwatch/events"
	"github.com/jmlwatch/jmlwatch/events/internal/vendorkit"
	"github.com/jmlwatch/jmlwatch/events/jsonscan"
)

// action says what a mapped activity needs from the record and produces.
type action uint8

const (
	actUser    action = iota + 1 // an account or sessions event of the User target
	actEnabled                   // Update user: enabled or disabled by the AccountEnabled change
	actGroup                     // access to the group
	actRole                      // access to the role, privileged
	actNHI                       // nhi.revoked of the ServicePrincipal target
)

// rule is one row of the SPEC 2.2 mapping table.
type rule struct {
	typ    string // canonical type; for actEnabled decided by the change
	act    action
	remove bool   // a removal: a modified property's old value names the group or role
	name   string // the activity, as a constant string
}

// lookup returns the mapping of an activityDisplayName.
func lookup(activity []byte) (rule, bool) {
	switch string(activity) {
	case "Add user":
		return rule{typ: events.TypeAccountCreated, act: actUser, name: "Add user"}, true
	case "Enable account":
		return rule{typ: events.TypeAccountEnabled, act: actUser, name: "Enable account"}, true
	case "Disable account":
		return rule{typ: events.TypeAccountDisabled, act: actUser, name: "Disable account"}, true
	case "Update user":
		return rule{act: actEnabled, name: "Update user"}, true
	case "Delete user":
		return rule{typ: events.TypeAccountDeleted, act: actUser, name: "Delete user"}, true
	case "Hard Delete user":
		return rule{typ: events.TypeAccountDeleted, act: actUser, name: "Hard Delete user"}, true
	case "Add member to group":
		return rule{typ: events.TypeAccessGranted, act: actGroup, name: "Add member to group"}, true
	case "Remove member from group":
		return rule{typ: events.TypeAccessRevoked, act: actGroup, remove: true, name: "Remove member from group"}, true
	case "Add member to role":
		return rule{typ: events.TypeAccessGranted, act: actRole, name: "Add member to role"}, true
	case "Remove member from role":
		return rule{typ: events.TypeAccessRevoked, act: actRole, remove: true, name: "Remove member from role"}, true
	case "Update StsRefreshTokenValidFrom Timestamp":
		return rule{typ: events.TypeSessionsRevoked, act: actUser, name: "Update StsRefreshTokenValidFrom Timestamp"}, true
	case "Remove service principal":
		return rule{typ: events.TypeNHIRevoked, act: actNHI, name: "Remove service principal"}, true
	case "Remove service principal credentials":
		return rule{typ: events.TypeNHIRevoked, act: actNHI, name: "Remove service principal credentials"}, true
	}
	return rule{}, false
}

// normalize decides the outcome of the directoryAudit whose members f
// located, into o (owned by the caller, so that it can live on the stack).
// prefix is the path of the directoryAudit within the element ("properties."
// in a diagnostic record), for rejections.
func normalize(o *vendorkit.Outcome, value []byte, f fields, prefix string) {
	// 1. id and activityDateTime: a record without them is not well-formed,
	// so it is rejected even when it would be skipped (SPEC 2).
	idRaw, ok := jsonscan.String(value, f.id)
	if !ok || len(idRaw) == 0 {
		o.FieldErr(value, f.id, prefix+"id", events.ReasonBadValue)
		return
	}
	t, ok := o.Time(value, f.activityDateTime, prefix, "activityDateTime")
	if !ok {
		return
	}

	// 2. The activity: most of the audit log is noise.
	actRaw, ok := jsonscan.String(value, f.activityDisplayName)
	if !ok {
		o.FieldErr(value, f.activityDisplayName, prefix+"activityDisplayName", events.ReasonBadValue)
		return
	}
	var nameBuf [128]byte
	activity := actRaw
	if !jsonscan.Plain(activity) {
		activity = jsonscan.AppendString(nameBuf[:0], actRaw)
	}
	if len(activity) == 0 {
		o.Reject(events.ReasonMissingField, prefix+"activityDisplayName", "required field is missing or empty")
		return
	}
	r, mapped := lookup(activity)
	if !mapped {
		o.Skipped(events.SkipUnmapped, typeString(activity), t)
		return
	}

	// 3. The result: exactly "success" (SPEC 2.2).
	resRaw, ok := jsonscan.String(value, f.result)
	if !ok {
		o.FieldErr(value, f.result, prefix+"result", events.ReasonBadValue)
		return
	}
	if !jsonscan.Equal(resRaw, "success") {
		o.Skipped(events.SkipOutcome, typeString(activity), t)
		return
	}

	// 4. The targets.
	var ts targets
	switch jsonscan.Kind(value, f.targetResources) {
	case '[':
		ts = scanTargets(value, f.targetResources)
	case 0, 'n':
	default:
		o.Reject(events.ReasonBadValue, prefix+"targetResources", "targetResources is not an array")
		return
	}

	var stack [512]byte
	buf, idRef := jsonscan.Add(stack[:0], idRaw)

	if r.act == actNHI {
		sp := ts.servicePrincipal
		if !sp.found {
			o.Reject(events.ReasonNoTarget, prefix+"targetResources", "%s has no ServicePrincipal target", string(activity))
			return
		}
		spID, ok := jsonscan.String(value, sp.id)
		if !ok || len(spID) == 0 {
			o.FieldErr(value, sp.id, sp.path(prefix, "id"), events.ReasonBadValue)
			return
		}
		buf, nhiRef := jsonscan.Add(buf, spID)
		all := string(buf)
		o.NHI(events.Input{ID: idRef.Of(all), Source: Source, Type: r.typ, Time: t},
			events.NHIData{NHIID: nhiRef.Of(all), System: systemEntra})
		return
	}

	u := ts.user
	if !u.found {
		o.Reject(events.ReasonNoTarget, prefix+"targetResources", "%s has no User target", string(activity))
		return
	}
	accRaw, ok := jsonscan.String(value, u.id)
	if !ok || len(accRaw) == 0 {
		o.FieldErr(value, u.id, u.path(prefix, "id"), events.ReasonBadValue)
		return
	}

	typ := r.typ
	if r.act == actEnabled {
		enabled, changed, bad := accountEnabled(value, u.modifiedProperties)
		if bad {
			o.Reject(events.ReasonBadValue, u.path(prefix, "modifiedProperties"),
				"the AccountEnabled new value is not a boolean")
			return
		}
		if !changed {
			o.Skipped(events.SkipNoEnabled, typeString(activity), t)
			return
		}
		typ = events.TypeAccountDisabled
		if enabled {
			typ = events.TypeAccountEnabled
		}
	}

	buf, accRef := jsonscan.Add(buf, accRaw)
	var loginRef, entRef jsonscan.Ref
	if upn, ok := jsonscan.String(value, u.userPrincipalName); ok && len(upn) > 0 {
		off := len(buf)
		buf = jsonscan.AppendString(buf, upn)
		buf = stripDeletedPrefix(buf, off, accRaw)
		loginRef = jsonscan.Added(buf, off)
	}

	switch r.act {
	case actGroup, actRole:
		own, prop, kind := ts.group, "Group.DisplayName", "group"
		if r.act == actRole {
			own, prop, kind = ts.role, "Role.DisplayName", "role"
		}
		off := len(buf)
		if name, ok := jsonscan.String(value, own.displayName); ok && len(name) > 0 {
			buf = jsonscan.AppendString(buf, name)
		} else {
			buf = appendPropText(buf, value, u.modifiedProperties, prop, r.remove)
		}
		if len(buf) == off {
			o.Reject(events.ReasonNoTarget, prefix+"targetResources",
				"%s names no %s (no %s target with a displayName, no %s)", string(activity), kind, kind, prop)
			return
		}
		entRef = jsonscan.Added(buf, off)
	}

	all := string(buf)
	o.Account(events.Input{ID: idRef.Of(all), Source: Source, Type: typ, Time: t},
		events.AccountData{
			System:      systemEntra,
			AccountID:   accRef.Of(all),
			Login:       loginRef.Of(all),
			Entitlement: entRef.Of(all),
			Privileged:  r.act == actRole,
		})
}

// target is one element of targetResources: the positions of the members
// used.
type target struct {
	found                                                       bool
	index                                                       int
	typ, id, displayName, userPrincipalName, modifiedProperties jsonscan.Span
}

// set records member k (raw, as written) if it is one Decode uses.
func (t *target) set(k []byte, v jsonscan.Span) {
	switch string(k) {
	case "type":
		t.typ = v
	case "id":
		t.id = v
	case "displayName":
		t.displayName = v
	case "userPrincipalName":
		t.userPrincipalName = v
	case "modifiedProperties":
		t.modifiedProperties = v
	default:
		if jsonscan.Escaped(k) {
			// A key written with escapes: rare enough to take the slow path.
			vendorkit.SetUnescaped(k, v, t.set)
		}
	}
}

// path names a member of this target in a rejection, e.g.
// "targetResources[0].id".
func (t target) path(prefix, name string) string {
	return fmt.Sprintf("%stargetResources[%d].%s", prefix, t.index, name)
}

// targets are the first target of each type a mapping can use.
type targets struct {
	user, group, role, servicePrincipal target
}

// scanTargets walks targetResources once.
func scanTargets(value []byte, arr jsonscan.Span) targets {
	var ts targets
	vendorkit.Objects(value, arr, func(n, start int) int {
		t := target{found: true, index: n}
		end := vendorkit.Members(value, start, false, t.set)
		raw, _ := jsonscan.String(value, t.typ)
		switch {
		case !ts.user.found && jsonscan.Equal(raw, "User"):
			ts.user = t
		case !ts.group.found && jsonscan.Equal(raw, "Group"):
			ts.group = t
		case !ts.role.found && jsonscan.Equal(raw, "Role"):
			ts.role = t
		case !ts.servicePrincipal.found && jsonscan.Equal(raw, "ServicePrincipal"):
			ts.servicePrincipal = t
		}
		return end
	})
	return ts
}

// modifiedProperty returns the oldValue and newValue of the first entry of
// the modifiedProperties array at mods whose displayName is name.
func modifiedProperty(value []byte, mods jsonscan.Span, name string) (oldV, newV jsonscan.Span, found bool) {
	if jsonscan.Kind(value, mods) != '[' {
		return oldV, newV, false
	}
	els, _ := jsonscan.Array(value, mods.Start)
	for {
		start, ok := els.Begin()
		if !ok {
			return oldV, newV, false
		}
		if value[start] != '{' {
			els.Finish(jsonscan.Skip(value, start))
			continue
		}
		var dn, o, n jsonscan.Span
		m, _ := jsonscan.Object(value, start)
		for {
			k, v, ok := m.Next()
			if !ok {
				break
			}
			switch string(k) {
			case "displayName":
				dn = v
			case "oldValue":
				o = v
			case "newValue":
				n = v
			default:
				switch {
				case !jsonscan.Escaped(k):
				case jsonscan.Equal(k, "displayName"):
					dn = v
				case jsonscan.Equal(k, "oldValue"):
					o = v
				case jsonscan.Equal(k, "newValue"):
					n = v
				}
			}
		}
		if raw, ok := jsonscan.String(value, dn); ok && jsonscan.Equal(raw, name) {
			return o, n, true
		}
		els.Finish(m.End())
	}
}

// propText appends to dst the text of a modifiedProperty value: Entra
// JSON-encodes these ("\"Sales\"", "[true]", "[\"x\"]"), so one level of
// brackets and one level of JSON string quoting are removed. A JSON boolean
// value is its literal. Nothing is appended for null or an empty value.
func propText(dst, value []byte, s jsonscan.Span) []byte {
	switch jsonscan.Kind(value, s) {
	case 't', 'f':
		return append(dst, value[s.Start:s.End]...)
	case '"':
	default:
		return dst
	}
	raw, _ := jsonscan.String(value, s)
	off := len(dst)
	dst = jsonscan.AppendString(dst, raw)
	text, quoted := unwrap(dst[off:])
	if quoted && !jsonscan.Plain(text) {
		// A JSON string inside the string with escapes of its own.
		inner := jsonscan.AppendString(nil, text)
		return append(dst[:off], inner...)
	}
	n := copy(dst[off:], text)
	return dst[:off+n]
}

// unwrap strips surrounding whitespace, one level of [ ] and then one level
// of JSON string quoting; quoted reports the latter (the text returned is
// then still JSON-escaped).
func unwrap(b []byte) (text []byte, quoted bool) {
	b = trim(b)
	if len(b) >= 2 && b[0] == '[' && b[len(b)-1] == ']' {
		b = trim(b[1 : len(b)-1])
	}
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' && jsonscan.Valid(b) {
		return b[1 : len(b)-1], true
	}
	return b, false
}

func trim(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\n' || b[0] == '\r') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t' || b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// appendPropText appends the text of the modified property name on the
// target's modifiedProperties: its new value, or for a removal its old
// value (each falling back to the other when empty).
func appendPropText(dst, value []byte, mods jsonscan.Span, name string, remove bool) []byte {
	oldV, newV, found := modifiedProperty(value, mods, name)
	if !found {
		return dst
	}
	first, second := newV, oldV
	if remove {
		first, second = oldV, newV
	}
	off := len(dst)
	dst = propText(dst, value, first)
	if len(dst) == off {
		dst = propText(dst, value, second)
	}
	return dst
}

// accountEnabled reads the AccountEnabled modified property: the new value,
// and whether it differs from the old one. bad reports a new value that is
// not a boolean. An absent property, or one without a new value, is no
// change.
func accountEnabled(value []byte, mods jsonscan.Span) (enabled, changed, bad bool) {
	oldV, newV, found := modifiedProperty(value, mods, "AccountEnabled")
	if !found {
		return false, false, false
	}
	var nb, ob [64]byte
	text := propText(nb[:0], value, newV)
	if len(text) == 0 {
		return false, false, false // no new value ("[]" or null): nothing set
	}
	n, nok := parseBool(text)
	if !nok {
		return false, false, true
	}
	o, ook := parseBool(propText(ob[:0], value, oldV))
	if ook && o == n {
		return n, false, false
	}
	return n, true, false
}

// parseBool reads "true" or "false", ignoring ASCII case.
func parseBool(b []byte) (v, ok bool) {
	switch {
	case jsonscan.EqualFold(b, "true"):
		return true, true
	case jsonscan.EqualFold(b, "false"):
		return false, true
	}
	return false, false
}

// stripDeletedPrefix removes, from the login appended to buf at off, the
// prefix Entra adds when it soft-deletes a user: the object id without its
// dashes. It returns buf unchanged when the login does not start with it.
func stripDeletedPrefix(buf []byte, off int, id []byte) []byte {
	login := buf[off:]
	n := 0 // length of the id without dashes
	for _, c := range id {
		if c != '-' {
			n++
		}
	}
	if n != 32 || len(login) <= n { // object ids are GUIDs
		return buf
	}
	j := 0
	for _, c := range id {
		if c == '-' {
			continue
		}
		if lower(login[j]) != lower(c) {
			return buf
		}
		j++
	}
	k := copy(login, login[n:])
	return buf[:off+k]
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
