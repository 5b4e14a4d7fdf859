package correlator

import (
	"strings"
	"testing"
	"time"

	"github.com/jmlwatch/jmlwatch/events"
	"github.com/jmlwatch/jmlwatch/processor/internal/memkv"
)

// TestLegacyRetentionTimers: a state of format 3 holds a retention timer
// per case, account, entitlement, NHI holding and leaver marker, not one a
// worker; this version still fires them, each as a sweep of its worker,
// which also arms a sweep for an item whose moment moved past its timer.
func TestLegacyRetentionTimers(t *testing.T) {
	pol := seenPolicy(t, "")
	kv := memkv.New()
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	w := &worker{ID: "w1", Email: "a@example.com", Left: true,
		Cases:    []*caseState{{ID: "c1", Kind: "leaver", State: caseCompleted, RecordedAt: t0, ClosedAt: t0}},
		Accounts: []*account{{System: "okta", ID: "a1", Deleted: true, StateAt: t0}},
		Ents:     []*entitle{{System: "okta", Name: "e1", StateAt: t0}},
		NHIs:     []*holding{{System: "okta", ID: "n1", Released: true, ReleasedAt: t0}},
		Leaver:   &leaverMark{CaseID: "c1", EffectiveAt: t0},
	}
	set := func(k, v []byte) {
		if err := kv.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	set([]byte{keyFormatB}, []byte{3})
	set([]byte{keyClockB}, appendTime(nil, t0))
	set(key(pWorker, "w1"), encodeWorker(nil, w))
	set(key(pEmail, "a@example.com", "w1"), nil)
	set(key(pCase, "c1"), caseIndexValue("w1", "hr", "L1"))
	set(key(pLink, "okta", "a1"), []byte("w1"))
	// w2's account was deleted, then disabled two days later (a late
	// record): its moment moved past its format 3 timer's, which finds it
	// not due and must arm a sweep for it.
	w2 := &worker{ID: "w2", Left: true, Accounts: []*account{{System: "okta", ID: "a2", Deleted: true, StateAt: t0.Add(48 * time.Hour)}}}
	set(key(pWorker, "w2"), encodeWorker(nil, w2))
	set(key(pLink, "okta", "a2"), []byte("w2"))
	lookback := pol.MaxLookback()
	for _, r := range []struct {
		due   time.Time
		typ   byte
		parts []string
	}{
		{t0.Add(pol.CaseRetention), rCase, []string{"w1", "c1"}},
		{t0.Add(lookback), rAccount, []string{"w1", "okta", "a1"}},
		{t0.Add(lookback), rEnt, []string{"w1", "okta", "e1"}},
		{t0.Add(lookback), rHolding, []string{"w1", "okta", "n1"}},
		{t0.Add(pol.OrphanWindow), rLeaver, []string{"w1", "c1"}},
		{t0.Add(lookback), rAccount, []string{"w2", "okta", "a2"}},
	} {
		set(appendRetainKey(nil, r.due, r.typ, r.parts...), nil)
	}
	tx := New(pol).NewTx(kv)
	end := t0.Add(max(pol.CaseRetention, pol.OrphanWindow, lookback) + time.Hour)
	advanceFlush(t, tx, end)
	var left []string
	for _, k := range kv.Keys() {
		if k != "k" && k != "v" && !strings.HasPrefix(k, "d") { // the trigger's key goes back to the window
			left = append(left, strings.ReplaceAll(k, "\x00", "|"))
		}
	}
	if len(left) > 0 {
		t.Fatalf("keys left after every legacy timer fired: %q", left)
	}
}

// TestSweepWorker: one retention timer a worker, armed at the earliest due
// moment; an earlier one armed later supersedes it (both fire, harmlessly);
// each sweep arms the next, and the worker goes with the last of it.
func TestSweepWorker(t *testing.T) {
	pol := seenPolicy(t, "")
	kv := memkv.New()
	tx := New(pol).NewTx(kv)
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	if _, err := tx.Advance(t0, nil); err != nil {
		t.Fatal(err)
	}
	retainKeys := func() (n int) {
		for _, k := range kv.Keys() {
			if k[0] == pRetain {
				if k[9] != rWorker {
					t.Fatalf("retention timer of type %q", k[9])
				}
				n++
			}
		}
		return n
	}
	w, err := tx.loadWorker("w1")
	if err != nil {
		t.Fatal(err)
	}
	w.Email, w.Left = "a@example.com", true
	late, early := t0.Add(pol.CaseRetention), t0.Add(pol.MaxLookback())
	w.Cases = []*caseState{{ID: "c1", Kind: "leaver", State: caseCompleted, RecordedAt: t0, ClosedAt: t0}}
	if err := tx.retainWorker(w, late); err != nil {
		t.Fatal(err)
	}
	if err := tx.retainWorker(w, late.Add(time.Hour)); err != nil { // later: nothing to arm
		t.Fatal(err)
	}
	w.Accounts = []*account{{System: "okta", ID: "a1", Deleted: true, StateAt: t0}}
	if err := tx.retainWorker(w, early); err != nil {
		t.Fatal(err)
	}
	if err := tx.Flush(); err != nil {
		t.Fatal(err)
	}
	if n := retainKeys(); n != 2 || !w.RetainAt.Equal(early) {
		t.Fatalf("%d retention timers, armed at %v; want 2, %v", n, w.RetainAt, early)
	}
	// The account goes at its moment; the case stays.
	advanceFlush(t, tx, early.Add(time.Nanosecond))
	w, _ = tx.loadWorker("w1")
	if len(w.Accounts) != 0 || len(w.Cases) != 1 || !w.RetainAt.Equal(late) {
		t.Fatalf("after the first sweep: %d accounts, %d cases, armed at %v; want 0, 1, %v", len(w.Accounts), len(w.Cases), w.RetainAt, late)
	}
	if n := retainKeys(); n != 1 {
		t.Fatalf("%d retention timers after the first sweep, want 1", n)
	}
	advanceFlush(t, tx, late.Add(time.Nanosecond))
	if _, ok, _ := kv.Get(key(pWorker, "w1")); ok {
		t.Fatal("worker w1 still stored after its last sweep")
	}
	if n := retainKeys(); n != 0 {
		t.Fatalf("%d retention timers left, want 0", n)
	}
}

// TestMovedAccountRetention: a deleted account that moves to another
// worker (a later record names that worker) is retained by the sweep of
// its new worker.
func TestMovedAccountRetention(t *testing.T) {
	pol := seenPolicy(t, "")
	kv := memkv.New()
	tx := New(pol).NewTx(kv)
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	apply := func(in *events.Input) {
		t.Helper()
		if _, err := tx.Advance(in.Time, nil); err != nil {
			t.Fatal(err)
		}
		if _, _, err := tx.Apply(in, nil); err != nil {
			t.Fatal(err)
		}
	}
	for i, w := range []string{"w2", "w3"} {
		apply(&events.Input{ID: "s" + w, Source: "hr", Type: events.TypeHRSnapshot, Time: t0.Add(time.Duration(i) * time.Second),
			HR: &events.HRData{WorkerID: w, Email: w + "@example.com"}})
	}
	apply(&events.Input{ID: "d1", Source: "idp", Type: events.TypeAccountDeleted, Time: t0.Add(time.Hour),
		Account: &events.AccountData{System: "github", AccountID: "a1", WorkerID: "w3"}})
	apply(&events.Input{ID: "g1", Source: "idp", Type: events.TypeAccessGranted, Time: t0.Add(2 * time.Hour),
		Account: &events.AccountData{System: "github", AccountID: "a1", WorkerID: "w2", Entitlement: "dev"}})
	w2, err := tx.loadWorker("w2")
	if err != nil {
		t.Fatal(err)
	}
	if a := w2.account("github", "a1"); a == nil || !a.Deleted {
		t.Fatalf("w2's account github/a1 = %+v, want the deleted account moved from w3", a)
	}
	advanceFlush(t, tx, t0.Add(2*time.Hour+pol.MaxLookback()+time.Hour))
	w2, _ = tx.loadWorker("w2")
	if a := w2.account("github", "a1"); a != nil {
		t.Fatalf("w2 still holds github/a1 (%+v) after the longest lookback", a)
	}
}

// advanceFlush moves tx's clock to at, firing what is due, and flushes.
func advanceFlush(t *testing.T, tx *Tx, at time.Time) {
	t.Helper()
	if _, err := tx.Advance(at, nil); err != nil {
		t.Fatal(err)
	}
	if err := tx.Flush(); err != nil {
		t.Fatal(err)
	}
}
