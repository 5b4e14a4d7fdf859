package okta

import (
	"flag"
	"testing"

	"github.com/jmlwatch/jmlwatch/events"
	"github.com/jmlwatch/jmlwatch/events/internal/vendortest"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the current output")

// testAliases are the policy aliases every testdata file is decoded with.
var testAliases = map[string]string{"Salesforce.com": "salesforce"}

// vendor is the normalizer under the shared vendor tests.
var vendor = vendortest.Vendor{
	Source:   Source,
	Decode:   func(value []byte) []events.Item { return Decode(value, testAliases) },
	Skips:    []string{events.SkipUnmapped, events.SkipOutcome},
	Envelope: "shape_event_hook",
}

// TestDecodeGolden decodes every testdata file and compares the full output
// with testdata/golden (go test -run Golden -update rewrites it; review the
// diff before committing).
func TestDecodeGolden(t *testing.T) { vendor.Golden(t, *update) }

// want is the hand-written expectation of one item.
type want = vendortest.Want

const (
	jane = "00u8jane0doe0Qh3x7p4"
	ravi = "00u9ravi0shah0Lk2m6s"
	mei  = "00u7mei00lin00Zp8c1d"
)

// TestDecodeTable checks every mapping row, every noise and failure case and
// every rejection against expectations written from SPEC 2.1, independently
// of the golden files.
func TestDecodeTable(t *testing.T) {
	acc := func(typ, system, account, login string) want {
		return want{Type: typ, System: system, Account: account, Login: login}
	}
	tests := map[string][]want{
		"user_lifecycle_create":                  []want{acc(events.TypeAccountCreated, "okta", jane, "jane.doe@acme.example")},
		"user_lifecycle_activate":                []want{acc(events.TypeAccountEnabled, "okta", jane, "jane.doe@acme.example")},
		"user_lifecycle_reactivate":              []want{acc(events.TypeAccountEnabled, "okta", ravi, "ravi.shah@acme.example")},
		"user_lifecycle_unsuspend":               []want{acc(events.TypeAccountEnabled, "okta", ravi, "ravi.shah@acme.example")},
		"user_lifecycle_deactivate":              []want{acc(events.TypeAccountDisabled, "okta", mei, "mei.lin@acme.example")},
		"user_lifecycle_suspend":                 []want{acc(events.TypeAccountDisabled, "okta", mei, "mei.lin@acme.example")},
		"user_lifecycle_delete_completed":        []want{acc(events.TypeAccountDeleted, "okta", mei, "mei.lin@acme.example")},
		"user_session_clear":                     []want{acc(events.TypeSessionsRevoked, "okta", mei, "mei.lin@acme.example")},
		"app_user_membership_add":                []want{acc(events.TypeAccountCreated, "salesforce", jane, "jane.doe@acme.example")},
		"app_user_membership_add_noalias":        []want{acc(events.TypeAccountCreated, "aws-production-sso-", jane, "jane.doe@acme.example")},
		"app_user_membership_remove":             []want{acc(events.TypeAccountDeleted, "google-workspace", mei, "mei.lin@acme.example")},
		"app_provision_user_deprovision":         []want{acc(events.TypeAccountDeleted, "salesforce", mei, "mei.lin@acme.example")},
		"app_provision_user_delete":              []want{acc(events.TypeAccountDeleted, "zoë-café-portal", mei, "mei.lin@acme.example")},
		"app_provision_user_deactivate":          []want{acc(events.TypeAccountDisabled, "aws-production-sso-", mei, "mei.lin@acme.example")},
		"group_user_membership_add":              []want{{Type: events.TypeAccessGranted, System: "okta", Account: jane, Login: "jane.doe@acme.example", Entitlement: "Engineering"}},
		"group_user_membership_remove":           []want{{Type: events.TypeAccessRevoked, System: "okta", Account: mei, Login: "mei.lin@acme.example", Entitlement: "Finance Approvers"}},
		"user_account_privilege_grant":           []want{{Type: events.TypeAccessGranted, System: "okta", Account: ravi, Login: "ravi.shah@acme.example", Entitlement: "okta-admin", Privileged: true}},
		"user_account_privilege_revoke":          []want{{Type: events.TypeAccessRevoked, System: "okta", Account: mei, Login: "mei.lin@acme.example", Entitlement: "okta-admin", Privileged: true}},
		"system_api_token_revoke":                []want{{Type: events.TypeNHIRevoked, System: "okta", NHI: "00T1tfci00Ab2Cd3Ef4x"}},
		"app_oauth2_client_lifecycle_deactivate": []want{{Type: events.TypeNHIRevoked, System: "okta", NHI: "0oa5rpbot0Gh6Ij7Kl8x"}},
		// The actor-like User target comes first; the AppInstance is preferred.
		"app_oauth2_client_lifecycle_delete": []want{{Type: events.TypeNHIRevoked, System: "okta", NHI: "0oa5rpbot0Gh6Ij7Kl8x"}},

		"noise_user_authentication_sso":     []want{{Skip: events.SkipUnmapped, SkipType: "user.authentication.sso"}},
		"noise_user_session_start":          []want{{Skip: events.SkipUnmapped, SkipType: "user.session.start"}},
		"noise_policy_evaluate_sign_on":     []want{{Skip: events.SkipUnmapped, SkipType: "policy.evaluate_sign_on"}},
		"noise_auth_via_mfa_failure":        []want{{Skip: events.SkipUnmapped, SkipType: "user.authentication.auth_via_mfa"}},
		"failure_user_lifecycle_deactivate": []want{{Skip: events.SkipOutcome, SkipType: "user.lifecycle.deactivate"}},
		"failure_group_membership_skipped":  []want{{Skip: events.SkipOutcome, SkipType: "group.user_membership.add"}},

		"reject_missing_uuid":               []want{{Code: events.ReasonMissingField, Field: "uuid"}},
		"reject_bad_published":              []want{{Code: events.ReasonBadTimestamp, Field: "published"}},
		"reject_no_user_target":             []want{{Code: events.ReasonNoTarget, Field: "target"}},
		"reject_no_app_target":              []want{{Code: events.ReasonNoTarget, Field: "target"}},
		"reject_no_group_target":            []want{{Code: events.ReasonNoTarget, Field: "target"}},
		"reject_user_target_without_id":     []want{{Code: events.ReasonMissingField, Field: "target[0].id"}},
		"reject_api_token_revoke_no_target": []want{{Code: events.ReasonNoTarget, Field: "target"}},
		"reject_not_json":                   []want{{Code: events.ReasonBadJSON}},
		"reject_event_hook_without_events":  []want{{Code: events.ReasonMissingField, Field: "data.events"}},

		"shape_logs_page": {
			{Skip: events.SkipUnmapped, SkipType: "user.session.start"},
			acc(events.TypeAccountDisabled, "okta", ravi, "ravi.shah@acme.example"),
			acc(events.TypeAccountDeleted, "salesforce", ravi, "ravi.shah@acme.example"),
			{Code: events.ReasonNoTarget, Field: "target"},
			{Skip: events.SkipOutcome, SkipType: "user.lifecycle.suspend"},
			{Code: events.ReasonBadValue},
			{Type: events.TypeAccessRevoked, System: "okta", Account: ravi, Login: "ravi.shah@acme.example", Entitlement: "okta-admin", Privileged: true},
		},
		"shape_event_hook": {
			acc(events.TypeAccountCreated, "okta", mei, "mei.lin@acme.example"),
			{Skip: events.SkipUnmapped, SkipType: "user.authentication.sso"},
			{Code: events.ReasonMissingField, Field: "uuid"},
		},
		"shape_event_hook_compact": {
			acc(events.TypeAccountCreated, "okta", mei, "mei.lin@acme.example"),
			{Skip: events.SkipUnmapped, SkipType: "user.authentication.sso"},
			{Code: events.ReasonMissingField, Field: "uuid"},
		},
		"shape_empty_page": nil,
	}
	vendor.Table(t, tests)
}
