package events

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// testdataLines returns the non-blank lines of a testdata file that do not
// start with '#'.
func testdataLines(t testing.TB, name string) [][]byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var lines [][]byte
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		l := sc.Bytes()
		if len(bytes.TrimSpace(l)) == 0 || l[0] == '#' {
			continue
		}
		lines = append(lines, append([]byte(nil), l...))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func instant(s string) *EffectiveTime { return &EffectiveTime{Instant: utc(s)} }

func date(y int, m time.Month, d int) *EffectiveTime {
	return &EffectiveTime{DateOnly: true, Year: y, Month: m, Day: d}
}

func ptrBool(b bool) *bool { return &b }

// checkItem fails unless exactly one of Event, Skip and Err is set.
func checkItem(t testing.TB, it Item) {
	t.Helper()
	n := 0
	if it.Event != nil {
		n++
	}
	if it.Skip != nil {
		n++
	}
	if it.Err != nil {
		n++
	}
	if n != 1 {
		t.Fatalf("item %+v has %d of Event/Skip/Err set, want exactly 1", it, n)
	}
}

// decodeOne decodes a lone structured event and returns its item.
func decodeOne(t testing.TB, value []byte) Item {
	t.Helper()
	items := DecodeStructured(value)
	if len(items) != 1 {
		t.Fatalf("DecodeStructured(%s) gave %d items, want 1", value, len(items))
	}
	checkItem(t, items[0])
	return items[0]
}

