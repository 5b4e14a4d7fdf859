package correlator_test

import (
	"strings"
	"testing"

	"github.com/jmlwatch/jmlwatch/events"
	"github.com/jmlwatch/jmlwatch/processor/correlator"
	"github.com/jmlwatch/jmlwatch/processor/internal/memkv"
	"github.com/jmlwatch/jmlwatch/processor/policy"
)

// TestRetention checks that state does not grow without bound: after a
// worker's whole lifecycle and the longest retention, nothing of the worker
// who left is left (cases, deleted accounts, released entitlements, NHIs,
// the leaver marker, then the worker and its email index), nor of the
// account that never linked. A worker who never left (w2) stays: its HR
// email resolves accounts.
// The privilege flag of an entitlement (p keys) stays: it is bounded by the
// entitlement catalogue, not by workers or time.
func TestRetention(t *testing.T) {
	pol, err := policy.Parse([]byte(testPolicy), "test")
	if err != nil {
		t.Fatal(err)
	}
	kv := memkv.New()
	tx := correlator.New(pol).NewTx(kv)
	eff := &events.EffectiveTime{Instant: at("2026-12-01T00:00:00Z")}
	acct := func(typ, id, ts string) *events.Input {
		return &events.Input{ID: id, Source: "idp", Type: typ, Time: at(ts),
			Account: &events.AccountData{System: "okta", AccountID: "ok1", WorkerID: "w1", Entitlement: "eng"}}
	}
	inputs := []*events.Input{
		{ID: "s1", Source: "hr", Type: events.TypeHRSnapshot, Time: at("2026-11-01T00:00:00Z"),
			HR: &events.HRData{WorkerID: "w1", Email: "a@example.com"}},
		acct(events.TypeAccountCreated, "a1", "2026-11-02T00:00:00Z"),
		acct(events.TypeAccessGranted, "g1", "2026-11-02T00:00:00Z"),
		{ID: "n1", Source: "nhi", Type: events.TypeNHIRegistered, Time: at("2026-11-03T00:00:00Z"),
			NHI: &events.NHIData{NHIID: "key1", System: "okta", OwnerWorkerID: "w1"}},
		{ID: "L1", Source: "hr", Type: events.TypeHRLeaver, Time: at("2026-12-01T00:00:00Z"),
			HR: &events.HRData{WorkerID: "w1", EffectiveAt: eff, Reason: "voluntary"}},
		acct(events.TypeAccessRevoked, "g2", "2026-12-01T01:00:00Z"),
		acct(events.TypeAccountDeleted, "a2", "2026-12-01T02:00:00Z"),
		{ID: "n2", Source: "nhi", Type: events.TypeNHIRevoked, Time: at("2026-12-01T03:00:00Z"),
			NHI: &events.NHIData{NHIID: "key1", System: "okta"}},
		{ID: "s2", Source: "hr", Type: events.TypeHRSnapshot, Time: at("2026-12-01T00:00:00Z"),
			HR: &events.HRData{WorkerID: "w2", Email: "b@example.com"}},
		{ID: "u1", Source: "idp", Type: events.TypeAccountCreated, Time: at("2026-12-02T00:00:00Z"),
			Account: &events.AccountData{System: "github", AccountID: "gh1", Login: "nobody@example.com"}},
	}
	var out []events.Output
	for _, in := range inputs {
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
	before := kv.Len()
	if out, err = tx.Advance(at("2028-06-01T00:00:00Z"), out); err != nil {
		t.Fatal(err)
	}
	if err := tx.Flush(); err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, k := range kv.Keys() {
		left = append(left, strings.ReplaceAll(k, "\x00", "|"))
	}
	want := []string{"eb@example.com|w2", "k", "pokta|eng", "v", "ww2"}
	if strings.Join(left, ",") != strings.Join(want, ",") {
		t.Fatalf("keys after retention (had %d) = %q, want %q", before, left, want)
	}
	if _, ok, err := correlator.ReadWorker(kv, "w1"); err != nil || ok {
		t.Errorf("worker w1 still readable (%v, %v)", ok, err)
	}
}
