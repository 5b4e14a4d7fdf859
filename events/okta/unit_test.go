package okta

import (
	"fmt"
	"testing"

	"github.com/jmlwatch/jmlwatch/events"
)

func TestSystemKey(t *testing.T) {
	tests := []struct{ name, want string }{
		{"Salesforce.com", "salesforce-com"},
		{"Google Workspace", "google-workspace"},
		{"AWS Production (SSO)", "aws-production-sso-"},
		{"  Leading and trailing  ", "-leading-and-trailing-"},
		{"GitHub Enterprise Cloud - Organization", "github-enterprise-cloud-organization"},
		{"Zoë Café", "zoë-café"},
		{"ÄRZTE_Portal", "ärzte-portal"},
		{"Office365", "office365"},
		{"a\xffb", "a-b"},
		{"---", "-"},
		{"", ""},
	}
	for _, tc := range tests {
		if got := SystemKey(tc.name); got != tc.want {
			t.Errorf("SystemKey(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// appEvent is a minimal mapped application.user_membership.add LogEvent
// whose AppInstance target has the given alternateId and displayName.
func appEvent(alternateID, displayName string) []byte {
	return fmt.Appendf(nil, `{"uuid":"e1","published":"2026-03-02T09:00:00Z","eventType":"application.user_membership.add",`+
		`"outcome":{"result":"SUCCESS"},"target":[{"id":"00u1","type":"User","alternateId":"u@acme.example"},`+
		`{"id":"0oa1","type":"AppInstance","alternateId":%q,"displayName":%q}]}`, alternateID, displayName)
}

func TestAppSystem(t *testing.T) {
	aliases := map[string]string{"Salesforce.com": "salesforce", "Slack Enterprise": "slack"}
	tests := []struct {
		alternateID, displayName, want string
	}{
		{"Salesforce.com", "Salesforce", "salesforce"},
		{"salesforce.com", "Salesforce", "salesforce-com"}, // alias keys are exact
		{"", "Slack Enterprise", "slack"},                  // displayName when alternateId is empty
		{"Slack Enterprise", "Slack", "slack"},
		{"Workday", "Slack Enterprise", "workday"}, // alternateId wins
	}
	for _, tc := range tests {
		value := appEvent(tc.alternateID, tc.displayName)
		items := Decode(value, aliases)
		if len(items) != 1 || items[0].Event == nil {
			t.Fatalf("%+v: %+v", tc, items[0].Err)
		}
		vendor.CheckItem(t, value, items[0])
		if got := items[0].Event.Account.System; got != tc.want {
			t.Errorf("app %q/%q: system %q, want %q", tc.alternateID, tc.displayName, got, tc.want)
		}
	}
	items := Decode(appEvent("", ""), aliases)
	if items[0].Err == nil || items[0].Err.Code != events.ReasonMissingField || items[0].Err.Field != "target[1].alternateId" {
		t.Errorf("nameless app: %v", items[0].Err)
	}
	// nil aliases are allowed.
	if items := Decode(appEvent("Salesforce.com", ""), nil); items[0].Event.Account.System != "salesforce-com" {
		t.Errorf("nil aliases: %+v", items[0].Event.Account)
	}
}

// TestDecodeOrder checks that a record without uuid and published is
// rejected even as noise, that eventType and outcome are judged before the
// fields only mapped records need, and that escaped keys and values read as
// their decoded text.
func TestDecodeOrder(t *testing.T) {
	const well = `"uuid":"x","published":"2026-03-02T09:00:00Z",`
	tests := []struct {
		name, value string
		want        string // canonical type, skip reason or reject code
		field       string
	}{
		{"noise without uuid", `{"eventType":"user.session.start","outcome":{"result":"SUCCESS"}}`, string(events.ReasonMissingField), "uuid"},
		{"noise with a bad time", `{"eventType":"user.authentication.sso","uuid":"x","published":"soon"}`, string(events.ReasonBadTimestamp), "published"},
		{"failure without published", `{"eventType":"user.lifecycle.create","uuid":"x","outcome":{"result":"FAILURE"}}`, string(events.ReasonMissingField), "published"},
		{"noise", `{` + well + `"eventType":"user.authentication.sso"}`, events.SkipUnmapped, ""},
		{"failure", `{` + well + `"eventType":"user.lifecycle.create","outcome":{"result":"FAILURE"}}`, events.SkipOutcome, ""},
		{"lower-case success is not SUCCESS", `{` + well + `"eventType":"user.lifecycle.create","outcome":{"result":"success"}}`, events.SkipOutcome, ""},
		{"no eventType", `{` + well[:len(well)-1] + `}`, string(events.ReasonMissingField), "eventType"},
		{"null eventType", `{` + well + `"eventType":null}`, string(events.ReasonMissingField), "eventType"},
		{"numeric eventType", `{` + well + `"eventType":7}`, string(events.ReasonBadValue), "eventType"},
		{"no outcome", `{` + well + `"eventType":"user.lifecycle.create"}`, string(events.ReasonMissingField), "outcome.result"},
		{"outcome not an object", `{` + well + `"eventType":"user.lifecycle.create","outcome":"SUCCESS"}`, string(events.ReasonBadValue), "outcome"},
		{"numeric uuid", `{"eventType":"user.lifecycle.create","outcome":{"result":"SUCCESS"},"uuid":5}`, string(events.ReasonBadValue), "uuid"},
		{"no published", `{"eventType":"user.lifecycle.create","outcome":{"result":"SUCCESS"},"uuid":"x"}`, string(events.ReasonMissingField), "published"},
		{"numeric published", `{"eventType":"user.lifecycle.create","outcome":{"result":"SUCCESS"},"uuid":"x","published":1}`, string(events.ReasonBadTimestamp), "published"},
		{"target not an array", `{"eventType":"user.lifecycle.create","outcome":{"result":"SUCCESS"},"uuid":"x","published":"2026-03-02T09:00:00Z","target":{}}`, string(events.ReasonBadValue), "target"},
		{"null target", `{"eventType":"user.lifecycle.create","outcome":{"result":"SUCCESS"},"uuid":"x","published":"2026-03-02T09:00:00Z","target":null}`, string(events.ReasonNoTarget), "target"},
		{"escaped keys and values", `{"event\u0054ype":"user.lifecycle.cre\u0061te","outcome":{"result":"SUCCESS"},"uuid":"x","published":"2026-03-02T09:00:00Z","target":[{"type":"User","id":"00u\u0031"}]}`, events.TypeAccountCreated, ""},
		{"escaped target keys", `{"eventType":"user.lifecycle.create","outcome":{"result":"SUCCESS"},"uuid":"x","published":"2026-03-02T09:00:00Z","target":[{"typ\u0065":"User","\u0069d":"00u1","\\u0069d":""}]}`, events.TypeAccountCreated, ""},
	}
	for _, tc := range tests {
		items := Decode([]byte(tc.value), nil)
		if len(items) != 1 {
			t.Fatalf("%s: %d items", tc.name, len(items))
		}
		it := items[0]
		vendor.CheckItem(t, []byte(tc.value), it)
		var got, field string
		switch {
		case it.Event != nil:
			got = it.Event.Type
		case it.Skip != nil:
			got = it.Skip.Reason
		default:
			got, field = string(it.Err.Code), it.Err.Field
		}
		if got != tc.want || field != tc.field {
			t.Errorf("%s: got %s %q, want %s %q", tc.name, got, field, tc.want, tc.field)
		}
	}
}

func TestDecodeShapes(t *testing.T) {
	ev := `{"uuid":"e1","published":"2026-03-02T09:00:00Z","eventType":"user.lifecycle.activate","outcome":{"result":"SUCCESS"},"target":[{"id":"00u1","type":"User"}]}`
	tests := []struct {
		name    string
		value   string
		index   []int
		offsets []int
	}{
		{"lone with whitespace", "\n " + ev + " \r\n", []int{-1}, []int{2}},
		{"array", "[ " + ev + ",\n" + ev + " ]", []int{0, 1}, []int{2, 2 + len(ev) + 2}},
		{"hook", `{"eventType":"com.okta.event_hook","data":{"events":[` + ev + `]}}`, []int{0}, []int{53}},
		{"hook without eventType", `{"source":"x","data":{"events":[` + ev + `]}}`, []int{0}, []int{32}},
	}
	for _, tc := range tests {
		items := Decode([]byte(tc.value), nil)
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
	for _, bad := range []string{"", " ", "{", "[" + ev, ev + "x", ev + ev, "not json", `{"eventType":"user.session.start",}`} {
		items := Decode([]byte(bad), nil)
		if len(items) != 1 || items[0].Err == nil || items[0].Err.Code != events.ReasonBadJSON || items[0].Index != -1 {
			t.Errorf("Decode(%q) = %+v, want one bad_json item", bad, items)
		}
	}
	for _, v := range []string{`7`, `"x"`, `null`, `[[` + ev + `]]`, `[{"eventType":"com.okta.event_hook","data":{"events":[]}}]`, `{"eventType":"com.okta.event_hook","data":{"events":{}}}`} {
		items := Decode([]byte(v), nil)
		if len(items) != 1 || items[0].Err == nil || items[0].Err.Code != events.ReasonBadValue {
			t.Errorf("Decode(%q): %v, want one bad_value item", v, items[0].Err)
		}
	}
}