func TestDecodeStructuredValid(t *testing.T) {
	want := map[string]*Input{
		"hr-000002": {ID: "hr-000002", Source: "/hr/workday", Type: TypeHRJoiner, Time: utc("2026-03-02T08:15:00.123Z"),
			HR: &HRData{WorkerID: "W101", Email: "bo.chen@example.com", WorkerType: "contractor",
				EffectiveAt: date(2026, time.March, 9), Department: "Sales", Title: "Account Executive", ManagerID: "W010"}},
		"hr-000003": {ID: "hr-000003", Source: "/hr/workday", Type: TypeHRMover, Time: utc("2026-04-01T12:00:00Z"),
			HR: &HRData{WorkerID: "W100", Email: "ana.silva@example.com", EffectiveAt: instant("2026-04-06T12:00:00Z"),
				Department: "Finance", Title: "Analyst",
				From: &Position{Department: "Engineering", Title: "Engineer"}, To: &Position{Department: "Finance", Title: "Analyst"}}},
		"hr-000004": {ID: "hr-000004", Source: "/hr/workday", Type: TypeHRLeaver, Time: utc("2026-05-29T17:45:12Z"),
			HR: &HRData{WorkerID: "W100", Email: "ana.silva@example.com", WorkerType: "employee",
				EffectiveAt: date(2026, time.May, 29), Reason: "voluntary"}},
		"hr-000005": {ID: "hr-000005", Source: "/hr/workday", Type: TypeHRRescinded, Time: utc("2026-05-30T08:00:00Z"),
			HR: &HRData{WorkerID: "W100", Kind: KindLeaver}},
		"aws-0004": {ID: "aws-0004", Source: "/idp/aws", Type: TypeAccountDeleted, Time: utc("2026-05-30T01:00:00.5Z"),
			Account: &AccountData{System: "aws-prod", AccountID: "AIDA123", Privileged: true}},
		"okta-0006": {ID: "okta-0006", Source: "okta", Type: TypeAccessRevoked, Time: utc("2026-04-06T10:00:00Z"),
			Account: &AccountData{System: "okta", AccountID: "00u1efgh", Entitlement: "okta-admin", Privileged: true}},
		"sf-0008": {ID: "sf-0008", Source: "/sync/salesforce", Type: TypeAccountSnapshot, Time: utc("2026-03-01T00:00:00Z"),
			Account: &AccountData{System: "salesforce", AccountID: "005xyz", Login: "ana.silva@example.com",
				Active: ptrBool(true), Entitlements: []string{"Standard User", "Reports"}}},
		"sf-0009": {ID: "sf-0009", Source: "/sync/salesforce", Type: TypeAccountSnapshot, Time: utc("2026-03-01T00:00:00Z"),
			Account: &AccountData{System: "salesforce", AccountID: "005old", Active: ptrBool(false)}},
		"nhi-0010": {ID: "nhi-0010", Source: "/cmdb", Type: TypeNHIRegistered, Time: utc("2026-01-15T10:00:00Z"),
			NHI: &NHIData{NHIID: "svc-reporting", System: "aws-prod", OwnerWorkerID: "W100", Privileged: true}},
		"nhi-0011": {ID: "nhi-0011", Source: "/cmdb", Type: TypeNHIReassigned, Time: utc("2026-05-30T10:00:00Z"),
			NHI: &NHIData{NHIID: "svc-reporting", System: "aws-prod", NewOwnerWorkerID: "W007"}},
		"tkt-0013": {ID: "tkt-0013", Source: "/servicenow", Type: TypeTicketResolved, Time: utc("2026-05-31T09:00:00Z"),
			Ticket: &TicketData{TicketID: "RITM0042", WorkerID: "W100", Kind: KindLeaver, Systems: []string{"payroll", "badge"}, Resolution: "completed"}},
		"tkt-0014": {ID: "tkt-0014", Source: "/servicenow", Type: TypeTicketResolved, Time: utc("2026-03-10T09:00:00Z"),
			Ticket: &TicketData{TicketID: "RITM0043", Email: "bo.chen@example.com", Kind: KindJoiner, Resolution: "incomplete"}},
		`hr-"quoted"`: {ID: `hr-"quoted"`, Source: "urn:hr", Type: TypeHRJoiner, Time: utc("2026-06-01T00:00:00Z"),
			HR: &HRData{WorkerID: "Wé😀", EffectiveAt: instant("2026-12-31T23:59:59.999999999Z")}},
		"b64-0001": {ID: "b64-0001", Source: "/hr/legacy", Type: TypeHRSnapshot, Time: utc("2026-03-01T00:00:00Z"),
			HR: &HRData{WorkerID: "W200", Email: "x@example.com"}},
	}
	seen := 0
	for _, line := range testdataLines(t, "valid.jsonl") {
		it := decodeOne(t, line)
		if it.Err != nil {
			t.Errorf("DecodeStructured(%s): %v", line, it.Err)
			continue
		}
		if it.Index != -1 || it.Offset != 0 || !bytes.Equal(it.Raw, line) {
			t.Errorf("item position = index %d offset %d raw %q; want -1, 0, the line", it.Index, it.Offset, it.Raw)
		}
		if it.Event.Time.Location() != time.UTC {
			t.Errorf("%s: time %v is not in UTC", it.Event.ID, it.Event.Time)
		}
		if w, ok := want[it.Event.ID]; ok {
			seen++
			if !reflect.DeepEqual(it.Event, w) {
				t.Errorf("DecodeStructured(%s)\n got %s\nwant %s", line, dump(it.Event), dump(w))
			}
		}
	}
	if seen != len(want) {
		t.Errorf("checked %d of %d expected events", seen, len(want))
	}
}

// dump renders an Input with its data for failure messages.
func dump(in *Input) string {
	if in == nil {
		return "<nil>"
	}
	s := fmt.Sprintf("%s %s %s %s", in.ID, in.Source, in.Type, in.Time.Format(time.RFC3339Nano))
	switch {
	case in.HR != nil:
		s += fmt.Sprintf(" %+v", *in.HR)
		if in.HR.EffectiveAt != nil {
			s += " effective " + in.HR.EffectiveAt.String()
		}
	case in.Account != nil:
		s += fmt.Sprintf(" %+v", *in.Account)
	case in.NHI != nil:
		s += fmt.Sprintf(" %+v", *in.NHI)
	case in.Ticket != nil:
		s += fmt.Sprintf(" %+v", *in.Ticket)
	}
	return s
}

func TestDecodeStructuredRejects(t *testing.T) {
	for _, line := range testdataLines(t, "reject.tsv") {
		parts := strings.SplitN(string(line), "\t", 3)
		if len(parts) != 3 {
			t.Fatalf("bad reject.tsv line %q", line)
		}
		code, field, value := Reason(parts[0]), parts[1], []byte(parts[2])
		if field == "-" {
			field = ""
		}
		it := decodeOne(t, value)
		if it.Err == nil {
			t.Errorf("DecodeStructured(%s) accepted, want %s %s", value, code, field)
			continue
		}
		if it.Err.Code != code || it.Err.Field != field {
			t.Errorf("DecodeStructured(%s) = %v; want code %s field %q", value, it.Err, code, field)
		}
		if it.Err.Detail == "" || strings.ToLower(it.Err.Detail[:1]) != it.Err.Detail[:1] {
			t.Errorf("detail %q: want a lower-case message", it.Err.Detail)
		}
		if it.Index != -1 {
			t.Errorf("rejected lone value has index %d, want -1", it.Index)
		}
	}
}

