package entra

import (
	"flag"
	"testing"

	"github.com/jmlwatch/jmlwatch/events"
	"github.com/jmlwatch/jmlwatch/events/internal/vendortest"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the current output")

// vendor is the normalizer under the shared vendor tests.
var vendor = vendortest.Vendor{
	Source:   Source,
	Decode:   func(value []byte) []events.Item { return Decode(value) },
	Skips:    []string{events.SkipUnmapped, events.SkipOutcome, events.SkipNoEnabled},
	Envelope: "shape_eventhubs",
}

// TestDecodeGolden decodes every testdata file and compares the full output
// with testdata/golden (go test -run Golden -update rewrites it; review the
// diff before committing).
func TestDecodeGolden(t *testing.T) { vendor.Golden(t, *update) }

// want is the hand-written expectation of one item.
type want = vendortest.Want

const (
	jane = "6f2b8c1d-9e3a-4b7f-8c2d-1a5e6f7b8c9d"
	ravi = "e2b9c4f7-1a6d-4038-9e5b-d7a3f0c812e4"
	mei  = "a4d7c2e9-5b81-4f36-8c0a-3e9b1d6f7a25"
	sp   = "13371536-9950-4988-90f4-343566456781"
)

// TestDecodeTable checks every mapping row, every noise and failure case and
// every rejection against expectations written from SPEC 2.2, independently
// of the golden files.
func TestDecodeTable(t *testing.T) {
	acc := func(typ, account, login string) want {
		return want{Type: typ, System: "entra", Account: account, Login: login}
	}
	access := func(typ, account, login, entitlement string, privileged bool) want {
		return want{Type: typ, System: "entra", Account: account, Login: login, Entitlement: entitlement, Privileged: privileged}
	}
	tests := map[string][]want{
		"add_user":                []want{acc(events.TypeAccountCreated, jane, "jane.doe@contoso.example")},
		"enable_account":          []want{acc(events.TypeAccountEnabled, ravi, "ravi.shah@contoso.example")},
		"disable_account":         []want{acc(events.TypeAccountDisabled, mei, "mei.lin@contoso.example")},
		"update_user_disable":     []want{acc(events.TypeAccountDisabled, mei, "mei.lin@contoso.example")},
		"update_user_enable":      []want{acc(events.TypeAccountEnabled, ravi, "ravi.shah@contoso.example")},
		"update_user_plain_bools": []want{acc(events.TypeAccountDisabled, jane, "jane.doe@contoso.example")},
		// Soft delete: the login loses the object-id prefix Entra adds.
		"delete_user":      []want{acc(events.TypeAccountDeleted, ravi, "ravi.shah@contoso.example")},
		"hard_delete_user": []want{acc(events.TypeAccountDeleted, ravi, "ravi.shah@contoso.example")},
		// The Group target has no displayName: the User's Group.DisplayName names it.
		"add_member_to_group": []want{access(events.TypeAccessGranted, jane, "jane.doe@contoso.example", "Engineering", false)},
		// The Group target's displayName wins over the modified property.
		"remove_member_from_group":             []want{access(events.TypeAccessRevoked, mei, "mei.lin@contoso.example", "Finance Approvers", false)},
		"add_member_to_role":                   []want{access(events.TypeAccessGranted, ravi, "ravi.shah@contoso.example", "Global Administrator", true)},
		"remove_member_from_role":              []want{access(events.TypeAccessRevoked, mei, "mei.lin@contoso.example", "User Administrator", true)},
		"update_sts_refresh_token":             []want{acc(events.TypeSessionsRevoked, mei, "mei.lin@contoso.example")},
		"remove_service_principal":             []want{{Type: events.TypeNHIRevoked, System: "entra", NHI: sp}},
		"remove_service_principal_credentials": []want{{Type: events.TypeNHIRevoked, System: "entra", NHI: sp}},

		"update_user_displayname_only":        []want{{Skip: events.SkipNoEnabled, SkipType: "Update user"}},
		"update_user_enabled_unchanged":       []want{{Skip: events.SkipNoEnabled, SkipType: "Update user"}},
		"noise_user_registered_security_info": []want{{Skip: events.SkipUnmapped, SkipType: "User registered security info"}},
		"noise_reset_password":                []want{{Skip: events.SkipUnmapped, SkipType: "Reset password (self-service)"}},
		"noise_consent_to_application":        []want{{Skip: events.SkipUnmapped, SkipType: "Consent to application"}},
		"failure_disable_account":             []want{{Skip: events.SkipOutcome, SkipType: "Disable account"}},

		"reject_update_user_bad_enabled":   []want{{Code: events.ReasonBadValue, Field: "targetResources[0].modifiedProperties"}},
		"reject_missing_id":                []want{{Code: events.ReasonMissingField, Field: "id"}},
		"reject_bad_activity_datetime":     []want{{Code: events.ReasonBadTimestamp, Field: "activityDateTime"}},
		"reject_role_to_service_principal": []want{{Code: events.ReasonNoTarget, Field: "targetResources"}},
		"reject_group_without_name":        []want{{Code: events.ReasonNoTarget, Field: "targetResources"}},
		"reject_remove_sp_without_target":  []want{{Code: events.ReasonNoTarget, Field: "targetResources"}},
		"reject_not_json":                  []want{{Code: events.ReasonBadJSON}},

		"shape_graph_page": {
			acc(events.TypeAccountCreated, mei, "mei.lin@contoso.example"),
			{Skip: events.SkipNoEnabled, SkipType: "Update user"},
			access(events.TypeAccessGranted, mei, "mei.lin@contoso.example", "Finance Approvers", false),
			{Skip: events.SkipOutcome, SkipType: "Add member to group"},
			{Code: events.ReasonNoTarget, Field: "targetResources"},
		},
		"shape_eventhubs_records":         eventHubsWant,
		"shape_eventhubs_records_compact": eventHubsWant,
		"shape_diagnostic_record":         []want{acc(events.TypeAccountDeleted, mei, "mei.lin@contoso.example")},
		"shape_array_of_audits": {
			acc(events.TypeAccountEnabled, jane, "jane.doe@contoso.example"),
			{Code: events.ReasonBadValue},
		},
		"shape_empty_records": nil,
	}
	vendor.Table(t, tests)
}

// eventHubsWant is the expectation of both renderings of the Event Hubs
// envelope: a disable, a sign-in (another category), a role removal, a
// record without properties, an enable by "Update user" with result
// "Success" (skipped: SPEC 2.2 counts only "success"), and an element that
// is not an object.
var eventHubsWant = []want{
	{Type: events.TypeAccountDisabled, System: "entra", Account: jane, Login: "jane.doe@contoso.example"},
	{Skip: events.SkipUnmapped, SkipType: "Sign-in activity"},
	{Type: events.TypeAccessRevoked, System: "entra", Account: jane, Login: "jane.doe@contoso.example", Entitlement: "Global Administrator", Privileged: true},
	{Code: events.ReasonMissingField, Field: "properties"},
	{Skip: events.SkipOutcome, SkipType: "Update user"},
	{Code: events.ReasonBadValue},
}
