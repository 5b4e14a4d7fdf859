package entra

import (
	"fmt"
	"testing"

	"github.com/jmlwatch/jmlwatch/events"
	"github.com/jmlwatch/jmlwatch/events/internal/vendortest"
)

// updateUser is a minimal "Update user" directoryAudit whose User target has
// the given modifiedProperties (a JSON array).
func updateUser(mods string) []byte {
	return fmt.Appendf(nil, `{"id":"Directory_1","activityDisplayName":"Update user","activityDateTime":"2026-03-02T10:00:00Z",`+
		`"result":"success","targetResources":[{"id":"u1","type":"User","userPrincipalName":"u1@contoso.example","modifiedProperties":%s}]}`, mods)
}

// TestAccountEnabledForms checks every encoding of the AccountEnabled change
// seen in Graph, Event Hubs and exported logs.
func TestAccountEnabledForms(t *testing.T) {
	tests := []struct {
		name, oldV, newV string
		want             string // a canonical type, a skip reason or a reject code
	}{
		{"bracketed", `"[true]"`, `"[false]"`, events.TypeAccountDisabled},
		{"bracketed enable", `"[false]"`, `"[true]"`, events.TypeAccountEnabled},
		{"plain", `"true"`, `"false"`, events.TypeAccountDisabled},
		{"capitalised", `"False"`, `"True"`, events.TypeAccountEnabled},
		{"quoted in brackets", `"[\"true\"]"`, `"[\"false\"]"`, events.TypeAccountDisabled},
		{"json booleans", `true`, `false`, events.TypeAccountDisabled},
		{"whitespace", `"[ true ]"`, `"[\r\n  false\r\n]"`, events.TypeAccountDisabled},
		{"no old value", `null`, `"[false]"`, events.TypeAccountDisabled},
		{"empty old value", `"[]"`, `"[true]"`, events.TypeAccountEnabled},
		{"unchanged", `"[true]"`, `"[true]"`, events.SkipNoEnabled},
		{"unchanged across forms", `"True"`, `"[true]"`, events.SkipNoEnabled},
		{"no new value", `"[true]"`, `"[]"`, events.SkipNoEnabled},
		{"null new value", `"[true]"`, `null`, events.SkipNoEnabled},
		{"not a boolean", `"[true]"`, `"[\"disabled\"]"`, string(events.ReasonBadValue)},
		{"a number", `"[true]"`, `0`, events.SkipNoEnabled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mods := fmt.Sprintf(`[{"displayName":"DisplayName","oldValue":"[\"A\"]","newValue":"[\"B\"]"},`+
				`{"displayName":"AccountEnabled","oldValue":%s,"newValue":%s}]`, tc.oldV, tc.newV)
			value := updateUser(mods)
			items := Decode(value)
			if len(items) != 1 {
				t.Fatalf("%d items", len(items))
			}
			it := items[0]
			vendor.CheckItem(t, value, it)
			var got string
			switch {
			case it.Event != nil:
				got = it.Event.Type
			case it.Skip != nil:
				got = it.Skip.Reason
			default:
				got = string(it.Err.Code)
			}
			if got != tc.want {
				t.Errorf("got %s, want %s (%+v %+v)", got, tc.want, it.Skip, it.Err)
			}
		})
	}
}