func TestDecodeStructuredIgnoresUnknownFields(t *testing.T) {
	// Unknown attributes and data fields, and fields another type uses, are
	// ignored; so are wrong types in them.
	v := `{"specversion":"1.0","id":"1","source":"s","type":"io.jmlwatch.account.created","time":"2026-01-01T00:00:00Z",` +
		`"future_attr":{"x":[1,2]},"subject":5,"data":{"system":"okta","account_id":"a1","active":"not a bool",` +
		`"entitlement":7,"entitlements":"x","department":{"y":1},"extra":[true,false,null]}}`
	it := decodeOne(t, []byte(v))
	if it.Err != nil {
		t.Fatalf("rejected: %v", it.Err)
	}
	want := &AccountData{System: "okta", AccountID: "a1"}
	if !reflect.DeepEqual(it.Event.Account, want) {
		t.Errorf("account = %+v, want %+v", it.Event.Account, want)
	}
}

// TestDecodeSnapshotEntitlements: an account.snapshot without entitlements
// says nothing of them (nil); with [] it says there are none (empty, not
// nil), and the canonical JSON keeps the difference.
func TestDecodeSnapshotEntitlements(t *testing.T) {
	for _, tc := range []struct {
		list string
		want []string
	}{{``, nil}, {`,"entitlements":null`, nil}, {`,"entitlements":[]`, []string{}}, {`,"entitlements":["a"]`, []string{"a"}}} {
		v := `{"specversion":"1.0","id":"1","source":"s","type":"io.jmlwatch.account.snapshot","time":"2026-01-01T00:00:00Z",` +
			`"data":{"system":"okta","account_id":"a1","active":true` + tc.list + `}}`
		it := decodeOne(t, []byte(v))
		if it.Err != nil {
			t.Fatalf("%s: rejected: %v", tc.list, it.Err)
		}
		got := it.Event.Account.Entitlements
		if (got == nil) != (tc.want == nil) || !slices.Equal(got, tc.want) {
			t.Errorf("%s: entitlements %#v, want %#v", tc.list, got, tc.want)
		}
		b, err := json.Marshal(it.Event.Account)
		if err != nil {
			t.Fatal(err)
		}
		var back AccountData
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if (back.Entitlements == nil) != (tc.want == nil) {
			t.Errorf("%s: JSON %s does not keep nil apart from empty", tc.list, b)
		}
	}
}

func TestDecodeStructuredLastDuplicateWins(t *testing.T) {
	v := `{"specversion":"1.0","id":"first","id":"second","source":"s","type":"io.jmlwatch.hr.snapshot","time":"2026-01-01T00:00:00Z","data":{"worker_id":"W1","worker_id":"W2"}}`
	it := decodeOne(t, []byte(v))
	if it.Err != nil || it.Event.ID != "second" || it.Event.HR.WorkerID != "W2" {
		t.Fatalf("got %+v %v, want id second and worker W2", it.Event, it.Err)
	}
}

func TestDecodeStructuredOffsetsAndWhitespace(t *testing.T) {
	v := []byte("  \n\t{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"s\",\"type\":\"io.jmlwatch.hr.snapshot\",\"time\":\"2026-01-01T00:00:00Z\",\"data\":{\"worker_id\":\"W1\"}}\r\n ")
	it := decodeOne(t, v)
	if it.Err != nil {
		t.Fatal(it.Err)
	}
	if it.Offset != 4 || !bytes.Equal(it.Raw, v) {
		t.Errorf("offset %d raw %q; want offset 4 and the whole record", it.Offset, it.Raw)
	}
}

