package okta

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jmlwatch/jmlwatch/events"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the current output")

// testAliases are the policy aliases every testdata file is decoded with.
var testAliases = map[string]string{"Salesforce.com": "salesforce"}

// goldenItem is the stable, reviewable rendering of one item.
type goldenItem struct {
	Index  int          `json:"index"`
	Offset int          `json:"offset"`
	RawLen int          `json:"raw_len"`
	Event  *goldenEvent `json:"event,omitempty"`
	Skip   *goldenSkip  `json:"skip,omitempty"`
	Err    string       `json:"err,omitempty"`
}

type goldenEvent struct {
	ID     string `json:"id"`
	Source string `json:"source"`
	Type   string `json:"type"`
	Time   string `json:"time"`
	Data   any    `json:"data"`
}

type goldenSkip struct {
	Reason string `json:"reason"`
	Type   string `json:"type"`
	Time   string `json:"time,omitempty"`
}

func render(items []events.Item) []byte {
	out := make([]goldenItem, 0, len(items))
	for _, it := range items {
		g := goldenItem{Index: it.Index, Offset: it.Offset, RawLen: len(it.Raw)}
		switch {
		case it.Event != nil:
			e := it.Event
			g.Event = &goldenEvent{ID: e.ID, Source: e.Source, Type: e.Type, Time: e.Time.Format(time.RFC3339Nano)}
			switch {
			case e.Account != nil:
				g.Event.Data = e.Account
			case e.NHI != nil:
				g.Event.Data = e.NHI
			}
		case it.Skip != nil:
			g.Skip = &goldenSkip{Reason: it.Skip.Reason, Type: it.Skip.Type}
			if !it.Skip.Time.IsZero() {
				g.Skip.Time = it.Skip.Time.Format(time.RFC3339Nano)
			}
		case it.Err != nil:
			g.Err = it.Err.Error()
		}
		out = append(out, g)
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		panic(err)
	}
	return append(b, '\n')
}

func inputs(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	return files
}

// TestDecodeGolden decodes every testdata file and compares the full output
// with testdata/golden (go test -run Golden -update rewrites it; review the
// diff before committing).
func TestDecodeGolden(t *testing.T) {
	for _, in := range inputs(t) {
		name := strings.TrimSuffix(filepath.Base(in), ".json")
		t.Run(name, func(t *testing.T) {
			value, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			items := Decode(value, testAliases)
			for _, it := range items {
				checkItem(t, value, it)
			}
			got := render(items)
			golden := filepath.Join("testdata", "golden", name+".golden")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("reading golden (run with -update to create it): %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("output differs from %s:\ngot:\n%s\nwant:\n%s", golden, got, want)
			}
		})
	}
}

