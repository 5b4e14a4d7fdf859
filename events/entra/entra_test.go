package entra

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
			items := Decode(value)
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
		return want{typ: typ, system: "entra", account: account, login: login}
	}
	access := func(typ, account, login, entitlement string, privileged bool) want {
		return want{typ: typ, system: "entra", account: account, login: login, entitlement: entitlement, privileged: privileged}
	}
	tests := []struct {
		file string
		want []want
	}{
		{"add_user", []want{acc(events.TypeAccountCreated, jane, "jane.doe@contoso.example")}},
		{"enable_account", []want{acc(events.TypeAccountEnabled, ravi, "ravi.shah@contoso.example")}},
		{"disable_account", []want{acc(events.TypeAccountDisabled, mei, "mei.lin@contoso.example")}},
		{"update_user_disable", []want{acc(events.TypeAccountDisabled, mei, "mei.lin@contoso.example")}},
		{"update_user_enable", []want{acc(events.TypeAccountEnabled, ravi, "ravi.shah@contoso.example")}},
		{"update_user_plain_bools", []want{acc(events.TypeAccountDisabled, jane, "jane.doe@contoso.example")}},
		// Soft delete: the login loses the object-id prefix Entra adds.
		{"delete_user", []want{acc(events.TypeAccountDeleted, ravi, "ravi.shah@contoso.example")}},
		{"hard_delete_user", []want{acc(events.TypeAccountDeleted, ravi, "ravi.shah@contoso.example")}},
		// The Group target has no displayName: the User's Group.DisplayName names it.
		{"add_member_to_group", []want{access(events.TypeAccessGranted, jane, "jane.doe@contoso.example", "Engineering", false)}},
		// The Group target's displayName wins over the modified property.
		{"remove_member_from_group", []want{access(events.TypeAccessRevoked, mei, "mei.lin@contoso.example", "Finance Approvers", false)}},
		{"add_member_to_role", []want{access(events.TypeAccessGranted, ravi, "ravi.shah@contoso.example", "Global Administrator", true)}},
		{"remove_member_from_role", []want{access(events.TypeAccessRevoked, mei, "mei.lin@contoso.example", "User Administrator", true)}},
		{"update_sts_refresh_token", []want{acc(events.TypeSessionsRevoked, mei, "mei.lin@contoso.example")}},
		{"remove_service_principal", []want{{typ: events.TypeNHIRevoked, system: "entra", nhi: sp}}},
		{"remove_service_principal_credentials", []want{{typ: events.TypeNHIRevoked, system: "entra", nhi: sp}}},

		{"update_user_displayname_only", []want{{skip: events.SkipNoEnabled, skipType: "Update user"}}},
		{"update_user_enabled_unchanged", []want{{skip: events.SkipNoEnabled, skipType: "Update user"}}},
		{"noise_user_registered_security_info", []want{{skip: events.SkipUnmapped, skipType: "User registered security info"}}},
		{"noise_reset_password", []want{{skip: events.SkipUnmapped, skipType: "Reset password (self-service)"}}},
		{"noise_consent_to_application", []want{{skip: events.SkipUnmapped, skipType: "Consent to application"}}},
		{"failure_disable_account", []want{{skip: events.SkipOutcome, skipType: "Disable account"}}},

		{"reject_update_user_bad_enabled", []want{{code: events.ReasonBadValue, field: "targetResources[0].modifiedProperties"}}},
		{"reject_missing_id", []want{{code: events.ReasonMissingField, field: "id"}}},
		{"reject_bad_activity_datetime", []want{{code: events.ReasonBadTimestamp, field: "activityDateTime"}}},
		{"reject_role_to_service_principal", []want{{code: events.ReasonNoTarget, field: "targetResources"}}},
		{"reject_group_without_name", []want{{code: events.ReasonNoTarget, field: "targetResources"}}},
		{"reject_remove_sp_without_target", []want{{code: events.ReasonNoTarget, field: "targetResources"}}},
		{"reject_not_json", []want{{code: events.ReasonBadJSON}}},

		{"shape_graph_page", []want{
			acc(events.TypeAccountCreated, mei, "mei.lin@contoso.example"),
			{skip: events.SkipNoEnabled, skipType: "Update user"},
			access(events.TypeAccessGranted, mei, "mei.lin@contoso.example", "Finance Approvers", false),
			{skip: events.SkipOutcome, skipType: "Add member to group"},
			{code: events.ReasonNoTarget, field: "targetResources"},
		}},
		{"shape_eventhubs_records", eventHubsWant},
		{"shape_eventhubs_records_compact", eventHubsWant},
		{"shape_diagnostic_record", []want{acc(events.TypeAccountDeleted, mei, "mei.lin@contoso.example")}},
		{"shape_array_of_audits", []want{
			acc(events.TypeAccountEnabled, jane, "jane.doe@contoso.example"),
			{code: events.ReasonBadValue},
		}},
		{"shape_empty_records", nil},
	}
	seen := map[string]bool{}
	for _, tc := range tests {
		seen[tc.file] = true
		t.Run(tc.file, func(t *testing.T) {
			value, err := os.ReadFile(filepath.Join("testdata", tc.file+".json"))
			if err != nil {
				t.Fatal(err)
			}
			items := Decode(value)
			if len(items) != len(tc.want) {
				t.Fatalf("got %d items, want %d:\n%s", len(items), len(tc.want), render(items))
			}
			lone := len(items) == 1 && value[bytes.IndexAny(value, "[{")] == '{' && !strings.HasPrefix(tc.file, "shape_eventhubs")
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
		if e.Type != w.typ || e.Source != "entra" {
			t.Errorf("item %d: type %s source %s, want %s entra", i, e.Type, e.Source, w.typ)
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
		case events.SkipUnmapped, events.SkipOutcome, events.SkipNoEnabled:
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
				t.Fatalf("item %d: entra never produces snapshots", it.Index)
			}
		case events.CategoryNHI:
			if e.NHI == nil || e.Account != nil || e.NHI.NHIID == "" || e.NHI.System == "" || e.Type != events.TypeNHIRevoked {
				t.Fatalf("item %d: bad nhi event %+v", it.Index, e)
			}
		default:
			t.Fatalf("item %d: entra produced a %s event", it.Index, e.Type)
		}
	}
}

// eventHubsWant is the expectation of both renderings of the Event Hubs
// envelope: a disable, a sign-in (another category), a role removal, a
// record without properties, an enable by "Update user" with result
// "Success", and an element that is not an object.
var eventHubsWant = []want{
	{typ: events.TypeAccountDisabled, system: "entra", account: jane, login: "jane.doe@contoso.example"},
	{skip: events.SkipUnmapped, skipType: "Sign-in activity"},
	{typ: events.TypeAccessRevoked, system: "entra", account: jane, login: "jane.doe@contoso.example", entitlement: "Global Administrator", privileged: true},
	{code: events.ReasonMissingField, field: "properties"},
	{typ: events.TypeAccountEnabled, system: "entra", account: jane, login: "jane.doe@contoso.example"},
	{code: events.ReasonBadValue},
}