func TestDecodeBatch(t *testing.T) {
	value, err := os.ReadFile("testdata/batch.json")
	if err != nil {
		t.Fatal(err)
	}
	items := DecodeStructured(value)
	if len(items) != 4 {
		t.Fatalf("got %d items, want 4", len(items))
	}
	for i, it := range items {
		checkItem(t, it)
		if it.Index != i {
			t.Errorf("item %d has index %d", i, it.Index)
		}
		if !bytes.Equal(value[it.Offset:it.Offset+len(it.Raw)], it.Raw) {
			t.Errorf("item %d: raw is not value[offset:]", i)
		}
	}
	if items[0].Event == nil || items[0].Event.ID != "b-1" || items[0].Event.HR.Reason != "involuntary" {
		t.Errorf("item 0 = %+v %v, want leaver b-1", items[0].Event, items[0].Err)
	}
	if e := items[1].Err; e == nil || e.Code != ReasonMissingField || e.Field != "data.effective_at" {
		t.Errorf("item 1 err = %v, want missing_field data.effective_at", e)
	}
	if e := items[2].Err; e == nil || e.Code != ReasonBadJSON || string(items[2].Raw) != "17" {
		t.Errorf("item 2 = %q %v, want bad_json for 17", items[2].Raw, e)
	}
	if items[3].Event == nil || items[3].Event.ID != "b-4" {
		t.Errorf("item 3 = %+v %v, want b-4", items[3].Event, items[3].Err)
	}
	// The element starts are where a reader reports them.
	for i, wantLine := range []int{2, 10, 18, 19} {
		if got := 1 + bytes.Count(value[:items[i].Offset], []byte("\n")); got != wantLine {
			t.Errorf("item %d starts on line %d, want %d", i, got, wantLine)
		}
	}
}

func TestDecodeBatchEdgeCases(t *testing.T) {
	good := `{"specversion":"1.0","id":"1","source":"s","type":"io.jmlwatch.hr.snapshot","time":"2026-01-01T00:00:00Z","data":{"worker_id":"W1"}}`
	tests := []struct {
		name  string
		value string
		n     int    // items
		code  Reason // of a single rejected item, "" for none
		index int    // of that item
	}{
		{"empty array", "[]", 0, "", 0},
		{"empty array with space", " [ \n ] ", 0, "", 0},
		{"one", "[" + good + "]", 1, "", 0},
		{"syntax error after good elements", "[" + good + "," + good + ",{]", 1, ReasonBadJSON, -1},
		{"unterminated", "[" + good, 1, ReasonBadJSON, -1},
		{"trailing garbage", "[" + good + "] x", 1, ReasonBadJSON, -1},
		{"nested array element", "[[" + good + "]]", 1, ReasonBadJSON, 0},
		{"empty value", "", 1, ReasonBadJSON, -1},
		{"blank value", " \r\n", 1, ReasonBadJSON, -1},
		{"deep nesting", strings.Repeat("[", maxJSONDepth+10), 1, ReasonBadJSON, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			items := DecodeStructured([]byte(tc.value))
			if len(items) != tc.n {
				t.Fatalf("got %d items, want %d", len(items), tc.n)
			}
			for _, it := range items {
				checkItem(t, it)
			}
			if tc.code != "" {
				if items[0].Err == nil || items[0].Err.Code != tc.code || items[0].Index != tc.index {
					t.Errorf("got %+v, want one %s item with index %d", items[0], tc.code, tc.index)
				}
			} else if tc.n > 0 && items[0].Err != nil {
				t.Errorf("rejected: %v", items[0].Err)
			}
		})
	}
}