// want is the hand-written expectation of one item.
type want struct {
	// Event
	typ, system, account, login, entitlement string
	privileged                               bool
	nhi                                      string
	// Skip
	skip, skipType string
	// Err
	code  events.Reason
	field string
}

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
		return want{typ: typ, system: system, account: account, login: login}
	}
	tests := []struct {
		file string
		want []want
	}{
		{"user_lifecycle_create", []want{acc(events.TypeAccountCreated, "okta", jane, "jane.doe@acme.example")}},
		{"user_lifecycle_activate", []want{acc(events.TypeAccountEnabled, "okta", jane, "jane.doe@acme.example")}},
		{"user_lifecycle_reactivate", []want{acc(events.TypeAccountEnabled, "okta", ravi, "ravi.shah@acme.example")}},
		{"user_lifecycle_unsuspend", []want{acc(events.TypeAccountEnabled, "okta", ravi, "ravi.shah@acme.example")}},
		{"user_lifecycle_deactivate", []want{acc(events.TypeAccountDisabled, "okta", mei, "mei.lin@acme.example")}},
		{"user_lifecycle_suspend", []want{acc(events.TypeAccountDisabled, "okta", mei, "mei.lin@acme.example")}},
		{"user_lifecycle_delete_completed", []want{acc(events.TypeAccountDeleted, "okta", mei, "mei.lin@acme.example")}},
		{"user_session_clear", []want{acc(events.TypeSessionsRevoked, "okta", mei, "mei.lin@acme.example")}},
		{"app_user_membership_add", []want{acc(events.TypeAccountCreated, "salesforce", jane, "jane.doe@acme.example")}},
		{"app_user_membership_add_noalias", []want{acc(events.TypeAccountCreated, "aws-production-sso-", jane, "jane.doe@acme.example")}},
		{"app_user_membership_remove", []want{acc(events.TypeAccountDeleted, "google-workspace", mei, "mei.lin@acme.example")}},
		{"app_provision_user_deprovision", []want{acc(events.TypeAccountDeleted, "salesforce", mei, "mei.lin@acme.example")}},
		{"app_provision_user_delete", []want{acc(events.TypeAccountDeleted, "zoë-café-portal", mei, "mei.lin@acme.example")}},
		{"app_provision_user_deactivate", []want{acc(events.TypeAccountDisabled, "aws-production-sso-", mei, "mei.lin@acme.example")}},
		{"group_user_membership_add", []want{{typ: events.TypeAccessGranted, system: "okta", account: jane, login: "jane.doe@acme.example", entitlement: "Engineering"}}},
		{"group_user_membership_remove", []want{{typ: events.TypeAccessRevoked, system: "okta", account: mei, login: "mei.lin@acme.example", entitlement: "Finance Approvers"}}},
		{"user_account_privilege_grant", []want{{typ: events.TypeAccessGranted, system: "okta", account: ravi, login: "ravi.shah@acme.example", entitlement: "okta-admin", privileged: true}}},
		{"user_account_privilege_revoke", []want{{typ: events.TypeAccessRevoked, system: "okta", account: mei, login: "mei.lin@acme.example", entitlement: "okta-admin", privileged: true}}},
		{"system_api_token_revoke", []want{{typ: events.TypeNHIRevoked, system: "okta", nhi: "00T1tfci00Ab2Cd3Ef4x"}}},
		{"app_oauth2_client_lifecycle_deactivate", []want{{typ: events.TypeNHIRevoked, system: "okta", nhi: "0oa5rpbot0Gh6Ij7Kl8x"}}},
		// The actor-like User target comes first; the AppInstance is preferred.
		{"app_oauth2_client_lifecycle_delete", []want{{typ: events.TypeNHIRevoked, system: "okta", nhi: "0oa5rpbot0Gh6Ij7Kl8x"}}},

		{"noise_user_authentication_sso", []want{{skip: events.SkipUnmapped, skipType: "user.authentication.sso"}}},
		{"noise_user_session_start", []want{{skip: events.SkipUnmapped, skipType: "user.session.start"}}},
		{"noise_policy_evaluate_sign_on", []want{{skip: events.SkipUnmapped, skipType: "policy.evaluate_sign_on"}}},
		{"noise_auth_via_mfa_failure", []want{{skip: events.SkipUnmapped, skipType: "user.authentication.auth_via_mfa"}}},
		{"failure_user_lifecycle_deactivate", []want{{skip: events.SkipOutcome, skipType: "user.lifecycle.deactivate"}}},
		{"failure_group_membership_skipped", []want{{skip: events.SkipOutcome, skipType: "group.user_membership.add"}}},

		{"reject_missing_uuid", []want{{code: events.ReasonMissingField, field: "uuid"}}},
		{"reject_bad_published", []want{{code: events.ReasonBadTimestamp, field: "published"}}},
		{"reject_no_user_target", []want{{code: events.ReasonNoTarget, field: "target"}}},
		{"reject_no_app_target", []want{{code: events.ReasonNoTarget, field: "target"}}},
		{"reject_no_group_target", []want{{code: events.ReasonNoTarget, field: "target"}}},
		{"reject_user_target_without_id", []want{{code: events.ReasonMissingField, field: "target[0].id"}}},
		{"reject_api_token_revoke_no_target", []want{{code: events.ReasonNoTarget, field: "target"}}},
		{"reject_not_json", []want{{code: events.ReasonBadJSON}}},
		{"reject_event_hook_without_events", []want{{code: events.ReasonMissingField, field: "data.events"}}},

		{"shape_logs_page", []want{
			{skip: events.SkipUnmapped, skipType: "user.session.start"},
			acc(events.TypeAccountDisabled, "okta", ravi, "ravi.shah@acme.example"),
			acc(events.TypeAccountDeleted, "salesforce", ravi, "ravi.shah@acme.example"),
			{code: events.ReasonNoTarget, field: "target"},
			{skip: events.SkipOutcome, skipType: "user.lifecycle.suspend"},
			{code: events.ReasonBadValue},
			{typ: events.TypeAccessRevoked, system: "okta", account: ravi, login: "ravi.shah@acme.example", entitlement: "okta-admin", privileged: true},
		}},
		{"shape_event_hook", []want{
			acc(events.TypeAccountCreated, "okta", mei, "mei.lin@acme.example"),
			{skip: events.SkipUnmapped, skipType: "user.authentication.sso"},
			{code: events.ReasonMissingField, field: "uuid"},
		}},
		{"shape_event_hook_compact", []want{
			acc(events.TypeAccountCreated, "okta", mei, "mei.lin@acme.example"),
			{skip: events.SkipUnmapped, skipType: "user.authentication.sso"},
			{code: events.ReasonMissingField, field: "uuid"},
		}},
		{"shape_empty_page", nil},
	}
	seen := map[string]bool{}
	for _, tc := range tests {
		seen[tc.file] = true
		t.Run(tc.file, func(t *testing.T) {
			value, err := os.ReadFile(filepath.Join("testdata", tc.file+".json"))
			if err != nil {
				t.Fatal(err)
			}
			items := Decode(value, testAliases)
			if len(items) != len(tc.want) {
				t.Fatalf("got %d items, want %d:\n%s", len(items), len(tc.want), render(items))
			}
			lone := len(items) == 1 && value[bytes.IndexAny(value, "[{")] == '{' && !strings.HasPrefix(tc.file, "shape_event_hook")
			for i, it := range items {
				checkItem(t, value, it)
				wantIndex := i
				if lone {
					wantIndex = -1
				}
				if it.Index != wantIndex {
					t.Errorf("item %d: Index %d, want %d", i, it.Index, wantIndex)
				}
				matchWant(t, i, it, tc.want[i])
			}
		})
	}
	for _, in := range inputs(t) {
		if name := strings.TrimSuffix(filepath.Base(in), ".json"); !seen[name] {
			t.Errorf("testdata %s has no expectation in TestDecodeTable", name)
		}
	}
}