// TestRoleAndGroupNames checks where entitlement names come from: the
// target's displayName first, else the modified property, the new value on
// an add and the old value on a remove.
func TestRoleAndGroupNames(t *testing.T) {
	tests := []struct {
		name, activity, targets, want string
	}{
		{"role from property", "Add member to role",
			`[{"id":"u1","type":"User","modifiedProperties":[{"displayName":"Role.DisplayName","oldValue":null,"newValue":"\"Exchange Administrator\""}]},{"id":"r1","type":"Role","displayName":null}]`,
			"Exchange Administrator"},
		{"role from target", "Add member to role",
			`[{"id":"r1","type":"Role","displayName":"Security Reader"},{"id":"u1","type":"User","modifiedProperties":[]}]`,
			"Security Reader"},
		{"role removed, old value", "Remove member from role",
			`[{"id":"u1","type":"User","modifiedProperties":[{"displayName":"Role.DisplayName","oldValue":"\"Helpdesk Administrator\"","newValue":null}]}]`,
			"Helpdesk Administrator"},
		{"group added, new value preferred", "Add member to group",
			`[{"id":"u1","type":"User","modifiedProperties":[{"displayName":"Group.DisplayName","oldValue":"\"Old\"","newValue":"\"Sales EMEA\""}]},{"id":"g1","type":"Group","displayName":null}]`,
			"Sales EMEA"},
		{"group name with escapes", "Add member to group",
			`[{"id":"u1","type":"User","modifiedProperties":[{"displayName":"Group.DisplayName","oldValue":null,"newValue":"\"R\\u0026D \\\"Core\\\"\""}]}]`,
			`R&D "Core"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			value := fmt.Appendf(nil, `{"id":"Directory_2","activityDisplayName":%q,"activityDateTime":"2026-03-02T10:00:00Z","result":"success","targetResources":%s}`,
				tc.activity, tc.targets)
			items := Decode(value)
			if len(items) != 1 || items[0].Event == nil {
				t.Fatalf("want one event, got %+v (err %v)", items, items[0].Err)
			}
			a := items[0].Event.Account
			if a.Entitlement != tc.want || a.AccountID != "u1" {
				t.Errorf("entitlement %q account %q, want %q u1", a.Entitlement, a.AccountID, tc.want)
			}
			wantPriv := tc.activity == "Add member to role" || tc.activity == "Remove member from role"
			if a.Privileged != wantPriv {
				t.Errorf("privileged %v, want %v", a.Privileged, wantPriv)
			}
		})
	}
}

// TestDeletedUserLogin checks that only the exact object-id prefix of a
// soft-deleted user's UPN is removed.
func TestDeletedUserLogin(t *testing.T) {
	const id = "e2b9c4f7-1a6d-4038-9e5b-d7a3f0c812e4"
	tests := []struct{ upn, want string }{
		{"e2b9c4f71a6d40389e5bd7a3f0c812e4ravi@contoso.example", "ravi@contoso.example"},
		{"E2B9C4F71A6D40389E5BD7A3F0C812E4ravi@contoso.example", "ravi@contoso.example"},
		{"ravi@contoso.example", "ravi@contoso.example"},
		{"e2b9c4f71a6d40389e5bd7a3f0c812e5ravi@contoso.example", "e2b9c4f71a6d40389e5bd7a3f0c812e5ravi@contoso.example"},
		{"e2b9c4f71a6d40389e5bd7a3f0c812e4", "e2b9c4f71a6d40389e5bd7a3f0c812e4"},
	}
	for _, tc := range tests {
		value := fmt.Appendf(nil, `{"id":"Directory_3","activityDisplayName":"Delete user","activityDateTime":"2026-03-02T10:00:00Z","result":"success","targetResources":[{"id":%q,"type":"User","userPrincipalName":%q}]}`, id, tc.upn)
		items := Decode(value)
		if len(items) != 1 || items[0].Event == nil {
			t.Fatalf("%s: %+v", tc.upn, items)
		}
		if got := items[0].Event.Account.Login; got != tc.want {
			t.Errorf("login of %s = %q, want %q", tc.upn, got, tc.want)
		}
	}
}

// TestDecodeShapes checks indexes and offsets across shapes and whitespace.
func TestDecodeShapes(t *testing.T) {
	audit := `{"id":"a","activityDisplayName":"Add user","activityDateTime":"2026-03-02T10:00:00Z","result":"success","targetResources":[{"id":"u","type":"User"}]}`
	tests := []struct {
		name    string
		value   string
		index   []int
		offsets []int
	}{
		{"lone", "  " + audit + "\n", []int{-1}, []int{2}},
		{"page", `{"@odata.context":"x","value":[` + audit + `, ` + audit + `]}`, []int{0, 1}, []int{31, 31 + len(audit) + 2}},
		{"array", "[\n" + audit + "\n]", []int{0}, []int{2}},
		{"records", `{"records":[{"category":"AuditLogs","properties":` + audit + `}]}`, []int{0}, []int{12}},
	}
	for _, tc := range tests {
		items := Decode([]byte(tc.value))
		if len(items) != len(tc.index) {
			t.Fatalf("%s: %d items", tc.name, len(items))
		}
		for i, it := range items {
			vendor.CheckItem(t, []byte(tc.value), it)
			if it.Index != tc.index[i] || it.Offset != tc.offsets[i] || it.Event == nil {
				t.Errorf("%s item %d: index %d offset %d event %v, want %d %d", tc.name, i, it.Index, it.Offset, it.Event != nil, tc.index[i], tc.offsets[i])
			}
		}
	}
	for _, bad := range []string{"", " ", "{", `{"id":1}{}`, "[" + audit, audit + ",", "not json"} {
		items := Decode([]byte(bad))
		if len(items) != 1 || items[0].Err == nil || items[0].Err.Code != events.ReasonBadJSON || items[0].Index != -1 {
			t.Errorf("Decode(%q) = %+v, want one bad_json item", bad, items)
		}
	}
	for _, v := range []string{`7`, `"x"`, `null`, `{"records":5}`} {
		items := Decode([]byte(v))
		if len(items) != 1 || items[0].Err == nil || items[0].Err.Code != events.ReasonBadValue {
			t.Errorf("Decode(%q) = %+v, want one bad_value item", v, items[0].Err)
		}
	}
}

// TestEscapedKeys checks that member names written with escapes read as
// their decoded text, in the record and in its targets, and that a name
// whose decoded text still holds a backslash is not decoded twice.
func TestEscapedKeys(t *testing.T) {
	value := []byte(`{"\u0069d":"Directory_3","\\u0069d":"decoded twice","activityDisplayN\u0061me":"Add member to group",` +
		`"activityDateTime":"2026-03-02T10:00:00Z","result":"success","targetResource\u0073":[` +
		`{"\u0069d":"u1","typ\u0065":"User","userPrincipalN\u0061me":"u1@contoso.example"},` +
		`{"id":"g1","type":"Group","displayN\u0061me":"Sales"}]}`)
	items := Decode(value)
	if len(items) != 1 || items[0].Event == nil {
		t.Fatalf("want one event, got:\n%s", vendortest.Render(items))
	}
	vendor.CheckItem(t, value, items[0])
	e := items[0].Event
	if e.ID != "Directory_3" || e.Type != events.TypeAccessGranted {
		t.Errorf("id %q type %s, want Directory_3 %s", e.ID, e.Type, events.TypeAccessGranted)
	}
	if a := e.Account; a.AccountID != "u1" || a.Login != "u1@contoso.example" || a.Entitlement != "Sales" {
		t.Errorf("account %+v, want u1, u1@contoso.example, entitlement Sales", a)
	}
}

// TestDecodeOrder: a record without id and activityDateTime is rejected
// even when it would be skipped; result is compared exactly.
func TestDecodeOrder(t *testing.T) {
	const well = `"id":"Directory_1","activityDateTime":"2026-03-02T10:00:00Z",`
	for _, tc := range []struct {
		name, value string
		code        events.Reason
		field, skip string
	}{
		{"noise without id", `{"activityDateTime":"2026-03-02T10:00:00Z","activityDisplayName":"Reset password","result":"success"}`, events.ReasonMissingField, "id", ""},
		{"noise with a bad time", `{"id":"d","activityDateTime":"soon","activityDisplayName":"Reset password","result":"success"}`, events.ReasonBadTimestamp, "activityDateTime", ""},
		{"failure without a time", `{"id":"d","activityDisplayName":"Disable account","result":"failure"}`, events.ReasonMissingField, "activityDateTime", ""},
		{"noise", `{` + well + `"activityDisplayName":"Reset password","result":"success"}`, "", "", events.SkipUnmapped},
		{"failure", `{` + well + `"activityDisplayName":"Disable account","result":"failure"}`, "", "", events.SkipOutcome},
		{"Success is not success", `{` + well + `"activityDisplayName":"Disable account","result":"Success"}`, "", "", events.SkipOutcome},
	} {
		items := Decode([]byte(tc.value))
		if len(items) != 1 {
			t.Fatalf("%s: %d items", tc.name, len(items))
		}
		it := items[0]
		switch {
		case tc.skip != "":
			if it.Skip == nil || it.Skip.Reason != tc.skip {
				t.Errorf("%s: got %+v, want skip %s", tc.name, it, tc.skip)
			}
		case it.Err == nil || it.Err.Code != tc.code || it.Err.Field != tc.field:
			t.Errorf("%s: got %+v, want %s at %s", tc.name, it, tc.code, tc.field)
		}
	}
}
