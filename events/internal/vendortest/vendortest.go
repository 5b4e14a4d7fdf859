package vendortest

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jmlwatch/jmlwatch/events"
)

// Vendor describes the normalizer under test.
type Vendor struct {
	// Source is the canonical source every event must carry ("okta").
	Source string
	// Decode decodes one value, as the normalizer's Decode does.
	Decode func(value []byte) []events.Item
	// Skips are the skip reasons the normalizer may give.
	Skips []string
	// Envelope is the file-name prefix of the testdata whose top-level
	// object is an envelope (its one item has Index 0, not -1).
	Envelope string
}

// Want is the hand-written expectation of one item: an event when Type is
// set, a skip when Skip is set, otherwise a rejection.
type Want struct {
	// Event
	Type, System, Account, Login, Entitlement string
	Privileged                                bool
	NHI                                       string
	// Skip
	Skip, SkipType string
	// Err
	Code  events.Reason
	Field string
}

// Inputs returns the testdata/*.json files of the calling package's tests.
func Inputs(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	return files
}

// Table decodes testdata/<name>.json for every name in cases, checks each
// item against CheckItem and its Want, and fails for testdata files cases
// does not name.
func (v Vendor) Table(t *testing.T, cases map[string][]Want) {
	t.Helper()
	for _, name := range slices.Sorted(maps.Keys(cases)) {
		wants := cases[name]
		t.Run(name, func(t *testing.T) {
			value, err := os.ReadFile(filepath.Join("testdata", name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			items := v.Decode(value)
			if len(items) != len(wants) {
				t.Fatalf("got %d items, want %d:\n%s", len(items), len(wants), Render(items))
			}
			lone := len(items) == 1 && value[bytes.IndexAny(value, "[{")] == '{' && !strings.HasPrefix(name, v.Envelope)
			for i, it := range items {
				v.CheckItem(t, value, it)
				wantIndex := i
				if lone {
					wantIndex = -1
				}
				if it.Index != wantIndex {
					t.Errorf("item %d: Index %d, want %d", i, it.Index, wantIndex)
				}
				v.Match(t, i, it, wants[i])
			}
		})
	}
	for _, in := range Inputs(t) {
		if _, ok := cases[strings.TrimSuffix(filepath.Base(in), ".json")]; !ok {
			t.Errorf("testdata %s has no expectation in TestDecodeTable", in)
		}
	}
}

// Match checks item i against its expectation w.
func (v Vendor) Match(t *testing.T, i int, it events.Item, w Want) {
	t.Helper()
	switch {
	case w.Type != "":
		if it.Event == nil {
			t.Fatalf("item %d: want event %s, got skip %+v err %v", i, w.Type, it.Skip, it.Err)
		}
		e := it.Event
		if e.Type != w.Type || e.Source != v.Source {
			t.Errorf("item %d: type %s source %s, want %s %s", i, e.Type, e.Source, w.Type, v.Source)
		}
		if w.NHI != "" {
			if e.NHI == nil || e.NHI.NHIID != w.NHI || e.NHI.System != w.System {
				t.Errorf("item %d: nhi %+v, want id %s system %s", i, e.NHI, w.NHI, w.System)
			}
			return
		}
		a := e.Account
		if a == nil {
			t.Fatalf("item %d: no account data", i)
		}
		got := Want{Type: e.Type, System: a.System, Account: a.AccountID, Login: a.Login,
			Entitlement: a.Entitlement, Privileged: a.Privileged}
		if got != w {
			t.Errorf("item %d: got %+v, want %+v", i, got, w)
		}
		if a.WorkerID != "" || a.Email != "" {
			t.Errorf("item %d: worker_id %q email %q, want both empty", i, a.WorkerID, a.Email)
		}
	case w.Skip != "":
		if it.Skip == nil {
			t.Fatalf("item %d: want skip %s, got event %+v err %v", i, w.Skip, it.Event, it.Err)
		}
		if it.Skip.Reason != w.Skip || it.Skip.Type != w.SkipType {
			t.Errorf("item %d: skip %+v, want %s %s", i, it.Skip, w.Skip, w.SkipType)
		}
		if it.Skip.Time.IsZero() {
			t.Errorf("item %d: skip without time", i)
		}
	default:
		if it.Err == nil {
			t.Fatalf("item %d: want reject %s, got event %+v skip %+v", i, w.Code, it.Event, it.Skip)
		}
		if it.Err.Code != w.Code || it.Err.Field != w.Field {
			t.Errorf("item %d: reject %q (field %q), want %s field %q", i, it.Err, it.Err.Field, w.Code, w.Field)
		}
	}
}

// CheckItem asserts the invariants every item must hold, whatever the input:
// exactly one outcome, Raw located at Offset, canonical rules on events.
func (v Vendor) CheckItem(t testing.TB, value []byte, it events.Item) {
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
		if !slices.Contains(v.Skips, it.Skip.Reason) {
			t.Fatalf("item %d: unexpected skip reason %q", it.Index, it.Skip.Reason)
		}
		if it.Skip.Type == "" {
			t.Fatalf("item %d: skip without type", it.Index)
		}
	case it.Event != nil:
		e := it.Event
		if e.ID == "" || e.Source != v.Source || e.Time.IsZero() || e.Time.Location() != time.UTC {
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
				t.Fatalf("item %d: %s never produces snapshots", it.Index, v.Source)
			}
		case events.CategoryNHI:
			if e.NHI == nil || e.Account != nil || e.NHI.NHIID == "" || e.NHI.System == "" || e.Type != events.TypeNHIRevoked {
				t.Fatalf("item %d: bad nhi event %+v", it.Index, e)
			}
		default:
			t.Fatalf("item %d: %s produced a %s event", it.Index, v.Source, e.Type)
		}
	}
}

