package httpapi

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/jmlwatch/jmlwatch/events"
	"github.com/jmlwatch/jmlwatch/processor/correlator"
	"github.com/jmlwatch/jmlwatch/processor/internal/memkv"
	"github.com/jmlwatch/jmlwatch/processor/policy"
)

const testPolicy = `
timezone: UTC
unresolved_ttl: 24h
aliases: {"GitHub Enterprise": github}
systems:
  okta: {tier: standard}
  github: {tier: standard}
leaver: {systems: [okta]}
joiner: {systems: [okta]}
slas:
  - {kind: leaver, deadline: 24h}
  - {kind: nhi, deadline: 168h}
  - {kind: joiner, deadline: 0s}
  - {kind: mover, deadline: 72h}
`

// knownInputs builds the state the tests (and the Chromium test) check:
//   - W1 alice left 2026-03-01; her okta account a1 is never revoked (stalled,
//     overdue since 2026-03-02T00:00Z).
//   - W2 bob left 2026-03-01; okta b1 disabled at 02:00 (within), github b2
//     never (stalled).
//   - W3 carol: joiner effective 2026-03-02, provisioned an hour late.
//   - W5 erin: joiner rescinded (cancelled).
//   - ghost@acme.example: an okta account nobody owns.
//   - the clock ends at 2026-03-05T00:00Z minus allowed_lateness.
var knownInputs = []string{
	ce("hr.snapshot", "s1", "2026-02-01T00:00:00Z", `{"worker_id":"W1","email":"alice@acme.example","department":"Eng"}`),
	ce("hr.snapshot", "s2", "2026-02-01T00:00:00Z", `{"worker_id":"W2","email":"bob@acme.example","department":"Eng"}`),
	ce("account.created", "a1", "2026-02-02T00:00:00Z", `{"system":"okta","account_id":"a1","login":"alice@acme.example"}`),
	ce("account.created", "b1", "2026-02-02T00:00:00Z", `{"system":"okta","account_id":"b1","login":"bob@acme.example"}`),
	ce("account.created", "b2", "2026-02-02T00:00:00Z", `{"system":"github","account_id":"b2","login":"bob@acme.example"}`),
	ce("hr.leaver", "l1", "2026-02-27T00:00:00Z", `{"worker_id":"W1","effective_at":"2026-03-01T00:00:00Z","reason":"voluntary"}`),
	ce("hr.leaver", "l2", "2026-02-27T00:00:01Z", `{"worker_id":"W2","effective_at":"2026-03-01T00:00:00Z","reason":"voluntary"}`),
	ce("hr.joiner", "j3", "2026-02-27T00:00:02Z", `{"worker_id":"W3","email":"carol@acme.example","effective_at":"2026-03-02T00:00:00Z","department":"Eng"}`),
	ce("hr.joiner", "j5", "2026-02-27T00:00:03Z", `{"worker_id":"W5","email":"erin@acme.example","effective_at":"2026-03-03T00:00:00Z","department":"Eng"}`),
	ce("hr.rescinded", "r5", "2026-02-28T00:00:00Z", `{"worker_id":"W5","kind":"joiner"}`),
	ce("account.disabled", "b1d", "2026-03-01T02:00:00Z", `{"system":"okta","account_id":"b1","login":"bob@acme.example"}`),
	ce("account.created", "g1", "2026-03-01T03:00:00Z", `{"system":"okta","account_id":"g1","login":"ghost@acme.example"}`),
	ce("account.created", "c1", "2026-03-02T01:00:00Z", `{"system":"okta","account_id":"c1","login":"carol@acme.example"}`),
	ce("hr.snapshot", "s9", "2026-03-05T00:00:00Z", `{"worker_id":"W9","email":"zed@acme.example"}`),
}

func ce(typ, id, t, data string) string {
	return fmt.Sprintf(`{"specversion":"1.0","id":%q,"source":"test","type":"io.jmlwatch.%s","time":%q,"datacontenttype":"application/json","data":%s}`, id, typ, t, data)
}

// knownState applies knownInputs as replay would and returns the state,
// the policy and the outputs.
func knownState(t testing.TB) (*memkv.KV, *policy.Policy, []events.Output) {
	t.Helper()
	pol, err := policy.Parse([]byte(testPolicy), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	kv := memkv.New()
	tx := correlator.New(pol).NewTx(kv)
	var out []events.Output
	for _, line := range knownInputs {
		items := events.DecodeStructured([]byte(line))
		if len(items) != 1 || items[0].Event == nil {
			t.Fatalf("bad test input %s: %+v", line, items[0].Err)
		}
		in := items[0].Event
		if out, err = tx.Advance(in.Time.Add(-pol.AllowedLateness), out); err != nil {
			t.Fatal(err)
		}
		if out, _, err = tx.Apply(in, out); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Flush(); err != nil {
		t.Fatal(err)
	}
	return kv, pol, out
}

func mustJSON(t testing.TB, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decoding %s: %v", b, err)
	}
}

var clockAtEnd = time.Date(2026, 3, 4, 23, 55, 0, 0, time.UTC)

func TestLatencyBucket(t *testing.T) {
	for _, tc := range []struct {
		lat  time.Duration
		want string
	}{
		{-time.Hour, "before effective"},
		{0, "< 1h"},
		{59 * time.Minute, "< 1h"},
		{time.Hour, "1-4h"},
		{71 * time.Hour, "1-3d"},
		{72 * time.Hour, "3-7d"},
		{30 * 24 * time.Hour, "> 7d"},
	} {
		if got := latencyBuckets[latencyBucket(tc.lat)].label; got != tc.want {
			t.Errorf("latencyBucket(%s) = %q, want %q", tc.lat, got, tc.want)
		}
	}
}