func matchWant(t *testing.T, i int, it events.Item, w want) {
	t.Helper()
	switch {
	case w.typ != "":
		if it.Event == nil {
			t.Fatalf("item %d: want event %s, got skip %+v err %v", i, w.typ, it.Skip, it.Err)
		}
		e := it.Event
		if e.Type != w.typ || e.Source != "okta" {
			t.Errorf("item %d: type %s source %s, want %s okta", i, e.Type, e.Source, w.typ)
		}
		if w.nhi != "" {
			if e.NHI == nil || e.NHI.NHIID != w.nhi || e.NHI.System != w.system {
				t.Errorf("item %d: nhi %+v, want id %s system %s", i, e.NHI, w.nhi, w.system)
			}
			return
		}
		a := e.Account
		if a == nil {
			t.Fatalf("item %d: no account data", i)
		}
		got := want{typ: e.Type, system: a.System, account: a.AccountID, login: a.Login,
			entitlement: a.Entitlement, privileged: a.Privileged}
		if got != w {
			t.Errorf("item %d: got %+v, want %+v", i, got, w)
		}
		if a.WorkerID != "" || a.Email != "" {
			t.Errorf("item %d: worker_id %q email %q, want both empty", i, a.WorkerID, a.Email)
		}
	case w.skip != "":
		if it.Skip == nil {
			t.Fatalf("item %d: want skip %s, got event %+v err %v", i, w.skip, it.Event, it.Err)
		}
		if it.Skip.Reason != w.skip || it.Skip.Type != w.skipType {
			t.Errorf("item %d: skip %+v, want %s %s", i, it.Skip, w.skip, w.skipType)
		}
		if it.Skip.Time.IsZero() {
			t.Errorf("item %d: skip without time", i)
		}
	default:
		if it.Err == nil {
			t.Fatalf("item %d: want reject %s, got event %+v skip %+v", i, w.code, it.Event, it.Skip)
		}
		if it.Err.Code != w.code || it.Err.Field != w.field {
			t.Errorf("item %d: reject %q (field %q), want %s field %q", i, it.Err, it.Err.Field, w.code, w.field)
		}
	}
}