func TestDecodeBinary(t *testing.T) {
	hdr := func(kv ...string) []Header {
		var hs []Header
		for i := 0; i < len(kv); i += 2 {
			hs = append(hs, Header{Key: kv[i], Value: []byte(kv[i+1])})
		}
		return hs
	}
	base := []string{"ce_specversion", "1.0", "ce_id", "k-1", "ce_source", "okta", "ce_type", TypeAccountDisabled,
		"ce_time", "2026-05-29T23:10:00+02:00", "content-type", "application/json"}
	with := func(extra ...string) []Header { return hdr(append(append([]string(nil), base...), extra...)...) }
	without := func(key string) []Header {
		var kv []string
		for i := 0; i < len(base); i += 2 {
			if base[i] != key {
				kv = append(kv, base[i], base[i+1])
			}
		}
		return hdr(kv...)
	}
	data := `{"system":"okta","account_id":"00u1","worker_id":"W1"}`
	tests := []struct {
		name    string
		headers []Header
		value   string
		code    Reason
		field   string
	}{
		{"ok", with(), data, "", ""},
		{"ok upper-case keys, extensions, no content-type", hdr("CE_SPECVERSION", "1.0", "Ce_Id", "k-1", "ce_source", "okta",
			"ce_type", TypeAccountDisabled, "ce_time", "2026-05-29T23:10:00+02:00", "ce_traceparent", "00-x", "ce_subject", "W1"), data, "", ""},
		{"ok content-type with parameters", with("Content-Type", "application/json; charset=utf-8"), data, "", ""},
		{"last header wins", with("ce_id", "k-1"), data, "", ""},
		{"bad json value", with(), `{"system":`, ReasonBadJSON, ""},
		{"bad json before missing attributes", hdr("ce_specversion", "1.0"), `nope`, ReasonBadJSON, ""},
		{"empty value", with(), ``, ReasonMissingField, "data"},
		{"value not an object", with(), `["okta"]`, ReasonBadValue, "data"},
		{"missing specversion", without("ce_specversion"), data, ReasonMissingField, "ce_specversion"},
		{"specversion 0.3", with("ce_specversion", "0.3"), data, ReasonBadValue, "ce_specversion"},
		{"missing id", without("ce_id"), data, ReasonMissingField, "ce_id"},
		{"empty source", with("ce_source", ""), data, ReasonMissingField, "ce_source"},
		{"unknown type", with("ce_type", "com.example.x"), data, ReasonUnknownType, "ce_type"},
		{"missing time", without("ce_time"), data, ReasonMissingField, "ce_time"},
		{"bad time", with("ce_time", "yesterday"), data, ReasonBadTimestamp, "ce_time"},
		{"xml content type", with("content-type", "application/xml"), data, ReasonBadValue, "content-type"},
		{"data field missing", with(), `{"system":"okta"}`, ReasonMissingField, "data.account_id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			items := DecodeBinary(tc.headers, []byte(tc.value))
			if len(items) != 1 {
				t.Fatalf("got %d items, want 1", len(items))
			}
			it := items[0]
			checkItem(t, it)
			if it.Index != -1 || it.Offset != 0 || string(it.Raw) != tc.value {
				t.Errorf("position = %d %d %q, want -1 0 value", it.Index, it.Offset, it.Raw)
			}
			if tc.code == "" {
				if it.Err != nil {
					t.Fatalf("rejected: %v", it.Err)
				}
				want := &Input{ID: "k-1", Source: "okta", Type: TypeAccountDisabled, Time: utc("2026-05-29T21:10:00Z"),
					Account: &AccountData{System: "okta", AccountID: "00u1", WorkerID: "W1"}}
				if !reflect.DeepEqual(it.Event, want) {
					t.Errorf("got %s, want %s", dump(it.Event), dump(want))
				}
				return
			}
			if it.Err == nil || it.Err.Code != tc.code || it.Err.Field != tc.field {
				t.Errorf("got %v, want %s %q", it.Err, tc.code, tc.field)
			}
		})
	}
}

