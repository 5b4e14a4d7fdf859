package correlator_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jmlwatch/jmlwatch/events"
	"github.com/jmlwatch/jmlwatch/processor/correlator"
	"github.com/jmlwatch/jmlwatch/processor/internal/memkv"
	"github.com/jmlwatch/jmlwatch/processor/policy"
)

const testPolicy = `
systems: {okta: {tier: standard}}
leaver: {systems: [okta]}
slas:
  - {kind: leaver, deadline: 24h}
  - {kind: nhi, deadline: 168h}
  - {kind: joiner, deadline: 0s}
  - {kind: mover, deadline: 72h}
`

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestQueries applies a small history (the github account is unowned and
// was reported 168h after first_seen) and reads it back through the query
// API the HTTP surface uses.
func TestQueries(t *testing.T) {
	pol, err := policy.Parse([]byte(testPolicy), "test")
	if err != nil {
		t.Fatal(err)
	}
	kv := memkv.New()
	tx := correlator.New(pol).NewTx(kv)
	inputs := []*events.Input{
		{ID: "s1", Source: "hr", Type: events.TypeHRSnapshot, Time: at("2026-11-01T00:00:00Z"),
			HR: &events.HRData{WorkerID: "w1", Email: "a@example.com"}},
		{ID: "a1", Source: "idp", Type: events.TypeAccountCreated, Time: at("2026-11-02T00:00:00Z"),
			Account: &events.AccountData{System: "okta", AccountID: "ok1", Login: "a@example.com"}},
		{ID: "a2", Source: "idp", Type: events.TypeAccountCreated, Time: at("2026-11-02T00:00:00Z"),
			Account: &events.AccountData{System: "github", AccountID: "gh9", Login: "nobody@example.com"}},
		{ID: "L1", Source: "hr", Type: events.TypeHRLeaver, Time: at("2026-12-01T00:00:00Z"),
			HR: &events.HRData{WorkerID: "w1", EffectiveAt: &events.EffectiveTime{Instant: at("2026-12-01T00:00:00Z")}}},
	}
	var out []events.Output
	for _, in := range inputs {
		if out, err = tx.Advance(in.Time, out); err != nil {
			t.Fatal(err)
		}
		if out, _, err = tx.Apply(in, out); err != nil {
			t.Fatal(err)
		}
	}
	if out, err = tx.Advance(at("2026-12-03T00:00:00Z"), out); err != nil {
		t.Fatal(err)
	}
	if err := tx.Flush(); err != nil {
		t.Fatal(err)
	}
	caseID := correlator.CaseID("hr", "L1")
	c, ok, err := correlator.ReadCase(kv, caseID)
	if err != nil || !ok {
		t.Fatalf("ReadCase: %v %v", ok, err)
	}
	if c.State != "open" || !c.Breached || len(c.Steps) != 1 || c.Steps[0].StepID != "revoke:okta:ok1" || c.Steps[0].Status != "open" {
		t.Errorf("case view = %+v", c)
	}
	w, ok, err := correlator.ReadWorker(kv, "w1")
	if err != nil || !ok || !w.Left || len(w.Accounts) != 1 || w.Accounts[0].AccountID != "ok1" || len(w.Cases) != 1 {
		t.Errorf("worker view = %+v, %v, %v", w, ok, err)
	}
	var n int
	if err := correlator.ScanCases(kv, "", func(correlator.CaseView) bool { n++; return true }); err != nil || n != 1 {
		t.Errorf("ScanCases saw %d cases, err %v", n, err)
	}
	var unowned []correlator.UnownedView
	if err := correlator.ScanUnowned(kv, func(u correlator.UnownedView) bool { unowned = append(unowned, u); return true }); err != nil {
		t.Fatal(err)
	}
	if len(unowned) != 1 || unowned[0].AccountID != "gh9" || !unowned[0].Reported {
		t.Errorf("unowned = %+v", unowned)
	}
	if clk, err := correlator.ReadClock(kv); err != nil || !clk.Equal(at("2026-12-03T00:00:00Z")) {
		t.Errorf("clock = %v, %v", clk, err)
	}
}

// TestScanPagination checks the cursors the API pages with: ScanUnownedAfter
// resumes strictly after an account, ScanCasesFrom at a worker itself.
func TestScanPagination(t *testing.T) {
	pol, err := policy.Parse([]byte(testPolicy), "test")
	if err != nil {
		t.Fatal(err)
	}
	kv := memkv.New()
	tx := correlator.New(pol).NewTx(kv)
	var out []events.Output
	for i, acct := range []string{"a", "a\x00b", "ab", "b"} {
		in := &events.Input{ID: fmt.Sprint("u", i), Source: "idp", Type: events.TypeAccountCreated, Time: at("2026-11-02T00:00:00Z"),
			Account: &events.AccountData{System: "github", AccountID: acct, Login: "nobody@example.com"}}
		if out, _, err = tx.Apply(in, out); err != nil {
			t.Fatal(err)
		}
	}
	for _, w := range []string{"w1", "w2"} {
		in := &events.Input{ID: "L" + w, Source: "hr", Type: events.TypeHRLeaver, Time: at("2026-12-01T00:00:00Z"),
			HR: &events.HRData{WorkerID: w, EffectiveAt: &events.EffectiveTime{Instant: at("2026-12-01T00:00:00Z")}}}
		if out, _, err = tx.Apply(in, out); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Flush(); err != nil {
		t.Fatal(err)
	}
	var pages []string
	system, account := "", ""
	for range 10 {
		var got []correlator.UnownedView
		visit := func(u correlator.UnownedView) bool { got = append(got, u); return len(got) < 1 }
		if system == "" {
			err = correlator.ScanUnowned(kv, visit)
		} else {
			err = correlator.ScanUnownedAfter(kv, system, account, visit)
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 {
			break
		}
		system, account = got[0].System, got[0].AccountID
		pages = append(pages, account)
	}
	if want := []string{"a", "a\x00b", "ab", "b"}; !slices.Equal(pages, want) {
		t.Errorf("pages %q, want %q", pages, want)
	}
	var workers []string
	if err := correlator.ScanCasesFrom(kv, "w2", func(c correlator.CaseView) bool { workers = append(workers, c.WorkerID); return true }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(workers, []string{"w2"}) {
		t.Errorf("ScanCasesFrom(w2) saw %q", workers)
	}
}