// checkItem asserts the invariants every item must hold, whatever the input:
// exactly one outcome, Raw located at Offset, canonical rules on events.
func checkItem(t testing.TB, value []byte, it events.Item) {
	t.Helper()
	n := 0
	for _, set := range []bool{it.Event != nil, it.Skip != nil, it.Err != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("item %d: %d of Event/Skip/Err set, want exactly 1", it.Index, n)
	}
	if it.Offset < 0 || it.Offset+len(it.Raw) > len(value) || !bytes.Equal(value[it.Offset:it.Offset+len(it.Raw)], it.Raw) {
		t.Fatalf("item %d: Raw is not value[Offset:Offset+len(Raw)] (offset %d, len %d)", it.Index, it.Offset, len(it.Raw))
	}
	if it.Index < -1 {
		t.Fatalf("item index %d", it.Index)
	}
	switch {
	case it.Err != nil:
		switch it.Err.Code {
		case events.ReasonBadJSON, events.ReasonBadTimestamp, events.ReasonMissingField,
			events.ReasonBadValue, events.ReasonNoTarget:
		default:
			t.Fatalf("item %d: unexpected reject code %q", it.Index, it.Err.Code)
		}
		if it.Err.Code == events.ReasonBadJSON && (it.Index != -1 || len(it.Raw) != len(value)) {
			t.Fatalf("bad_json must be one item for the whole value")
		}
	case it.Skip != nil:
		switch it.Skip.Reason {
		case events.SkipUnmapped, events.SkipOutcome:
		default:
			t.Fatalf("item %d: unexpected skip reason %q", it.Index, it.Skip.Reason)
		}
		if it.Skip.Type == "" {
			t.Fatalf("item %d: skip without type", it.Index)
		}
	case it.Event != nil:
		e := it.Event
		if e.ID == "" || e.Source != Source || e.Time.IsZero() || e.Time.Location() != time.UTC {
			t.Fatalf("item %d: bad envelope %+v", it.Index, e)
		}
		cat, ok := events.CategoryOf(e.Type)
		if !ok {
			t.Fatalf("item %d: unknown type %q", it.Index, e.Type)
		}
		switch cat {
		case events.CategoryAccount:
			a := e.Account
			if a == nil || e.NHI != nil || e.HR != nil || e.Ticket != nil {
				t.Fatalf("item %d: %s must carry only account data", it.Index, e.Type)
			}
			if a.System == "" || a.AccountID == "" {
				t.Fatalf("item %d: account without system or account_id: %+v", it.Index, a)
			}
			access := e.Type == events.TypeAccessGranted || e.Type == events.TypeAccessRevoked
			if access != (a.Entitlement != "") {
				t.Fatalf("item %d: %s with entitlement %q", it.Index, e.Type, a.Entitlement)
			}
			if e.Type == events.TypeAccountSnapshot {
				t.Fatalf("item %d: okta never produces snapshots", it.Index)
			}
		case events.CategoryNHI:
			if e.NHI == nil || e.Account != nil || e.NHI.NHIID == "" || e.NHI.System == "" || e.Type != events.TypeNHIRevoked {
				t.Fatalf("item %d: bad nhi event %+v", it.Index, e)
			}
		default:
			t.Fatalf("item %d: okta produced a %s event", it.Index, e.Type)
		}
	}
}