func TestDecodeKafka(t *testing.T) {
	structured := `{"specversion":"1.0","id":"s-1","source":"s","type":"io.jmlwatch.hr.snapshot","time":"2026-01-01T00:00:00Z","data":{"worker_id":"W1"}}`
	binaryHeaders := []Header{{"ce_specversion", []byte("1.0")}, {"ce_id", []byte("b-1")}, {"ce_source", []byte("s")},
		{"ce_type", []byte(TypeHRSnapshot)}, {"ce_time", []byte("2026-01-01T00:00:00Z")}}
	binaryValue := `{"worker_id":"W2"}`
	tests := []struct {
		name    string
		headers []Header
		value   string
		ids     []string // accepted event ids, in order
		code    Reason
		field   string
	}{
		{"structured", []Header{{"content-type", []byte("application/cloudevents+json; charset=UTF-8")}}, structured, []string{"s-1"}, "", ""},
		{"structured, case-insensitive", []Header{{"Content-Type", []byte("Application/CloudEvents+JSON")}}, structured, []string{"s-1"}, "", ""},
		{"structured wins over ce_ headers", append([]Header{{"content-type", []byte("application/cloudevents+json")}}, binaryHeaders...), structured, []string{"s-1"}, "", ""},
		{"batch", []Header{{"content-type", []byte("application/cloudevents-batch+json")}}, "[" + structured + "," + structured + "]", []string{"s-1", "s-1"}, "", ""},
		{"structured bad json", []Header{{"content-type", []byte("application/cloudevents+json")}}, "{", nil, ReasonBadJSON, ""},
		{"structured avro", []Header{{"content-type", []byte("application/cloudevents+avro")}}, "\x00\x01", nil, ReasonBadValue, "content-type"},
		{"binary", binaryHeaders, binaryValue, []string{"b-1"}, "", ""},
		{"binary with json content-type", append(binaryHeaders, Header{"content-type", []byte("application/json")}), binaryValue, []string{"b-1"}, "", ""},
		{"no headers: not a cloudevent", nil, structured, nil, ReasonMissingField, "ce_specversion"},
		{"plain json content-type without ce_ headers", []Header{{"content-type", []byte("application/json")}}, structured, nil, ReasonMissingField, "ce_specversion"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			items := DecodeKafka(tc.headers, []byte(tc.value))
			var ids []string
			for _, it := range items {
				checkItem(t, it)
				if it.Err != nil {
					if tc.code == "" || it.Err.Code != tc.code || it.Err.Field != tc.field {
						t.Errorf("got %v, want %s %q", it.Err, tc.code, tc.field)
					}
					continue
				}
				ids = append(ids, it.Event.ID)
			}
			if !reflect.DeepEqual(ids, tc.ids) {
				t.Errorf("accepted %v, want %v", ids, tc.ids)
			}
			if tc.code != "" && (len(items) != 1 || items[0].Err == nil) {
				t.Errorf("got %d items, want one rejection", len(items))
			}
		})
	}
}

func TestParseRFC3339(t *testing.T) {
	good := map[string]string{
		"2026-01-02T03:04:05Z":                "2026-01-02T03:04:05Z",
		"2026-01-02t03:04:05z":                "2026-01-02T03:04:05Z",
		"2026-01-02T03:04:05.1Z":              "2026-01-02T03:04:05.1Z",
		"2026-01-02T03:04:05.123456789Z":      "2026-01-02T03:04:05.123456789Z",
		"2026-01-02T03:04:05.1234567891234Z":  "2026-01-02T03:04:05.123456789Z",
		"2026-01-02T03:04:05+01:30":           "2026-01-02T01:34:05Z",
		"2026-01-02T00:30:00-05:00":           "2026-01-02T05:30:00Z",
		"2024-02-29T23:59:59.999999999+23:59": "2024-02-29T00:00:59.999999999Z",
		"0001-01-01T00:00:00Z":                "0001-01-01T00:00:00Z",
	}
	for in, want := range good {
		got, ok := parseRFC3339(in)
		if !ok || got.Format(time.RFC3339Nano) != want || got.Location() != time.UTC {
			t.Errorf("parseRFC3339(%q) = %v, %v; want %s", in, got, ok, want)
		}
		if std, err := time.Parse(time.RFC3339Nano, strings.ToUpper(in)); err == nil && !std.Equal(got) {
			t.Errorf("parseRFC3339(%q) = %v, time.Parse says %v", in, got, std)
		}
	}
	for _, in := range []string{"", "2026-01-02", "2026-01-02T03:04:05", "2026-01-02T03:04Z", "2026-01-02 03:04:05Z",
		"2026-01-02T03:04:05.Z", "2026-01-02T03:04:05,5Z", "2026-01-02T03:04:60Z", "2026-01-02T24:00:00Z",
		"2025-02-29T00:00:00Z", "2026-00-10T00:00:00Z", "2026-01-02T03:04:05+1:00", "2026-01-02T03:04:05+01:60",
		"2026-01-02T03:04:05+24:00", "2026-01-02T03:04:05ZZ", "+2026-01-02T03:04:05Z", "2026-01-02T03:04:05 Z",
		"2026-1-02T03:04:05Z", "２026-01-02T03:04:05Z", "0000-01-01T00:30:00+01:00", "9999-12-31T23:30:00-01:00"} {
		if got, ok := parseRFC3339(in); ok {
			t.Errorf("parseRFC3339(%q) = %v, want failure", in, got)
		}
	}
}