// Golden decodes every testdata file and compares the full output with
// testdata/golden/<name>.golden; with update it rewrites the golden files
// instead (review the diff before committing).
func (v Vendor) Golden(t *testing.T, update bool) {
	t.Helper()
	for _, in := range Inputs(t) {
		name := strings.TrimSuffix(filepath.Base(in), ".json")
		t.Run(name, func(t *testing.T) {
			value, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			items := v.Decode(value)
			for _, it := range items {
				v.CheckItem(t, value, it)
			}
			got := Render(items)
			golden := filepath.Join("testdata", "golden", name+".golden")
			if update {
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

// FuzzDecode is a whole decode fuzz target: it seeds f with every
// testdata/*.json file and with each of extra, then fuzzes with Fuzz.
func (v Vendor) FuzzDecode(f *testing.F, extra ...string) {
	f.Helper()
	for _, in := range Inputs(f) {
		value, err := os.ReadFile(in)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(value)
	}
	for _, s := range extra {
		f.Add([]byte(s))
	}
	f.Fuzz(v.Fuzz)
}

// Fuzz is the body of a decode fuzz target: Decode must not panic, every
// item must satisfy CheckItem, items must be in order without overlapping,
// and bad_json must be reported exactly when encoding/json rejects the
// value.
func (v Vendor) Fuzz(t *testing.T, value []byte) {
	t.Helper()
	items := v.Decode(value)
	valid := json.Valid(value)
	prevEnd := 0
	for i, it := range items {
		v.CheckItem(t, value, it)
		if it.Err != nil && it.Err.Code == events.ReasonBadJSON {
			if valid {
				t.Fatalf("bad_json for a value encoding/json accepts: %q", value)
			}
			continue
		}
		if !valid {
			t.Fatalf("item %d decoded from a value encoding/json rejects: %q", i, value)
		}
		if it.Offset < prevEnd {
			t.Fatalf("item %d at %d overlaps the previous one ending at %d", i, it.Offset, prevEnd)
		}
		prevEnd = it.Offset + len(it.Raw)
	}
	if !valid && len(items) != 1 {
		t.Fatalf("invalid value gave %d items", len(items))
	}
}

// BenchDecode benchmarks Decode of testdata/file, which must give one
// item that is not a rejection.
func (v Vendor) BenchDecode(b *testing.B, file string) {
	value := benchInput(b, file)
	timer := StartCPUTimer(b)
	defer timer.Stop()
	for b.Loop() {
		items := v.Decode(value)
		if len(items) != 1 || items[0].Err != nil {
			b.Fatalf("unexpected result %+v", items)
		}
	}
}

// BenchUnmarshal benchmarks encoding/json unmarshalling testdata/file into
// a new T, the baseline of BenchDecode; ok reports whether the result holds
// what the normalizer would need.
func BenchUnmarshal[T any](b *testing.B, file string, ok func(*T) bool) {
	value := benchInput(b, file)
	timer := StartCPUTimer(b)
	defer timer.Stop()
	for b.Loop() {
		var x T
		if err := json.Unmarshal(value, &x); err != nil || !ok(&x) {
			b.Fatal(err)
		}
	}
}

// benchInput reads testdata/file, the input of one benchmark iteration,
// and has b report throughput in its bytes and allocations.
func benchInput(b *testing.B, file string) []byte {
	b.Helper()
	value, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(value)))
	b.ReportAllocs()
	return value
}

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

// Render returns the golden rendering of items: indented JSON, one object
// per item.
func Render(items []events.Item) []byte {
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