func TestEffectiveTime(t *testing.T) {
	for in, want := range map[string]EffectiveTime{
		"2026-11-30":                {DateOnly: true, Year: 2026, Month: time.November, Day: 30},
		"2024-02-29":                {DateOnly: true, Year: 2024, Month: time.February, Day: 29},
		"2026-11-30T09:00:00+01:00": {Instant: utc("2026-11-30T08:00:00Z")},
	} {
		got, err := ParseEffectiveTime(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("ParseEffectiveTime(%q) = %+v, %v; want %+v", in, got, err, want)
		}
		b, err := got.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		var back EffectiveTime
		if err := back.UnmarshalJSON(b); err != nil || !reflect.DeepEqual(back, want) {
			t.Errorf("round trip of %q through %s = %+v, %v", in, b, back, err)
		}
	}
	for _, in := range []string{"", "2025-02-29", "2026-11-31", "20261130", "2026-11-30T25:00:00Z", "tomorrow"} {
		if got, err := ParseEffectiveTime(in); err == nil {
			t.Errorf("ParseEffectiveTime(%q) = %+v, want an error", in, got)
		}
	}
	if s := (EffectiveTime{DateOnly: true, Year: 7, Month: time.March, Day: 1}).String(); s != "0007-03-01" {
		t.Errorf("String() = %q", s)
	}
}

func TestEncodeInputRoundTrip(t *testing.T) {
	for _, line := range testdataLines(t, "valid.jsonl") {
		it := decodeOne(t, line)
		if it.Err != nil {
			t.Fatalf("%s: %v", line, it.Err)
		}
		enc, err := EncodeInput(it.Event)
		if err != nil {
			t.Fatalf("EncodeInput(%s): %v", it.Event.ID, err)
		}
		back := decodeOne(t, enc)
		if back.Err != nil {
			t.Fatalf("decoding %s: %v", enc, back.Err)
		}
		if !reflect.DeepEqual(back.Event, it.Event) {
			t.Errorf("round trip of %s\n got %s\nwant %s", enc, dump(back.Event), dump(it.Event))
		}
	}
	if _, err := EncodeInput(&Input{ID: "x", Type: TypeHRJoiner}); err == nil {
		t.Error("EncodeInput without data succeeded")
	}
	if _, err := EncodeInput(&Input{ID: "x", Type: "nope", HR: &HRData{}}); err == nil {
		t.Error("EncodeInput of an unknown type succeeded")
	}
}

func TestReadStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{`"plain"`, `"é😀"`, "\"bad \xff utf8 \xc3\"", `"\u00e9\ud83d\ude00"`, `"lone \ud800 surrogate"`,
		`"\ud800\u0041"`, `"esc \"\\\/\b\f\n\r\t"`, "\"\xed\xa0\x80\"", `"\u0000"`, "\"mixed \xff and \\n\""} {
		var want string
		if err := json.Unmarshal([]byte(s), &want); err != nil {
			t.Fatalf("encoding/json rejects %s: %v", s, err)
		}
		p := jsonParser{b: []byte(s)}
		got, ok := p.readBytes()
		if !ok || string(got) != want {
			t.Errorf("readBytes(%s) = %q, %v; encoding/json says %q", s, got, ok, want)
		}
	}
}

func TestValidJSONMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{`{}`, `[]`, ` 1 `, `-0.5e+10`, `"x"`, `true`, `null`, `{"a":[1,{"b":null}]}`, "\"\xff\"",
		`{`, `}`, `[1,]`, `{"a":1,}`, `01`, `1.`, `.5`, `-`, `+1`, `1e`, `tru`, `nul`, `"\x"`, "\"\x01\"", `{"a"}`, `{1:2}`,
		`[1 2]`, `1 2`, ``, ` `, `"\u12"`, `"\u12G4"`, strings.Repeat("[", 10000) + strings.Repeat("]", 10000),
		strings.Repeat("[", 10001) + strings.Repeat("]", 10001)} {
		want := json.Valid([]byte(s))
		if got := validJSON([]byte(s)) == nil; got != want {
			t.Errorf("validJSON(%.40q) = %v, encoding/json.Valid = %v", s, got, want)
		}
	}
}
